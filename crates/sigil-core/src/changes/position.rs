//! Where a node is in the change log: the highest sequence number it has applied, and the
//! numbers below it that it has not seen yet ("holes"), each waited for a bounded time by the
//! database's clock.
//!
//! Why holes, and why the database's clock. On PostgreSQL a sequence number is handed out when
//! a transaction inserts its entry, not when it commits, so transaction 1 may take number 7,
//! transaction 2 number 8 and commit first: a reader then sees 8 but not 7. Reading "after the
//! highest number seen" would skip 7 for ever; reading "every entry stamped in the last
//! minute" (what Sigil did before) trusts the writers' clocks, and a writer whose clock is a
//! minute behind the reader's was never read at all. So a reader keeps the numbers it skipped
//! and asks for them again on every read until they appear, or until it has waited for them
//! longer than [`HOLE_PATIENCE_SECONDS`] by the database's clock: a transaction rolled back
//! (or a number PostgreSQL skipped after a crash) leaves a hole that never fills. The wait is
//! sound because no transaction that appends an entry stays open that long: Sigil's
//! transactions are a few short statements, and on PostgreSQL its connections set
//! `idle_in_transaction_session_timeout` (20 s), so a node that stops mid-transaction has the
//! transaction rolled back by the server instead of committed late. On SQLite writers are
//! serialised and a number becomes visible with its commit, so no hole ever forms.
//!
//! A reader that starts afresh (the first read, or after a gap in its reads) reloads every
//! revocation and forgets every cache, then starts after the newest entry stamped more than
//! [`HOLE_PATIENCE_SECONDS`] (plus [`STAMP_MARGIN_SECONDS`]) ago by the database's clock: any
//! transaction still open was given its number after that entry, so it is read (or waited
//! for) like the rest.

use chrono::{DateTime, Duration, Utc};
use std::collections::BTreeMap;

/// How long, by the database's clock, a reader waits for a sequence number it skipped.
pub const HOLE_PATIENCE_SECONDS: i64 = 60;
/// The stamp is whole seconds, taken in the same statement as the number: a second of margin
/// each way.
pub const STAMP_MARGIN_SECONDS: i64 = 2;
/// A reader whose last successful read is older than this (the database's clock) starts
/// afresh: reloads revocations, forgets its caches. The log would still hold what it missed
/// (entries are kept an hour), but a node back from an outage trusts nothing it held.
pub const RESTART_AFTER_SECONDS: i64 = 30;
/// More holes than this at once is no transaction in flight but a log this node cannot
/// follow (pruned past it, a sequence reset): it starts afresh.
const MAX_HOLES: usize = 1000;

#[derive(Debug, Default)]
pub(crate) struct LogPosition {
    /// Every entry numbered at or below this is applied, covered by the last reload, or given
    /// up, apart from `holes`. `None`: start afresh.
    high: Option<i64>,
    /// Numbers below `high` not seen yet, with the database's time they were first missed.
    holes: BTreeMap<i64, DateTime<Utc>>,
    /// The database's clock at the last read that applied everything it found.
    last_read: Option<DateTime<Utc>>,
}

impl LogPosition {
    /// Whether the next read must start afresh.
    pub(crate) fn needs_restart(&self, db_now: DateTime<Utc>) -> bool {
        self.high.is_none()
            || self
                .last_read
                .is_none_or(|at| db_now - at > Duration::seconds(RESTART_AFTER_SECONDS))
    }

    /// Where a fresh start begins: after the newest entry stamped before this (the database's
    /// clock), whose number every still-open transaction's entry is above.
    pub(crate) fn restart_floor_time(db_now: DateTime<Utc>) -> DateTime<Utc> {
        db_now - Duration::seconds(HOLE_PATIENCE_SECONDS + STAMP_MARGIN_SECONDS)
    }

    /// Starts afresh after `floor` (0: the beginning), the caches having been reloaded.
    pub(crate) fn restart_after(&mut self, floor: i64) {
        self.high = Some(floor);
        self.holes.clear();
    }

    /// The highest number applied: the next read asks for entries above it.
    pub(crate) fn high(&self) -> i64 {
        self.high.unwrap_or(0)
    }

    /// The numbers to ask for again.
    pub(crate) fn holes(&self) -> Vec<i64> {
        self.holes.keys().copied().collect()
    }

    /// Entry `seq` was applied: a hole filled, or the next entry, the numbers skipped on the
    /// way becoming holes (first missed at `db_now`). Call in increasing order of `seq` for
    /// the entries above [`LogPosition::high`].
    pub(crate) fn applied(&mut self, seq: i64, db_now: DateTime<Utc>) {
        let high = self.high();
        if seq <= high {
            self.holes.remove(&seq);
            return;
        }
        let skipped = usize::try_from(seq - high - 1).unwrap_or(usize::MAX);
        if self.holes.len().saturating_add(skipped) > MAX_HOLES {
            // Not transactions in flight: start afresh at the next read.
            self.holes.clear();
            self.high = None;
            return;
        }
        for missing in high + 1..seq {
            self.holes.insert(missing, db_now);
        }
        self.high = Some(seq);
    }

    /// A read that applied everything it found, at `db_now`: holes waited for longer than
    /// [`HOLE_PATIENCE_SECONDS`] are given up (answered, for the log).
    pub(crate) fn read_done(&mut self, db_now: DateTime<Utc>) -> Vec<i64> {
        let patience = Duration::seconds(HOLE_PATIENCE_SECONDS);
        let given_up: Vec<i64> = self
            .holes
            .iter()
            .filter(|(_, missed)| db_now - **missed > patience)
            .map(|(seq, _)| *seq)
            .collect();
        for seq in &given_up {
            self.holes.remove(seq);
        }
        self.last_read = Some(db_now);
        given_up
    }

    /// Whether the position is lost (too many holes) and the next read starts afresh.
    pub(crate) fn lost(&self) -> bool {
        self.high.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + seconds, 0).unwrap_or_default()
    }

    #[test]
    fn a_fresh_reader_starts_afresh_and_so_does_one_back_from_a_gap() {
        let mut p = LogPosition::default();
        assert!(p.needs_restart(at(0)));
        p.restart_after(10);
        assert!(p.needs_restart(at(0)), "no read completed yet");
        p.read_done(at(0));
        assert!(!p.needs_restart(at(RESTART_AFTER_SECONDS)));
        assert!(p.needs_restart(at(RESTART_AFTER_SECONDS + 1)));
    }

    #[test]
    fn skipped_numbers_are_holes_until_they_appear() {
        let mut p = LogPosition::default();
        p.restart_after(4);
        p.applied(5, at(0));
        p.applied(8, at(0));
        assert_eq!(p.high(), 8);
        assert_eq!(p.holes(), vec![6, 7]);
        p.applied(7, at(1));
        assert_eq!(p.holes(), vec![6]);
        assert!(p.read_done(at(1)).is_empty());
        assert_eq!(p.holes(), vec![6]);
    }

    #[test]
    fn a_hole_is_waited_for_by_the_database_clock_then_given_up() {
        let mut p = LogPosition::default();
        p.restart_after(0);
        p.applied(2, at(0));
        assert!(p.read_done(at(HOLE_PATIENCE_SECONDS)).is_empty());
        assert_eq!(p.holes(), vec![1]);
        assert_eq!(p.read_done(at(HOLE_PATIENCE_SECONDS + 1)), vec![1]);
        assert!(p.holes().is_empty());
        // A hole first missed later is waited for from then.
        p.applied(4, at(HOLE_PATIENCE_SECONDS + 1));
        assert!(p.read_done(at(2 * HOLE_PATIENCE_SECONDS)).is_empty());
        assert_eq!(p.holes(), vec![3]);
    }

    #[test]
    fn too_many_holes_at_once_lose_the_position() {
        let mut p = LogPosition::default();
        p.restart_after(0);
        p.applied(MAX_HOLES as i64 + 1, at(0));
        assert!(!p.lost(), "exactly the limit");
        p.applied(MAX_HOLES as i64 + 3, at(0));
        assert!(p.lost());
        assert!(p.needs_restart(at(0)));
    }
}
