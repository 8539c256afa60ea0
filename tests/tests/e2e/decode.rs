//! Decoding PostgreSQL's values as the vendored sqlx-postgres does it (vendor/README.md): a
//! binary timestamp is converted from the Unix epoch in one step, and must read exactly as the
//! value PostgreSQL holds, at both ends of the range, and fail (not panic) beyond it.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use tests::{TestApp, spawn_app};

/// One row for each of `literals`, read by a prepared statement (binary results): column `t`
/// holds it as a `timestamp`, and `tz` as the `timestamptz` of that time in UTC; `None` on
/// SQLite.
async fn timestamps(app: &TestApp, literals: &[&str]) -> Option<Vec<sea_orm::QueryResult>> {
    app.pg_addr()?;
    let db = sea_orm::Database::connect(app.config.database_url())
        .await
        .expect("connect");
    let mut out = Vec::new();
    for l in literals {
        let sql = format!("SELECT TIMESTAMP '{l}' AS t, TIMESTAMP '{l}' AT TIME ZONE 'UTC' AS tz");
        let row = db
            .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
            .await
            .expect("the select runs")
            .expect("a row");
        out.push(row);
    }
    Some(out)
}

fn at(y: i32, m: u32, d: u32, h: u32, min: u32, s: u32, micro: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(y, m, d)
        .and_then(|d| d.and_hms_micro_opt(h, min, s, micro))
        .expect("a valid time")
}

#[tokio::test]
async fn timestamps_read_exactly_as_postgres_holds_them() {
    let app = spawn_app().await;
    let cases = [
        ("2000-01-01 00:00:00", at(2000, 1, 1, 0, 0, 0, 0)),
        (
            "1999-12-31 23:59:59.999999",
            at(1999, 12, 31, 23, 59, 59, 999_999),
        ),
        ("1970-01-01 00:00:00", at(1970, 1, 1, 0, 0, 0, 0)),
        (
            "1969-12-31 23:59:59.000001",
            at(1969, 12, 31, 23, 59, 59, 1),
        ),
        (
            "2026-12-06 20:39:50.123456",
            at(2026, 12, 6, 20, 39, 50, 123_456),
        ),
        ("2400-02-29 12:00:00", at(2400, 2, 29, 12, 0, 0, 0)),
        ("1900-03-01 00:00:00.5", at(1900, 3, 1, 0, 0, 0, 500_000)),
        ("0001-01-01 00:00:00", at(1, 1, 1, 0, 0, 0, 0)),
        ("4713-01-01 00:00:00 BC", at(-4712, 1, 1, 0, 0, 0, 0)),
        (
            "9999-12-31 23:59:59.999999",
            at(9999, 12, 31, 23, 59, 59, 999_999),
        ),
    ];
    let literals: Vec<&str> = cases.iter().map(|(l, _)| *l).collect();
    let Some(rows) = timestamps(&app, &literals).await else {
        return;
    };
    for ((literal, want), row) in cases.iter().zip(rows) {
        let t: NaiveDateTime = row.try_get("", "t").expect("t decodes");
        let tz: DateTime<Utc> = row.try_get("", "tz").expect("tz decodes");
        assert_eq!(t, *want, "timestamp {literal}");
        assert_eq!(tz, want.and_utc(), "timestamptz {literal}");
    }
}

#[tokio::test]
async fn a_timestamp_chrono_cannot_hold_is_an_error_not_a_panic() {
    let app = spawn_app().await;
    // `±infinity`, and a year past chrono's last (262,143).
    let literals = ["infinity", "-infinity", "294276-12-31 23:59:59"];
    let Some(rows) = timestamps(&app, &literals).await else {
        return;
    };
    for row in rows {
        assert!(row.try_get::<NaiveDateTime>("", "t").is_err());
        assert!(row.try_get::<DateTime<Utc>>("", "tz").is_err());
    }
}
