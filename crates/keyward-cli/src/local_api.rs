//! `keyward serve` (the loopback HTTP API of keyward-http) and
//! `keyward keys export-postman` (the files a Postman user imports to call it).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use keyward_core::{Error, Store};
use keyward_http::postman;

use crate::cli::ListenArgs;
use crate::commands::Target;
use crate::output::{write_stdout, Out, PostmanExport};

/// Where and how to listen, from the flags: checked before anything binds.
struct Listening {
    addr: SocketAddr,
    tls: Option<Arc<keyward_http::tls::ServerConfig>>,
    public_hosts: Vec<String>,
    trusted_proxies: Vec<keyward_http::Cidr>,
}

fn listening(port: u16, args: ListenArgs) -> Result<Listening, Error> {
    let addr = args
        .listen
        .unwrap_or(SocketAddr::from((std::net::Ipv4Addr::LOCALHOST, port)));
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(
            keyward_http::tls_config(cert, key).map_err(|e| Error::invalid_field("tls_cert", e))?,
        ),
        _ => None,
    };
    if !addr.ip().is_loopback() && tls.is_none() && !args.insecure_http {
        return Err(Error::invalid_field(
            "listen",
            format!(
                "listening on {addr} (beyond this computer) needs TLS: pass --tls-cert and --tls-key, \
                 or --insecure-http when a proxy in front terminates TLS"
            ),
        ));
    }
    let trusted_proxies = args
        .trusted_proxies
        .iter()
        .map(|c| {
            keyward_http::Cidr::parse(c).ok_or_else(|| {
                Error::invalid_field(
                    "trusted_proxy",
                    format!("--trusted-proxy {c:?} is not an address or a range like 10.0.0.0/8"),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut public_hosts = args.public_hosts;
    if !addr.ip().is_unspecified() && !addr.ip().is_loopback() {
        // Clients that use the address itself.
        public_hosts.push(addr.ip().to_string());
    }
    Ok(Listening {
        addr,
        tls,
        public_hosts,
        trusted_proxies,
    })
}

/// Serves until Ctrl-C or SIGTERM. Exit 0 after a clean stop, 3 if the port is taken.
pub fn serve(
    store: Arc<Store>,
    port: Option<u16>,
    args: ListenArgs,
    out: &Out,
) -> Result<u8, Error> {
    let port = match port {
        Some(p) => p,
        None => store.settings()?.local_api_port,
    };
    let place = listening(port, args)?;
    // On a shared database, this node's index follows every other node's changes.
    let _following = store.follow();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let served = runtime.block_on(async {
        let stop = stop_signal().map_err(keyward_http::Error::from)?;
        let listener = keyward_http::bind_addr(place.addr).await?;
        let bound = listener.local_addr().map_err(keyward_http::Error::from)?;
        // Webhook events queued by any Keyward process go out while the server runs.
        let worker = keyward_webhooks::Worker::start(store.clone())?;
        // The command line on this computer works through this process while it holds
        // the data directory: it finds the address and a token for the owner here.
        let local_token = keyward_http::generate_local_token();
        let _address = leave_address(&store, bound, place.tls.is_some(), &local_token);
        announce(out, bound, place.tls.is_some());
        let state = keyward_http::ApiState::for_team(
            store.clone(),
            bound.port(),
            keyward_http::FailureBudget::default(),
            place.public_hosts,
            place.trusted_proxies,
        )
        .with_local_token(&local_token);
        let served = keyward_http::serve_tls(
            state,
            listener,
            keyward_http::ServeOptions::default(),
            place.tls,
            stop,
        )
        .await;
        worker.shutdown().await;
        Ok::<(), Failure>(served?)
    });
    let (code, message, exit) = match served {
        Ok(()) => {
            if !out.json {
                write_stdout(format_args!("Stopped; last-used times saved."));
            }
            return Ok(0);
        }
        Err(Failure::Api(keyward_http::Error::Store(e)))
        | Err(Failure::Delivery(keyward_webhooks::Error::Store(e))) => return Err(e),
        Err(Failure::Api(e)) => {
            let exit = match e {
                keyward_http::Error::PortInUse(_) | keyward_http::Error::Bind { .. } => 3,
                _ => 1,
            };
            (e.code(), e.to_string(), exit)
        }
        Err(Failure::Delivery(e)) => (e.code(), e.to_string(), 1),
    };
    out.failure(code, &message);
    Ok(exit)
}

/// What stops `keyward serve` other than a signal: the API or webhook delivery.
enum Failure {
    Api(keyward_http::Error),
    Delivery(keyward_webhooks::Error),
}

impl From<keyward_http::Error> for Failure {
    fn from(e: keyward_http::Error) -> Self {
        Failure::Api(e)
    }
}

impl From<keyward_webhooks::Error> for Failure {
    fn from(e: keyward_webhooks::Error) -> Self {
        Failure::Delivery(e)
    }
}

/// Leaves the address and the owner's token in the data directory, for the command line
/// on this computer (removed when the returned file is dropped). Plain HTTP only: over
/// TLS the address is the team server's, which clients reach with `--server`.
fn leave_address(
    store: &Store,
    bound: SocketAddr,
    tls: bool,
    token: &keyward_core::Secret,
) -> Option<keyward_client::AddressFile> {
    if tls || !(bound.ip().is_loopback() || bound.ip().is_unspecified()) {
        return None;
    }
    let ip = if bound.ip().is_unspecified() {
        std::net::IpAddr::from(std::net::Ipv4Addr::LOCALHOST)
    } else {
        bound.ip()
    };
    let url = format!("http://{}", SocketAddr::new(ip, bound.port()));
    match keyward_client::AddressFile::write(store.dir(), &url, token) {
        Ok(file) => Some(file),
        Err(e) => {
            log::warn!(
                "the address for the command line could not be left in {}: {e}",
                store.dir().display()
            );
            None
        }
    }
}

fn announce(out: &Out, bound: SocketAddr, tls: bool) {
    let port = bound.port();
    let base = format!("{}://{bound}", if tls { "https" } else { "http" });
    if out.json {
        let routes: Vec<&str> = keyward_http::ROUTES.iter().map(|(r, _)| *r).collect();
        let v = serde_json::json!({"listening": base, "port": port, "routes": routes});
        write_stdout(format_args!("{v}"));
        return;
    }
    write_stdout(format_args!("Listening on {base}"));
    let width = keyward_http::ROUTES
        .iter()
        .map(|(r, _)| r.len())
        .max()
        .unwrap_or(0);
    for (route, what) in keyward_http::ROUTES {
        write_stdout(format_args!("  {route:<width$} {what}"));
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

/// Writes the collection and the environment (which holds the key), both 0600, through
/// the export the desktop app uses too. Exit 0, or 2 when the files cannot be written
/// where `--out` says (`EXPORT_FAILED`).
pub fn export_postman(
    m: &dyn keyward_core::Manage,
    target: &Target,
    key: &str,
    dest: Option<PathBuf>,
    out: &Out,
) -> Result<u8, Error> {
    let base = match target {
        Target::Local(store) => keyward_http::base_url(store.settings()?.local_api_port),
        Target::Remote(remote) => remote.url().to_owned(),
    };
    let exported = postman::export_from(m, base, key, |name| postman::ExportPaths::at(dest, name));
    let done = match exported {
        Ok(done) => done,
        Err(keyward_http::Error::Store(e)) => return Err(e),
        Err(e) => {
            out.failure(e.code(), &e.to_string());
            return Ok(2);
        }
    };
    out.show(&PostmanExport(&done));
    Ok(0)
}
