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

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;

mod io;
mod tracker;

use io::*;
pub(crate) use tracker::AbortOnDrop;
use tracker::*;

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
    tls: Option<tokio_rustls::TlsAcceptor>,
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
        let (tcp, peer) = match accepted {
            Ok(accepted) => accepted,
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
        let http = http.clone();
        let router = router.clone();
        let tls = tls.clone();
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            let _registered = registered;
            // The TLS handshake counts against the request timeout like a slow head.
            let stream = match tls {
                None => Stream::Plain(tcp),
                Some(acceptor) => {
                    let handshake = tokio::select! {
                        done = acceptor.accept(tcp) => done,
                        () = slot.close.notified() => return,
                    };
                    match handshake {
                        Ok(s) => Stream::Tls(Box::new(s)),
                        Err(_) => return,
                    }
                }
            };
            let conn = http.serve_connection(
                Tracked {
                    io: TokioIo::new(stream),
                    slot: slot.clone(),
                },
                ConnService {
                    router,
                    slot: slot.clone(),
                    peer,
                },
            );
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::Ordering;

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
