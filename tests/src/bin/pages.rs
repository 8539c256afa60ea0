//! `pages`: a published funnel page and its form under load, against a running Canopy.
//!
//! Three runs, each for `--seconds` after `--warmup`, with `--connections` concurrent clients:
//! - `page`: `GET` of the page (a full answer, `200`; an ETag miss);
//! - `page_304`: the same with the page's `If-None-Match` (an ETag hit, `304`);
//! - `form`: a `POST` of the page's form with a new email address each time (a contact
//!   created, its consent, the submission and the event, in one transaction).
//!
//! Per run it reports requests/s, p50/p90/p99/max latency, errors (any other status), the
//! gateway's CPU per request (`/proc/<pid>/stat`) and SQL statements per request (the
//! gateway's `/metrics`, when `CANOPY_METRICS=true`). The form run needs a page with a form,
//! `CANOPY_FORM_MIN_FILL_MS=0` and rate limits above the load (see BENCHMARKS.md).
//!
//! ```sh
//! cargo run --release -p tests --bin pages -- --url http://127.0.0.1:8080 \
//!   --host smile-offer.sites.canopy.localhost --gateway-pid $(pgrep -n canopy)
//! ```

use clap::Parser;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tests::measure::percentile;

/// A published page and its form under load.
#[derive(Parser, Debug)]
struct Args {
    /// The gateway's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// The page's host.
    #[arg(long, default_value = "smile-offer.sites.canopy.localhost")]
    host: String,
    /// The page's path.
    #[arg(long, default_value = "/")]
    path: String,
    /// The form's key on the page.
    #[arg(long, default_value = "offer")]
    form: String,
    /// Concurrent clients.
    #[arg(long, default_value_t = 8)]
    connections: usize,
    /// Measured seconds per run.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Warm-up seconds per run.
    #[arg(long, default_value_t = 2)]
    warmup: u64,
    /// The gateway's process id (for its CPU time).
    #[arg(long)]
    gateway_pid: Option<u32>,
    /// Which runs (comma-separated): page, page_304, form.
    #[arg(long, value_delimiter = ',', default_value = "page,page_304,form")]
    runs: Vec<String>,
}

#[derive(Clone)]
struct Target {
    http: reqwest::Client,
    url: String,
    host: String,
    path: String,
    etag: String,
    token: String,
    form: String,
}

impl Target {
    async fn once(&self, run: &str, n: u64) -> bool {
        let url = format!("{}{}", self.url, self.path);
        let req = match run {
            "page" => self.http.get(&url),
            "page_304" => self.http.get(&url).header("if-none-match", &self.etag),
            _ => self
                .http
                .post(&url)
                .header("content-type", "application/json")
                .body(
                    json!({ "_form": self.form, "_t": self.token, "email": format!("load-{n}-{}@bench.test", std::process::id()), "_consent": true })
                        .to_string(),
                ),
        };
        let want = if run == "page_304" { 304 } else { 200 };
        match req
            .header("host", &self.host)
            .header("user-agent", "Mozilla/5.0 (canopy-bench)")
            .send()
            .await
        {
            Ok(r) => {
                let ok = r.status().as_u16() == want;
                let _ = r.bytes().await;
                ok
            }
            Err(_) => false,
        }
    }
}

async fn drive(t: &Target, run: &str, args: &Args) {
    let stop = Arc::new(AtomicBool::new(false));
    let counter = Arc::new(AtomicU64::new(0));
    let measuring = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for _ in 0..args.connections {
        let (t, run, stop, counter, measuring) = (
            t.clone(),
            run.to_owned(),
            stop.clone(),
            counter.clone(),
            measuring.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let (mut lat, mut errors) = (Vec::new(), 0u64);
            while !stop.load(Ordering::Relaxed) {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                let at = Instant::now();
                let ok = t.once(&run, n).await;
                if measuring.load(Ordering::Relaxed) {
                    lat.push(at.elapsed().as_secs_f64() * 1000.0);
                    errors += u64::from(!ok);
                }
            }
            (lat, errors)
        }));
    }
    tokio::time::sleep(Duration::from_secs(args.warmup)).await;
    let ticks = tests::measure::clock_ticks();
    let cpu0 = args.gateway_pid.map(|p| tests::measure::cpu_ms(p, ticks));
    let st0 = tests::measure::statements(&t.http, &t.url).await;
    measuring.store(true, Ordering::Relaxed);
    let start = Instant::now();
    tokio::time::sleep(Duration::from_secs(args.seconds)).await;
    measuring.store(false, Ordering::Relaxed);
    let elapsed = start.elapsed().as_secs_f64();
    let cpu1 = args.gateway_pid.map(|p| tests::measure::cpu_ms(p, ticks));
    let st1 = tests::measure::statements(&t.http, &t.url).await;
    stop.store(true, Ordering::Relaxed);
    let (mut lat, mut errors) = (Vec::new(), 0);
    for task in tasks {
        if let Ok((l, e)) = task.await {
            lat.extend(l);
            errors += e;
        }
    }
    lat.sort_by(f64::total_cmp);
    let n = lat.len().max(1) as f64;
    let cpu = match (cpu0, cpu1) {
        (Some(a), Some(b)) => format!("{:.3}", (b - a) / n),
        _ => "-".into(),
    };
    let stmts = match (st0, st1) {
        (Some(a), Some(b)) => format!("{:.1}", (b - a) / n),
        _ => "-".into(),
    };
    println!(
        "| {run} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} | {errors} | {cpu} | {stmts} |",
        lat.len() as f64 / elapsed,
        percentile(&lat, 0.5),
        percentile(&lat, 0.9),
        percentile(&lat, 0.99),
        lat.last().copied().unwrap_or(0.0),
    );
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let args = Args::parse();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(args.connections)
        .build()
        .map_err(|e| e.to_string())?;
    let first = http
        .get(format!("{}{}", args.url, args.path))
        .header("host", &args.host)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if first.status() != 200 {
        return Err(format!("the page answered {}", first.status()));
    }
    let etag = first
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let html = first.text().await.map_err(|e| e.to_string())?;
    let token = tests::form_token(&html).unwrap_or_default().to_owned();
    let t = Target {
        http,
        url: args.url.clone(),
        host: args.host.clone(),
        path: args.path.clone(),
        etag,
        token,
        form: args.form.clone(),
    };
    println!(
        "| run | req/s | p50 ms | p90 ms | p99 ms | max ms | errors | gateway CPU ms/req | SQL statements/req |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for run in &args.runs {
        drive(&t, run, &args).await;
    }
    Ok(())
}
