//! Store calls that write (and so fsync: never on an async worker) on tokio's blocking
//! pool, in batches. Verification does not come here: it never waits for the disk, and
//! runs on the worker that received it.
//!
//! One `spawn_blocking` per request would wake one pool thread per request: with 64
//! connections, dozens of threads take turns on two cores and the handoffs cost more than
//! the verification itself. Instead requests queue their call, and at most one drainer
//! per core (each a `spawn_blocking` task) runs queued calls until the queue is empty.
//! Under load a drainer runs many calls per wake-up; `make bench-http` measured about
//! twice the throughput of a `spawn_blocking` per call.

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

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
}
