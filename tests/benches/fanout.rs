//! Benchmark: fan-out of one event to 100, 1,000 and 5,000 live subscribers.
//!
//! The server runs in a child process (this binary, re-run with `FANOUT_SERVER=1`) so that its
//! memory and CPU are its own. For each size the parent opens that many WebSocket connections
//! (graphql-transport-ws), each subscribed to `pipelineChanged` of one board, then moves a
//! ticket 20 times, 250 ms apart, through HTTP. Latency is measured per delivery, from just
//! before the mutation is sent to the subscriber's receipt (so it includes the mutation
//! itself); every subscriber must receive every move exactly once.
//!
//! `cargo bench -p tests --bench fanout` (SQLite); with
//! `TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres` on PostgreSQL.
//! `FANOUT_SIZES=100,1000` picks the sizes. The subscribers are spread over `FANOUT_USERS`
//! users (50 by default), each with a token of its own, as on a real board; with sharing on
//! (the default) they form one group (`live::share`), each still checked as itself.
//! `FANOUT_SHARED=0` runs each subscription alone.

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tests::measure::percentile;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const MOVES: usize = 20;
const GAP: Duration = Duration::from_millis(250);
const BOARD: &str =
    "subscription($p: ID!) { pipelineChanged(pipelineId: $p) { type subjectId occurredAt } }";

fn main() {
    if std::env::var_os("FANOUT_SERVER").is_some() {
        server();
    } else {
        client();
    }
}

/// The child: a server with one agency, one board and one ticket; prints how to reach them
/// and serves until its standard input closes.
fn server() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let app = tests::spawn_app_with(|c| {
            c.db_max_connections = 16;
            c.access_token_ttl_secs = 3600;
            // Each user here holds many subscribers: lift the per-credential cap.
            c.ws_max_connections_per_user = 10_000;
            // The subscribers' users all sign in from here at start.
            c.login_attempts_per_ip = 10_000;
            // `FANOUT_SHARED=0`: each subscription runs alone (the comparison without sharing).
            c.live_shared = std::env::var("FANOUT_SHARED").map_or(true, |v| v != "0");
        })
        .await;
        let admin = app.platform_admin("root@platform.test").await;
        let owner = app.user("owner@acme.test").await;
        let agency = app.agency(&admin, "Acme", "owner@acme.test").await;
        let sub = app.sub_account(&owner, &agency, "Dental").await;
        let r = app
            .gql(
                Some(&owner.access),
                "mutation($s: ID!) { pipelineCreate(input: { subAccountId: $s, name: \"Sales\" }) { pipeline { id lanes { id } } } }",
                json!({ "s": sub }),
            )
            .await
            .ok();
        let pipeline = r.data("pipelineCreate.pipeline.id").clone();
        let lanes = r.data("pipelineCreate.pipeline.lanes").clone();
        let r = app
            .gql(
                Some(&owner.access),
                "mutation($l: ID!) { ticketCreate(input: { laneId: $l, title: \"Implants\" }) { ticket { id } } }",
                json!({ "l": lanes[0]["id"] }),
            )
            .await
            .ok();
        let ticket = r.data("ticketCreate.ticket.id").clone();
        // The subscribers' users: staff of the sub-account, each with a token.
        let users: usize = std::env::var("FANOUT_USERS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(50);
        let mut tokens = Vec::with_capacity(users.max(1));
        for u in 0..users.max(1) {
            let staff = app
                .member(&format!("staff{u}@acme.test"), &sub, kernel::Role::SubaccountUser)
                .await;
            tokens.push(staff.access);
        }
        let backend = if app.runtime_connection().await.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        };
        println!(
            "{}",
            json!({
                "addr": app.addr.to_string(), "token": owner.access, "tokens": tokens, "agency": agency,
                "pipeline": pipeline, "lanes": [lanes[0]["id"], lanes[1]["id"]], "ticket": ticket,
                "backend": backend, "pid": std::process::id(),
            })
        );
        std::io::stdout().flush().ok();
        // Serve until the parent closes our standard input.
        tokio::task::spawn_blocking(|| {
            let mut s = String::new();
            while std::io::stdin().read_line(&mut s).map(|n| n > 0).unwrap_or(false) {}
        })
        .await
        .ok();
        drop(app);
    });
}

fn proc_status(pid: u32, key: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn client() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let exe = std::env::current_exe().expect("exe");
    let mut child = Command::new(exe)
        .env("FANOUT_SERVER", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the server");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("server line");
    let info: Value = serde_json::from_str(&line).expect("server info");
    let pid = u32::try_from(info["pid"].as_u64().expect("pid")).expect("pid");
    let sizes: Vec<usize> = std::env::var("FANOUT_SIZES")
        .unwrap_or_else(|_| "100,1000,5000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    println!(
        "fan-out on {} (server pid {pid}); {} moves per size, subscribers spread over {} users; latency from mutation sent to receipt",
        info["backend"].as_str().unwrap_or("?"),
        MOVES,
        info["tokens"].as_array().map_or(0, Vec::len),
    );
    println!(
        "| subscribers | deliveries | missing | p50 ms | p90 ms | p99 ms | max ms | server RSS MiB (idle → subscribed) | server CPU ms per event |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    rt.block_on(async {
        for n in sizes {
            run(&info, pid, n).await;
        }
    });
    drop(child.stdin.take());
    let _ = child.wait();
}

async fn run(info: &Value, pid: u32, n: usize) {
    let addr = info["addr"].as_str().expect("addr").to_owned();
    let token = info["token"].as_str().expect("token").to_owned();
    let tokens: Vec<String> = info["tokens"]
        .as_array()
        .expect("tokens")
        .iter()
        .map(|t| t.as_str().expect("token").to_owned())
        .collect();
    let agency = info["agency"].as_str().expect("agency").to_owned();
    let pipeline = info["pipeline"].as_str().expect("pipeline").to_owned();
    let rss_before = proc_status(pid, "VmRSS:");
    let received: Arc<Mutex<Vec<(usize, Instant)>>> = Arc::new(Mutex::new(Vec::new()));
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel::<()>(n.max(1));
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let gate = Arc::new(tokio::sync::Semaphore::new(100));
    let mut tasks = Vec::with_capacity(n);
    for i in 0..n {
        let (addr, token, agency, pipeline) = (
            addr.clone(),
            tokens[i % tokens.len()].clone(),
            agency.clone(),
            pipeline.clone(),
        );
        let received = received.clone();
        let ready = ready_tx.clone();
        let mut stop = stop_rx.clone();
        let gate = gate.clone();
        tasks.push(tokio::spawn(async move {
            let permit = gate.acquire_owned().await.expect("gate");
            let mut req = format!("ws://{addr}/graphql/ws").into_client_request().expect("req");
            req.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse().expect("h"));
            let (mut ws, _) = tokio_tungstenite::connect_async(req).await.expect("connect");
            ws.send(Message::Text(json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {token}"), "canopy-agency": agency } }).to_string().into())).await.expect("init");
            let ack = ws.next().await.expect("ack").expect("ack");
            assert!(ack.to_text().unwrap_or_default().contains("connection_ack"), "{ack:?}");
            ws.send(Message::Text(json!({ "id": "1", "type": "subscribe", "payload": { "query": BOARD, "variables": { "p": pipeline } } }).to_string().into())).await.expect("subscribe");
            drop(permit);
            let _ = ready.send(()).await;
            loop {
                tokio::select! {
                    m = ws.next() => match m {
                        Some(Ok(Message::Text(t))) => {
                            let at = Instant::now();
                            if t.contains("\"next\"") {
                                received.lock().expect("lock").push((i, at));
                            } else {
                                eprintln!("subscriber {i}: {t}");
                            }
                        }
                        Some(Ok(_)) => {}
                        _ => break,
                    },
                    _ = stop.changed() => break,
                }
            }
            let _ = ws.close(None).await;
        }));
    }
    drop(ready_tx);
    let mut ready = 0;
    while ready < n && ready_rx.recv().await.is_some() {
        ready += 1;
    }
    // Let the subscriptions finish their start-up checks.
    tokio::time::sleep(Duration::from_millis(500 + n as u64 / 5)).await;
    let rss_subscribed = proc_status(pid, "VmRSS:");
    let http = reqwest::Client::new();
    let lanes: Vec<String> = info["lanes"]
        .as_array()
        .expect("lanes")
        .iter()
        .map(|l| l.as_str().expect("lane").to_owned())
        .collect();
    let mut sent = Vec::with_capacity(MOVES);
    let ticks = tests::measure::clock_ticks();
    let cpu_before = tests::measure::cpu_ms(pid, ticks);
    for m in 0..MOVES {
        received.lock().expect("lock").clear();
        let t0 = Instant::now();
        let r: Value = http
            .post(format!("http://{addr}/graphql"))
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {token}"))
            .body(json!({ "query": "mutation($t: ID!, $l: ID!) { ticketMove(input: { ticketId: $t, laneId: $l }) { ticket { id } } }", "variables": { "t": info["ticket"], "l": lanes[m % 2] } }).to_string())
            .send()
            .await
            .expect("move")
            .json()
            .await
            .expect("json");
        assert!(r.get("errors").is_none(), "{r}");
        let answered = t0.elapsed();
        // Wait for every delivery (or give up after 5 s).
        let deadline = Instant::now() + Duration::from_secs(5);
        while received.lock().expect("lock").len() < n && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let got: Vec<(usize, Instant)> = std::mem::take(&mut *received.lock().expect("lock"));
        // A late move: was it the mutation's answer, or the delivery after it?
        let first = got.iter().map(|(_, at)| at.duration_since(t0)).min();
        let last = got.iter().map(|(_, at)| at.duration_since(t0)).max();
        if last.is_some_and(|l| l > Duration::from_millis(250)) {
            eprintln!(
                "late move {m} at {n}: answered after {answered:?}, first delivery {first:?}, last {last:?}"
            );
        }
        sent.push((t0, got));
        tokio::time::sleep(GAP).await;
    }
    let cpu_ms = (tests::measure::cpu_ms(pid, ticks) - cpu_before) / MOVES as f64;
    let mut lat: Vec<f64> = Vec::new();
    let mut missing = 0usize;
    for (t0, got) in &sent {
        let mut seen = vec![0u32; n];
        for (i, at) in got {
            seen[*i] += 1;
            lat.push(at.duration_since(*t0).as_secs_f64() * 1000.0);
        }
        missing += seen.iter().filter(|c| **c != 1).count();
    }
    lat.sort_by(|a, b| a.total_cmp(b));
    println!(
        "| {n} | {} | {missing} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} → {:.1} | {:.1} |",
        lat.len(),
        percentile(&lat, 0.5),
        percentile(&lat, 0.9),
        percentile(&lat, 0.99),
        lat.last().copied().unwrap_or(f64::NAN),
        rss_before as f64 / 1024.0,
        rss_subscribed as f64 / 1024.0,
        cpu_ms,
    );
    let _ = stop.send(true);
    for t in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(5), t).await;
    }
    // Let the server drop the closed connections before the next size.
    tokio::time::sleep(Duration::from_secs(1)).await;
}
