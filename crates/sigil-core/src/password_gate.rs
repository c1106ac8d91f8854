//! A bound on the Argon2id runs of the whole process. Each takes 19 MiB and a core for tens of
//! milliseconds, so guesses from many addresses at once (each within its own failure budget)
//! queue for as many slots as there are cores, and beyond a bounded queue are refused with
//! `CoreError::Busy` rather than grow the blocking pool and the memory without end.

use crate::error::{CoreError, CoreResult};
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::Semaphore;

/// Runs waiting for a slot, per slot, before new ones are refused: with 50 ms a run, a
/// refused caller would have waited about a second.
pub const QUEUE_PER_SLOT: usize = 16;

pub(crate) struct PasswordGate {
    slots: Semaphore,
    /// Runs admitted and not finished (running or waiting for a slot).
    admitted: AtomicUsize,
    max_admitted: usize,
}

/// Leaves the gate when dropped, also when the caller gives up while waiting.
struct Admitted<'a>(&'a AtomicUsize);

impl Drop for Admitted<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl PasswordGate {
    /// `slots` concurrent runs, and `slots × QUEUE_PER_SLOT` more waiting.
    pub(crate) fn new(slots: usize) -> Self {
        let slots = slots.max(1);
        Self {
            slots: Semaphore::new(slots),
            admitted: AtomicUsize::new(0),
            max_admitted: slots * (1 + QUEUE_PER_SLOT),
        }
    }

    /// One slot per core of the machine.
    pub(crate) fn per_core() -> Self {
        Self::new(std::thread::available_parallelism().map_or(1, usize::from))
    }

    /// Runs `work` (an Argon2id hash or verification) on the blocking pool once a slot is free;
    /// `Busy` at once when the queue is full.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> CoreResult<T> {
        if self.admitted.fetch_add(1, Ordering::AcqRel) >= self.max_admitted {
            self.admitted.fetch_sub(1, Ordering::AcqRel);
            return Err(CoreError::Busy);
        }
        let _admitted = Admitted(&self.admitted);
        let _slot = self.slots.acquire().await.map_err(CoreError::internal)?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(CoreError::internal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test]
    async fn runs_beyond_the_slots_and_the_queue_are_refused() {
        let gate = Arc::new(PasswordGate::new(1));
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let hold = Arc::new(std::sync::Mutex::new(hold));
        let mut running = vec![];
        // One run holding the slot, QUEUE_PER_SLOT waiting behind it.
        for _ in 0..=QUEUE_PER_SLOT {
            let (gate, hold) = (gate.clone(), hold.clone());
            running.push(tokio::spawn(async move {
                gate.run(move || {
                    let _ = hold.lock().map(|h| h.recv());
                })
                .await
            }));
        }
        let deadline = crate::clock::Clock::instant(&crate::clock::SystemClock)
            + std::time::Duration::from_secs(10);
        while gate.admitted.load(Ordering::Acquire) <= QUEUE_PER_SLOT {
            assert!(
                crate::clock::Clock::instant(&crate::clock::SystemClock) < deadline,
                "runs never queued"
            );
            tokio::task::yield_now().await;
        }
        assert!(matches!(gate.run(|| ()).await, Err(CoreError::Busy)));
        for _ in 0..=QUEUE_PER_SLOT {
            let _ = release.send(());
        }
        for r in running {
            assert!(r.await.is_ok_and(|r| r.is_ok()));
        }
        assert!(
            gate.run(|| ()).await.is_ok(),
            "room again once they finished"
        );
    }
}
