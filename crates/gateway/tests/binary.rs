//! The `canopy` binary itself, as a newcomer and an operator run it: it starts (its TLS
//! clients find a crypto provider without the test harness's help), writes plain logs when
//! they are not a terminal's, and stops within its shutdown deadline whatever its clients do.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn temp_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "canopy-binary-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default()
    ));
    std::fs::create_dir_all(&dir).expect("dir");
    dir
}

#[test]
fn the_binary_seeds_the_demo_and_logs_without_colour_codes() {
    let dir = temp_dir();
    let out = Command::new(env!("CARGO_BIN_EXE_canopy"))
        .current_dir(&dir)
        .args([
            "--database-url",
            &format!("sqlite://{}/canopy.db?mode=rwc", dir.display()),
            "--argon2-memory-kib",
            "1024",
            "--argon2-iterations",
            "1",
            "seed-demo",
        ])
        .env_remove("DATABASE_URL")
        .output()
        .expect("run canopy");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("Demo logins"), "{stdout}");
    assert!(stdout.contains("INFO"), "it logs: {stdout}");
    assert!(
        !stdout.contains('\u{1b}') && !stderr.contains('\u{1b}'),
        "no ANSI escape codes in a log that is not a terminal: {stdout}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// Whether `GET /healthz` on `addr` answers 200.
fn healthy(addr: &str) -> bool {
    let Ok(mut s) = TcpStream::connect(addr) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(b"GET /healthz HTTP/1.1\r\nHost: canopy\r\nConnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out.starts_with("HTTP/1.1 200")
}

#[test]
fn a_slow_header_client_cannot_hold_shutdown_past_its_deadline() {
    let dir = temp_dir();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let addr = format!("127.0.0.1:{port}");
    let mut server = Command::new(env!("CARGO_BIN_EXE_canopy"))
        .current_dir(&dir)
        .args([
            "--database-url",
            &format!("sqlite://{}/canopy.db?mode=rwc", dir.display()),
            "--listen",
            &addr,
            "--seed-demo",
            "false",
            // Only the shutdown deadline can end this client's hold.
            "--header-read-timeout-secs",
            "600",
            "--shutdown-timeout-secs",
            "2",
        ])
        .env_remove("DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("run canopy");
    let started = Instant::now();
    while !healthy(&addr) {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "canopy did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut slow = TcpStream::connect(&addr).expect("connect");
    slow.write_all(b"POST /graphql HTTP/1.1\r\nHost: canopy\r\n")
        .expect("write");
    let trickle = std::thread::spawn(move || {
        for _ in 0..300 {
            if slow.write_all(b"X-Slow: 1\r\n").is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    let term = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .expect("kill");
    assert!(term.success());
    let signalled = Instant::now();
    let status = loop {
        if let Some(status) = server.try_wait().expect("wait") {
            break status;
        }
        if signalled.elapsed() > Duration::from_secs(15) {
            let _ = server.kill();
            panic!("canopy was still running 15 s after SIGTERM (deadline 2 s)");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let took = signalled.elapsed();
    eprintln!("canopy stopped {took:?} after SIGTERM");
    assert!(status.success(), "exit status {status}");
    assert!(took < Duration::from_secs(6), "stopping took {took:?}");
    let _ = trickle.join();
    let _ = std::fs::remove_dir_all(dir);
}
