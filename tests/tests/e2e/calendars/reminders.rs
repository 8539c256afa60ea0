//! What a booking sets going: a confirmation with an `.ics` invitation, a reminder through the
//! job runtime that fires once, and entries on the contact's timeline.

use super::{book, every_day, resource, service};
use chrono::{Duration, SubsecRound, Utc};
use jobs::entity::job;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use tests::spawn_app;

async fn reminder_results(app: &tests::TestApp) -> Vec<Value> {
    job::Entity::find()
        .filter(job::Column::Kind.eq("calendars.reminder"))
        .filter(job::Column::Status.eq(jobs::JobStatus::Succeeded))
        .all(&app.db)
        .await
        .expect("jobs")
        .into_iter()
        .filter_map(|j| j.result)
        .collect()
}

#[tokio::test]
async fn a_booking_confirms_with_an_ics_and_its_reminder_fires_once() {
    let app = spawn_app().await;
    let w = app.world().await;
    let ana = resource(
        &app,
        &w.owner,
        &w.dental,
        "STAFF",
        "Ana",
        "UTC",
        every_day("00:00", "24:00"),
    )
    .await;
    let s = service(&app, &w.owner, &w.dental, json!({ "name": "Quick check", "durationMinutes": 5, "reminderMinutes": 5, "location": "12 High Street", "resourceIds": [ana] })).await;
    let c = app
        .create_contact(
            &w.owner,
            &w.dental,
            json!({ "firstName": "Cleo", "email": "cleo@patients.test" }),
        )
        .await;
    // Its reminder is due two seconds from now.
    let start = Utc::now() + Duration::minutes(5) + Duration::seconds(2);
    let r = book(&app, &w.owner, json!({ "serviceId": s, "contactId": c, "start": start.to_rfc3339(), "timeZone": "Asia/Tokyo" })).await;
    assert_eq!(r.user_errors("appointmentBook"), vec![], "{}", r.body);
    let id = r
        .data("appointmentBook.appointment.id")
        .as_str()
        .expect("id")
        .to_owned();
    assert!(
        r.data("appointmentBook.appointment.localStart")
            .as_str()
            .expect("local")
            .ends_with("+09:00")
    );

    let mails = app.mails_to("cleo@patients.test", 2).await;
    let (confirmation, reminder) = (&mails[0], &mails[1]);
    assert!(
        confirmation
            .header("subject")
            .expect("subject")
            .starts_with("Booked: Quick check")
    );
    assert!(
        confirmation.data.contains("text/calendar"),
        "{}",
        confirmation.data
    );
    let ics = confirmation.data.replace("=\r\n", "").replace("\r\n ", "");
    assert!(
        ics.contains("BEGIN:VCALENDAR") && ics.contains("METHOD:REQUEST"),
        "{ics}"
    );
    assert!(
        ics.contains(&format!("UID:{}@canopy", tests::uuid_of(&id))),
        "{ics}"
    );
    assert!(
        ics.contains(&format!(
            "DTSTART:{}",
            start.trunc_subsecs(0).format("%Y%m%dT%H%M%SZ")
        )),
        "{ics}"
    );
    assert!(
        reminder
            .header("subject")
            .expect("subject")
            .starts_with("Reminder: Quick check")
    );

    // A second run of the same reminder (a retry, a duplicate) sends nothing.
    let owner = jobs::Owner::SubAccount {
        agency_id: tests::uuid_of(&w.agency),
        id: tests::uuid_of(&w.dental),
    };
    let starts_at = r
        .data("appointmentBook.appointment.startsAt")
        .as_str()
        .expect("start");
    let payload = json!({ "appointment_id": tests::uuid_of(&id), "starts_at": starts_at });
    jobs::enqueue(
        &app.db,
        jobs::NewJob::new("calendars.reminder", owner, payload),
    )
    .await
    .expect("enqueue");
    jobs::wake();
    let mut results = Vec::new();
    for _ in 0..800 {
        results = reminder_results(&app).await;
        if results.len() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(
        results.iter().filter(|r| r["reminded"] == true).count(),
        1,
        "{results:?}"
    );
    assert!(
        results.iter().any(|r| r["why"] == "already reminded"),
        "{results:?}"
    );
    assert_eq!(
        app.count("email_outbox WHERE to_address = 'cleo@patients.test'")
            .await,
        2
    );

    // The booking is on the contact's timeline.
    let r = app
        .gql(Some(&w.owner.access), "query($id: ID!) { node(id: $id) { ... on Contact { timeline(first: 5) { edges { node { kind subject } } } } } }", json!({ "id": c }))
        .await
        .ok();
    let entry = &r.data("node.timeline.edges")[0]["node"];
    assert_eq!(entry["kind"], "MEETING");
    assert!(
        entry["subject"]
            .as_str()
            .expect("subject")
            .starts_with("Appointment booked for"),
        "{entry}"
    );
}
