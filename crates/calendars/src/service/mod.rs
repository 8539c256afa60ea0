//! The calendars' services: bookable resources and their hours, services, the free-slots query
//! and appointments. Every entry point takes access through `tenancy::guard`
//! (`CALENDARS_READ` to see, `CALENDARS_MANAGE` to set up, `CALENDARS_WRITE` to book).

pub mod appointment;
pub mod free;
pub mod offering;
pub mod public;
pub mod resource;

use crate::entity::offering as svc;
use crate::slots::Rules;
use chrono::Duration;
use kernel::error::{UserError, UserErrorCode};

pub(crate) use kernel::error::fail_if;

/// A one-line name of 1 to `max` characters, trimmed.
pub(crate) fn check_name(
    errors: &mut Vec<UserError>,
    field: &str,
    name: &str,
    max: usize,
) -> String {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > max {
        errors.push(UserError::new(
            field,
            UserErrorCode::Invalid,
            format!("1 to {max} characters"),
        ));
    } else if name.chars().any(char::is_control) {
        errors.push(UserError::new(
            field,
            UserErrorCode::Invalid,
            "one line, without control characters",
        ));
    }
    name.to_owned()
}

/// A whole number within `min..=max`, or an error on `field`.
pub(crate) fn check_range(
    errors: &mut Vec<UserError>,
    field: &str,
    value: i32,
    min: i32,
    max: i32,
    unit: &str,
) -> i32 {
    if !(min..=max).contains(&value) {
        errors.push(UserError::new(
            field,
            UserErrorCode::Invalid,
            format!("{min} to {max} {unit}"),
        ));
    }
    value
}

/// A service's rules for the slot engine.
pub fn rules(s: &svc::Model) -> Rules {
    let m = |v: i32| Duration::minutes(i64::from(v));
    Rules {
        duration: m(s.duration_minutes),
        buffer_before: m(s.buffer_before_minutes),
        buffer_after: m(s.buffer_after_minutes),
        interval: m(s.interval_minutes),
        min_notice: m(s.min_notice_minutes),
        horizon: Duration::days(i64::from(s.horizon_days)),
    }
}
