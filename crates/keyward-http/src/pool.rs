//! Store calls on tokio's blocking pool (a store call may write durably, and so fsync:
//! never on an async worker), in batches — and when a verification may skip the pool.
//!
//! One `spawn_blocking` per request would wake one pool thread per request: with 64
//! connections, dozens of threads take turns on two cores and the handoffs cost more than
//! the verification itself. Instead requests queue their call, and at most one drainer
//! per core (each a `spawn_blocking` task) runs queued calls until the queue is empty.
//! Under load a drainer runs many calls per wake-up; `make bench-http` measured about
//! twice the throughput of a `spawn_blocking` per call.

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

type Job = Box<dyn FnOnce() + Send>;

pub(crate) struct StoreCalls {
    queue: Mutex<VecDeque<Job>>,
    drainers: AtomicUsize,
    max_drainers: usize,
}

impl StoreCalls {
    pub fn new(max_drainers: usize) -> Arc<StoreCalls> {
        Arc::new(StoreCalls {
            queue: Mutex::new(VecDeque::new()),
            drainers: AtomicUsize::new(0),
            max_drainers: max_drainers.max(1),
        })
    }

    /// Queues `f`; its answer arrives on the receiver (closed if `f` panicked).
    pub fn run<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> oneshot::Receiver<T> {
        let (tx, rx) = oneshot::channel();
        self.queue().push_back(Box::new(move || {
            let _ = tx.send(f());
        }));
        if self.claim_drainer() {
            let me = self.clone();
            tokio::task::spawn_blocking(move || me.drain());
        }
        rx
    }

    fn queue(&self) -> MutexGuard<'_, VecDeque<Job>> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn claim_drainer(&self) -> bool {
        self.drainers
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |d| {
                (d < self.max_drainers).then_some(d + 1)
            })
            .is_ok()
    }

    fn drain(self: Arc<Self>) {
        loop {
            loop {
                let job = self.queue().pop_front();
                let Some(job) = job else { break };
                // A panicking call closes its own answer (500) and nothing else.
                let _ = catch_unwind(AssertUnwindSafe(job));
            }
            self.drainers.fetch_sub(1, Ordering::SeqCst);
            // A call queued after the last pop but before the release saw every drainer
            // busy and started none: take it on, unless another drainer already has.
            if self.queue().is_empty() || !self.claim_drainer() {
                return;
            }
        }
    }
}

/// Whether a verification can run on the async worker that received it.
///
/// A verification reads the in-memory index and records the use in memory (persisting a
/// key's "last used" at most once a minute, a sled write that does not wait for the
/// disk): microseconds, far less than a trip through the pool. The one durable write it
/// can make is the failure summary: the store counts failed verifications and commits one
/// audit event for them — with an fsync — on the first failure a minute or more after
/// the first one it counted. So a verification may run inline exactly when no failure is
/// pending in the store.
///
/// Every failure a client can cause in this process is answered here (verify, me, token
/// exchange), so the API keeps the store's count in view: pending from the first failure
/// it answers; over again when it answers a failure a minute or more after that one — on
/// the pool, where the store writes the summary. The view is started after the store's
/// count and ended no sooner, so it errs towards the pool.
pub(crate) struct PendingFailures {
    epoch: Instant,
    /// Milliseconds since `epoch` (at least 1) of the first failure pending; 0 for none.
    since: AtomicU64,
}

/// How long the store counts failures before it writes their summary.
const SUMMARY_AFTER: Duration = Duration::from_secs(60);

impl PendingFailures {
    pub fn new() -> PendingFailures {
        PendingFailures {
            epoch: Instant::now(),
            since: AtomicU64::new(0),
        }
    }

    fn now(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis())
            .unwrap_or(u64::MAX)
            .max(1)
    }

    /// True when the store has no failure pending, so a verification cannot write durably.
    pub fn none(&self) -> bool {
        self.since.load(Ordering::Acquire) == 0
    }

    /// A failure was answered (the store has counted it already).
    pub fn answered(&self) {
        self.answered_at(self.now());
    }

    fn answered_at(&self, now: u64) {
        let since = self.since.load(Ordering::Acquire);
        if since == 0 {
            let _ = self
                .since
                .compare_exchange(0, now, Ordering::AcqRel, Ordering::Acquire);
        } else if now.saturating_sub(since) >= SUMMARY_AFTER.as_millis() as u64 {
            let _ = self
                .since
                .compare_exchange(since, 0, Ordering::AcqRel, Ordering::Acquire);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn every_call_is_answered_with_at_most_max_drainers_running() {
        let calls = StoreCalls::new(2);
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let mut answers = Vec::new();
        for i in 0..2_000usize {
            let (running, peak) = (running.clone(), peak.clone());
            let calls = calls.clone();
            answers.push(tokio::spawn(async move {
                calls
                    .run(move || {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(now, Ordering::SeqCst);
                        std::hint::black_box((0..100).sum::<usize>());
                        running.fetch_sub(1, Ordering::SeqCst);
                        i * 2
                    })
                    .await
            }));
        }
        for (i, a) in answers.into_iter().enumerate() {
            assert_eq!(a.await.unwrap().unwrap(), i * 2);
        }
        assert!(peak.load(Ordering::SeqCst) <= 2);
        // Answers go out before a drainer notices the queue is empty and leaves.
        for _ in 0..100 {
            if calls.drainers.load(Ordering::SeqCst) == 0 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("a drainer stayed behind");
    }

    #[tokio::test]
    async fn a_panicking_call_closes_only_its_own_answer() {
        let calls = StoreCalls::new(1);
        let bad = calls.run(|| -> u32 { panic!("boom") });
        assert!(bad.await.is_err());
        assert_eq!(calls.run(|| 7).await.unwrap(), 7);
    }

    #[test]
    fn failures_are_pending_from_the_first_answered_until_one_a_minute_later() {
        let p = PendingFailures::new();
        let minute = SUMMARY_AFTER.as_millis() as u64;
        assert!(p.none());
        p.answered_at(1_000);
        assert!(!p.none());
        p.answered_at(1_000 + minute - 1);
        assert!(!p.none(), "a failure within the minute keeps them pending");
        p.answered_at(1_000 + minute);
        assert!(p.none(), "the store wrote the summary with this failure");
        p.answered_at(2_000 + minute);
        assert!(!p.none());
    }
}
