//! Fault tests: real `sigil server` processes (the binary cargo built) and real PostgreSQL, a
//! fault injected, and the outcome checked by clients over HTTP. One scenario at a time
//! (`support::serial`); each prints what it measured (`MEASURED …`, with `--nocapture`), the
//! figures of README "Failure behaviour". What a scenario needs and cannot find (PostgreSQL's
//! server programs, `faketime`, permission to mount a tmpfs) is `SKIPPED` outside CI and a
//! failure under `CI=true`; `.ci/faults.sh` installs it in CI.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod clock_skew;
mod disk_full;
mod kill9;
mod partition;
mod pg_outage;
mod slow_idp;
mod support;
