//! A `keyward serve` under an open-file limit of 1024 while 1,100 connections send half a
//! request or nothing and stay open: a client with a real key is still answered, at once
//! (the server closes the connections that waited longest to make room).

use keyward_testkit::cli::{keyward_bin, Kw, Serving};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

const HELD: usize = 1_100;

/// `keyward serve --port 0` started by `sh` after `ulimit -n 1024`.
fn serve_under_ulimit_1024(kw: &Kw) -> Serving {
    let mut sh = Command::new("sh");
    sh.arg("-c")
        .arg("ulimit -n 1024 && exec \"$0\" \"$@\"")
        .arg(keyward_bin());
    kw.keyward_on(&mut sh).args(["serve", "--port", "0"]);
    Serving::spawn(sh)
}

/// The soft open-file limit of a running process.
fn open_file_limit(pid: u32) -> u64 {
    let limits =
        std::fs::read_to_string(format!("/proc/{pid}/limits")).expect("the server's limits");
    limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|n| n.parse().ok())
        .expect("Max open files")
}

/// This test holds more sockets than the usual limit of 1024 allows: raise its own.
fn raise_own_open_file_limit(wanted: u64) {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit read and write only the struct given, on this stack.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit), 0);
        if limit.rlim_cur < wanted {
            assert!(
                limit.rlim_max >= wanted,
                "this test needs {wanted} open files; the hard limit is {}",
                limit.rlim_max
            );
            limit.rlim_cur = wanted;
            assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &limit), 0);
        }
    }
}

/// One request (with `Connection: close`) on a new connection; the whole answer.
fn ask(port: u16, request: &str) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(15)))
        .expect("timeout");
    s.write_all(request.as_bytes()).expect("write");
    let mut answer = Vec::new();
    if let Err(e) = s.read_to_end(&mut answer) {
        panic!(
            "no answer ({e}); received {:?}",
            String::from_utf8_lossy(&answer)
        );
    }
    String::from_utf8_lossy(&answer).into_owned()
}

#[test]
fn a_valid_client_is_answered_while_1100_connections_hang_under_ulimit_1024() {
    raise_own_open_file_limit(4096);
    let kw = Kw::new();
    kw.ada();
    let (_, secret) = kw.create_key("ada@example.com", "Postman");
    let server = serve_under_ulimit_1024(&kw);
    assert_eq!(open_file_limit(server.id()), 1024);
    let port = server.port;

    // Half of them send the start of a request head, half send nothing.
    let mut held = Vec::with_capacity(HELD);
    for i in 0..HELD {
        let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        if i % 2 == 0 {
            s.write_all(b"POST /v1/verify HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                .expect("write");
        }
        held.push(s);
    }
    // Let the server take them all in.
    std::thread::sleep(Duration::from_millis(500));

    let body = format!("{{\"key\":\"{secret}\"}}");
    let verify = format!(
        "POST /v1/verify HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let started = Instant::now();
    let answer = ask(port, &verify);
    let took = started.elapsed();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains(r#""valid":true"#), "{answer}");
    assert!(
        took < Duration::from_secs(2),
        "answered after {took:?}, with 1,100 connections hanging"
    );
    let health = ask(
        port,
        &format!("GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"),
    );
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");

    // The server made room by closing the connections that waited longest, not all.
    let mut closed = 0;
    for s in &mut held {
        s.set_nonblocking(true).expect("nonblocking");
        let mut byte = [0u8; 1];
        match s.read(&mut byte) {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            _ => closed += 1,
        }
    }
    assert!(
        closed > HELD - 896 && closed < HELD / 2,
        "{closed} of {HELD} hanging connections closed"
    );

    // And it stops at once, without waiting for them.
    assert_eq!(server.stop_within(Duration::from_secs(5)), 0);
}
