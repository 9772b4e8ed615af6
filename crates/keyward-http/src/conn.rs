//! Connections: the accept loop, their timeouts and their cap.
//!
//! `axum::serve` keeps every connection for as long as the client wants: a thousand
//! sockets that send half a request, or nothing, use up the process's file descriptors
//! and the API answers nobody. Here every connection is tracked in one of these phases:
//!
//! - *head*, then *body*: a request is arriving (since its first byte, or since the
//!   accept). The whole request must arrive within [`ServeOptions::request_timeout`];
//! - *idle* between requests (keep-alive): closed after [`ServeOptions::idle_timeout`];
//! - *busy*: the request is complete and its answer is being made or sent. Never cut.
//!
//! On shutdown, idle connections and those still sending a head are closed at once; a
//! request whose head is in is read, answered, and then its connection closed.
//!
//! hyper's own `header_read_timeout` is not used: it starts as soon as the previous answer
//! is sent, so it bounds the idle wait and the head together and cannot give the short
//! first and the longer second. A sweeper closes connections past their deadline.
//!
//! At most [`ServeOptions::max_connections`] are open. A new connection beyond that is
//! still served: the one that has waited longest without sending a complete request (idle
//! or reading, never busy) is closed to make room. The default cap is taken from the
//! open-file limit, less a reserve for the store, logs and the runtime, so accepting never
//! runs the process out of file descriptors; if it does anyway (EMFILE), the loop sheds a
//! connection, pauses briefly and goes on.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes, HttpBody};
use axum::http::{Request, Response};
use axum::Router;
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify};

/// How the server treats connections. [`Default`] is what `keyward serve` and the app use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServeOptions {
    /// A client must send a whole request — head and body — within this time of
    /// connecting or of sending the request's first byte. Default 10 s.
    pub request_timeout: Duration,
    /// A keep-alive connection with no request under way is closed after this time.
    /// Default 60 s.
    pub idle_timeout: Duration,
    /// The most connections open at once; see [`ServeOptions::default_max_connections`].
    pub max_connections: usize,
    /// How often the server writes what verifications only count (the summary of failed
    /// verifications, once a minute old). Default 5 s.
    pub housekeeping: Duration,
}

/// File descriptors kept free of connections: the store's files, the log, standard
/// streams, the runtime's own (epoll, wakers), the listener and webhook deliveries.
/// `keyward serve` uses about 20 of them; the rest is margin for connections that are
/// being closed while new ones arrive.
pub const RESERVED_FDS: u64 = 128;

/// The cap whatever the open-file limit: each open connection holds buffers, and a
/// loopback API for local tools has no use for more.
pub const MAX_CONNECTIONS: usize = 4096;

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            request_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: ServeOptions::default_max_connections(),
            housekeeping: Duration::from_secs(5),
        }
    }
}

impl ServeOptions {
    /// The process's open-file limit (soft) less [`RESERVED_FDS`], at most
    /// [`MAX_CONNECTIONS`]: 896 under the common limit of 1024.
    pub fn default_max_connections() -> usize {
        connection_cap(open_file_limit())
    }
}

fn connection_cap(open_files: Option<u64>) -> usize {
    let Some(limit) = open_files else {
        return MAX_CONNECTIONS;
    };
    let reserve = RESERVED_FDS.min(limit / 2);
    usize::try_from(limit - reserve)
        .unwrap_or(MAX_CONNECTIONS)
        .clamp(1, MAX_CONNECTIONS)
}

#[cfg(unix)]
fn open_file_limit() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes the struct it is given, which lives on this stack.
    let rc = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) };
    // rlim_t is u64 on the targets built today, narrower on some others.
    #[allow(clippy::unnecessary_cast)]
    (rc == 0 && limit.rlim_cur != libc::RLIM_INFINITY).then_some(limit.rlim_cur as u64)
}

#[cfg(not(unix))]
fn open_file_limit() -> Option<u64> {
    None
}

/// Accepts connections on `listener` and serves `router` on each until `shutdown`
/// completes; then stops accepting, lets requests under way finish and returns once
/// every connection is closed.
pub(crate) async fn serve<F>(
    listener: TcpListener,
    router: Router,
    options: ServeOptions,
    shutdown: F,
) where
    F: Future<Output = ()> + Send + 'static,
{
    let tracker = Arc::new(Tracker::new(options));
    let _close_all = CloseAllOnDrop(tracker.clone());
    let sweeper = tokio::spawn(sweep(tracker.clone()));
    let _stop_sweeper = AbortOnDrop(sweeper);
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut http = hyper::server::conn::http1::Builder::new();
    // Timeouts are the tracker's (see above); hyper's default one would otherwise only
    // log that it has no timer.
    http.header_read_timeout(None)
        // Heads and bodies of this API are small: do not let a client grow the read
        // buffer to hyper's default of ~400 KiB per connection.
        .max_buf_size(64 * 1024);

    let mut warned: Option<Instant> = None;
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let tcp = match accepted {
            Ok((tcp, _)) => tcp,
            Err(e) if out_of_files(&e) => {
                // Once a minute at most: this can repeat every few milliseconds.
                if warned.is_none_or(|at| at.elapsed() >= Duration::from_secs(60)) {
                    log::warn!(
                        "the local API ran out of file descriptors ({e}): closing the \
                         connections that waited longest"
                    );
                    warned = Some(Instant::now());
                }
                tracker.shed_one();
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
            // The client gave up before it was accepted, and the like: nothing to do.
            Err(_) => continue,
        };
        if tracker.open() >= options.max_connections && !tracker.shed_one() {
            // Every connection is mid-answer: this one is refused (closed) instead.
            continue;
        }
        // Answers are one small write each: do not let Nagle hold them back.
        let _ = tcp.set_nodelay(true);
        let slot = tracker.register();
        let registered = Registered {
            tracker: tracker.clone(),
            id: slot.id,
        };
        let conn = http.serve_connection(
            Tracked {
                io: TokioIo::new(tcp),
                slot: slot.clone(),
            },
            ConnService {
                router: router.clone(),
                slot: slot.clone(),
            },
        );
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            let _registered = registered;
            tokio::pin!(conn);
            let mut stopping = false;
            loop {
                tokio::select! {
                    _ = conn.as_mut() => break,
                    // Timed out or shed: dropping the connection closes the socket.
                    () = slot.close.notified() => break,
                    _ = stop.changed(), if !stopping => {
                        // A request whose head is in finishes and is answered; a
                        // connection that is idle or still sending a head just closes.
                        if matches!(slot.phase().0, IDLE | HEAD) {
                            break;
                        }
                        stopping = true;
                        conn.as_mut().graceful_shutdown();
                    }
                }
            }
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    tracker.all_closed().await;
}

fn out_of_files(e: &std::io::Error) -> bool {
    #[cfg(unix)]
    {
        matches!(
            e.raw_os_error(),
            Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM)
        )
    }
    #[cfg(not(unix))]
    {
        let _ = e;
        false
    }
}

// ---- the tracker: every open connection, its phase and since when ----

const IDLE: u64 = 0;
const HEAD: u64 = 1;
const BODY: u64 = 2;
const BUSY: u64 = 3;
const PHASE_SHIFT: u32 = 62;
const MILLIS_MASK: u64 = (1 << PHASE_SHIFT) - 1;

/// One connection as the tracker sees it.
struct Slot {
    id: u64,
    /// The tracker's epoch: times are milliseconds since.
    epoch: Instant,
    /// Phase in the top two bits, the millisecond it began in the rest: one atomic, so
    /// the sweeper never reads a phase with another phase's time.
    state: AtomicU64,
    closing: AtomicBool,
    close: Notify,
}

impl Slot {
    fn set(&self, phase: u64) {
        let now = u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(MILLIS_MASK);
        self.state.store(
            phase << PHASE_SHIFT | (now & MILLIS_MASK),
            Ordering::Relaxed,
        );
    }

    fn phase(&self) -> (u64, u64) {
        let s = self.state.load(Ordering::Relaxed);
        (s >> PHASE_SHIFT, s & MILLIS_MASK)
    }

    /// Bytes arrived: on an idle connection, they begin a request.
    fn bytes_arrived(&self) {
        if self.phase().0 == IDLE {
            self.set(HEAD);
        }
    }

    /// hyper has the request's head; the body may still be on its way. The request's
    /// time runs from its first byte.
    fn head_complete(&self, body_complete: bool) {
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
    fn request_complete(&self) {
        let (phase, since) = self.phase();
        if phase != BUSY {
            self.state
                .store(BUSY << PHASE_SHIFT | since, Ordering::Relaxed);
        }
    }

    /// The answer is sent (or given up): waiting for the next request.
    fn answered(&self) {
        self.set(IDLE);
    }

    /// Asks the connection's task to drop it. False if it was already asked.
    fn close(&self) -> bool {
        if self.closing.swap(true, Ordering::Relaxed) {
            return false;
        }
        self.close.notify_one();
        true
    }
}

struct Tracker {
    options: ServeOptions,
    epoch: Instant,
    conns: Mutex<HashMap<u64, Arc<Slot>>>,
    /// How many of `conns` are not closing: checked on every accept.
    open: AtomicUsize,
    next_id: AtomicU64,
    /// Signalled when the first connection arrives (the sweeper sleeps while there is
    /// none) and when the last one leaves (shutdown waits for that).
    arrived: Notify,
    emptied: Notify,
}

impl Tracker {
    fn new(options: ServeOptions) -> Tracker {
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

    fn conns(&self) -> MutexGuard<'_, HashMap<u64, Arc<Slot>>> {
        self.conns.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(MILLIS_MASK) & MILLIS_MASK
    }

    /// Open connections, not counting those already told to close.
    fn open(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }

    /// Tells a connection to close. Only ever called on a slot in `conns`, under its lock,
    /// so that `unregister` can tell whether the slot still counts as open.
    fn close(&self, slot: &Slot) -> bool {
        let closed = slot.close();
        if closed {
            self.open.fetch_sub(1, Ordering::Relaxed);
        }
        closed
    }

    /// A new connection: reading its first request, from now.
    fn register(&self) -> Arc<Slot> {
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

    fn unregister(&self, id: u64) {
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
    fn shed_one(&self) -> bool {
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
    fn sweep_once(&self) {
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

    async fn all_closed(&self) {
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

    fn close_all(&self) {
        for slot in self.conns().values() {
            self.close(slot);
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Closes timed-out connections, often enough that a deadline is kept to within an
/// eighth of the shorter timeout (and at most a second late). Sleeps while there are no
/// connections, so an idle app does not wake up for nothing.
async fn sweep(tracker: Arc<Tracker>) {
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
struct Registered {
    tracker: Arc<Tracker>,
    id: u64,
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.tracker.unregister(self.id);
    }
}

/// If the server's future is dropped rather than shut down, its connections go with it.
struct CloseAllOnDrop(Arc<Tracker>);

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

/// The socket, noting when bytes arrive on an idle connection.
struct Tracked {
    io: TokioIo<TcpStream>,
    slot: Arc<Slot>,
}

impl Read for Tracked {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<std::io::Result<()>> {
        // hyper reads into the cursor it gives; whether anything arrived shows in
        // whether the poll completed. An end of stream also counts: it is handled at once.
        let polled = Pin::new(&mut self.io).poll_read(cx, buf);
        if polled.is_ready() {
            self.slot.bytes_arrived();
        }
        polled
    }
}

impl Write for Tracked {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }
}

/// The router, as hyper calls it for each request on one connection.
struct ConnService {
    router: Router,
    slot: Arc<Slot>,
}

impl hyper::service::Service<Request<Incoming>> for ConnService {
    type Response = Response<AnswerBody>;
    type Error = Infallible;
    type Future = Answer;

    fn call(&self, req: Request<Incoming>) -> Answer {
        self.slot.head_complete(req.body().is_end_stream());
        let slot = self.slot.clone();
        let req = req.map(|body| {
            Body::new(RequestBody {
                body,
                slot: slot.clone(),
            })
        });
        let mut router = self.router.clone();
        Answer {
            future: tower_service::Service::call(&mut router, req),
            slot,
        }
    }
}

/// The router's answer; the request counts as complete once there is one, read or not.
struct Answer {
    future: axum::routing::future::RouteFuture<Infallible>,
    slot: Arc<Slot>,
}

impl Future for Answer {
    type Output = Result<Response<AnswerBody>, Infallible>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let Poll::Ready(Ok(res)) = Pin::new(&mut self.future).poll(cx) else {
            return Poll::Pending;
        };
        self.slot.request_complete();
        let slot = self.slot.clone();
        Poll::Ready(Ok(res.map(|body| AnswerBody {
            body,
            slot: Some(slot),
        })))
    }
}

/// A request's body: complete at its end (or at an error, after which nothing more comes).
struct RequestBody {
    body: Incoming,
    slot: Arc<Slot>,
}

impl HttpBody for RequestBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let polled = Pin::new(&mut self.body).poll_frame(cx);
        if matches!(polled, Poll::Ready(None | Some(Err(_)))) || self.body.is_end_stream() {
            self.slot.request_complete();
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// An answer's body: once hyper has taken all of it (or dropped it), the connection
/// waits for its next request.
struct AnswerBody {
    body: Body,
    slot: Option<Arc<Slot>>,
}

impl AnswerBody {
    fn finished(&mut self) {
        if let Some(slot) = self.slot.take() {
            slot.answered();
        }
    }
}

impl HttpBody for AnswerBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let polled = Pin::new(&mut self.body).poll_frame(cx);
        if matches!(polled, Poll::Ready(None | Some(Err(_)))) {
            self.finished();
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

impl Drop for AnswerBody {
    fn drop(&mut self) {
        self.finished();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_leaves_a_reserve_below_the_open_file_limit() {
        assert_eq!(connection_cap(Some(1024)), 896);
        assert_eq!(connection_cap(Some(256)), 128);
        assert_eq!(connection_cap(Some(100)), 50);
        assert_eq!(connection_cap(Some(1)), 1);
        assert_eq!(connection_cap(Some(1 << 20)), MAX_CONNECTIONS);
        assert_eq!(connection_cap(None), MAX_CONNECTIONS);
    }

    #[test]
    fn shedding_picks_the_longest_wait_and_never_a_busy_connection() {
        let tracker = Tracker::new(ServeOptions::default());
        let a = tracker.register();
        let b = tracker.register();
        let c = tracker.register();
        a.request_complete();
        // b and c began reading in the same millisecond or b first: b is older.
        assert!(tracker.shed_one());
        assert!(b.closing.load(Ordering::Relaxed));
        assert!(!a.closing.load(Ordering::Relaxed));
        assert!(tracker.shed_one());
        assert!(c.closing.load(Ordering::Relaxed));
        assert!(!tracker.shed_one(), "only a busy connection is left");
        assert_eq!(tracker.open(), 1);
    }
}
