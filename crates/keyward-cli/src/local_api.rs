//! `keyward serve` (the loopback HTTP API of keyward-http) and
//! `keyward keys export-postman` (the files a Postman user imports to call it).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use keyward_core::{postman, Disclosure, Error, Store};

use crate::output::{print_error_json, write_stdout, Out};

/// Serves until Ctrl-C or SIGTERM. Exit 0 after a clean stop, 3 if the port is taken.
pub fn serve(store: Arc<Store>, port: Option<u16>, out: &Out) -> Result<u8, Error> {
    let port = match port {
        Some(p) => p,
        None => store.settings()?.local_api_port,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let served = runtime.block_on(async {
        let stop = stop_signal()?;
        let listener = keyward_http::bind(port).await?;
        let port = listener.local_addr()?.port();
        // Webhook events queued by any Keyward process go out while the server runs.
        let worker = keyward_http::webhooks::Worker::start(store.clone())?;
        announce(out, port);
        let served = keyward_http::serve(store.clone(), listener, stop).await;
        worker.shutdown().await;
        served
    });
    match served {
        Ok(()) => {
            if !out.json {
                write_stdout(format_args!("Stopped; last-used times saved."));
            }
            Ok(0)
        }
        Err(keyward_http::Error::Store(e)) => Err(e),
        Err(e) => {
            if out.json {
                print_error_json(e.code(), &e.to_string());
            } else {
                eprintln!("error: {e}");
            }
            Ok(match e {
                keyward_http::Error::PortInUse(_) | keyward_http::Error::Bind { .. } => 3,
                _ => 1,
            })
        }
    }
}

fn announce(out: &Out, port: u16) {
    let base = postman::base_url(port);
    if out.json {
        let routes: Vec<&str> = keyward_http::ROUTES.iter().map(|(r, _)| *r).collect();
        let v = serde_json::json!({"listening": base, "port": port, "routes": routes});
        write_stdout(format_args!("{v}"));
        return;
    }
    write_stdout(format_args!("Listening on {base}"));
    for (route, what) in keyward_http::ROUTES {
        write_stdout(format_args!("  {route:<20} {what}"));
    }
    write_stdout(format_args!("Press Ctrl-C to stop."));
}

/// Completes on Ctrl-C or SIGTERM. The handlers are installed now, before the server
/// announces itself: a signal sent right after "Listening on" must stop it gracefully.
#[cfg(unix)]
fn stop_signal() -> std::io::Result<impl std::future::Future<Output = ()> + Send + 'static> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    })
}

#[cfg(not(unix))]
fn stop_signal() -> std::io::Result<impl std::future::Future<Output = ()> + Send + 'static> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}

/// Writes the collection and the environment (which holds the key), both 0600.
pub fn export_postman(
    store: &Store,
    key: &str,
    dest: Option<PathBuf>,
    out: &Out,
) -> Result<(), Error> {
    let view = store.key_view(key)?;
    let base = postman::base_url(store.settings()?.local_api_port);
    let (collection_path, environment_path) = export_paths(dest, &view.name);
    // Reveal first: a key that cannot be unsealed leaves no half-written export behind.
    let secret = store.reveal_key(&view.id, Disclosure::ExportForPostman)?;
    let environment = postman::environment(&view.id, &view.name, &base, &secret);
    write_private(&collection_path, &postman::collection(&base))?;
    write_private(&environment_path, &environment)?;
    if out.json {
        let v = serde_json::json!({
            "id": view.id,
            "name": view.name,
            "base_url": base,
            "collection": collection_path,
            "environment": environment_path,
        });
        write_stdout(format_args!("{v:#}"));
        return Ok(());
    }
    write_stdout(format_args!(
        "Exported API key '{}' ({}) for Postman:",
        view.name, view.masked_key
    ));
    write_stdout(format_args!("  collection   {}", collection_path.display()));
    write_stdout(format_args!(
        "  environment  {}  (holds the key: keep it private)",
        environment_path.display()
    ));
    write_stdout(format_args!(
        "Import both in Postman and select the environment, with `keyward serve` running \
         on {base}; or run them: npx newman run {} -e {}",
        collection_path.display(),
        environment_path.display()
    ));
    Ok(())
}

/// Where the two files go: the current directory, a given directory, or `FILE.postman_…`.
fn export_paths(dest: Option<PathBuf>, key_name: &str) -> (PathBuf, PathBuf) {
    let in_dir = |dir: &Path| {
        (
            dir.join(postman::collection_file_name(key_name)),
            dir.join(postman::environment_file_name(key_name)),
        )
    };
    let Some(dest) = dest else {
        return in_dir(Path::new("."));
    };
    if dest.is_dir() {
        return in_dir(&dest);
    }
    let mut prefix = dest.into_os_string().into_string().unwrap_or_else(|p| {
        // A non-UTF-8 path: keep it as given.
        p.to_string_lossy().into_owned()
    });
    for suffix in [".json", ".postman_collection", ".postman_environment"] {
        if let Some(p) = prefix.strip_suffix(suffix) {
            prefix = p.to_owned();
        }
    }
    (
        PathBuf::from(format!("{prefix}.postman_collection.json")),
        PathBuf::from(format!("{prefix}.postman_environment.json")),
    )
}

/// Writes pretty JSON to a file only its owner can read (it may hold a key).
fn write_private(path: &Path, value: &serde_json::Value) -> Result<(), Error> {
    use std::io::Write;
    let cannot = |e: std::io::Error| {
        Error::Invalid(format!(
            "cannot write {}: {e} — choose another place with --out",
            path.display()
        ))
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(cannot)?;
    #[cfg(unix)]
    {
        // An existing file keeps its mode on open: narrow it before writing the key.
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(cannot)?;
    }
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Error::Invalid(format!("cannot encode the export: {e}")))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.write_all(b"\n"))
        .and_then(|()| file.sync_all())
        .map_err(cannot)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_paths_take_a_directory_or_a_prefix() {
        let (c, e) = export_paths(None, "Zapier sync");
        assert_eq!(
            c,
            Path::new("./keyward-zapier-sync.postman_collection.json")
        );
        assert_eq!(
            e,
            Path::new("./keyward-zapier-sync.postman_environment.json")
        );
        let dir = std::env::temp_dir();
        let (c, _) = export_paths(Some(dir.clone()), "Zapier sync");
        assert_eq!(c, dir.join("keyward-zapier-sync.postman_collection.json"));
        for given in ["out/zap", "out/zap.json", "out/zap.postman_collection.json"] {
            let (c, e) = export_paths(Some(PathBuf::from(given)), "x");
            assert_eq!(c, Path::new("out/zap.postman_collection.json"), "{given}");
            assert_eq!(e, Path::new("out/zap.postman_environment.json"), "{given}");
        }
    }
}
