//! A job worker process for the crash test: runs `test.effect` jobs from the database named
//! by its first argument, with a 2-second lease. Each run writes its effect, prints
//! `EFFECT <job id>`, and then never acknowledges, so the test can kill it between the effect
//! and the acknowledgement.

use std::io::Write;
use std::time::Duration;

#[tokio::main]
async fn main() {
    let Some(url) = std::env::args().nth(1) else {
        eprintln!("usage: job_worker <database url>");
        std::process::exit(2);
    };
    let mut config = kernel::Config::defaults();
    config.database_url = Some(url);
    let db = match kernel::pool::connect_job_runner(&config, 4).await {
        Ok(db) => db,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let mut registry = jobs::Registry::new();
    let handler_db = db.clone();
    registry.on("test.effect", jobs::Backoff::default(), move |run| {
        let db = handler_db.clone();
        async move {
            tests::effects::write(&db, run.id, run.attempt).await?;
            println!("EFFECT {}", run.id);
            let _ = std::io::stdout().flush();
            std::future::pending::<jobs::JobResult>().await
        }
    });
    let config = jobs::RuntimeConfig {
        workers: 1,
        poll: Duration::from_millis(50),
        lease: Duration::from_secs(2),
        ..jobs::RuntimeConfig::default()
    };
    let _runtime = jobs::Runtime::start(
        db,
        registry,
        config,
        std::sync::Arc::new(jobs::Metrics::default()),
    )
    .await
    .unwrap_or_else(|e| {
        eprintln!("{}", e.public_message());
        std::process::exit(1);
    });
    std::future::pending::<()>().await;
}
