//! Opening hours as stored (`calendar_resources.weekly`, `calendar_exceptions.windows`): JSON
//! windows of local time, `"HH:MM"` strings, `"24:00"` for midnight at a day's end. Checked on
//! the way in ([`check_windows`]) and read into the slot engine's types ([`availability`]).

use crate::slots::{Availability, Window};
use chrono::{NaiveDate, NaiveTime, Weekday};
use chrono_tz::Tz;
use kernel::error::{UserError, UserErrorCode};
use serde_json::{Value, json};

/// Most windows on one day.
pub const MAX_WINDOWS_PER_DAY: usize = 12;

/// A window as given: its start and end, `"HH:MM"` (the end may be `"24:00"`).
#[derive(Debug, Clone)]
pub struct Given {
    /// The day of the week (weekly hours; `None` for a dated exception).
    pub weekday: Option<Weekday>,
    /// `"09:00"`.
    pub start: String,
    /// `"17:30"`, or `"24:00"`.
    pub end: String,
}

/// `"HH:MM"` as a time of day (`Some(None)`: `"24:00"`, the end of the day).
fn parse(s: &str) -> Option<Option<NaiveTime>> {
    if s.trim() == "24:00" {
        return Some(None);
    }
    let (h, m) = s.trim().split_once(':')?;
    if h.len() != 2 || m.len() != 2 || !(h.bytes().chain(m.bytes())).all(|b| b.is_ascii_digit()) {
        return None;
    }
    NaiveTime::from_hms_opt(h.parse().ok()?, m.parse().ok()?, 0).map(Some)
}

fn minutes(t: Option<NaiveTime>) -> u32 {
    t.map(|t| t.signed_duration_since(NaiveTime::MIN).num_minutes() as u32)
        .unwrap_or(24 * 60)
}

fn show(t: Option<NaiveTime>) -> String {
    t.map(|t| t.format("%H:%M").to_string())
        .unwrap_or_else(|| "24:00".into())
}

/// Checks windows (`field` names the list in errors): each `"HH:MM"`, starting before it ends,
/// none overlapping another of its day, at most [`MAX_WINDOWS_PER_DAY`] a day. Returns them as
/// stored JSON, sorted.
pub fn check_windows(errors: &mut Vec<UserError>, field: &str, given: &[Given]) -> Value {
    if given.len() > 7 * MAX_WINDOWS_PER_DAY {
        errors.push(UserError::new(
            field,
            UserErrorCode::LimitReached,
            format!("at most {MAX_WINDOWS_PER_DAY} windows a day"),
        ));
        return Value::Array(Vec::new());
    }
    let mut ok: Vec<(Option<Weekday>, NaiveTime, Option<NaiveTime>)> = Vec::new();
    for (i, g) in given.iter().enumerate() {
        let at = format!("{field}.{i}");
        match (parse(&g.start), parse(&g.end)) {
            (Some(Some(s)), Some(e)) if minutes(Some(s)) < minutes(e) => {
                ok.push((g.weekday, s, e));
            }
            (Some(Some(_)), Some(_)) => errors.push(UserError::new(
                &at,
                UserErrorCode::Invalid,
                "a window ends after it starts",
            )),
            _ => errors.push(UserError::new(
                &at,
                UserErrorCode::Invalid,
                "times are \"HH:MM\" (00:00 to 23:59; an end may be 24:00)",
            )),
        }
    }
    ok.sort_by_key(|(d, s, _)| (d.map(|d| d.num_days_from_monday()), *s));
    for pair in ok.windows(2) {
        let ((d1, _, e1), (d2, s2, _)) = (pair[0], pair[1]);
        if d1 == d2 && minutes(e1) > minutes(Some(s2)) {
            errors.push(UserError::new(
                field,
                UserErrorCode::Invalid,
                "windows of one day may not overlap",
            ));
            break;
        }
    }
    let mut per_day = std::collections::HashMap::new();
    for (d, _, _) in &ok {
        *per_day.entry(*d).or_insert(0usize) += 1;
    }
    if per_day.values().any(|n| *n > MAX_WINDOWS_PER_DAY) {
        errors.push(UserError::new(
            field,
            UserErrorCode::LimitReached,
            format!("at most {MAX_WINDOWS_PER_DAY} windows a day"),
        ));
    }
    Value::Array(
        ok.into_iter()
            .map(|(d, s, e)| match d {
                Some(d) => {
                    json!({ "weekday": weekday_name(d), "start": show(Some(s)), "end": show(e) })
                }
                None => json!({ "start": show(Some(s)), "end": show(e) }),
            })
            .collect(),
    )
}

/// The three-letter name a weekday is stored by (`MON`).
pub fn weekday_name(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "MON",
        Weekday::Tue => "TUE",
        Weekday::Wed => "WED",
        Weekday::Thu => "THU",
        Weekday::Fri => "FRI",
        Weekday::Sat => "SAT",
        Weekday::Sun => "SUN",
    }
}

fn weekday_of(s: &str) -> Option<Weekday> {
    [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ]
    .into_iter()
    .find(|d| weekday_name(*d) == s)
}

/// Stored windows read back (`weekday` is `None` for an exception's).
pub fn read(stored: &Value) -> Vec<(Option<Weekday>, Window)> {
    stored
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|w| {
            let start = parse(w.get("start")?.as_str()?)??;
            let end = parse(w.get("end")?.as_str()?)?;
            let weekday = w
                .get("weekday")
                .and_then(|d| d.as_str())
                .and_then(weekday_of);
            Some((weekday, Window { start, end }))
        })
        .collect()
}

/// Stored windows as given (for the API).
pub fn given(stored: &Value) -> Vec<Given> {
    read(stored)
        .into_iter()
        .map(|(weekday, w)| Given {
            weekday,
            start: show(Some(w.start)),
            end: show(w.end),
        })
        .collect()
}

/// A resource's availability: its zone, weekly hours and dated exceptions.
pub fn availability(zone: Tz, weekly: &Value, exceptions: &[(NaiveDate, &Value)]) -> Availability {
    Availability {
        zone,
        weekly: read(weekly)
            .into_iter()
            .filter_map(|(d, w)| Some((d?, w)))
            .collect(),
        exceptions: exceptions
            .iter()
            .map(|(day, ws)| (*day, read(ws).into_iter().map(|(_, w)| w).collect()))
            .collect(),
    }
}

/// An IANA zone name, or an error on `field`.
pub fn zone(errors: &mut Vec<UserError>, field: &str, name: &str) -> Tz {
    match name.trim().parse::<Tz>() {
        Ok(z) => z,
        Err(_) => {
            errors.push(UserError::new(
                field,
                UserErrorCode::Invalid,
                format!("{name:?} is not an IANA time zone (such as \"Europe/Berlin\")"),
            ));
            Tz::UTC
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(d: Option<Weekday>, s: &str, e: &str) -> Given {
        Given {
            weekday: d,
            start: s.into(),
            end: e.into(),
        }
    }

    #[test]
    fn windows_round_trip_and_bad_ones_are_named() {
        let mut errors = Vec::new();
        let v = check_windows(
            &mut errors,
            "w",
            &[
                g(Some(Weekday::Tue), "13:00", "24:00"),
                g(Some(Weekday::Mon), "09:00", "12:00"),
            ],
        );
        assert!(errors.is_empty());
        let back = given(&v);
        assert_eq!(back[0].weekday, Some(Weekday::Mon));
        assert_eq!(back[1].end, "24:00");
        let mut errors = Vec::new();
        check_windows(
            &mut errors,
            "w",
            &[
                g(Some(Weekday::Mon), "9:00", "12:00"),
                g(Some(Weekday::Mon), "12:00", "11:00"),
                g(Some(Weekday::Tue), "25:00", "26:00"),
            ],
        );
        let fields: Vec<_> = errors.iter().map(|e| e.field.join(".")).collect();
        assert_eq!(fields, ["w.0", "w.1", "w.2"]);
    }

    #[test]
    fn overlapping_windows_of_one_day_are_refused() {
        let mut errors = Vec::new();
        check_windows(
            &mut errors,
            "w",
            &[
                g(Some(Weekday::Mon), "09:00", "12:00"),
                g(Some(Weekday::Mon), "11:00", "13:00"),
                g(Some(Weekday::Tue), "11:00", "13:00"),
            ],
        );
        assert_eq!(errors.len(), 1, "{errors:?}");
    }
}
