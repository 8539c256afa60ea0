//! Calendars end to end: slots across daylight-saving changes in two zones, bookings the
//! database keeps from overlapping (16 at once for one slot; a staff-plus-room booking whose room
//! is taken), bad input, and what a booking sets going (confirmation with an `.ics`, a reminder
//! that fires once, the contact's timeline).

mod booking;
mod public;
mod reminders;

use serde_json::{Value, json};
use tests::{Session, TestApp, spawn_app};

pub const RESOURCE: &str = "mutation($i: CalendarResourceCreateInput!) { calendarResourceCreate(input: $i) { resource { id kind timeZone weekly { weekday start end } } userErrors { field code message } } }";
pub const SERVICE: &str = "mutation($i: CalendarServiceCreateInput!) { calendarServiceCreate(input: $i) { service { id resources { id } } userErrors { field code message } } }";
pub const SLOTS: &str = "query($s: ID!, $f: DateTime!, $t: DateTime!, $z: String!, $staff: ID) { calendarFreeSlots(serviceId: $s, from: $f, to: $t, timeZone: $z, staffId: $staff) { start end localStart staffIds } }";
pub const BOOK: &str = "mutation($i: AppointmentBookInput!) { appointmentBook(input: $i) { appointment { id status startsAt endsAt localStart resources { id } contact { id } } userErrors { field code message } } }";

/// Every day of the week, `start` to `end`.
pub fn every_day(start: &str, end: &str) -> Value {
    json!(
        [
            "MONDAY",
            "TUESDAY",
            "WEDNESDAY",
            "THURSDAY",
            "FRIDAY",
            "SATURDAY",
            "SUNDAY"
        ]
        .iter()
        .map(|d| json!({ "weekday": d, "start": start, "end": end }))
        .collect::<Vec<_>>()
    )
}

/// Creates a resource; returns its id.
pub async fn resource(
    app: &TestApp,
    who: &Session,
    sub: &str,
    kind: &str,
    name: &str,
    zone: &str,
    weekly: Value,
) -> String {
    let r = app
        .gql(
            Some(&who.access),
            RESOURCE,
            json!({ "i": { "subAccountId": sub, "kind": kind, "name": name, "timeZone": zone, "weekly": weekly } }),
        )
        .await
        .ok();
    assert_eq!(
        r.user_errors("calendarResourceCreate"),
        vec![],
        "{}",
        r.body
    );
    r.data("calendarResourceCreate.resource.id")
        .as_str()
        .expect("id")
        .to_owned()
}

/// Creates a service from `input` (its `subAccountId` set); returns its id.
pub async fn service(app: &TestApp, who: &Session, sub: &str, mut input: Value) -> String {
    input["subAccountId"] = json!(sub);
    let r = app
        .gql(Some(&who.access), SERVICE, json!({ "i": input }))
        .await
        .ok();
    assert_eq!(r.user_errors("calendarServiceCreate"), vec![], "{}", r.body);
    r.data("calendarServiceCreate.service.id")
        .as_str()
        .expect("id")
        .to_owned()
}

/// The free slots' starts (UTC, `…Z`) of a service.
pub async fn starts(app: &TestApp, who: &Session, vars: Value) -> Vec<String> {
    let r = app.gql(Some(&who.access), SLOTS, vars).await.ok();
    r.data("calendarFreeSlots")
        .as_array()
        .expect("slots")
        .iter()
        .map(|s| {
            let t: chrono::DateTime<chrono::Utc> = s["start"]
                .as_str()
                .expect("start")
                .parse()
                .expect("instant");
            t.format("%Y-%m-%dT%H:%MZ").to_string()
        })
        .collect()
}

/// Books; returns the answer.
pub async fn book(app: &TestApp, who: &Session, input: Value) -> tests::Gql {
    app.gql(Some(&who.access), BOOK, json!({ "i": input }))
        .await
        .ok()
}

/// A staff member, a service and an appointment of `sub` two days ahead (for other tests'
/// victims): their ids.
pub async fn booked(app: &TestApp, who: &Session, sub: &str) -> (String, String, String) {
    let staff = resource(
        app,
        who,
        sub,
        "STAFF",
        "Ana",
        "UTC",
        every_day("00:00", "24:00"),
    )
    .await;
    let s = service(
        app,
        who,
        sub,
        json!({ "name": "Visit", "resourceIds": [staff] }),
    )
    .await;
    let c = app
        .create_contact(who, sub, json!({ "firstName": "Vic" }))
        .await;
    let start = (chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339();
    let r = book(
        app,
        who,
        json!({ "serviceId": s, "contactId": c, "start": start, "timeZone": "UTC" }),
    )
    .await;
    assert_eq!(r.user_errors("appointmentBook"), vec![], "{}", r.body);
    let a = r
        .data("appointmentBook.appointment.id")
        .as_str()
        .expect("id")
        .to_owned();
    (staff, s, a)
}

#[tokio::test]
async fn a_booking_with_another_tenants_service_or_contact_is_not_found() {
    let app = spawn_app().await;
    let w = app.world().await;
    let (_, dental_service, _) = booked(&app, &w.owner, &w.dental).await;
    let (_, gardens_service, _) = booked(&app, &w.owner, &w.gardens).await;
    let gardens_contact = app
        .create_contact(&w.owner, &w.gardens, json!({ "firstName": "Gus" }))
        .await;
    let dental_contact = app
        .create_contact(&w.owner, &w.dental, json!({ "firstName": "Dee" }))
        .await;
    let start = (chrono::Utc::now() + chrono::Duration::days(3)).to_rfc3339();
    // A contact of another sub-account, as the owner of both.
    let r = app
        .gql(Some(&w.owner.access), BOOK, json!({ "i": { "serviceId": dental_service, "contactId": gardens_contact, "start": start, "timeZone": "UTC" } }))
        .await;
    assert_eq!(r.error_code(), Some("NOT_FOUND"), "{}", r.body);
    // A dental user names the gardens' service, or the gardens' contact.
    let staff = app
        .member("desk@dental.test", &w.dental, kernel::Role::SubaccountUser)
        .await;
    for (service, contact) in [
        (&gardens_service, &dental_contact),
        (&dental_service, &gardens_contact),
    ] {
        let r = app
            .gql(Some(&staff.access), BOOK, json!({ "i": { "serviceId": service, "contactId": contact, "start": start, "timeZone": "UTC" } }))
            .await;
        assert_eq!(r.error_code(), Some("NOT_FOUND"), "{}", r.body);
    }
    // Another agency's owner, with both of the victim's ids.
    let stranger = app.user("owner@else.test").await;
    let r = app
        .gql(Some(&stranger.access), BOOK, json!({ "i": { "serviceId": dental_service, "contactId": dental_contact, "start": start, "timeZone": "UTC" } }))
        .await;
    assert_eq!(r.error_code(), Some("NOT_FOUND"), "{}", r.body);
    assert_eq!(app.count("appointments").await, 2);
}

#[tokio::test]
async fn slots_follow_daylight_saving_in_two_zones() {
    let app = spawn_app().await;
    let w = app.world().await;
    let nine_to_noon = every_day("09:00", "12:00");
    let ny = resource(
        &app,
        &w.owner,
        &w.dental,
        "STAFF",
        "Ana (New York)",
        "America/New_York",
        nine_to_noon.clone(),
    )
    .await;
    let be = resource(
        &app,
        &w.owner,
        &w.dental,
        "STAFF",
        "Ben (Berlin)",
        "Europe/Berlin",
        nine_to_noon,
    )
    .await;
    let s = service(
        &app,
        &w.owner,
        &w.dental,
        json!({ "name": "Check-up", "durationMinutes": 60, "horizonDays": 730, "resourceIds": [ny, be] }),
    )
    .await;
    // New York springs forward on 2027-03-14: 09:00 is 14:00Z before and 13:00Z after.
    let got = starts(
        &app,
        &w.owner,
        json!({ "s": s, "f": "2027-03-13T00:00:00Z", "t": "2027-03-15T00:00:00Z", "z": "UTC", "staff": ny }),
    )
    .await;
    assert_eq!(
        got,
        [
            "2027-03-13T14:00Z",
            "2027-03-13T15:00Z",
            "2027-03-13T16:00Z",
            "2027-03-14T13:00Z",
            "2027-03-14T14:00Z",
            "2027-03-14T15:00Z",
        ]
    );
    // Berlin springs forward on 2027-03-28: 09:00 is 08:00Z before and 07:00Z after.
    let got = starts(
        &app,
        &w.owner,
        json!({ "s": s, "f": "2027-03-27T00:00:00Z", "t": "2027-03-29T00:00:00Z", "z": "UTC", "staff": be }),
    )
    .await;
    assert_eq!(
        got,
        [
            "2027-03-27T08:00Z",
            "2027-03-27T09:00Z",
            "2027-03-27T10:00Z",
            "2027-03-28T07:00Z",
            "2027-03-28T08:00Z",
            "2027-03-28T09:00Z",
        ]
    );
    // In the invitee's zone, with that zone's offset on the day.
    let r = app
        .gql(
            Some(&w.owner.access),
            SLOTS,
            json!({ "s": s, "f": "2027-03-28T07:00:00Z", "t": "2027-03-28T07:30:00Z", "z": "America/New_York", "staff": be }),
        )
        .await
        .ok();
    let slot = &r.data("calendarFreeSlots")[0];
    assert_eq!(slot["localStart"], "2027-03-28T03:00:00-04:00");
    assert_eq!(slot["staffIds"], json!([be]));
}

#[tokio::test]
async fn bad_ranges_zones_and_starts_are_refused_with_codes() {
    let app = spawn_app().await;
    let w = app.world().await;
    let staff = resource(
        &app,
        &w.owner,
        &w.dental,
        "STAFF",
        "Ana",
        "UTC",
        every_day("00:00", "24:00"),
    )
    .await;
    let s = service(
        &app,
        &w.owner,
        &w.dental,
        json!({ "name": "Cleaning", "minNoticeMinutes": 120, "horizonDays": 10, "resourceIds": [staff] }),
    )
    .await;
    let c = app
        .create_contact(&w.owner, &w.dental, json!({ "firstName": "Cleo" }))
        .await;
    // An end before its start, and an unknown zone.
    for (f, t, z) in [
        ("2027-01-02T00:00:00Z", "2027-01-01T00:00:00Z", "UTC"),
        (
            "2027-01-01T00:00:00Z",
            "2027-01-02T00:00:00Z",
            "Mars/Olympus_Mons",
        ),
    ] {
        let r = app
            .gql(
                Some(&w.owner.access),
                SLOTS,
                json!({ "s": s, "f": f, "t": t, "z": z }),
            )
            .await;
        assert_eq!(r.error_code(), Some("BAD_USER_INPUT"), "{}", r.body);
    }
    let at = |h: i64| (chrono::Utc::now() + chrono::Duration::hours(h)).to_rfc3339();
    for (start, zone, field, code) in [
        (at(1), "UTC", "input.start", "SLOT_UNAVAILABLE"),
        (at(24 * 11), "UTC", "input.start", "SLOT_UNAVAILABLE"),
        (at(5), "Nowhere/Land", "input.timeZone", "INVALID"),
    ] {
        let r = book(
            &app,
            &w.owner,
            json!({ "serviceId": s, "contactId": c, "start": start, "timeZone": zone }),
        )
        .await;
        assert_eq!(
            r.user_errors("appointmentBook"),
            vec![(field.to_owned(), code.to_owned())],
            "{}",
            r.body
        );
    }
    // A resource in an unknown zone, with a window that ends before it starts.
    let r = app
        .gql(
            Some(&w.owner.access),
            RESOURCE,
            json!({ "i": { "subAccountId": w.dental, "kind": "ROOM", "name": "Room 1", "timeZone": "Europe/Atlantis",
                           "weekly": [{ "weekday": "MONDAY", "start": "12:00", "end": "09:00" }] } }),
        )
        .await
        .ok();
    assert_eq!(
        r.user_errors("calendarResourceCreate"),
        vec![
            ("input.timeZone".into(), "INVALID".into()),
            ("input.weekly.0".into(), "INVALID".into())
        ]
    );
    assert_eq!(app.count("appointments").await, 0);
}
