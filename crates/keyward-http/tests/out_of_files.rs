//! A server whose process runs out of file descriptors (EMFILE on accept) keeps
//! accepting: it closes the connections that waited longest and goes on. Its own test
//! binary, because it lowers the whole process's open-file limit.

mod common;

use std::io::ErrorKind;
use std::time::{Duration, Instant};

use common::Server;
use keyward_http::ServeOptions;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn set_own_open_file_limit(soft: u64) {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit read and write only the struct given, on this stack.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit), 0);
        limit.rlim_cur = soft;
        assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &limit), 0);
    }
}

/// Whether the server has closed `s` (without waiting for it to).
fn closed_by_server(s: &TcpStream) -> bool {
    let mut byte = [0u8; 1];
    match s.try_read(&mut byte) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => e.kind() != ErrorKind::WouldBlock,
    }
}

#[tokio::test]
async fn out_of_file_descriptors_the_server_sheds_and_keeps_accepting() {
    // A cap far above what the limit allows: the limit is what the server hits.
    let mut server = Server::start_with(ServeOptions {
        request_timeout: Duration::from_secs(60),
        idle_timeout: Duration::from_secs(60),
        max_connections: 4096,
        ..ServeOptions::default()
    })
    .await;
    let port = server.port;
    // Let the server open what it needs (the store is open already) before the limit.
    let mut probe = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    probe
        .write_all(format!("GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n").as_bytes())
        .await
        .expect("write");
    let mut buf = [0u8; 1024];
    assert!(probe.read(&mut buf).await.expect("answer") > 0);
    drop(probe);

    set_own_open_file_limit(128);
    // Connections that send nothing, until this process has no descriptor left: the
    // clients take them first, so the server's accept is what fails.
    let mut held = Vec::new();
    loop {
        match TcpStream::connect(("127.0.0.1", port)).await {
            Ok(s) => held.push(s),
            Err(e) if e.raw_os_error() == Some(libc::EMFILE) => break,
            Err(e) => panic!("connect: {e}"),
        }
        assert!(held.len() < 1000, "the limit did not take effect");
    }
    assert!(held.len() > 20, "only {} connections", held.len());

    // The server closes the connections that waited longest to accept those still
    // queued; once it has them all, it closes no more. The client ends of those it
    // closed can go.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut released = 0;
    let mut quiet = 0;
    while released == 0 || quiet < 6 {
        assert!(Instant::now() < deadline, "the server made no room");
        tokio::time::sleep(Duration::from_millis(50)).await;
        let before = held.len();
        held.retain(|s| !closed_by_server(s));
        let now_released = before - held.len();
        released += now_released;
        quiet = if now_released == 0 { quiet + 1 } else { 0 };
    }
    if server.has_stopped() {
        panic!("the server stopped: {:?}", server.join().await);
    }

    // A new client is answered.
    let mut client = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    client
        .write_all(
            format!(
                "GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
            )
            .as_bytes(),
        )
        .await
        .expect("write");
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), client.read_to_end(&mut answer))
        .await
        .expect("an answer in time")
        .expect("read");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    drop(held);
    set_own_open_file_limit(1024);
    server.stop_within(Duration::from_secs(10)).await;
}
