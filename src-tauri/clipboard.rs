//! Copying secrets from Rust: the secret goes from the store to the clipboard without
//! passing through the web view, and is cleared after the configured time if the
//! clipboard still holds it.

use std::sync::Arc;
use std::time::Duration;

use keyward_core::Secret;
use tauri::{AppHandle, Runtime};
use tauri_plugin_clipboard_manager::ClipboardExt;

use crate::error::{AppError, Result};

pub trait ClipboardPort: Send + Sync {
    fn write(&self, text: &str) -> Result<()>;
    fn read(&self) -> Result<String>;
}

/// The system clipboard through `tauri-plugin-clipboard-manager`.
pub struct SystemClipboard<R: Runtime>(pub AppHandle<R>);

impl<R: Runtime> ClipboardPort for SystemClipboard<R> {
    fn write(&self, text: &str) -> Result<()> {
        self.0
            .clipboard()
            .write_text(text.to_owned())
            .map_err(|e| AppError::Clipboard(e.to_string()))
    }

    fn read(&self) -> Result<String> {
        self.0
            .clipboard()
            .read_text()
            .map_err(|e| AppError::Clipboard(e.to_string()))
    }
}

/// Puts `text` on the clipboard; after `clear_after` (0 = never), empties the clipboard
/// if it still holds exactly `text`.
pub fn copy_and_clear_later(
    port: Arc<dyn ClipboardPort>,
    text: Secret,
    clear_after: u32,
) -> Result<()> {
    port.write(text.expose())?;
    if clear_after > 0 {
        tauri::async_runtime::spawn(async move {
            tokio::time::sleep(Duration::from_secs(clear_after.into())).await;
            clear_if_unchanged(port.as_ref(), &text);
        });
    }
    Ok(())
}

pub fn clear_if_unchanged(port: &dyn ClipboardPort, text: &Secret) {
    match port.read() {
        Ok(now) if now == text.expose() => {
            if let Err(e) = port.write("") {
                log::warn!("could not clear the clipboard: {e}");
            }
        }
        Ok(_) => {}
        Err(e) => log::warn!("could not read the clipboard to clear it: {e}"),
    }
}

/// A clipboard in memory, for tests.
#[derive(Default)]
pub struct MemoryClipboard(pub std::sync::Mutex<String>);

impl ClipboardPort for MemoryClipboard {
    fn write(&self, text: &str) -> Result<()> {
        *crate::state::lock(&self.0) = text.to_owned();
        Ok(())
    }

    fn read(&self) -> Result<String> {
        Ok(crate::state::lock(&self.0).clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyward_core::SecretKind;

    #[test]
    fn clears_only_what_it_copied() {
        let port = MemoryClipboard::default();
        let s = Secret::generate(SecretKind::AgencyKey);
        port.write(s.expose()).unwrap();
        clear_if_unchanged(&port, &s);
        assert_eq!(port.read().unwrap(), "");

        port.write(s.expose()).unwrap();
        port.write("something the user copied since").unwrap();
        clear_if_unchanged(&port, &s);
        assert_eq!(port.read().unwrap(), "something the user copied since");
    }
}
