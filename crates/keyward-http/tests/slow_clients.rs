//! Clients that connect and then send slowly, partly or nothing: each connection must
//! finish its request within the request timeout, an idle keep-alive connection is closed
//! after the idle timeout, and past the connection cap a new client is still served.
//! Real servers on 127.0.0.1:0 with short timeouts, real sockets.

mod common;

use std::time::{Duration, Instant};

use common::Server;
use keyward_http::ServeOptions;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

impl Server {
    async fn connect(&self) -> TcpStream {
        TcpStream::connect(("127.0.0.1", self.port))
            .await
            .expect("connect")
    }

    fn health(&self) -> String {
        format!(
            "GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n\r\n",
            self.port
        )
    }

    /// Stops the server; how long it took.
    async fn stop(self) -> Duration {
        self.stop_within(Duration::from_secs(10)).await
    }
}

fn options(request: Duration, idle: Duration, max_connections: usize) -> ServeOptions {
    ServeOptions {
        request_timeout: request,
        idle_timeout: idle,
        max_connections,
        ..ServeOptions::default()
    }
}

/// Waits until the server closes `s` (end of stream or reset); how long that took.
/// Anything the server sent before closing is returned too.
async fn until_closed(s: &mut TcpStream, limit: Duration) -> (Duration, String) {
    let started = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout_at(
            tokio::time::Instant::from_std(started + limit),
            s.read(&mut buf),
        )
        .await
        {
            Ok(Ok(0)) | Ok(Err(_)) => {
                return (started.elapsed(), String::from_utf8_lossy(&got).into())
            }
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Err(_) => panic!(
                "still open after {limit:?}; received {:?}",
                String::from_utf8_lossy(&got)
            ),
        }
    }
}

/// Reads one answer to a request without a body (`Content-Length` framed).
async fn read_answer(s: &mut TcpStream) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf))
            .await
            .expect("an answer in time")
            .expect("read");
        assert!(
            n > 0,
            "closed before answering: {:?}",
            String::from_utf8_lossy(&got)
        );
        got.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&got).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().ok())?
                })
                .expect("a Content-Length");
            if body.len() >= length {
                return text;
            }
        }
    }
}

#[tokio::test]
async fn a_request_head_sent_in_part_is_closed_after_the_request_timeout() {
    let server = Server::start_with(options(
        Duration::from_millis(400),
        Duration::from_secs(30),
        100,
    ))
    .await;
    let started = Instant::now();
    let mut half = server.connect().await;
    half.write_all(b"POST /v1/verify HTTP/1.1\r\nHost: 127.0")
        .await
        .expect("write");
    let mut silent = server.connect().await;
    let (_, sent) = until_closed(&mut half, Duration::from_secs(5)).await;
    let half_took = started.elapsed();
    until_closed(&mut silent, Duration::from_secs(5)).await;
    let silent_took = started.elapsed();
    assert!(sent.is_empty(), "no answer to half a request: {sent:?}");
    for took in [half_took, silent_took] {
        assert!(
            took >= Duration::from_millis(350) && took < Duration::from_secs(2),
            "closed after {took:?}, the request timeout is 400 ms"
        );
    }
    // The server itself still answers.
    let mut fine = server.connect().await;
    fine.write_all(server.health().as_bytes())
        .await
        .expect("write");
    assert!(read_answer(&mut fine).await.starts_with("HTTP/1.1 200"));
    server.stop().await;
}

#[tokio::test]
async fn a_request_body_sent_in_part_is_closed_after_the_request_timeout() {
    let server = Server::start_with(options(
        Duration::from_millis(400),
        Duration::from_secs(30),
        100,
    ))
    .await;
    let mut s = server.connect().await;
    let head = format!(
        "POST /v1/verify HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/json\r\n\
         Content-Length: 100\r\n\r\n{{\"key\":",
        server.port
    );
    s.write_all(head.as_bytes()).await.expect("write");
    let (took, sent) = until_closed(&mut s, Duration::from_secs(5)).await;
    assert!(sent.is_empty(), "no answer to half a body: {sent:?}");
    assert!(
        took >= Duration::from_millis(350) && took < Duration::from_secs(2),
        "closed after {took:?}, the request timeout is 400 ms"
    );
    server.stop().await;
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout_not_before() {
    let server = Server::start_with(options(
        Duration::from_millis(300),
        Duration::from_millis(1200),
        100,
    ))
    .await;
    let mut s = server.connect().await;
    s.write_all(server.health().as_bytes())
        .await
        .expect("write");
    assert!(read_answer(&mut s).await.starts_with("HTTP/1.1 200"));
    // Idle for longer than the request timeout but less than the idle timeout: the
    // connection is still there for the next request.
    tokio::time::sleep(Duration::from_millis(700)).await;
    s.write_all(server.health().as_bytes())
        .await
        .expect("write");
    assert!(read_answer(&mut s).await.starts_with("HTTP/1.1 200"));
    let (took, sent) = until_closed(&mut s, Duration::from_secs(5)).await;
    assert!(sent.is_empty(), "{sent:?}");
    assert!(
        took >= Duration::from_millis(1100) && took < Duration::from_secs(3),
        "closed {took:?} after the answer, the idle timeout is 1.2 s"
    );
    server.stop().await;
}

#[tokio::test]
async fn past_the_cap_a_new_client_is_served_and_the_longest_waiting_is_closed() {
    let cap = 8;
    let server = Server::start_with(options(
        Duration::from_secs(60),
        Duration::from_secs(60),
        cap,
    ))
    .await;
    // Twenty clients that hold a connection without completing a request, oldest first.
    let mut waiting = Vec::new();
    for i in 0..20 {
        let mut s = server.connect().await;
        if i % 2 == 0 {
            s.write_all(b"GET /v1/health HTTP/1.1\r\n")
                .await
                .expect("write");
        }
        waiting.push(s);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let started = Instant::now();
    let mut client = server.connect().await;
    client
        .write_all(server.health().as_bytes())
        .await
        .expect("write");
    let answer = read_answer(&mut client).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "answered after {:?}",
        started.elapsed()
    );
    // 21 connections for 8 places: the 13 that waited longest were closed, the newest 7
    // and the client remain.
    let mut open = Vec::new();
    for s in &mut waiting {
        let mut byte = [0u8; 1];
        let closed = matches!(
            tokio::time::timeout(Duration::from_millis(200), s.read(&mut byte)).await,
            Ok(Ok(0) | Err(_))
        );
        open.push(!closed);
    }
    let expected: Vec<bool> = (0..20).map(|i| i >= 13).collect();
    assert_eq!(
        open, expected,
        "which of the waiting connections are still open"
    );
    server.stop().await;
}

#[tokio::test]
async fn shutdown_does_not_wait_for_clients_that_never_finish_a_request() {
    let server = Server::start_with(options(
        Duration::from_secs(60),
        Duration::from_secs(60),
        100,
    ))
    .await;
    let mut half = server.connect().await;
    half.write_all(b"GET /v1/health HTTP/1.1\r\n")
        .await
        .expect("write");
    let _silent = server.connect().await;
    let mut idle = server.connect().await;
    idle.write_all(server.health().as_bytes())
        .await
        .expect("write");
    read_answer(&mut idle).await;
    // Let the server see the half request before it stops.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let took = server.stop().await;
    assert!(took < Duration::from_secs(2), "stopping took {took:?}");
}

#[tokio::test]
async fn shutdown_lets_a_request_under_way_finish() {
    let server = Server::start_with(options(
        Duration::from_secs(60),
        Duration::from_secs(60),
        100,
    ))
    .await;
    let port = server.port;
    let mut s = server.connect().await;
    // The head and half the body are in: the request is under way when the stop comes.
    let body = br#"{"key":"kwa_nope"}"#;
    let head = format!(
        "POST /v1/verify HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.expect("write");
    s.write_all(&body[..5]).await.expect("write");
    tokio::time::sleep(Duration::from_millis(100)).await;
    let stopping = tokio::spawn(server.stop());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!stopping.is_finished(), "the server waits for the request");
    s.write_all(&body[5..]).await.expect("write");
    let answer = read_answer(&mut s).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains(r#""valid":false"#), "{answer}");
    stopping.await.expect("stopped");
}
