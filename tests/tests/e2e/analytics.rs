//! Analytics end to end: the metrics a sub-account's changes move match a recount from the
//! source tables, before and after the fold; an agency's rollup is its sub-accounts' sum; days
//! are the sub-account's own; bad ranges and other tenants are refused.

use chrono::{Duration, Utc};
use serde_json::{Value, json};
use tests::{Session, TestApp, spawn_app};

const METRICS: &str = "query($s: ID!, $m: [Metric!]!, $f: NaiveDate!, $t: NaiveDate!, $g: Granularity, $split: Boolean) { metrics(scopeId: $s, metrics: $m, from: $f, to: $t, granularity: $g, split: $split) { upToDate series { metric dimension count sum points { start count sum average } } } }";

const ALL: [&str; 9] = [
    "CONTACTS_CREATED",
    "TICKETS_CREATED",
    "TICKETS_WON",
    "TICKETS_LOST",
    "APPOINTMENTS_BOOKED",
    "APPOINTMENTS_KEPT",
    "APPOINTMENTS_NO_SHOW",
    "APPOINTMENTS_CANCELLED",
    "REVIEWS_RECEIVED",
];

/// `metrics` of `scope` around today: each metric's (count, sum) over the range.
async fn totals(app: &TestApp, who: &Session, scope: &str) -> Vec<(String, i64, i64)> {
    let today = Utc::now().date_naive();
    let r = app
        .gql(
            Some(&who.access),
            METRICS,
            json!({ "s": scope, "m": ALL, "f": today - Duration::days(2), "t": today + Duration::days(2) }),
        )
        .await
        .ok();
    assert_eq!(r.data("metrics.upToDate"), true, "{}", r.body);
    r.data("metrics.series")
        .as_array()
        .expect("series")
        .iter()
        .map(|s| {
            (
                s["metric"].as_str().expect("metric").to_owned(),
                s["count"].as_i64().expect("count"),
                s["sum"].as_i64().expect("sum"),
            )
        })
        .collect()
}

/// The same numbers counted from the source tables.
async fn recount(app: &TestApp, sub: &str) -> Vec<(String, i64, i64)> {
    let id = tests::uuid_of(sub);
    let n = |table: &'static str, cond: &'static str| async move {
        app.count_where(table, &format!("sub_account_id = $1 {cond}"), id)
            .await
    };
    let sum = |sql: &'static str| async move { app.scalar(sql, id).await };
    vec![
        ("CONTACTS_CREATED".into(), n("contacts", "").await, 0),
        ("TICKETS_CREATED".into(), n("tickets", "").await, 0),
        (
            "TICKETS_WON".into(),
            n("tickets", "AND status = 'won'").await,
            sum("SELECT CAST(COALESCE(SUM(value_minor), 0) AS BIGINT) AS n FROM tickets WHERE sub_account_id = $1 AND status = 'won'").await,
        ),
        (
            "TICKETS_LOST".into(),
            n("tickets", "AND status = 'lost'").await,
            sum("SELECT CAST(COALESCE(SUM(value_minor), 0) AS BIGINT) AS n FROM tickets WHERE sub_account_id = $1 AND status = 'lost'").await,
        ),
        ("APPOINTMENTS_BOOKED".into(), n("appointments", "").await, 0),
        (
            "APPOINTMENTS_KEPT".into(),
            n("appointments", "AND status = 'completed'").await,
            0,
        ),
        (
            "APPOINTMENTS_NO_SHOW".into(),
            n("appointments", "AND status = 'no_show'").await,
            0,
        ),
        (
            "APPOINTMENTS_CANCELLED".into(),
            n("appointments", "AND status = 'cancelled'").await,
            0,
        ),
        (
            "REVIEWS_RECEIVED".into(),
            n("reviews", "AND rating IS NOT NULL").await,
            sum("SELECT CAST(COALESCE(SUM(rating), 0) AS BIGINT) AS n FROM reviews WHERE sub_account_id = $1")
                .await,
        ),
    ]
}

async fn ok(app: &TestApp, who: &Session, query: &str, vars: Value, field: &str) -> Value {
    let r = app.gql(Some(&who.access), query, vars).await.ok();
    assert_eq!(r.user_errors(field), vec![], "{}", r.body);
    r.data(field).clone()
}

/// Tickets created, won, lost, reopened and revalued; reviews; an appointment booked and one
/// cancelled, in `sub`.
async fn activity(app: &TestApp, who: &Session, sub: &str) {
    let p = ok(app, who, "mutation($s: ID!) { pipelineCreate(input: { subAccountId: $s, name: \"Sales\" }) { pipeline { lanes { id } } userErrors { field code } } }", json!({ "s": sub }), "pipelineCreate").await;
    let lane = p["pipeline"]["lanes"][0]["id"].clone();
    let mut tickets = Vec::new();
    for (title, value) in [("A", 1_000), ("B", 2_500), ("C", 700), ("D", 90)] {
        let t = ok(app, who, "mutation($l: ID!, $t: String!, $v: Int) { ticketCreate(input: { laneId: $l, title: $t, value: $v }) { ticket { id } userErrors { field code } } }", json!({ "l": lane, "t": title, "v": value }), "ticketCreate").await;
        tickets.push(t["ticket"]["id"].clone());
    }
    let close = "mutation($t: ID!, $o: TicketOutcome!) { ticketClose(input: { ticketId: $t, outcome: $o }) { ticket { id } userErrors { field code } } }";
    for (t, o) in [(0, "WON"), (1, "WON"), (2, "LOST"), (3, "WON")] {
        ok(
            app,
            who,
            close,
            json!({ "t": tickets[t], "o": o }),
            "ticketClose",
        )
        .await;
    }
    // B reopens (no longer won), D is lost after all, A's value changes while won.
    ok(
        app,
        who,
        "mutation($t: ID!) { ticketReopen(id: $t) { ticket { id } userErrors { field code } } }",
        json!({ "t": tickets[1] }),
        "ticketReopen",
    )
    .await;
    ok(
        app,
        who,
        close,
        json!({ "t": tickets[3], "o": "LOST" }),
        "ticketClose",
    )
    .await;
    ok(app, who, "mutation($t: ID!) { ticketUpdate(id: $t, input: { value: 1200 }) { ticket { id } userErrors { field code } } }", json!({ "t": tickets[0] }), "ticketUpdate").await;
    for rating in [5, 3] {
        ok(app, who, "mutation($s: ID!, $r: Int!) { reviewRecord(input: { subAccountId: $s, platform: GOOGLE, rating: $r }) { review { id } userErrors { field code } } }", json!({ "s": sub, "r": rating }), "reviewRecord").await;
    }
    let (_, _, appointment) = super::calendars::booked(app, who, sub).await;
    ok(app, who, "mutation($a: ID!) { appointmentCancel(id: $a, reason: \"Ill\") { appointment { id } userErrors { field code } } }", json!({ "a": appointment }), "appointmentCancel").await;
    // Two more, moved an hour back (as if time had passed): one kept, one missed.
    for close in ["appointmentComplete", "appointmentMarkNoShow"] {
        let (_, _, a) = super::calendars::booked(app, who, sub).await;
        started_an_hour_ago(app, &a).await;
        let m = format!(
            "mutation($a: ID!) {{ {close}(id: $a) {{ appointment {{ id }} userErrors {{ field code }} }} }}"
        );
        ok(app, who, &m, json!({ "a": a }), close).await;
    }
}

/// Moves an appointment's start an hour back, in the database (the API books only ahead).
async fn started_an_hour_ago(app: &TestApp, id: &str) {
    use sea_orm::ConnectionTrait;
    let start = Utc::now() - Duration::hours(1);
    app.db
        .execute_raw(sea_orm::Statement::from_sql_and_values(
            app.db.get_database_backend(),
            "UPDATE appointments SET starts_at = $1, ends_at = $2 WHERE id = $3",
            [
                start.into(),
                (start + Duration::minutes(30)).into(),
                tests::uuid_of(id).into(),
            ],
        ))
        .await
        .expect("move the appointment");
}

/// Waits for the server's fold to take every pending delta.
async fn folded(app: &TestApp) {
    for _ in 0..200 {
        if app.count("metric_deltas").await == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the fold did not run");
}

#[tokio::test]
async fn metrics_match_a_recount_before_and_after_the_fold_and_roll_up_per_agency() {
    let app = spawn_app().await;
    let w = app.world().await;
    activity(&app, &w.owner, &w.dental).await;
    for name in ["Ann", "Bo"] {
        app.create_contact(&w.owner, &w.gardens, json!({ "firstName": name }))
            .await;
    }
    // At once (deltas not folded yet are added)...
    let dental = recount(&app, &w.dental).await;
    assert_eq!(totals(&app, &w.owner, &w.dental).await, dental);
    assert_eq!(dental[2], ("TICKETS_WON".into(), 1, 1_200));
    assert_eq!(dental[8], ("REVIEWS_RECEIVED".into(), 2, 8));
    assert_eq!(dental[5], ("APPOINTMENTS_KEPT".into(), 1, 0));
    // ...and once the fold has taken them all.
    folded(&app).await;
    assert!(app.count("metric_daily").await > 0);
    assert_eq!(totals(&app, &w.owner, &w.dental).await, dental);
    let gardens = recount(&app, &w.gardens).await;
    assert_eq!(totals(&app, &w.owner, &w.gardens).await, gardens);
    let rollup: Vec<(String, i64, i64)> = dental
        .iter()
        .zip(&gardens)
        .map(|(d, g)| (d.0.clone(), d.1 + g.1, d.2 + g.2))
        .collect();
    assert_eq!(totals(&app, &w.owner, &w.agency).await, rollup);
    // A deleted sub-account leaves the rollup, and its own metrics are not found.
    ok(&app, &w.owner, "mutation($s: ID!) { subAccountDelete(id: $s) { subAccount { id } userErrors { field code } } }", json!({ "s": w.gardens }), "subAccountDelete").await;
    assert_eq!(totals(&app, &w.owner, &w.agency).await, dental);
    let today = Utc::now().date_naive();
    let r = app
        .gql(
            Some(&w.owner.access),
            METRICS,
            json!({ "s": w.gardens, "m": ["CONTACTS_CREATED"], "f": today, "t": today }),
        )
        .await;
    assert_eq!(r.error_code(), Some("NOT_FOUND"), "{}", r.body);
}

#[tokio::test]
async fn days_are_the_sub_accounts_own_and_splits_name_their_source() {
    let app = spawn_app().await;
    let w = app.world().await;
    ok(&app, &w.owner, "mutation($s: ID!) { subAccountUpdate(id: $s, input: { timezone: \"Pacific/Kiritimati\" }) { subAccount { id } userErrors { field code } } }", json!({ "s": w.dental }), "subAccountUpdate").await;
    app.create_contact(&w.owner, &w.dental, json!({ "firstName": "Kiri" }))
        .await;
    // UTC+14 all year.
    let local = (Utc::now() + Duration::hours(14)).date_naive();
    let utc = Utc::now().date_naive();
    let vars = json!({ "s": w.dental, "m": ["CONTACTS_CREATED", "TICKETS_CREATED"], "f": utc - Duration::days(1), "t": utc + Duration::days(1), "split": true });
    let r = app
        .gql(Some(&w.owner.access), METRICS, vars.clone())
        .await
        .ok();
    // Folded, the answer is the same: the split's daily row, and no total row beside it.
    folded(&app).await;
    let again = app.gql(Some(&w.owner.access), METRICS, vars).await.ok();
    assert_eq!(again.data("metrics"), r.data("metrics"));
    let series = r.data("metrics.series");
    // A metric without splits answers one series with no split.
    assert_eq!(series[1]["metric"], "TICKETS_CREATED", "{}", r.body);
    assert_eq!(series[1]["dimension"], Value::Null);
    assert_eq!(series[0]["dimension"], "manual", "{}", r.body);
    let days: Vec<&Value> = series[0]["points"]
        .as_array()
        .expect("points")
        .iter()
        .filter(|p| p["count"] != 0)
        .collect();
    assert_eq!(days.len(), 1, "{}", r.body);
    assert_eq!(days[0]["start"], local.to_string());
    assert_eq!(days[0]["count"], 1);
    // A month answers one point per month, starting on the 1st.
    let r = app
        .gql(
            Some(&w.owner.access),
            METRICS,
            json!({ "s": w.dental, "m": ["CONTACTS_CREATED", "REVIEWS_RECEIVED"], "f": local, "t": local, "g": "MONTH" }),
        )
        .await
        .ok();
    let series = r.data("metrics.series");
    let points = &series[0]["points"];
    assert_eq!(points.as_array().map(Vec::len), Some(1), "{}", r.body);
    assert!(points[0]["start"].as_str().expect("start").ends_with("-01"));
    // Contacts only count; reviews average their ratings, and nothing has no average.
    assert_eq!(points[0]["average"], Value::Null);
    assert_eq!(series[1]["points"][0]["average"], Value::Null);
}

#[tokio::test]
async fn bad_ranges_other_tenants_and_missing_permissions_are_refused() {
    let app = spawn_app().await;
    let w = app.world().await;
    let today = Utc::now().date_naive();
    let ask = |who: &Session, scope: &str, m: Value, f: chrono::NaiveDate, t: chrono::NaiveDate| {
        let vars = json!({ "s": scope, "m": m, "f": f, "t": t });
        let token = who.access.clone();
        let app = &app;
        async move { app.gql(Some(&token), METRICS, vars).await }
    };
    let r = ask(
        &w.owner,
        &w.dental,
        json!(["TICKETS_WON"]),
        today,
        today - Duration::days(1),
    )
    .await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"), "{}", r.body);
    let r = ask(
        &w.owner,
        &w.dental,
        json!(["TICKETS_WON"]),
        today - Duration::days(800),
        today,
    )
    .await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"), "{}", r.body);
    let r = ask(&w.owner, &w.dental, json!([]), today, today).await;
    assert_eq!(r.error_code(), Some("BAD_USER_INPUT"), "{}", r.body);
    // Another tenant's sub-account and agency do not exist.
    let rival = app.user("owner@rival.test").await;
    app.agency(&w.admin, "Rival", "owner@rival.test").await;
    for scope in [&w.dental, &w.agency] {
        let r = ask(&rival, scope, json!(["TICKETS_WON"]), today, today).await;
        assert_eq!(r.error_code(), Some("NOT_FOUND"), "{}", r.body);
    }
    // A sub-account's user sees neither its metrics (no REPORTS_READ) nor the agency's.
    let user = app
        .member("clerk@dental.test", &w.dental, kernel::Role::SubaccountUser)
        .await;
    let r = ask(&user, &w.dental, json!(["TICKETS_WON"]), today, today).await;
    assert_eq!(r.error_code(), Some("FORBIDDEN"), "{}", r.body);
    let r = ask(&user, &w.agency, json!(["TICKETS_WON"]), today, today).await;
    assert_eq!(r.error_code(), Some("NOT_FOUND"), "{}", r.body);
}
