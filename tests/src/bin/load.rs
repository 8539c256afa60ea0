//! `load`: the dashboard query mix against a running Canopy, with CPU and SQL statements per
//! request.
//!
//! It signs in as one user, picks that user's agency, its first sub-account, a pipeline, and
//! samples of contacts and tickets, then runs each query on its own for `--seconds` (after
//! `--warmup`) with `--connections` concurrent clients, every request with random variables
//! inside that tenant. Per query it reports requests/s, p50/p90/p99 latency, errors (any
//! GraphQL error counts), the gateway's CPU per request (from `/proc/<pid>/stat`), PostgreSQL's
//! (every `postgres` process in `/proc`) and SQL statements per request (the gateway's
//! `/metrics`, `canopy_sql_statements_total`).
//!
//! ```sh
//! cargo run --release -p tests --bin load -- --url http://127.0.0.1:8090 \
//!   --email owner@agency-0000.scale.test --password canopy-scale --gateway-pid $(pgrep -n canopy)
//! ```

use clap::Parser;
use rand::Rng;
use rand::SeedableRng;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tests::measure::percentile;

/// The dashboard query mix against a running Canopy.
#[derive(Parser, Debug)]
struct Args {
    /// The gateway's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// Sign in as.
    #[arg(long)]
    email: String,
    /// Password.
    #[arg(long)]
    password: String,
    /// Concurrent clients.
    #[arg(long, default_value_t = 8)]
    connections: usize,
    /// Measured seconds per query.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Warm-up seconds per query (not measured).
    #[arg(long, default_value_t = 2)]
    warmup: u64,
    /// The gateway's process id (for its CPU time); without it, gateway CPU is not reported.
    #[arg(long)]
    gateway_pid: Option<u32>,
    /// Which queries (comma-separated): board, sub_accounts, contacts, lookup, move, search,
    /// metrics (a sub-account's year of every metric by day), agency_metrics (the agency's
    /// year of every metric by month).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "board,sub_accounts,contacts,lookup,move,search"
    )]
    queries: Vec<String>,
    /// Random seed for the variables.
    #[arg(long, default_value_t = 7)]
    seed: u64,
}

const BOARD: &str = "query($id: ID!) { node(id: $id) { ... on Pipeline { name lanes { id name ticketCount ticketValue { amount currency } tickets(first: 20) { nodes { id title value { amount } contact { id firstName lastName } assignee { id name } tags { id name color } } } } } } }";
const SUB_ACCOUNTS: &str = "query($id: ID!) { node(id: $id) { ... on Agency { subAccounts(first: 20) { nodes { id name contactCount openTicketCount memberCount } } } } }";
const CONTACTS: &str = "query($s: ID!, $f: ContactFilterInput) { contacts(subAccountId: $s, first: 50, filter: $f, sort: NAME_ASC) { nodes { id firstName lastName email phone owner { id name } tags { id name } customValues { field { id name } text } } } }";
const LOOKUP: &str = "query($id: ID!) { node(id: $id) { ... on Contact { id firstName lastName email phone status createdAt } } }";
const MOVE: &str = "mutation($t: ID!, $l: ID!) { ticketMove(input: { ticketId: $t, laneId: $l }) { ticket { id } userErrors { code } } }";
const SEARCH: &str = "query($s: ID!, $q: String!) { contacts(subAccountId: $s, first: 20, filter: { search: $q }) { nodes { id firstName lastName email } } }";

const METRICS: &str = "query($s: ID!, $f: NaiveDate!, $t: NaiveDate!, $g: Granularity) { metrics(scopeId: $s, metrics: [CONTACTS_CREATED, TICKETS_CREATED, TICKETS_WON, TICKETS_LOST, APPOINTMENTS_BOOKED, APPOINTMENTS_KEPT, APPOINTMENTS_NO_SHOW, APPOINTMENTS_CANCELLED, REVIEWS_RECEIVED, REFERRALS_REDEEMED, FORMS_SUBMITTED], from: $f, to: $t, granularity: $g) { upToDate series { metric count sum points { start count sum average } } } }";

/// The year up to today, for the metrics queries.
fn year() -> (String, String) {
    let today = chrono::Utc::now().date_naive();
    (
        (today - chrono::Duration::days(364)).to_string(),
        today.to_string(),
    )
}

/// What the driver learned about its tenant.
struct Tenant {
    agency: String,
    sub_account: String,
    pipelines: Vec<String>,
    lanes: Vec<String>,
    contacts: Vec<String>,
    prefixes: Vec<String>,
    tickets: Vec<String>,
    tags: Vec<String>,
}

struct Client {
    http: reqwest::Client,
    url: String,
    token: String,
    agency: String,
}

impl Client {
    async fn gql(&self, query: &str, variables: Value) -> Result<Value, String> {
        let resp = self
            .http
            .post(format!("{}/graphql", self.url))
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {}", self.token))
            .header("canopy-agency", &self.agency)
            .body(json!({ "query": query, "variables": variables }).to_string())
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = resp.status();
        let body: Value = resp.json().await.map_err(|e| e.to_string())?;
        if !status.is_success() || body.get("errors").is_some() {
            return Err(format!("{status}: {body}"));
        }
        Ok(body)
    }
}

fn cpu_ms(pid: u32) -> f64 {
    use std::sync::OnceLock;
    static TICKS: OnceLock<f64> = OnceLock::new();
    tests::measure::cpu_ms(pid, *TICKS.get_or_init(tests::measure::clock_ticks))
}

/// CPU so far of each process named `postgres` (the server and its backends), by pid.
fn postgres_cpu() -> std::collections::HashMap<u32, f64> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return std::collections::HashMap::new();
    };
    dir.filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()))
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|c| c.trim() == "postgres")
        })
        .map(|pid| (pid, cpu_ms(pid)))
        .collect()
}

/// PostgreSQL's CPU between two readings: per process, so a backend that starts or ends in
/// between counts only its time inside the window (an ended one's last moments are lost).
fn postgres_cpu_since(before: &std::collections::HashMap<u32, f64>) -> f64 {
    postgres_cpu()
        .into_iter()
        .map(|(pid, now)| now - before.get(&pid).copied().unwrap_or(0.0))
        .filter(|d| *d > 0.0)
        .sum()
}

fn pick<'a>(rng: &mut rand::rngs::StdRng, v: &'a [String]) -> &'a str {
    &v[rng.random_range(0..v.len())]
}

/// The query text and random variables of one request.
fn request(name: &str, t: &Tenant, rng: &mut rand::rngs::StdRng) -> (&'static str, Value) {
    match name {
        "board" => (BOARD, json!({ "id": pick(rng, &t.pipelines) })),
        "sub_accounts" => (SUB_ACCOUNTS, json!({ "id": t.agency })),
        "contacts" => {
            let filter = if rng.random_bool(0.5) && !t.tags.is_empty() {
                json!({ "tagId": pick(rng, &t.tags) })
            } else {
                json!({ "status": "NEW" })
            };
            (CONTACTS, json!({ "s": t.sub_account, "f": filter }))
        }
        "lookup" => (LOOKUP, json!({ "id": pick(rng, &t.contacts) })),
        "metrics" => {
            let (from, to) = year();
            (
                METRICS,
                json!({ "s": t.sub_account, "f": from, "t": to, "g": "DAY" }),
            )
        }
        "agency_metrics" => {
            let (from, to) = year();
            (
                METRICS,
                json!({ "s": t.agency, "f": from, "t": to, "g": "MONTH" }),
            )
        }
        "move" => (
            MOVE,
            json!({ "t": pick(rng, &t.tickets), "l": pick(rng, &t.lanes) }),
        ),
        _ => (
            SEARCH,
            json!({ "s": t.sub_account, "q": pick(rng, &t.prefixes) }),
        ),
    }
}

async fn discover(c: &Client) -> Result<Tenant, String> {
    let r = c
        .gql(
            "query($a: ID!) { node(id: $a) { ... on Agency { subAccounts(first: 1) { nodes { id } } } } }",
            json!({ "a": c.agency }),
        )
        .await?;
    let sub = r["data"]["node"]["subAccounts"]["nodes"][0]["id"]
        .as_str()
        .ok_or("the agency has no sub-account")?
        .to_owned();
    let r = c
        .gql(
            "query($s: ID!) { pipelines(subAccountId: $s) { id lanes { id tickets(first: 100) { nodes { id } } } } tags(subAccountId: $s, first: 100) { nodes { id } } contacts(subAccountId: $s, first: 100) { nodes { id firstName } } }",
            json!({ "s": sub }),
        )
        .await?;
    let d = &r["data"];
    let strings = |v: &Value, f: &dyn Fn(&Value) -> Option<String>| -> Vec<String> {
        v.as_array().into_iter().flatten().filter_map(f).collect()
    };
    let pipelines = strings(&d["pipelines"], &|p| p["id"].as_str().map(str::to_owned));
    let first = d["pipelines"][0].clone();
    let lanes = strings(&first["lanes"], &|l| l["id"].as_str().map(str::to_owned));
    let mut tickets = Vec::new();
    for l in first["lanes"].as_array().into_iter().flatten() {
        tickets.extend(strings(&l["tickets"]["nodes"], &|t| {
            t["id"].as_str().map(str::to_owned)
        }));
    }
    let tags = strings(&d["tags"]["nodes"], &|t| {
        t["id"].as_str().map(str::to_owned)
    });
    let contacts = strings(&d["contacts"]["nodes"], &|c| {
        c["id"].as_str().map(str::to_owned)
    });
    let mut prefixes = strings(&d["contacts"]["nodes"], &|c| {
        c["firstName"].as_str().map(|n| n.chars().take(3).collect())
    });
    prefixes.sort();
    prefixes.dedup();
    if pipelines.is_empty() || lanes.is_empty() || tickets.is_empty() || contacts.is_empty() {
        return Err(format!("the tenant lacks data to drive: {r}"));
    }
    Ok(Tenant {
        agency: c.agency.clone(),
        sub_account: sub,
        pipelines,
        lanes,
        contacts,
        prefixes,
        tickets,
        tags,
    })
}

struct Outcome {
    latencies_us: Vec<u64>,
    errors: u64,
    first_error: Option<String>,
}

async fn drive(
    client: Arc<Client>,
    tenant: Arc<Tenant>,
    name: String,
    seed: u64,
    until: Arc<AtomicBool>,
) -> Outcome {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut out = Outcome {
        latencies_us: Vec::new(),
        errors: 0,
        first_error: None,
    };
    while !until.load(Ordering::Relaxed) {
        let (q, v) = request(&name, &tenant, &mut rng);
        let t0 = Instant::now();
        let r = client.gql(q, v).await;
        let us = u64::try_from(t0.elapsed().as_micros()).unwrap_or(u64::MAX);
        out.latencies_us.push(us);
        if let Err(e) = r {
            out.errors += 1;
            out.first_error.get_or_insert(e);
        }
    }
    out
}

async fn phase(
    client: &Arc<Client>,
    tenant: &Arc<Tenant>,
    name: &str,
    connections: usize,
    secs: u64,
    seed: u64,
) -> Vec<Outcome> {
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for i in 0..connections {
        tasks.push(tokio::spawn(drive(
            client.clone(),
            tenant.clone(),
            name.to_owned(),
            seed.wrapping_add(i as u64),
            stop.clone(),
        )));
    }
    tokio::time::sleep(Duration::from_secs(secs)).await;
    stop.store(true, Ordering::Relaxed);
    let mut out = Vec::new();
    for t in tasks {
        if let Ok(o) = t.await {
            out.push(o);
        }
    }
    out
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let args = Args::parse();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(args.connections * 2)
        .build()
        .map_err(|e| e.to_string())?;
    let r: Value = http
        .post(format!("{}/graphql", args.url))
        .header("content-type", "application/json")
        .body(json!({ "query": "mutation($i: SessionCreateInput!) { sessionCreate(input: $i) { session { accessToken } userErrors { message } } }", "variables": { "i": { "email": args.email, "password": args.password } } }).to_string())
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    let token = r["data"]["sessionCreate"]["session"]["accessToken"]
        .as_str()
        .ok_or(format!("cannot sign in: {r}"))?
        .to_owned();
    let r: Value = http
        .post(format!("{}/graphql", args.url))
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {token}"))
        .body(json!({ "query": "{ viewerMemberships { scope { kind id } } }" }).to_string())
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    let agency = r["data"]["viewerMemberships"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["scope"]["kind"] == "AGENCY")
        .and_then(|m| m["scope"]["id"].as_str())
        .ok_or(format!("the user belongs to no agency: {r}"))?
        .to_owned();
    let client = Arc::new(Client {
        http: http.clone(),
        url: args.url.clone(),
        token,
        agency,
    });
    let tenant = Arc::new(discover(&client).await?);
    println!(
        "tenant: {} pipelines, {} lanes, {} tickets, {} contacts sampled; {} connections, {} s per query after {} s warm-up",
        tenant.pipelines.len(),
        tenant.lanes.len(),
        tenant.tickets.len(),
        tenant.contacts.len(),
        args.connections,
        args.seconds,
        args.warmup
    );
    println!(
        "| query | req/s | p50 ms | p90 ms | p99 ms | errors | gateway CPU ms/req | PostgreSQL CPU ms/req | total CPU ms/req | statements/req |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for name in &args.queries {
        phase(
            &client,
            &tenant,
            name,
            args.connections,
            args.warmup,
            args.seed,
        )
        .await;
        let gw0 = args.gateway_pid.map(cpu_ms);
        let pg0 = postgres_cpu();
        let st0 = tests::measure::statements(&http, &args.url).await;
        let t0 = Instant::now();
        let outcomes = phase(
            &client,
            &tenant,
            name,
            args.connections,
            args.seconds,
            args.seed.wrapping_mul(31),
        )
        .await;
        let elapsed = t0.elapsed().as_secs_f64();
        let gw = args.gateway_pid.map(cpu_ms).zip(gw0).map(|(a, b)| a - b);
        let pg = postgres_cpu_since(&pg0);
        let st = tests::measure::statements(&http, &args.url)
            .await
            .zip(st0)
            .map(|(a, b)| a - b);
        // Milliseconds.
        let mut lat: Vec<f64> = outcomes
            .iter()
            .flat_map(|o| o.latencies_us.iter().map(|us| *us as f64 / 1000.0))
            .collect();
        lat.sort_by(f64::total_cmp);
        let n = lat.len().max(1) as f64;
        let errors: u64 = outcomes.iter().map(|o| o.errors).sum();
        let fmt = |v: Option<f64>, d: usize| v.map_or("-".to_owned(), |v| format!("{v:.d$}"));
        let gw_per = gw.map(|g| g / n);
        let pg_per = pg / n;
        println!(
            "| {name} | {:.0} | {:.2} | {:.2} | {:.2} | {errors} | {} | {:.3} | {} | {} |",
            lat.len() as f64 / elapsed,
            percentile(&lat, 0.5),
            percentile(&lat, 0.9),
            percentile(&lat, 0.99),
            fmt(gw_per, 3),
            pg_per,
            fmt(gw_per.map(|g| g + pg_per), 3),
            fmt(st.map(|s| s / n), 1),
        );
        if let Some(e) = outcomes.iter().find_map(|o| o.first_error.clone()) {
            eprintln!(
                "{name}: first error: {}",
                e.chars().take(300).collect::<String>()
            );
        }
    }
    Ok(())
}
