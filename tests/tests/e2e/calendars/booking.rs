//! Booking: one winner among 16 racing for a slot, a two-resource booking that fails as a whole,
//! moving and cancelling, and closing an appointment.

use super::{book, every_day, resource, service, starts};
use chrono::{Duration, Timelike, Utc};
use serde_json::json;
use tests::spawn_app;

/// A whole hour at least a day ahead.
fn tomorrow_at(hour: u32) -> chrono::DateTime<Utc> {
    (Utc::now() + Duration::days(2))
        .with_hour(hour)
        .and_then(|t| t.with_minute(0))
        .and_then(|t| t.with_second(0))
        .and_then(|t| t.with_nanosecond(0))
        .expect("an hour")
}

#[tokio::test]
async fn sixteen_bookings_of_one_slot_one_wins_the_rest_get_slot_taken() {
    let app = spawn_app().await;
    let w = app.world().await;
    let ana = resource(
        &app,
        &w.owner,
        &w.dental,
        "STAFF",
        "Ana",
        "UTC",
        every_day("08:00", "18:00"),
    )
    .await;
    let s = service(
        &app,
        &w.owner,
        &w.dental,
        json!({ "name": "Fitting", "durationMinutes": 45, "resourceIds": [ana] }),
    )
    .await;
    let mut contacts = Vec::new();
    for i in 0..16 {
        contacts.push(
            app.create_contact(&w.owner, &w.dental, json!({ "firstName": format!("C{i}") }))
                .await,
        );
    }
    let start = tomorrow_at(10).to_rfc3339();
    let answers = futures_util::future::join_all(contacts.iter().map(|c| {
        book(
            &app,
            &w.owner,
            json!({ "serviceId": s, "contactId": c, "start": start, "timeZone": "UTC" }),
        )
    }))
    .await;
    let mut won = 0;
    for r in &answers {
        match r.user_errors("appointmentBook").as_slice() {
            [] => won += 1,
            [(field, code)] => assert_eq!(
                (field.as_str(), code.as_str()),
                ("input.start", "SLOT_TAKEN"),
                "{}",
                r.body
            ),
            other => panic!("{other:?}: {}", r.body),
        }
    }
    assert_eq!(won, 1);
    assert_eq!(app.count("appointments").await, 1);
    assert_eq!(app.count("appointment_resources").await, 1);
    // 15 minutes later overlaps too; right after it ends does not.
    let r = book(&app, &w.owner, json!({ "serviceId": s, "contactId": contacts[1], "start": (tomorrow_at(10) + Duration::minutes(15)).to_rfc3339(), "timeZone": "UTC" })).await;
    assert_eq!(r.user_error_codes("appointmentBook"), ["SLOT_TAKEN"]);
    let r = book(&app, &w.owner, json!({ "serviceId": s, "contactId": contacts[1], "start": (tomorrow_at(10) + Duration::minutes(45)).to_rfc3339(), "timeZone": "UTC" })).await;
    assert_eq!(
        r.user_error_codes("appointmentBook"),
        Vec::<String>::new(),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn a_staff_and_room_booking_whose_room_is_taken_fails_as_a_whole() {
    let app = spawn_app().await;
    let w = app.world().await;
    let hours = every_day("08:00", "18:00");
    let ana = resource(
        &app,
        &w.owner,
        &w.dental,
        "STAFF",
        "Ana",
        "UTC",
        hours.clone(),
    )
    .await;
    let ben = resource(
        &app,
        &w.owner,
        &w.dental,
        "STAFF",
        "Ben",
        "UTC",
        hours.clone(),
    )
    .await;
    let room = resource(&app, &w.owner, &w.dental, "ROOM", "Surgery", "UTC", hours).await;
    let s = service(&app, &w.owner, &w.dental, json!({ "name": "Extraction", "durationMinutes": 60, "bufferAfterMinutes": 15, "resourceIds": [ana, ben, room] })).await;
    let c = app
        .create_contact(&w.owner, &w.dental, json!({ "firstName": "Cleo" }))
        .await;
    let start = tomorrow_at(10);
    let r = book(&app, &w.owner, json!({ "serviceId": s, "contactId": c, "start": start.to_rfc3339(), "timeZone": "UTC", "resourceIds": [ana] })).await;
    assert_eq!(r.user_errors("appointmentBook"), vec![], "{}", r.body);
    let mut held: Vec<String> = r
        .data("appointmentBook.appointment.resources")
        .as_array()
        .expect("resources")
        .iter()
        .map(|x| x["id"].as_str().expect("id").to_owned())
        .collect();
    held.sort();
    let mut want = vec![ana.clone(), room.clone()];
    want.sort();
    assert_eq!(held, want);
    // Ben is free, the only room is not (its buffer too): nothing of it is written.
    for at in [start, start + Duration::minutes(70)] {
        let r = book(&app, &w.owner, json!({ "serviceId": s, "contactId": c, "start": at.to_rfc3339(), "timeZone": "UTC", "resourceIds": [ben, room] })).await;
        assert_eq!(
            r.user_error_codes("appointmentBook"),
            ["SLOT_TAKEN"],
            "{}",
            r.body
        );
    }
    assert_eq!(app.count("appointments").await, 1);
    assert_eq!(app.count("appointment_resources").await, 2);
    // And no slot is offered with Ben while the room is held.
    let got = starts(&app, &w.owner, json!({ "s": s, "f": start.to_rfc3339(), "t": (start + Duration::hours(3)).to_rfc3339(), "z": "UTC", "staff": ben })).await;
    // 10:00 and 11:00 (its hour with its buffer) meet the room's hold until 11:15.
    assert_eq!(
        got,
        [(start + Duration::hours(2))
            .format("%Y-%m-%dT%H:%MZ")
            .to_string()]
    );
}

#[tokio::test]
async fn a_moved_appointment_frees_its_old_time_and_a_cancelled_one_all_of_it() {
    let app = spawn_app().await;
    let w = app.world().await;
    let ana = resource(
        &app,
        &w.owner,
        &w.dental,
        "STAFF",
        "Ana",
        "UTC",
        every_day("08:00", "18:00"),
    )
    .await;
    let s = service(
        &app,
        &w.owner,
        &w.dental,
        json!({ "name": "Consult", "durationMinutes": 60, "resourceIds": [ana] }),
    )
    .await;
    let c = app
        .create_contact(&w.owner, &w.dental, json!({ "firstName": "Cleo" }))
        .await;
    let (ten, two) = (tomorrow_at(10), tomorrow_at(14));
    let r = book(&app, &w.owner, json!({ "serviceId": s, "contactId": c, "start": ten.to_rfc3339(), "timeZone": "Europe/Paris" })).await;
    let id = r
        .data("appointmentBook.appointment.id")
        .as_str()
        .expect("id")
        .to_owned();
    let key = |t: chrono::DateTime<Utc>| t.format("%Y-%m-%dT%H:%MZ").to_string();
    let window = json!({ "s": s, "f": ten.to_rfc3339(), "t": (ten + Duration::hours(6)).to_rfc3339(), "z": "UTC" });
    assert!(
        !starts(&app, &w.owner, window.clone())
            .await
            .contains(&key(ten))
    );
    let r = app
        .gql(Some(&w.owner.access), "mutation($id: ID!, $s: DateTime!) { appointmentReschedule(id: $id, start: $s) { appointment { startsAt status } userErrors { field code } } }", json!({ "id": id, "s": two.to_rfc3339() }))
        .await
        .ok();
    assert_eq!(r.user_errors("appointmentReschedule"), vec![], "{}", r.body);
    let free = starts(&app, &w.owner, window.clone()).await;
    assert!(
        free.contains(&key(ten)) && !free.contains(&key(two)),
        "{free:?}"
    );
    // Closing it before it starts is not allowed; cancelling needs a reason, then frees it.
    let r = app
        .gql(
            Some(&w.owner.access),
            "mutation($id: ID!) { appointmentComplete(id: $id) { userErrors { code } } }",
            json!({ "id": id }),
        )
        .await
        .ok();
    assert_eq!(r.user_error_codes("appointmentComplete"), ["NOT_ALLOWED"]);
    let cancel = "mutation($id: ID!, $r: String!) { appointmentCancel(id: $id, reason: $r) { appointment { status cancelReason resources { id } } userErrors { field code } } }";
    let r = app
        .gql(
            Some(&w.owner.access),
            cancel,
            json!({ "id": id, "r": "  " }),
        )
        .await
        .ok();
    assert_eq!(
        r.user_errors("appointmentCancel"),
        vec![("reason".into(), "INVALID".into())]
    );
    let r = app
        .gql(
            Some(&w.owner.access),
            cancel,
            json!({ "id": id, "r": "Feeling better" }),
        )
        .await
        .ok();
    assert_eq!(r.data("appointmentCancel.appointment.status"), "CANCELLED");
    assert_eq!(
        r.data("appointmentCancel.appointment.resources"),
        &json!([])
    );
    assert!(starts(&app, &w.owner, window).await.contains(&key(two)));
    let r = app
        .gql(
            Some(&w.owner.access),
            cancel,
            json!({ "id": id, "r": "again" }),
        )
        .await
        .ok();
    assert_eq!(r.user_error_codes("appointmentCancel"), ["NOT_ALLOWED"]);
}

#[tokio::test]
async fn rooms_open_off_the_staff_grid_still_give_slots_and_a_move_keeps_its_staff() {
    let app = spawn_app().await;
    let w = app.world().await;
    let ana = resource(
        &app,
        &w.owner,
        &w.dental,
        "STAFF",
        "Ana",
        "UTC",
        every_day("09:00", "17:00"),
    )
    .await;
    let zed = resource(
        &app,
        &w.owner,
        &w.dental,
        "STAFF",
        "Zed",
        "UTC",
        every_day("09:00", "17:00"),
    )
    .await;
    let room = resource(
        &app,
        &w.owner,
        &w.dental,
        "ROOM",
        "Studio",
        "UTC",
        every_day("09:30", "17:30"),
    )
    .await;
    let s = service(
        &app,
        &w.owner,
        &w.dental,
        json!({ "name": "Lesson", "durationMinutes": 60, "resourceIds": [ana, zed, room] }),
    )
    .await;
    let nine = tomorrow_at(9);
    let key = |t: chrono::DateTime<Utc>| t.format("%Y-%m-%dT%H:%MZ").to_string();
    let got = starts(&app, &w.owner, json!({ "s": s, "f": nine.to_rfc3339(), "t": (nine + Duration::hours(3)).to_rfc3339(), "z": "UTC" })).await;
    // 09:00 is before the room opens; the staff's hours give the rest.
    assert_eq!(
        got,
        [
            key(nine + Duration::hours(1)),
            key(nine + Duration::hours(2))
        ]
    );
    let c = app
        .create_contact(&w.owner, &w.dental, json!({ "firstName": "Cleo" }))
        .await;
    let r = book(&app, &w.owner, json!({ "serviceId": s, "contactId": c, "start": (nine + Duration::hours(1)).to_rfc3339(), "timeZone": "UTC", "resourceIds": [zed] })).await;
    let id = r
        .data("appointmentBook.appointment.id")
        .as_str()
        .expect("id")
        .to_owned();
    let r = app
        .gql(Some(&w.owner.access), "mutation($id: ID!, $s: DateTime!) { appointmentReschedule(id: $id, start: $s) { appointment { resources { id } } userErrors { code } } }", json!({ "id": id, "s": (nine + Duration::hours(3)).to_rfc3339() }))
        .await
        .ok();
    let held: Vec<&str> = r
        .data("appointmentReschedule.appointment.resources")
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|x| x["id"].as_str())
        .collect();
    assert!(
        held.contains(&zed.as_str()) && !held.contains(&ana.as_str()),
        "{}",
        r.body
    );
}
