//! The tracker: every open connection, its phase and since when, and the sweeper that
//! closes those past their deadline.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use super::*;

pub(super) const IDLE: u64 = 0;
pub(super) const HEAD: u64 = 1;
pub(super) const BODY: u64 = 2;
pub(super) const BUSY: u64 = 3;
pub(super) const PHASE_SHIFT: u32 = 62;
pub(super) const MILLIS_MASK: u64 = (1 << PHASE_SHIFT) - 1;

/// One connection as the tracker sees it.
pub(super) struct Slot {
    pub(super) id: u64,
    /// The tracker's epoch: times are milliseconds since.
    pub(super) epoch: Instant,
    /// Phase in the top two bits, the millisecond it began in the rest: one atomic, so
    /// the sweeper never reads a phase with another phase's time.
    pub(super) state: AtomicU64,
    pub(super) closing: AtomicBool,
    pub(super) close: Notify,
}

impl Slot {
    pub(super) fn set(&self, phase: u64) {
        let now = u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(MILLIS_MASK);
        self.state.store(
            phase << PHASE_SHIFT | (now & MILLIS_MASK),
            Ordering::Relaxed,
        );
    }

    pub(super) fn phase(&self) -> (u64, u64) {
        let s = self.state.load(Ordering::Relaxed);
        (s >> PHASE_SHIFT, s & MILLIS_MASK)
    }

    /// Bytes arrived: on an idle connection, they begin a request.
    pub(super) fn bytes_arrived(&self) {
        if self.phase().0 == IDLE {
            self.set(HEAD);
        }
    }

    /// hyper has the request's head; the body may still be on its way. The request's
    /// time runs from its first byte.
    pub(super) fn head_complete(&self, body_complete: bool) {
        if body_complete {
            self.request_complete();
            return;
        }
        let (phase, since) = self.phase();
        if phase == IDLE {
            self.set(BODY);
        } else {
            self.state
                .store(BODY << PHASE_SHIFT | since, Ordering::Relaxed);
        }
    }

    /// The request is complete: its answer is under way and must not be cut. (A busy
    /// connection has no deadline: its time is left as it was, sparing a clock read.)
    pub(super) fn request_complete(&self) {
        let (phase, since) = self.phase();
        if phase != BUSY {
            self.state
                .store(BUSY << PHASE_SHIFT | since, Ordering::Relaxed);
        }
    }

    /// The answer is sent (or given up): waiting for the next request.
    pub(super) fn answered(&self) {
        self.set(IDLE);
    }

    /// Asks the connection's task to drop it. False if it was already asked.
    pub(super) fn close(&self) -> bool {
        if self.closing.swap(true, Ordering::Relaxed) {
            return false;
        }
        self.close.notify_one();
        true
    }
}

pub(super) struct Tracker {
    pub(super) options: ServeOptions,
    pub(super) epoch: Instant,
    pub(super) conns: Mutex<HashMap<u64, Arc<Slot>>>,
    /// How many of `conns` are not closing: checked on every accept.
    pub(super) open: AtomicUsize,
    pub(super) next_id: AtomicU64,
    /// Signalled when the first connection arrives (the sweeper sleeps while there is
    /// none) and when the last one leaves (shutdown waits for that).
    pub(super) arrived: Notify,
    pub(super) emptied: Notify,
}

impl Tracker {
    pub(super) fn new(options: ServeOptions) -> Tracker {
        Tracker {
            options,
            epoch: Instant::now(),
            conns: Mutex::new(HashMap::new()),
            open: AtomicUsize::new(0),
            next_id: AtomicU64::new(0),
            arrived: Notify::new(),
            emptied: Notify::new(),
        }
    }

    pub(super) fn conns(&self) -> MutexGuard<'_, HashMap<u64, Arc<Slot>>> {
        self.conns.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(super) fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(MILLIS_MASK) & MILLIS_MASK
    }

    /// Open connections, not counting those already told to close.
    pub(super) fn open(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }

    /// Tells a connection to close. Only ever called on a slot in `conns`, under its lock,
    /// so that `unregister` can tell whether the slot still counts as open.
    pub(super) fn close(&self, slot: &Slot) -> bool {
        let closed = slot.close();
        if closed {
            self.open.fetch_sub(1, Ordering::Relaxed);
        }
        closed
    }

    /// A new connection: reading its first request, from now.
    pub(super) fn register(&self) -> Arc<Slot> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let slot = Arc::new(Slot {
            id,
            epoch: self.epoch,
            state: AtomicU64::new(0),
            closing: AtomicBool::new(false),
            close: Notify::new(),
        });
        slot.set(HEAD);
        let first = {
            let mut conns = self.conns();
            conns.insert(id, slot.clone());
            self.open.fetch_add(1, Ordering::Relaxed);
            conns.len() == 1
        };
        if first {
            self.arrived.notify_one();
        }
        slot
    }

    pub(super) fn unregister(&self, id: u64) {
        let empty = {
            let mut conns = self.conns();
            if let Some(slot) = conns.remove(&id) {
                if !slot.closing.load(Ordering::Relaxed) {
                    self.open.fetch_sub(1, Ordering::Relaxed);
                }
            }
            conns.is_empty()
        };
        if empty {
            self.emptied.notify_waiters();
        }
    }

    /// Closes the connection that has waited longest without sending a complete
    /// request. False if every connection is busy.
    pub(super) fn shed_one(&self) -> bool {
        let conns = self.conns();
        let oldest = conns
            .values()
            .filter(|s| !s.closing.load(Ordering::Relaxed))
            .filter_map(|s| {
                let (phase, since) = s.phase();
                (phase != BUSY).then_some((since, s.id, s))
            })
            .min_by_key(|(since, id, _)| (*since, *id));
        match oldest {
            Some((_, _, slot)) => self.close(slot),
            None => false,
        }
    }

    /// Closes every connection past its deadline.
    pub(super) fn sweep_once(&self) {
        let now = self.now_ms();
        let request = millis(self.options.request_timeout);
        let idle = millis(self.options.idle_timeout);
        for slot in self.conns().values() {
            let (phase, since) = slot.phase();
            let waited = now.saturating_sub(since);
            let expired = match phase {
                IDLE => waited >= idle,
                HEAD | BODY => waited >= request,
                _ => false,
            };
            if expired {
                self.close(slot);
            }
        }
    }

    pub(super) async fn all_closed(&self) {
        loop {
            let emptied = self.emptied.notified();
            tokio::pin!(emptied);
            emptied.as_mut().enable();
            if self.conns().is_empty() {
                return;
            }
            emptied.await;
        }
    }

    pub(super) fn close_all(&self) {
        for slot in self.conns().values() {
            self.close(slot);
        }
    }
}

pub(super) fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Closes timed-out connections, often enough that a deadline is kept to within an
/// eighth of the shorter timeout (and at most a second late). Sleeps while there are no
/// connections, so an idle app does not wake up for nothing.
pub(super) async fn sweep(tracker: Arc<Tracker>) {
    let shorter = tracker
        .options
        .request_timeout
        .min(tracker.options.idle_timeout);
    let every = (shorter / 8).clamp(Duration::from_millis(5), Duration::from_secs(1));
    loop {
        let arrived = tracker.arrived.notified();
        tokio::pin!(arrived);
        arrived.as_mut().enable();
        if tracker.conns().is_empty() {
            arrived.await;
            continue;
        }
        tokio::time::sleep(every).await;
        tracker.sweep_once();
    }
}

/// Removes a connection from the tracker when its task ends, however it ends.
pub(super) struct Registered {
    pub(super) tracker: Arc<Tracker>,
    pub(super) id: u64,
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.tracker.unregister(self.id);
    }
}

/// If the server's future is dropped rather than shut down, its connections go with it.
pub(super) struct CloseAllOnDrop(pub(super) Arc<Tracker>);

impl Drop for CloseAllOnDrop {
    fn drop(&mut self) {
        self.0.close_all();
    }
}

/// A spawned task that ends with its owner: aborted when this is dropped.
pub(crate) struct AbortOnDrop(pub(crate) tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

// ---- what moves a connection from phase to phase ----
