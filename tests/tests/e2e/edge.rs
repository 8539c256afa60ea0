//! The server's edge under abuse, as an attacker or an operator meets it: slow and idle
//! clients, oversized bodies, the shape of every refusal, the WebSocket closing handshake, and
//! a database outage.

use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tests::{TestApp, spawn_app, spawn_app_with};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Reads what the server sends until it closes the connection (or `wait` passes).
async fn read_until_closed(stream: &mut TcpStream, wait: Duration) -> String {
    let mut out = Vec::new();
    let _ = tokio::time::timeout(wait, stream.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

/// The JSON body of a raw HTTP/1.1 response.
fn body_of(response: &str) -> Value {
    let body = response.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {response}"))
}

async fn typename(app: &TestApp) -> reqwest::Response {
    app.http
        .post(format!("{}/graphql", app.url))
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .expect("send")
}

#[tokio::test]
async fn slow_header_clients_are_cut_off_at_the_header_timeout_while_queries_flow() {
    let app = spawn_app_with(|c| c.header_read_timeout_secs = 1).await;
    let mut trickles = Vec::new();
    for _ in 0..500 {
        let mut s = TcpStream::connect(app.addr).await.expect("connect");
        s.write_all(b"POST /graphql HTTP/1.1\r\nHost: canopy\r\n")
            .await
            .expect("write");
        let opened = Instant::now();
        // A header line every 200 ms, never the blank line that ends the header.
        trickles.push(tokio::spawn(async move {
            let mut buf = [0u8; 512];
            while opened.elapsed() < Duration::from_secs(10) {
                tokio::select! {
                    r = s.read(&mut buf) => if matches!(r, Ok(0) | Err(_)) { break },
                    () = tokio::time::sleep(Duration::from_millis(200)) => {
                        if s.write_all(b"X-Slow: 1\r\n").await.is_err() { break }
                    }
                }
            }
            opened.elapsed()
        }));
    }
    let mut latencies = Vec::new();
    for _ in 0..100 {
        let t = Instant::now();
        assert_eq!(typename(&app).await.status().as_u16(), 200);
        latencies.push(t.elapsed());
    }
    let mut held = Vec::new();
    for t in trickles {
        held.push(t.await.expect("join"));
    }
    let longest = held.iter().max().copied().unwrap_or_default();
    latencies.sort();
    let p99 = latencies[98];
    eprintln!("500 slow-header clients held at most {longest:?}; query p99 {p99:?}");
    assert!(
        longest < Duration::from_secs(3),
        "a slow-header client was held {longest:?} (timeout 1 s)"
    );
    // The figure to keep is in BENCHMARKS.md; this bound only catches a server that stalls.
    assert!(p99 < Duration::from_millis(500), "query p99 {p99:?}");
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed() {
    let app = spawn_app_with(|c| c.header_read_timeout_secs = 1).await;
    let mut s = TcpStream::connect(app.addr).await.expect("connect");
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: canopy\r\n\r\n")
        .await
        .expect("write");
    let mut buf = [0u8; 1024];
    let n = s.read(&mut buf).await.expect("read");
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    let idle = Instant::now();
    let rest = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf))
        .await
        .expect("the idle connection must be closed");
    assert!(matches!(rest, Ok(0) | Err(_)), "{rest:?}");
    assert!(
        idle.elapsed() >= Duration::from_millis(900),
        "{:?}",
        idle.elapsed()
    );
}

#[tokio::test]
async fn a_50_mb_json_body_is_refused_before_it_is_sent() {
    let app = spawn_app().await;
    let mut s = TcpStream::connect(app.addr).await.expect("connect");
    // The header announces 50 MB; not one byte of it follows.
    s.write_all(
        format!(
            "POST /graphql HTTP/1.1\r\nHost: canopy\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            50 * 1024 * 1024
        )
        .as_bytes(),
    )
    .await
    .expect("write");
    let response = read_until_closed(&mut s, Duration::from_secs(5)).await;
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
    assert!(
        response
            .to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{response}"
    );
    let body = body_of(&response);
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("2097152 bytes"),
        "{body}"
    );
    assert!(
        body["errors"][0]["extensions"]["requestId"].is_string(),
        "{body}"
    );
}

#[tokio::test]
async fn a_chunked_body_is_cut_off_at_the_limit() {
    let app = spawn_app().await;
    let mut s = TcpStream::connect(app.addr).await.expect("connect");
    s.write_all(b"POST /graphql HTTP/1.1\r\nHost: canopy\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
        .await
        .expect("write");
    let (mut read, mut write) = s.into_split();
    // 50 chunks of 1 MiB, unless the server stops reading first.
    let sender = tokio::spawn(async move {
        let chunk = vec![b' '; 1024 * 1024];
        let mut sent = 0usize;
        for _ in 0..50 {
            let head = format!("{:x}\r\n", chunk.len());
            if write.write_all(head.as_bytes()).await.is_err()
                || write.write_all(&chunk).await.is_err()
                || write.write_all(b"\r\n").await.is_err()
            {
                break;
            }
            sent += chunk.len();
        }
        sent
    });
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), read.read_to_end(&mut out)).await;
    let response = String::from_utf8_lossy(&out).into_owned();
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
    assert_eq!(
        body_of(&response)["errors"][0]["extensions"]["code"],
        "BAD_USER_INPUT"
    );
    let sent = sender.await.expect("join");
    assert!(sent < 50 * 1024 * 1024, "the server read all {sent} bytes");
}

#[tokio::test]
async fn every_refusal_has_the_error_shape_and_the_request_id() {
    let app = spawn_app().await;
    let cases = [
        (
            app.http.get(format!("{}/no-such-page", app.url)),
            404,
            "NOT_FOUND",
        ),
        (
            app.http.put(format!("{}/graphql", app.url)),
            405,
            "BAD_USER_INPUT",
        ),
        (
            app.http
                .post(format!("{}/graphql", app.url))
                .header("content-type", "text/plain")
                .body("{}"),
            415,
            "BAD_USER_INPUT",
        ),
        (
            app.http
                .post(format!("{}/graphql", app.url))
                .header("content-type", "application/json")
                .body("{"),
            400,
            "BAD_USER_INPUT",
        ),
    ];
    for (request, status, code) in cases {
        let r = request.send().await.expect("send");
        assert_eq!(r.status().as_u16(), status);
        let id = r
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .expect("x-request-id")
            .to_owned();
        let body: Value = r.json().await.expect("a JSON body");
        let ext = &body["errors"][0]["extensions"];
        assert_eq!(ext["code"], code, "{status}: {body}");
        assert_eq!(ext["requestId"], id.as_str(), "{status}: {body}");
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
}

#[tokio::test]
async fn the_websocket_close_is_echoed() {
    let app = spawn_app().await;
    let mut ws = app.ws_connect(None).await.expect("upgrade");
    ws.close(1000).await;
    assert_eq!(
        ws.expect_close().await.0,
        1000,
        "the close must be answered, not dropped (1006)"
    );
}

#[tokio::test]
async fn a_database_outage_gives_503_then_recovers() {
    let app = spawn_app().await;
    let Some((replica, proxy)) = app.replica_behind_proxy().await else {
        eprintln!("an outage needs PostgreSQL's network: nothing to check on SQLite");
        return;
    };
    assert_eq!(typename(&replica).await.status().as_u16(), 200);
    proxy.cut();
    let r = typename(&replica).await;
    assert_eq!(r.status().as_u16(), 503);
    assert_eq!(
        r.headers().get("retry-after").and_then(|v| v.to_str().ok()),
        Some("1")
    );
    let body: Value = r.json().await.expect("json");
    let error = &body["errors"][0];
    assert_eq!(error["extensions"]["code"], "UNAVAILABLE", "{body}");
    assert!(error["extensions"]["requestId"].is_string(), "{body}");
    assert!(
        !error["message"].as_str().unwrap_or_default().contains("Io"),
        "{body}"
    );
    proxy.restore();
    let back = Instant::now();
    loop {
        if typename(&replica).await.status().as_u16() == 200 {
            break;
        }
        assert!(
            back.elapsed() < Duration::from_secs(5),
            "no recovery within 5 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!(
        "recovered {:?} after the database came back",
        back.elapsed()
    );
}
