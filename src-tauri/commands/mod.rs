//! The IPC commands: each takes `State`, calls the core on the blocking pool, maps the
//! error. One file per screen.

pub mod archive;
pub mod connection;
pub mod keys;
pub mod lifecycle;
pub mod settings;
pub mod tokens;
pub mod users;
pub mod webhooks;

use tauri::ipc::Invoke;
use tauri::Runtime;

/// From the one list in `list.rs`: the invoke handler, and the command names.
macro_rules! commands {
    ($($module:ident :: $command:ident),* $(,)?) => {
        pub fn handler<R: Runtime>() -> impl Fn(Invoke<R>) -> bool + Send + Sync + 'static {
            tauri::generate_handler![$($module::$command),*]
        }

        /// The names the UI calls, as `list.rs` declares them.
        pub mod names {
            pub const ALL: &[&str] = &[$(stringify!($command)),*];
        }
    };
}

include!("list.rs");
