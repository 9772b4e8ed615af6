//! `keyward serve` beyond loopback: TLS with the given certificate, refused without it
//! unless --insecure-http says a proxy terminates TLS, the Host allow-list extended by
//! --public-host, and the failure limit per client behind a --trusted-proxy.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;

use keyward_testkit::cli::{http, keyward_bin, Kw, Serving};

const NAME: &str = "keys.example.test";

/// A self-signed certificate for NAME, written as PEM into the data directory.
fn certificate(kw: &Kw) -> (String, std::path::PathBuf, std::path::PathBuf) {
    let made = rcgen::generate_simple_self_signed(vec![NAME.to_owned()]).unwrap();
    let cert = kw.dir().join("cert.pem");
    let key = kw.dir().join("key.pem");
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.key_pair.serialize_pem()).unwrap();
    (made.cert.pem(), cert, key)
}

/// Starts `keyward serve ARGS…` and returns it with the address it announced.
fn serve(kw: &Kw, args: &[&str]) -> (Serving, String) {
    use std::io::BufRead;
    let mut c = std::process::Command::new(keyward_bin());
    kw.keyward_on(&mut c).arg("serve").args(args);
    let mut child = c
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let url = first
        .trim()
        .strip_prefix("Listening on ")
        .unwrap_or_else(|| panic!("{first:?}"))
        .to_owned();
    let port = url.rsplit(':').next().unwrap().parse().unwrap();
    (Serving::from_child(child, port), url)
}

/// GET `path` over TLS from `port`, checking the certificate against `ca_pem` for NAME,
/// with this Host header. The status code.
fn https_get(port: u16, ca_pem: &str, host: &str, path: &str) -> u16 {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls::pki_types::CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(c.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from(NAME).unwrap();
    let conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, sock);
    write!(
        tls,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    let _ = tls.read_to_string(&mut answer);
    answer.split(' ').nth(1).unwrap().parse().unwrap()
}

use rustls::pki_types::pem::PemObject;

#[test]
fn beyond_loopback_without_tls_is_refused_unless_a_proxy_terminates_it() {
    let kw = Kw::new();
    let msg = kw
        .json(&["serve", "--listen", "0.0.0.0:0"])
        .fails(2, "INVALID_INPUT");
    assert!(
        msg.contains("--tls-cert") && msg.contains("--insecure-http"),
        "{msg}"
    );
    let bad = kw.json(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--trusted-proxy",
        "10.0.0.0/99",
    ]);
    bad.fails(2, "INVALID_INPUT");

    let (node, url) = serve(
        &kw,
        &[
            "--listen",
            "0.0.0.0:0",
            "--insecure-http",
            "--public-host",
            NAME,
        ],
    );
    assert!(url.starts_with("http://0.0.0.0:"), "{url}");
    let port = node.port;
    let get = |host: &str| {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        write!(
            s,
            "GET /v1/health HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut a = String::new();
        s.read_to_string(&mut a).unwrap();
        a.split(' ').nth(1).unwrap().parse::<u16>().unwrap()
    };
    assert_eq!(get(NAME), 200, "the public name, as a proxy forwards it");
    assert_eq!(get(&format!("{NAME}:443")), 200);
    assert_eq!(get(&format!("127.0.0.1:{port}")), 200);
    assert_eq!(get("evil.example"), 403, "a rebound name is still refused");
}

#[test]
fn tls_with_the_given_certificate() {
    let kw = Kw::new();
    let (ca, cert, key) = certificate(&kw);
    let (node, url) = serve(
        &kw,
        &[
            "--listen",
            "127.0.0.1:0",
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
            "--public-host",
            NAME,
        ],
    );
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    assert_eq!(
        https_get(
            node.port,
            &ca,
            &format!("{NAME}:{}", node.port),
            "/v1/health"
        ),
        200
    );
    assert_eq!(https_get(node.port, &ca, "evil.example", "/v1/health"), 403);
    // Plain HTTP to a TLS port gets no answer.
    assert!(http(node.port, "GET", "/v1/health", None).is_none_or(|(s, _)| s != 200));
    drop(node);

    let msg = kw
        .json(&[
            "serve",
            "--tls-cert",
            key.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ])
        .fails(2, "INVALID_INPUT");
    assert!(msg.contains("certificate"), "{msg}");
}

#[test]
fn behind_a_trusted_proxy_each_client_has_its_own_failure_budget() {
    let kw = Kw::new();
    kw.add_user("Ada Lovelace", "ada@example.com", true);
    let (_, key) = kw.create_key("ada@example.com", "Website form");
    let verify = |port: u16, client: &str, secret: &str| -> u16 {
        let body = format!(r#"{{"key":"{secret}"}}"#);
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        write!(
            s,
            "POST /v1/verify HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Forwarded-For: {client}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut a = String::new();
        s.read_to_string(&mut a).unwrap();
        a.split(' ').nth(1).unwrap().parse().unwrap()
    };
    let wrong = format!("{}x", &key[..key.len() - 1]);

    let (proxied, _) = serve(&kw, &["--port", "0", "--trusted-proxy", "127.0.0.1"]);
    let spent = (0..200).find(|_| verify(proxied.port, "203.0.113.7", &wrong) == 429);
    assert!(spent.is_some(), "the failures of one client were limited");
    assert!(
        (0..10).all(|_| verify(proxied.port, "198.51.100.9", &wrong) != 429),
        "another client's failures are answered from its own budget"
    );
    assert_eq!(
        verify(proxied.port, "198.51.100.9", &key),
        200,
        "another client is not"
    );
    drop(proxied);

    // Without a trusted proxy the header is not believed: everyone is the peer.
    let (direct, _) = serve(&kw, &["--port", "0"]);
    assert!((0..200).any(|_| verify(direct.port, "203.0.113.7", &wrong) == 429));
    // The "other" client shares that spent budget: refused within a few tries (the budget
    // refills a failure every 50 ms, so a slow machine may let one through), where a
    // budget of its own would let 100 through.
    assert!(
        (0..10).any(|_| verify(direct.port, "198.51.100.9", &wrong) == 429),
        "the header named another client, yet the budget was not the peer's"
    );
}
