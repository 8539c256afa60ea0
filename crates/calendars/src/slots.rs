//! Free slots: a resource's weekly hours (and dated exceptions) in its own time zone, minus
//! what is booked, stepped by a service's interval, within its notice and horizon.
//!
//! Local times become UTC through the zone's rules for that very date: a window that starts in
//! the hour a spring-forward skips starts when the clock resumes; a window that ends in the
//! hour an autumn fall-back repeats ends at its second occurrence. Slots never straddle a
//! window's end, and a booking's buffers must be free too.

use chrono::{
    DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc, Weekday,
};
use chrono_tz::Tz;

/// A span of local time within one day (`start < end`; `end` may be 24:00 as `None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// When it opens.
    pub start: NaiveTime,
    /// When it closes (`None`: at midnight, the end of the day).
    pub end: Option<NaiveTime>,
}

/// When a resource can be booked.
#[derive(Debug, Clone)]
pub struct Availability {
    /// Its IANA time zone.
    pub zone: Tz,
    /// Its hours on each weekday (several windows a day allowed).
    pub weekly: Vec<(Weekday, Window)>,
    /// Dates whose hours replace the weekly ones (no window: closed that day).
    pub exceptions: Vec<(NaiveDate, Vec<Window>)>,
}

/// Time already taken (a booking or a hold, its buffers included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy {
    /// From.
    pub start: DateTime<Utc>,
    /// Until (exclusive).
    pub end: DateTime<Utc>,
}

/// A service's rules for slots.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    /// How long the appointment lasts.
    pub duration: Duration,
    /// Time kept free before it.
    pub buffer_before: Duration,
    /// Time kept free after it.
    pub buffer_after: Duration,
    /// How far apart slot starts are (from each window's start).
    pub interval: Duration,
    /// How long before its start a slot can still be booked.
    pub min_notice: Duration,
    /// How far ahead slots are offered.
    pub horizon: Duration,
}

/// The UTC instant of a local date and time in `zone`: the earlier of two when the clock
/// repeats it (`late`: the later), and the moment the clock resumes when it skips it.
pub fn to_utc(zone: Tz, local: NaiveDateTime, late: bool) -> DateTime<Utc> {
    let mut probe = local;
    // A skipped local time (at most a few hours on any real zone): the first valid minute on.
    for _ in 0..=24 * 60 {
        match zone.from_local_datetime(&probe) {
            chrono::LocalResult::Single(t) => return t.with_timezone(&Utc),
            chrono::LocalResult::Ambiguous(a, b) => {
                return if late { a.max(b) } else { a.min(b) }.with_timezone(&Utc);
            }
            chrono::LocalResult::None => probe += Duration::minutes(1),
        }
    }
    // No zone skips a whole day; read it as UTC rather than fail.
    Utc.from_utc_datetime(&local)
}

/// The windows of one local date.
fn windows_on(av: &Availability, date: NaiveDate) -> Vec<Window> {
    if let Some((_, ws)) = av.exceptions.iter().find(|(d, _)| *d == date) {
        return ws.clone();
    }
    av.weekly
        .iter()
        .filter(|(day, _)| *day == date.weekday())
        .map(|(_, w)| *w)
        .collect()
}

/// A window of a date in UTC.
fn window_utc(zone: Tz, date: NaiveDate, w: Window) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = to_utc(zone, date.and_time(w.start), false);
    let end = match w.end {
        Some(e) => to_utc(zone, date.and_time(e), true),
        None => to_utc(
            zone,
            date.succ_opt().unwrap_or(date).and_time(NaiveTime::MIN),
            false,
        ),
    };
    (start, end)
}

/// The free slot starts of one resource from `from` until before `to` (UTC), for a service's
/// `rules`, as of `now`: each slot fits a window of its date, starts at least `min_notice`
/// after `now` and at most `horizon` after it, and its time with both buffers overlaps nothing
/// in `busy`. Sorted, without duplicates. At most `limit` of them.
pub fn free(
    av: &Availability,
    busy: &[Busy],
    rules: &Rules,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
    limit: usize,
) -> Vec<DateTime<Utc>> {
    let mut out = Vec::new();
    if rules.duration <= Duration::zero() || rules.interval <= Duration::zero() || to <= from {
        return out;
    }
    let earliest = from.max(now + rules.min_notice);
    // Starts before `to` (exclusive), and not past the horizon (inclusive).
    let latest = to.min(now + rules.horizon + Duration::nanoseconds(1));
    // Local dates around the range (a zone is at most ±14 h from UTC).
    let first = (earliest - Duration::days(1))
        .with_timezone(&av.zone)
        .date_naive();
    let last = (latest + Duration::days(1))
        .with_timezone(&av.zone)
        .date_naive();
    let taken = Taken::new(busy);
    let mut date = first;
    while date <= last && out.len() < limit {
        let mut ws = windows_on(av, date);
        ws.sort_by_key(|w| w.start);
        for w in ws {
            let (open, close) = window_utc(av.zone, date, w);
            let mut s = open;
            while s + rules.duration <= close && out.len() < limit {
                if s >= earliest && s < latest {
                    let held_from = s - rules.buffer_before;
                    let held_to = s + rules.duration + rules.buffer_after;
                    if !taken.overlaps(held_from, held_to) {
                        out.push(s);
                    }
                }
                s += rules.interval;
            }
        }
        match date.succ_opt() {
            Some(d) => date = d,
            None => break,
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Busy time sorted for quick lookups: whether a span meets any of it takes a binary search,
/// not a scan (a month of five-minute slots against thousands of holds stays cheap).
pub struct Taken {
    starts: Vec<DateTime<Utc>>,
    /// The latest end among the first `i + 1` spans (spans may overlap each other).
    max_end: Vec<DateTime<Utc>>,
}

impl Taken {
    /// Sorts `busy`.
    pub fn new(busy: &[Busy]) -> Self {
        let mut spans: Vec<Busy> = busy.to_vec();
        spans.sort_by_key(|b| b.start);
        let mut max_end = Vec::with_capacity(spans.len());
        for b in &spans {
            let prev = max_end.last().copied().unwrap_or(b.end);
            max_end.push(prev.max(b.end));
        }
        Self {
            starts: spans.into_iter().map(|b| b.start).collect(),
            max_end,
        }
    }

    /// Whether `[from, to)` meets any busy span.
    pub fn overlaps(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> bool {
        // The spans that start before `to`; one of them meets it if the latest end is after `from`.
        let n = self.starts.partition_point(|s| *s < to);
        n > 0 && self.max_end[n - 1] > from
    }
}

/// Why a start cannot be booked (before looking at other bookings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unfit {
    /// It is sooner than the service's minimum notice (or past).
    TooSoon,
    /// It is further ahead than the service's horizon.
    TooFar,
    /// The appointment does not fit one window of the resource's hours on that date.
    OutsideHours,
}

/// Whether an appointment of `rules` starting at `start` fits the service's notice and horizon
/// as of `now`.
pub fn fits_rules(rules: &Rules, start: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), Unfit> {
    if start < now + rules.min_notice {
        return Err(Unfit::TooSoon);
    }
    if start > now + rules.horizon {
        return Err(Unfit::TooFar);
    }
    Ok(())
}

/// Whether an appointment of `rules` from `start` lies within the resource's hours (any start,
/// not only the slot grid's: staff may book off the grid). Windows that touch are one stretch:
/// hours to midnight and from midnight the next day hold an appointment across it.
pub fn fits_hours(av: &Availability, rules: &Rules, start: DateTime<Utc>) -> Result<(), Unfit> {
    let end = start + rules.duration;
    let around = start.with_timezone(&av.zone).date_naive();
    let mut windows: Vec<(DateTime<Utc>, DateTime<Utc>)> = [
        around.pred_opt(),
        Some(around),
        around.succ_opt(),
        around.succ_opt().and_then(|d| d.succ_opt()),
    ]
    .into_iter()
    .flatten()
    .flat_map(|date| {
        windows_on(av, date)
            .into_iter()
            .map(move |w| window_utc(av.zone, date, w))
    })
    .collect();
    windows.sort();
    let mut stretch: Option<(DateTime<Utc>, DateTime<Utc>)> = None;
    for (open, close) in windows {
        stretch = match stretch {
            Some((o, c)) if open <= c => Some((o, c.max(close))),
            Some((o, c)) => {
                if o <= start && end <= c {
                    return Ok(());
                }
                Some((open, close))
            }
            None => Some((open, close)),
        };
    }
    match stretch {
        Some((o, c)) if o <= start && end <= c => Ok(()),
        _ => Err(Unfit::OutsideHours),
    }
}

#[cfg(test)]
mod tests;
