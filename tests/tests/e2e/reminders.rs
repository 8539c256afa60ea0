//! Task reminders fire at their time, once: a live notification to their user (and an email
//! when asked); a deleted reminder never fires; a repeating task's next occurrence gets them.

use chrono::Utc;
use jobs::JobStatus;
use jobs::entity::job;
use kernel::Role;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use std::time::Duration;
use tests::{Session, TestApp, spawn_app};

const TASK: &str = "mutation($s: ID!, $a: ID, $d: DateTime, $r: TaskRepeatInput) { taskCreate(input: { subAccountId: $s, title: \"Call the lab\", assigneeId: $a, dueAt: $d, repeat: $r }) { task { id } userErrors { field code } } }";
const REMIND: &str = "mutation($t: ID!, $at: DateTime!, $u: ID, $e: Boolean) { taskReminderAdd(input: { taskId: $t, remindAt: $at, userId: $u, byEmail: $e }) { reminder { id byEmail deliveredAt } userErrors { field code } } }";

async fn task(app: &TestApp, who: &Session, vars: Value) -> String {
    let r = app.gql(Some(&who.access), TASK, vars).await.ok();
    r.data("taskCreate.task.id")
        .as_str()
        .expect("a task")
        .to_owned()
}

async fn remind(app: &TestApp, who: &Session, vars: Value) -> String {
    let r = app.gql(Some(&who.access), REMIND, vars).await.ok();
    assert_eq!(r.user_errors("taskReminderAdd"), vec![], "{}", r.body);
    r.data("taskReminderAdd.reminder.id")
        .as_str()
        .expect("a reminder")
        .to_owned()
}

async fn reminder_jobs(app: &TestApp, status: JobStatus) -> u64 {
    job::Entity::find()
        .filter(job::Column::Kind.eq("task.reminder"))
        .filter(job::Column::Status.eq(status))
        .count(&app.db)
        .await
        .expect("count jobs")
}

#[tokio::test]
async fn a_reminder_fires_once_as_a_notification_on_the_socket() {
    let app = spawn_app().await;
    let w = app.world().await;
    let staff = app
        .member("staff@dental.test", &w.dental, Role::SubaccountUser)
        .await;
    let mut live = app.live(&staff.access, Some(&w.agency)).await;
    live.subscribe(
        "n",
        "subscription { notificationAdded { kind text subjectId } }",
        json!({}),
    )
    .await;
    let t = task(&app, &w.owner, json!({ "s": w.dental, "a": staff.user_id })).await;
    let at = Utc::now() + chrono::Duration::milliseconds(1500);
    let rid = remind(
        &app,
        &w.owner,
        json!({ "t": t, "at": at.to_rfc3339(), "u": staff.user_id }),
    )
    .await;
    assert_eq!(reminder_jobs(&app, JobStatus::Scheduled).await, 1);

    let n = loop {
        match live.event_within(Duration::from_secs(20)).await {
            tests::WsEvent::Message(m)
                if m["payload"]["data"]["notificationAdded"]["kind"] == "task.reminder" =>
            {
                break m;
            }
            // The assignment's notification comes first.
            tests::WsEvent::Message(_) => continue,
            other => panic!("no notification: {other:?}"),
        }
    };
    let n = &n["payload"]["data"]["notificationAdded"];
    assert_eq!(n["kind"], "task.reminder");
    assert_eq!(n["text"], "Reminder: Call the lab");
    assert_eq!(n["subjectId"], t.as_str());
    assert!(Utc::now() >= at, "not before its time");
    assert!(live.silent_for(Duration::from_millis(1500)).await, "once");
    let r = app
        .gql(
            Some(&staff.access),
            "query($id: ID!) { node(id: $id) { ... on TaskReminder { deliveredAt } } }",
            json!({ "id": rid }),
        )
        .await
        .ok();
    assert!(r.data("node.deliveredAt").is_string());
    // Its job is acknowledged a moment after the notification commits.
    for _ in 0..800 {
        if reminder_jobs(&app, JobStatus::Succeeded).await == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(reminder_jobs(&app, JobStatus::Succeeded).await, 1);
    assert_eq!(
        app.count("notifications WHERE kind = 'task.reminder'")
            .await,
        1
    );
}

#[tokio::test]
async fn a_reminder_run_twice_notifies_once() {
    let app = spawn_app().await;
    let w = app.world().await;
    let t = task(&app, &w.owner, json!({ "s": w.dental })).await;
    remind(
        &app,
        &w.owner,
        json!({ "t": t, "at": (Utc::now() + chrono::Duration::milliseconds(300)).to_rfc3339() }),
    )
    .await;
    let until_done = || async {
        for _ in 0..400 {
            if reminder_jobs(&app, JobStatus::Succeeded).await == 1 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("the reminder did not run");
    };
    until_done().await;
    // Run its job again, as after a crash before the acknowledgement.
    job::Entity::update_many()
        .col_expr(
            job::Column::Status,
            sea_orm::sea_query::Expr::value("available"),
        )
        .filter(job::Column::Kind.eq("task.reminder"))
        .exec(&app.db)
        .await
        .expect("requeue");
    jobs::wake();
    until_done().await;
    let j = job::Entity::find()
        .filter(job::Column::Kind.eq("task.reminder"))
        .one(&app.db)
        .await
        .expect("q")
        .expect("job");
    assert_eq!(j.attempts, 2);
    assert_eq!(
        j.result,
        Some(json!({ "delivered": false, "why": "already delivered" }))
    );
    assert_eq!(
        app.count("notifications WHERE kind = 'task.reminder'")
            .await,
        1
    );
}

#[tokio::test]
async fn a_reminder_by_email_reaches_the_smtp_server() {
    let app = spawn_app().await;
    let w = app.world().await;
    let t = task(&app, &w.owner, json!({ "s": w.dental })).await;
    remind(&app, &w.owner, json!({ "t": t, "at": (Utc::now() + chrono::Duration::milliseconds(300)).to_rfc3339(), "e": true })).await;
    let mail = app.mail_to("owner@acme.test").await;
    assert_eq!(mail.header("subject"), Some("Reminder: Call the lab"));
    assert!(mail.body().contains("Call the lab"));
}

#[tokio::test]
async fn a_deleted_reminder_never_fires() {
    let app = spawn_app().await;
    let w = app.world().await;
    let t = task(&app, &w.owner, json!({ "s": w.dental })).await;
    let rid = remind(
        &app,
        &w.owner,
        json!({ "t": t, "at": (Utc::now() + chrono::Duration::hours(1)).to_rfc3339() }),
    )
    .await;
    app.gql(
        Some(&w.owner.access),
        "mutation($id: ID!) { taskReminderDelete(id: $id) { reminder { id } } }",
        json!({ "id": rid }),
    )
    .await
    .ok();
    assert_eq!(reminder_jobs(&app, JobStatus::Cancelled).await, 1);
    assert_eq!(reminder_jobs(&app, JobStatus::Scheduled).await, 0);
}

#[tokio::test]
async fn a_repeating_tasks_next_occurrence_gets_its_reminders() {
    let app = spawn_app().await;
    let w = app.world().await;
    let t = task(
        &app,
        &w.owner,
        json!({ "s": w.dental, "d": "2030-01-07T09:00:00Z", "r": { "frequency": "WEEKLY" } }),
    )
    .await;
    remind(
        &app,
        &w.owner,
        json!({ "t": t, "at": "2030-01-07T08:00:00Z" }),
    )
    .await;
    let r = app
        .gql(Some(&w.owner.access), "mutation($id: ID!) { taskComplete(id: $id) { task { nextOccurrence { dueAt reminders { remindAt } } } } }", json!({ "id": t }))
        .await
        .ok();
    let next = r.data("taskComplete.task.nextOccurrence");
    assert_eq!(next["dueAt"], "2030-01-14T09:00:00+00:00");
    assert_eq!(
        next["reminders"],
        json!([{ "remindAt": "2030-01-14T08:00:00+00:00" }])
    );
    assert_eq!(reminder_jobs(&app, JobStatus::Scheduled).await, 2);
}
