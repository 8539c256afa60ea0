//! The command line: `migrate` and `seed-demo`, both idempotent. (`print-schema` is what
//! `schema::schema_graphql_is_current` compares with.)

use clap::Parser;
use sea_orm::{ConnectionTrait, Database, Statement};

async fn count(url: &str, table: &str) -> i64 {
    let db = Database::connect(url).await.expect("connect");
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT COUNT(*) AS n FROM {table}"),
        ))
        .await
        .expect("count")
        .expect("row");
    row.try_get::<i64>("", "n").expect("n")
}

#[tokio::test]
async fn migrate_and_seed_demo_are_idempotent() {
    let dir = std::env::temp_dir().join(format!("canopy-cli-{}", uuid::Uuid::now_v7().simple()));
    let url = format!("sqlite://{}/canopy.db?mode=rwc", dir.display());
    let run = |args: &[&str]| {
        let mut argv = vec![
            "canopy",
            "--database-url",
            &url,
            "--argon2-memory-kib",
            "1024",
            "--argon2-iterations",
            "1",
        ];
        argv.extend_from_slice(args);
        gateway::cli::Cli::parse_from(argv)
    };
    gateway::cli::run(run(&["migrate"])).await.expect("migrate");
    gateway::cli::run(run(&["migrate"]))
        .await
        .expect("migrate twice");
    assert_eq!(count(&url, "users").await, 0);
    gateway::cli::run(run(&["seed-demo"])).await.expect("seed");
    let users = count(&url, "users").await;
    let agencies = count(&url, "agencies").await;
    assert_eq!(
        (users, agencies),
        (7, 3),
        "the demo tree: users and agencies"
    );
    assert_eq!(count(&url, "resellers").await, 1);
    assert_eq!(count(&url, "sub_accounts").await, 4);
    // Bright Dental's CRM and pipeline, and a client of each agency Northstar sold, made
    // through the services.
    assert_eq!(
        (
            count(&url, "contacts").await,
            count(&url, "contact_field_values").await,
            count(&url, "tickets").await,
            count(&url, "tasks").await,
        ),
        (7, 3, 3, 1)
    );
    assert_eq!(
        count(&url, "funnel_page_versions").await,
        1,
        "the demo funnel's page is published"
    );
    assert_eq!(
        count(
            &url,
            "agencies a WHERE NOT EXISTS (SELECT 1 FROM contacts c WHERE c.agency_id = a.id)"
        )
        .await,
        0,
        "every demo agency has contacts in a sub-account"
    );
    assert!(count(&url, "events WHERE event_type = 'ticket.created'").await == 3);
    gateway::cli::run(run(&["seed-demo"]))
        .await
        .expect("seed again");
    assert_eq!(
        (count(&url, "users").await, count(&url, "agencies").await),
        (users, agencies),
        "seeding twice changes nothing"
    );
    assert_eq!(count(&url, "contacts").await, 7);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_taken_port_is_reported_before_the_database_is_touched() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr").to_string();
    let dir = std::env::temp_dir().join(format!("canopy-cli-{}", uuid::Uuid::now_v7().simple()));
    let url = format!("sqlite://{}/canopy.db?mode=rwc", dir.display());
    let cli = gateway::cli::Cli::parse_from(["canopy", "--database-url", &url, "--listen", &addr]);
    let err = gateway::cli::run(cli).await.expect_err("the port is taken");
    assert!(
        err.starts_with(&format!("cannot listen on {addr}")),
        "{err}"
    );
    assert!(
        !dir.join("canopy.db").exists(),
        "nothing was migrated or seeded"
    );
}
