//! Retention: the hourly jobs purge expired sessions, refresh tokens and reset codes, and old
//! finished jobs; a run is bounded and a second one finds nothing left.

use chrono::Utc;
use identity::entity::{password_reset, session};
use jobs::entity::job;
use jobs::{NewJob, Owner};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use tests::spawn_app;

#[tokio::test]
async fn expired_credentials_are_purged_and_a_second_run_finds_nothing() {
    let app = spawn_app().await;
    let old = app.user("old@example.com").await;
    let fresh = app.user("fresh@example.com").await;
    app.gql(
        None,
        "mutation { passwordResetRequest(input: { email: \"old@example.com\" }) { accepted } }",
        json!({}),
    )
    .await
    .ok();
    let old_id = kernel::GlobalId::parse(&old.user_id).expect("gid").uuid;
    let past = Utc::now() - chrono::Duration::days(1);
    session::Entity::update_many()
        .col_expr(session::Column::ExpiresAt, Expr::value(past))
        .filter(session::Column::UserId.eq(old_id))
        .exec(&app.db)
        .await
        .expect("expire the session");
    password_reset::Entity::update_many()
        .col_expr(password_reset::Column::ExpiresAt, Expr::value(past))
        .exec(&app.db)
        .await
        .expect("expire the code");

    let r = app.run_job(identity::work::RETENTION, json!({})).await;
    assert_eq!(r["sessions"], 1);
    assert_eq!(r["password_resets"], 1);
    assert!(r["refresh_tokens"].as_u64().is_some());
    assert_eq!(app.count("sessions").await, 1, "the fresh session stays");
    assert_eq!(app.count("password_resets").await, 0);
    let me = app
        .gql(Some(&fresh.access), "{ viewer { email } }", json!({}))
        .await
        .ok();
    assert_eq!(me.data("viewer.email"), "fresh@example.com");

    let again = app.run_job(identity::work::RETENTION, json!({})).await;
    assert_eq!(
        again,
        json!({ "sessions": 0, "refresh_tokens": 0, "password_resets": 0 })
    );
}

#[tokio::test]
async fn old_finished_jobs_are_purged_and_recent_ones_kept() {
    let app = spawn_app().await;
    // Two finished jobs, one finished long ago.
    for key in ["old", "new"] {
        jobs::enqueue(
            &app.db,
            NewJob::new("test.none", Owner::System, json!({})).key(key),
        )
        .await
        .expect("enqueue");
    }
    job::Entity::update_many()
        .col_expr(job::Column::Status, Expr::value("succeeded"))
        .col_expr(job::Column::FinishedAt, Expr::value(Utc::now()))
        .filter(job::Column::Kind.eq("test.none"))
        .exec(&app.db)
        .await
        .expect("finish");
    job::Entity::update_many()
        .col_expr(
            job::Column::FinishedAt,
            Expr::value(Utc::now() - chrono::Duration::days(8)),
        )
        .filter(job::Column::IdempotencyKey.eq("old"))
        .exec(&app.db)
        .await
        .expect("age");
    let r = app.run_job(jobs::retention::RETENTION, json!({})).await;
    assert_eq!(r["finished"], 1);
    let left: Vec<Option<String>> = job::Entity::find()
        .filter(job::Column::Kind.eq("test.none"))
        .all(&app.db)
        .await
        .expect("jobs")
        .into_iter()
        .map(|j| j.idempotency_key)
        .collect();
    assert_eq!(left, vec![Some("new".to_owned())]);
}

#[tokio::test]
async fn the_retention_schedules_are_installed() {
    let app = spawn_app().await;
    // The server installs them as its job runtime starts.
    let mut names: Vec<String> = Vec::new();
    for _ in 0..400 {
        names = jobs::entity::schedule::Entity::find()
            .all(&app.db)
            .await
            .expect("schedules")
            .into_iter()
            .filter(|s| s.next_run_at > Utc::now())
            .map(|s| s.name)
            .collect();
        if names.len() >= 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert!(
        names.contains(&identity::work::RETENTION.to_owned()),
        "{names:?}"
    );
    assert!(
        names.contains(&jobs::retention::RETENTION.to_owned()),
        "{names:?}"
    );
    assert!(
        names.contains(&tenancy::retention::RETENTION.to_owned()),
        "{names:?}"
    );
}
