//! The main window, opened by the app (not from the config) so its webview gets a data
//! directory of its own. Left alone, Tauri puts WebKit's caches, local storage and cookies
//! in the app's local data directory — on Linux the very directory that holds the key
//! store — with the process's default modes.

use std::path::{Path, PathBuf};

use tauri::{Manager, Runtime, WebviewWindowBuilder};

pub const MAIN: &str = "main";

/// Opens the main window as `tauri.conf.json` describes it (where it is `create: false`),
/// its webview data kept apart from the store in `store_dir`.
/// `label` names the store the window shows ("This computer", a server's host): the
/// title says it.
pub fn open_main<R: Runtime, M: Manager<R>>(
    app: &M,
    store_dir: &Path,
    label: &str,
) -> tauri::Result<()> {
    let config = app
        .config()
        .app
        .windows
        .iter()
        .find(|w| w.label == MAIN)
        .cloned()
        .unwrap_or_default();
    let cache = app.path().app_cache_dir()?;
    let dir = webview_data_dir(store_dir, &cache);
    keyward_core::store::create_private_dir(&dir)
        .map_err(|e| tauri::Error::Io(std::io::Error::other(e)))?;
    WebviewWindowBuilder::from_config(app, &config)?
        .title(crate::connection::title(label))
        .data_directory(dir)
        .build()?;
    Ok(())
}

/// Where the webview keeps its data: `webview` in the app's cache directory, unless that
/// is inside the store's directory or holds it (a `--data-dir` under the cache), then a
/// sibling of the store's directory, `<name>.webview`. Never inside the store's directory.
pub fn webview_data_dir(store_dir: &Path, cache_dir: &Path) -> PathBuf {
    let store = absolute(store_dir);
    let preferred = absolute(cache_dir).join("webview");
    if !store.starts_with(&preferred) && !preferred.starts_with(&store) {
        return preferred;
    }
    match (store.parent(), store.file_name()) {
        (Some(parent), Some(name)) => parent.join(format!("{}.webview", name.to_string_lossy())),
        // The store is a filesystem root: anything else is inside it.
        _ => preferred,
    }
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_webview_lives_in_the_cache_not_in_the_store() {
        let store = Path::new("/home/ada/.local/share/com.keyward.desktop");
        let cache = Path::new("/home/ada/.cache/com.keyward.desktop");
        assert_eq!(
            webview_data_dir(store, cache),
            Path::new("/home/ada/.cache/com.keyward.desktop/webview")
        );
    }

    #[test]
    fn a_store_under_the_cache_gets_the_webview_beside_it() {
        let cache = Path::new("/c/com.keyward.desktop");
        for store in [
            "/c/com.keyward.desktop/webview/keys",
            "/c/com.keyward.desktop/webview",
            "/c/com.keyward.desktop",
            "/c",
        ] {
            let dir = webview_data_dir(Path::new(store), cache);
            assert_eq!(dir, PathBuf::from(format!("{store}.webview")), "{store}");
            assert!(!dir.starts_with(store), "{store}");
        }
    }

    #[test]
    fn a_relative_store_is_compared_as_an_absolute_path() {
        let cwd = std::env::current_dir().unwrap();
        let cache = cwd.join("cache");
        let dir = webview_data_dir(Path::new("cache/webview/store"), &cache);
        assert_eq!(dir, cwd.join("cache/webview/store.webview"));
    }
}
