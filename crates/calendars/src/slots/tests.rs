use super::*;

fn t(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).expect("time")
}

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().expect("an RFC 3339 instant")
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

fn weekdays(zone: Tz, open: NaiveTime, close: NaiveTime) -> Availability {
    use Weekday::*;
    Availability {
        zone,
        weekly: [Mon, Tue, Wed, Thu, Fri]
            .into_iter()
            .map(|d| {
                (
                    d,
                    Window {
                        start: open,
                        end: Some(close),
                    },
                )
            })
            .collect(),
        exceptions: Vec::new(),
    }
}

fn half_hours() -> Rules {
    Rules {
        duration: Duration::minutes(30),
        buffer_before: Duration::zero(),
        buffer_after: Duration::zero(),
        interval: Duration::minutes(30),
        min_notice: Duration::zero(),
        horizon: Duration::days(365),
    }
}

fn slots(av: &Availability, busy: &[Busy], rules: &Rules, from: &str, to: &str) -> Vec<String> {
    free(
        av,
        busy,
        rules,
        utc(from),
        utc(to),
        utc("2026-01-01T00:00:00Z"),
        1000,
    )
    .into_iter()
    .map(|s| s.format("%Y-%m-%dT%H:%MZ").to_string())
    .collect()
}

#[test]
fn nine_oclock_stays_nine_oclock_across_spring_forward_in_two_zones() {
    let ny = weekdays(chrono_tz::America::New_York, t(9, 0), t(10, 0));
    // Friday in EST (UTC-5), Monday in EDT (UTC-4): the clocks moved on Sunday 8 March.
    assert_eq!(
        slots(
            &ny,
            &[],
            &half_hours(),
            "2026-03-06T00:00:00Z",
            "2026-03-10T00:00:00Z"
        ),
        [
            "2026-03-06T14:00Z",
            "2026-03-06T14:30Z",
            "2026-03-09T13:00Z",
            "2026-03-09T13:30Z"
        ]
    );
    let berlin = weekdays(chrono_tz::Europe::Berlin, t(9, 0), t(10, 0));
    // Europe moves three weeks later (Sunday 29 March): CET (UTC+1), then CEST (UTC+2).
    assert_eq!(
        slots(
            &berlin,
            &[],
            &half_hours(),
            "2026-03-27T00:00:00Z",
            "2026-03-31T00:00:00Z"
        ),
        [
            "2026-03-27T08:00Z",
            "2026-03-27T08:30Z",
            "2026-03-30T07:00Z",
            "2026-03-30T07:30Z"
        ]
    );
}

#[test]
fn a_window_over_the_skipped_hour_is_an_hour_shorter() {
    // 01:30–03:30 on the night 02:00 does not exist in New York: one real hour.
    let av = Availability {
        zone: chrono_tz::America::New_York,
        weekly: vec![(
            Weekday::Sun,
            Window {
                start: t(1, 30),
                end: Some(t(3, 30)),
            },
        )],
        exceptions: Vec::new(),
    };
    assert_eq!(
        slots(
            &av,
            &[],
            &half_hours(),
            "2026-03-08T00:00:00Z",
            "2026-03-09T00:00:00Z"
        ),
        ["2026-03-08T06:30Z", "2026-03-08T07:00Z"]
    );
}

#[test]
fn a_window_over_the_repeated_hour_is_an_hour_longer() {
    // 01:00–02:00 on the night 01:00–02:00 happens twice in New York: two real hours.
    let av = Availability {
        zone: chrono_tz::America::New_York,
        weekly: vec![(
            Weekday::Sun,
            Window {
                start: t(1, 0),
                end: Some(t(2, 0)),
            },
        )],
        exceptions: Vec::new(),
    };
    assert_eq!(
        slots(
            &av,
            &[],
            &half_hours(),
            "2026-11-01T00:00:00Z",
            "2026-11-02T00:00:00Z"
        ),
        [
            "2026-11-01T05:00Z",
            "2026-11-01T05:30Z",
            "2026-11-01T06:00Z",
            "2026-11-01T06:30Z"
        ]
    );
}

#[test]
fn bookings_and_their_buffers_take_slots() {
    let av = weekdays(chrono_tz::UTC, t(9, 0), t(12, 0));
    let rules = Rules {
        buffer_after: Duration::minutes(15),
        ..half_hours()
    };
    let busy = [Busy {
        start: utc("2026-03-02T10:00:00Z"),
        end: utc("2026-03-02T10:30:00Z"),
    }];
    // 09:30 would run with its buffer into 10:00; 10:30 starts as the booking ends.
    assert_eq!(
        slots(
            &av,
            &busy,
            &rules,
            "2026-03-02T00:00:00Z",
            "2026-03-03T00:00:00Z"
        ),
        [
            "2026-03-02T09:00Z",
            "2026-03-02T10:30Z",
            "2026-03-02T11:00Z",
            "2026-03-02T11:30Z"
        ]
    );
}

#[test]
fn notice_and_horizon_bound_the_slots() {
    let av = weekdays(chrono_tz::UTC, t(9, 0), t(12, 0));
    let rules = Rules {
        min_notice: Duration::minutes(30),
        horizon: Duration::hours(2),
        ..half_hours()
    };
    let got = free(
        &av,
        &[],
        &rules,
        utc("2026-03-02T00:00:00Z"),
        utc("2026-03-03T00:00:00Z"),
        utc("2026-03-02T08:50:00Z"),
        100,
    );
    let got: Vec<String> = got.iter().map(|s| s.format("%H:%M").to_string()).collect();
    assert_eq!(got, ["09:30", "10:00", "10:30"]);
}

#[test]
fn an_exception_replaces_a_days_hours() {
    let mut av = weekdays(chrono_tz::UTC, t(9, 0), t(10, 0));
    av.exceptions = vec![
        (date(2026, 3, 2), Vec::new()),
        (
            date(2026, 3, 3),
            vec![Window {
                start: t(14, 0),
                end: Some(t(14, 30)),
            }],
        ),
    ];
    assert_eq!(
        slots(
            &av,
            &[],
            &half_hours(),
            "2026-03-02T00:00:00Z",
            "2026-03-04T00:00:00Z"
        ),
        ["2026-03-03T14:00Z"]
    );
}

#[test]
fn a_window_to_midnight_and_the_limit() {
    let av = Availability {
        zone: chrono_tz::UTC,
        weekly: vec![(
            Weekday::Mon,
            Window {
                start: t(23, 0),
                end: None,
            },
        )],
        exceptions: Vec::new(),
    };
    assert_eq!(
        slots(
            &av,
            &[],
            &half_hours(),
            "2026-03-02T00:00:00Z",
            "2026-03-03T00:00:00Z"
        ),
        ["2026-03-02T23:00Z", "2026-03-02T23:30Z"]
    );
    let two = free(
        &weekdays(chrono_tz::UTC, t(9, 0), t(17, 0)),
        &[],
        &half_hours(),
        utc("2026-03-02T00:00:00Z"),
        utc("2026-03-07T00:00:00Z"),
        utc("2026-01-01T00:00:00Z"),
        2,
    );
    assert_eq!(two.len(), 2);
}

#[test]
fn hours_to_midnight_and_from_midnight_hold_an_appointment_across_it() {
    use Weekday::*;
    let all_day = |d| {
        (
            d,
            Window {
                start: t(0, 0),
                end: None,
            },
        )
    };
    let av = Availability {
        zone: chrono_tz::UTC,
        weekly: vec![all_day(Mon), all_day(Tue)],
        exceptions: Vec::new(),
    };
    let rules = half_hours();
    // Monday 2026-03-02 23:45 to Tuesday 00:15.
    assert_eq!(fits_hours(&av, &rules, utc("2026-03-02T23:45:00Z")), Ok(()));
    // Tuesday 23:45 runs into Wednesday, which has no hours.
    assert_eq!(
        fits_hours(&av, &rules, utc("2026-03-03T23:45:00Z")),
        Err(Unfit::OutsideHours)
    );
}

#[test]
fn a_start_fits_hours_off_the_grid_and_not_across_a_window_end() {
    let av = weekdays(chrono_tz::Europe::Berlin, t(9, 0), t(12, 0));
    let rules = half_hours();
    // Monday 2026-03-02, Berlin is UTC+1.
    assert_eq!(fits_hours(&av, &rules, utc("2026-03-02T08:10:00Z")), Ok(()));
    assert_eq!(
        fits_hours(&av, &rules, utc("2026-03-02T10:40:00Z")),
        Err(Unfit::OutsideHours)
    );
    assert_eq!(
        fits_hours(&av, &rules, utc("2026-03-01T09:00:00Z")),
        Err(Unfit::OutsideHours),
        "a Sunday"
    );
    let now = utc("2026-03-02T08:00:00Z");
    let strict = Rules {
        min_notice: Duration::hours(2),
        horizon: Duration::days(7),
        ..rules
    };
    assert_eq!(
        fits_rules(&strict, utc("2026-03-02T09:00:00Z"), now),
        Err(Unfit::TooSoon)
    );
    assert_eq!(
        fits_rules(&strict, utc("2026-03-20T09:00:00Z"), now),
        Err(Unfit::TooFar)
    );
    assert_eq!(
        fits_rules(&strict, utc("2026-03-02T10:00:00Z"), now),
        Ok(())
    );
}

#[test]
fn taken_finds_overlaps_among_unsorted_and_nested_spans() {
    let b = |s: &str, e: &str| Busy {
        start: utc(s),
        end: utc(e),
    };
    let taken = Taken::new(&[
        b("2026-03-02T12:00:00Z", "2026-03-02T13:00:00Z"),
        b("2026-03-02T08:00:00Z", "2026-03-02T11:00:00Z"),
        b("2026-03-02T09:00:00Z", "2026-03-02T09:30:00Z"),
    ]);
    assert!(taken.overlaps(utc("2026-03-02T10:30:00Z"), utc("2026-03-02T10:45:00Z")));
    assert!(!taken.overlaps(utc("2026-03-02T11:00:00Z"), utc("2026-03-02T12:00:00Z")));
    assert!(taken.overlaps(utc("2026-03-02T11:30:00Z"), utc("2026-03-02T12:01:00Z")));
    assert!(!taken.overlaps(utc("2026-03-02T13:00:00Z"), utc("2026-03-02T14:00:00Z")));
    assert!(!Taken::new(&[]).overlaps(utc("2026-03-02T13:00:00Z"), utc("2026-03-02T14:00:00Z")));
}
