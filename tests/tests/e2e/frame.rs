//! The request frame: round trips to PostgreSQL per request, counted on the wire by a proxy in
//! front of a replica (`tests::wire`), for the benchmark's queries on a small board.

use kernel::Role;
use serde_json::{Value, json};
use tests::wire::RoundTrips;
use tests::{TestApp, World, spawn_app};

const BOARD: &str = "query($id: ID!) { node(id: $id) { ... on Pipeline { name lanes { id name ticketCount ticketValue { amount currency } tickets(first: 20) { nodes { id title value { amount } contact { id firstName lastName } assignee { id name } tags { id name color } } } } } } }";
const SUB_ACCOUNTS: &str = "query($id: ID!) { node(id: $id) { ... on Agency { subAccounts(first: 20) { nodes { id name contactCount openTicketCount memberCount } } } } }";
const CONTACTS: &str = "query($s: ID!) { contacts(subAccountId: $s, first: 50, sort: NAME_ASC) { nodes { id firstName lastName email phone owner { id name } tags { id name } customValues { field { id name } text } } } }";
const LOOKUP: &str = "query($id: ID!) { node(id: $id) { ... on Contact { id firstName lastName email phone status createdAt } } }";
const MOVE: &str = "mutation($t: ID!, $l: ID!) { ticketMove(input: { ticketId: $t, laneId: $l }) { ticket { id } userErrors { code } } }";

/// Round trips around a query's statements: the `ROLLBACK` of its read-only transaction, which
/// goes with the ping sqlx sends as the pool takes the connection back (one round trip, after
/// the response). Its `BEGIN` with the settings (the tenant, the user's opening, read-only
/// mode: one simple query, which the driver's statement count does not see) goes in the same
/// write as its first statement, and is answered in the same round trip.
const READ_FRAME: u64 = 1;

/// Round trips around a mutation's statements: `BEGIN` with the settings and, for a document
/// of one mutation, its savepoint (one simple query), `COMMIT`, and the pool's ping.
const WRITE_FRAME: u64 = 3;

/// A pipeline of three lanes with two tickets each (a contact, an assignee and a tag on
/// each); returns the pipeline, its lanes, a ticket and a contact.
async fn board(app: &TestApp, w: &World) -> (String, Vec<String>, String, String) {
    let owner = &w.owner;
    let tag = app
        .gql(
            Some(&owner.access),
            "mutation($i: TagCreateInput!) { tagCreate(input: $i) { tag { id } } }",
            json!({ "i": { "subAccountId": w.dental, "name": "hot" } }),
        )
        .await
        .ok()
        .data("tagCreate.tag.id")
        .clone();
    let p = app
        .gql(
            Some(&owner.access),
            "mutation($i: PipelineCreateInput!) { pipelineCreate(input: $i) { pipeline { id lanes { id } } } }",
            json!({ "i": { "subAccountId": w.dental, "name": "Sales" } }),
        )
        .await
        .ok()
        .data("pipelineCreate.pipeline")
        .clone();
    let lanes: Vec<String> = p["lanes"].as_array().expect("lanes")[..3]
        .iter()
        .map(|l| l["id"].as_str().expect("lane").to_owned())
        .collect();
    let mut ticket = String::new();
    let mut contact = String::new();
    for (i, lane) in lanes.iter().enumerate() {
        for j in 0..2 {
            contact = app
                .create_contact(
                    owner,
                    &w.dental,
                    json!({ "firstName": format!("C{i}{j}"), "ownerId": owner.user_id }),
                )
                .await;
            let input = json!({ "laneId": lane, "title": format!("T{i}{j}"), "value": 100, "contactId": contact, "assigneeId": owner.user_id, "tagIds": [tag] });
            ticket = app
                .gql(
                    Some(&owner.access),
                    "mutation($i: TicketCreateInput!) { ticketCreate(input: $i) { ticket { id } } }",
                    json!({ "i": input }),
                )
                .await
                .ok()
                .data("ticketCreate.ticket.id")
                .as_str()
                .expect("ticket")
                .to_owned();
        }
    }
    let id = p["id"].as_str().expect("pipeline").to_owned();
    (id, lanes, ticket, contact)
}

/// The round trips and statements of one request, after warming every connection.
async fn cost(
    replica: &TestApp,
    wire: &RoundTrips,
    token: &str,
    query: &str,
    vars: Value,
) -> (u64, u64) {
    for _ in 0..4 {
        replica.gql(Some(token), query, vars.clone()).await.ok();
    }
    let before = wire.settled().await;
    let statements = replica.statements_for(token, query, vars).await;
    (wire.settled().await - before, statements)
}

#[tokio::test]
async fn a_warm_read_costs_its_statements_plus_the_release() {
    let app = spawn_app().await;
    let Some(upstream) = app.pg_addr() else {
        return; // Round trips are PostgreSQL's.
    };
    let w = app.world().await;
    let member = app
        .member("dana@acme.test", &w.dental, Role::SubaccountAdmin)
        .await;
    let (pipeline, lanes, ticket, contact) = board(&app, &w).await;
    let wire = RoundTrips::start(upstream, "canopy").await;
    let mut config = app.config.clone();
    config.database_url = Some(wire.url(config.database_url()));
    config.db_max_connections = 2;
    let replica = app.replica_with(config).await;
    let token = &member.access;
    let reads = [
        ("lookup", LOOKUP, json!({ "id": contact }), 4),
        ("board", BOARD, json!({ "id": pipeline }), 6),
        ("contacts", CONTACTS, json!({ "s": w.dental }), 5),
    ];
    for (name, query, vars, target) in reads {
        let (trips, statements) = cost(&replica, &wire, token, query, vars).await;
        println!("{name}: {trips} round trips, {statements} statements (target {target})");
        // The frame adds the ROLLBACK sent with the driver's ping when the pool takes the
        // connection back, and nothing else: no ping when it hands it out, and the tenant, the
        // user's opening and read-only mode go with BEGIN, which goes with the first statement.
        assert_eq!(trips, statements + READ_FRAME, "{name}");
        // The page's owners come joined to the page, and the board's lanes to its pipeline.
        assert!(trips <= target, "{name} took {trips} round trips");
    }
    let (trips, statements) = cost(&replica, &wire, token, LOOKUP, json!({ "id": contact })).await;
    assert!(
        trips <= 2,
        "a lookup took {trips} round trips ({statements} statements)"
    );
    let agency_owner = &w.owner.access;
    let (trips, statements) = cost(
        &replica,
        &wire,
        agency_owner,
        SUB_ACCOUNTS,
        json!({ "id": w.agency }),
    )
    .await;
    println!("sub-accounts: {trips} round trips, {statements} statements (target 5)");
    assert_eq!(trips, statements + READ_FRAME, "sub-accounts");
    assert!(trips <= 5, "sub-accounts took {trips} round trips");
    // Moves back and forth first, so the one measured is warm.
    for l in [&lanes[1], &lanes[2], &lanes[1]] {
        replica
            .gql(Some(token), MOVE, json!({ "t": ticket, "l": l }))
            .await
            .ok();
    }
    let before = wire.settled().await;
    let moved = replica
        .statements_for(token, MOVE, json!({ "t": ticket, "l": lanes[0] }))
        .await;
    let trips = wire.settled().await - before;
    println!("move: {trips} round trips, {moved} statements (target 8)");
    // A document of one mutation opens its savepoint in BEGIN's round trip and never releases
    // it; the move opens none of its own (its lane's lock is no write).
    assert_eq!(
        trips,
        moved + WRITE_FRAME,
        "move: {trips} round trips, {moved} statements"
    );
    // The ticket with its lane under the lane's lock, the neighbour's rank, the update with
    // its lane history and its event (one statement), and the audit row. (Target 8.)
    assert!(trips <= 7, "move took {trips} round trips");
}

#[tokio::test]
async fn a_loader_batch_is_one_statement_whatever_its_size() {
    let app = spawn_app().await;
    let Some(upstream) = app.pg_addr() else {
        return; // Prepared statements are PostgreSQL's.
    };
    let w = app.world().await;
    for i in 0..8 {
        app.create_contact(
            &w.owner,
            &w.dental,
            json!({ "firstName": format!("C{i}"), "ownerId": w.owner.user_id }),
        )
        .await;
    }
    let wire = RoundTrips::start(upstream, "canopy").await;
    let mut config = app.config.clone();
    config.database_url = Some(wire.url(config.database_url()));
    // One connection: every statement it prepared is in its cache.
    config.db_max_connections = 1;
    let replica = app.replica_with(config).await;
    let page = "query($s: ID!, $n: Int!) { contacts(subAccountId: $s, first: $n, sort: NAME_ASC) { nodes { id owner { id } tags { id } customValues { text } } } }";
    let token = &w.owner.access;
    // A page of up to 20 fetches 21 rows, and one of 21 to 50 fetches 51
    // (`kernel::connection::Page::fetch_limit`): one list statement a band.
    for n in [8, 30] {
        cost(
            &replica,
            &wire,
            token,
            page,
            json!({ "s": w.dental, "n": n }),
        )
        .await;
    }
    // Pages of other sizes batch other numbers of contacts: the loaders' statements are the
    // ones already prepared, and so is the list's, so no round trip prepares one.
    for n in [1, 3, 5, 40] {
        let before = wire.settled().await;
        let statements = replica
            .statements_for(token, page, json!({ "s": w.dental, "n": n }))
            .await;
        let trips = wire.settled().await - before;
        assert_eq!(trips, statements + READ_FRAME, "a page of {n}");
    }
}

/// A pool of one connection to the test's database, as the app connects to it; `None` on
/// SQLite (a custom BEGIN is PostgreSQL's).
async fn one_connection(app: &TestApp) -> Option<sea_orm::DatabaseConnection> {
    app.pg_addr()?;
    let mut options = sea_orm::ConnectOptions::new(app.config.database_url().to_owned());
    options.max_connections(1).min_connections(0);
    Some(sea_orm::Database::connect(options).await.expect("connect"))
}

/// The tenant a fresh statement on the pool's connection sees (`''` when none).
async fn tenant_seen(db: &sea_orm::DatabaseConnection) -> String {
    use sea_orm::ConnectionTrait;
    let sql = "SELECT coalesce(current_setting('app.agency_id', true), '') AS v";
    db.query_one_raw(sea_orm::Statement::from_string(
        sea_orm::DbBackend::Postgres,
        sql,
    ))
    .await
    .expect("the next statement runs")
    .expect("a row")
    .try_get("", "v")
    .expect("v")
}

#[tokio::test]
async fn a_begin_dropped_while_it_runs_leaves_its_settings_on_no_pooled_connection() {
    let app = spawn_app().await;
    let Some(db) = one_connection(&app).await else {
        return;
    };
    // The pool's one connection is open, so the begin below is sent at once.
    assert_eq!(tenant_seen(&db).await, "");
    // A request timeout or a client gone drops the frame's future while the server runs it.
    let slow = db.begin_postgres_with(
        "BEGIN; SELECT set_config('app.agency_id', 'leaked', true), pg_sleep(1)".into(),
    );
    let dropped = tokio::time::timeout(std::time::Duration::from_millis(300), slow).await;
    assert!(dropped.is_err(), "the begin was still running");
    // Without the fix the pool takes the connection back once the server is done, and hands it
    // out here, still in that transaction.
    assert_eq!(tenant_seen(&db).await, "");
}

#[tokio::test]
async fn a_failed_begin_leaves_no_broken_connection_in_the_pool() {
    let app = spawn_app().await;
    let Some(db) = one_connection(&app).await else {
        return;
    };
    let failed = db
        .begin_postgres_with("BEGIN; SELECT set_config('app.agency_id', 'x', true), 1 / 0".into())
        .await;
    assert!(failed.is_err(), "division by zero");
    // Not an aborted transaction left on the pool's one connection.
    assert_eq!(tenant_seen(&db).await, "");
}

/// A pool of one connection to the test's database through `wire`, counted by it; `None` on
/// SQLite.
async fn one_counted_connection(
    app: &TestApp,
    wire: &RoundTrips,
) -> Option<sea_orm::DatabaseConnection> {
    app.pg_addr()?;
    let url = format!(
        "{}&application_name=canopy",
        wire.url(app.config.database_url())
    );
    let mut options = sea_orm::ConnectOptions::new(url);
    // As the app's pool: no ping as a connection is handed out.
    options
        .max_connections(1)
        .min_connections(0)
        .test_before_acquire(false);
    Some(sea_orm::Database::connect(options).await.expect("connect"))
}

/// The text column `v` of `sql`, a prepared statement of one parameter, `value`, on `db`.
async fn prepared_text(
    db: &impl sea_orm::ConnectionTrait,
    sql: &str,
    value: &str,
) -> Result<String, sea_orm::DbErr> {
    let row = db
        .query_one_raw(sea_orm::Statement::from_sql_and_values(
            sea_orm::DbBackend::Postgres,
            sql,
            [value.into()],
        ))
        .await?
        .expect("a row");
    row.try_get("", "v")
}

/// The tenant a prepared statement on `db` sees (`''` when none).
async fn tenant_seen_prepared(
    db: &impl sea_orm::ConnectionTrait,
) -> Result<String, sea_orm::DbErr> {
    let sql = "SELECT coalesce(current_setting($1, true), '') AS v";
    prepared_text(db, sql, "app.agency_id").await
}

/// `text`, read back by a prepared statement on `db`.
async fn echo(db: &impl sea_orm::ConnectionTrait, text: &str) -> Result<String, sea_orm::DbErr> {
    prepared_text(db, "SELECT $1::text AS v", text).await
}

/// A transaction on `db` whose begin sets the tenant to `slow` and sleeps a second, with a
/// read sent behind it and dropped (a timeout, a sibling field that failed) while the server
/// still runs the begin.
async fn a_read_dropped_behind_a_slow_begin(
    db: &sea_orm::DatabaseConnection,
) -> sea_orm::DatabaseTransaction {
    let slow = "BEGIN; SELECT set_config('app.agency_id', 'slow', true), pg_sleep(1)";
    let tx = db
        .begin_postgres_pipelined(slow.into())
        .await
        .expect("queued");
    let read = tokio::time::timeout(
        std::time::Duration::from_millis(100),
        tenant_seen_prepared(&tx),
    )
    .await;
    assert!(read.is_err(), "the begin was still running");
    tx
}

/// A read's `BEGIN; SELECT set_config(…)` that sets the tenant to `tenant`.
fn read_begin(tenant: &str) -> String {
    format!("BEGIN; SELECT set_config('app.agency_id', '{tenant}', true)")
}

#[tokio::test]
async fn a_read_s_begin_goes_with_its_first_prepared_statement_in_one_round_trip() {
    let app = spawn_app().await;
    let Some(upstream) = app.pg_addr() else {
        return;
    };
    let wire = RoundTrips::start(upstream, "canopy").await;
    let db = one_counted_connection(&app, &wire)
        .await
        .expect("PostgreSQL");
    // The first time, the statement is prepared, which waits for the begin first.
    let cold = db
        .begin_postgres_pipelined(read_begin("cold"))
        .await
        .expect("queued");
    assert_eq!(tenant_seen_prepared(&cold).await.expect("read"), "cold");
    drop(cold);
    // Then the begin goes in the statement's write, and the statement sees what it set.
    let warm = db
        .begin_postgres_pipelined(read_begin("warm"))
        .await
        .expect("queued");
    // The pool handed out its one connection once the ping of its release was answered.
    let before = wire.count();
    assert_eq!(tenant_seen_prepared(&warm).await.expect("read"), "warm");
    assert_eq!(wire.count() - before, 1, "one round trip for both");
    drop(warm);
    assert_eq!(
        tenant_seen(&db).await,
        "",
        "rolled back as the transaction was dropped"
    );
}

#[tokio::test]
async fn a_pipelined_begin_that_fails_returns_no_rows_and_leaves_the_pool_clean() {
    let app = spawn_app().await;
    let Some(db) = one_connection(&app).await else {
        return;
    };
    let failures = [
        "BEGIN; SELECT set_config('app.agency_id', 'x', true), 1 / 0",
        // Rejected whole, so the statement behind it runs outside any transaction.
        "BEGIN; SELEC 1",
        // Begins nothing, without an error.
        "SELECT set_config('app.agency_id', 'x', true)",
    ];
    for begin in failures {
        // Prepared on the connection (a failed begin closes it), so sent behind the begin.
        tenant_seen_prepared(&db).await.expect("prepared");
        let tx = db
            .begin_postgres_pipelined(begin.into())
            .await
            .expect("queued, not awaited");
        // Neither the statement sent with the begin nor any after it answers.
        for n in 1..=5 {
            let seen = tenant_seen_prepared(&tx).await;
            assert!(seen.is_err(), "{begin}: statement {n} answered {seen:?}");
        }
        drop(tx);
        assert_eq!(tenant_seen(&db).await, "", "{begin}");
    }
}

#[tokio::test]
async fn a_pipelined_begin_dropped_unsent_or_mid_flight_leaves_no_settings_behind() {
    let app = spawn_app().await;
    let Some(db) = one_connection(&app).await else {
        return;
    };
    tenant_seen_prepared(&db).await.expect("prepared");
    // Dropped before any statement: the begin was only queued.
    let unsent = db
        .begin_postgres_pipelined(read_begin("unsent"))
        .await
        .expect("queued");
    drop(unsent);
    assert_eq!(tenant_seen(&db).await, "");
    // Dropped while the server runs the begin and the statement behind it.
    drop(a_read_dropped_behind_a_slow_begin(&db).await);
    assert_eq!(tenant_seen(&db).await, "");
}

#[tokio::test]
async fn a_statement_after_one_dropped_behind_its_begin_reads_its_own_answer() {
    let app = spawn_app().await;
    let Some(db) = one_connection(&app).await else {
        return;
    };
    tenant_seen_prepared(&db).await.expect("prepared");
    echo(&db, "prepared").await.expect("prepared");
    // The dropped read's own answer is still to come when the next statement is sent.
    let tx = a_read_dropped_behind_a_slow_begin(&db).await;
    assert_eq!(echo(&tx, "mine").await.expect("read"), "mine");
    assert_eq!(
        tenant_seen_prepared(&tx).await.expect("read"),
        "slow",
        "in the begin's transaction"
    );
}
