//! Hands freed heap memory back to the system after the calls that allocate a lot at
//! once (a keys page, which reads every key's facts to filter and sort; the audit log).
//! glibc keeps the freed pages of its arenas otherwise, and they would count against the
//! app's resident memory from then on.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

static PENDING: AtomicBool = AtomicBool::new(false);

/// Trims the heap shortly after the current response has been serialized and sent.
/// Calls that arrive while a trim is pending share it.
pub fn release_soon() {
    if PENDING.swap(true, Ordering::AcqRel) {
        return;
    }
    tauri::async_runtime::spawn(async {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        PENDING.store(false, Ordering::Release);
        release_now();
    });
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn release_now() {
    extern "C" {
        fn malloc_trim(pad: usize) -> std::os::raw::c_int;
    }
    // SAFETY: malloc_trim takes no pointers and locks glibc's arenas itself.
    unsafe {
        malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn release_now() {}
