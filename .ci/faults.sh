#!/usr/bin/env bash
# What the fault tests (crates/sigil/tests/faults) need beyond PostgreSQL (.ci/postgres.sh):
# libfaketime, to run a node with its clock minutes off. They also mount a small tmpfs (a disk
# to fill), which needs root; CI runs as root.
set -euo pipefail
if ! ls /usr/lib/*/faketime/libfaketime.so.1 /usr/lib/faketime/libfaketime.so.1 >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq faketime >/dev/null
fi
