//! The app's log and its start-up report: how long after the process started the key
//! list was on screen (SPEC §7 asks for 1.5 s with 10,000 keys). The UI reports the
//! moment once; it is logged at `info` (`KEYWARD_LOG=info`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

static STARTED: OnceLock<(Instant, Duration)> = OnceLock::new();
static REPORTED: AtomicBool = AtomicBool::new(false);

/// Logs to stderr: warnings and errors unless `KEYWARD_LOG` (env_logger syntax) says
/// otherwise. Also notes the start time.
pub fn init() {
    STARTED.get_or_init(|| (Instant::now(), before_main().unwrap_or_default()));
    let env = env_logger::Env::new()
        .filter_or("KEYWARD_LOG", "warn")
        .write_style("KEYWARD_LOG_STYLE");
    // A second init (tests) keeps the first logger.
    let _ = env_logger::Builder::from_env(env).try_init();
}

/// Time since the process started: since `init` plus, on Linux, the time the process
/// spent before `main` (loading GTK and WebKit's libraries).
pub fn elapsed() -> Duration {
    let (at, before) = STARTED.get_or_init(|| (Instant::now(), Duration::ZERO));
    at.elapsed() + *before
}

/// The first report of the key list on screen; later ones are ignored.
pub fn key_list_shown() -> Option<Duration> {
    if REPORTED.swap(true, Ordering::SeqCst) {
        return None;
    }
    let took = elapsed();
    log::info!(
        "startup: the key list was on screen {} ms after the process started",
        took.as_millis()
    );
    Some(took)
}

#[cfg(target_os = "linux")]
fn before_main() -> Option<Duration> {
    // Field 22 of /proc/self/stat is the start time in clock ticks after boot; the
    // kernel's USER_HZ is 100 on Linux.
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let fields: Vec<&str> = stat.get(stat.rfind(')')? + 2..)?.split(' ').collect();
    let start_ticks: f64 = fields.get(19)?.parse().ok()?;
    let uptime: f64 = std::fs::read_to_string("/proc/uptime")
        .ok()?
        .split(' ')
        .next()?
        .parse()
        .ok()?;
    let secs = uptime - start_ticks / 100.0;
    (secs >= 0.0).then(|| Duration::from_secs_f64(secs))
}

#[cfg(not(target_os = "linux"))]
fn before_main() -> Option<Duration> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_list_is_reported_once_with_a_time_since_start() {
        init();
        let first = key_list_shown().expect("the first report counts");
        assert!(first > Duration::ZERO && first < Duration::from_secs(600));
        assert_eq!(key_list_shown(), None);
    }
}
