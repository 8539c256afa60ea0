//! Recurring schedules: cron expressions read in a time zone (croner, chrono-tz). Each due run
//! is claimed by compare-and-set on `next_run_at` and enqueued with the key `name@time`, in one
//! transaction, so it is enqueued once however many replicas tick at the same moment.

use crate::enqueue::{NewJob, Owner, enqueue};
use crate::entity::schedule;
use crate::registry::Recurring;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use croner::Cron;
use kernel::Error;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionSession,
    TransactionTrait,
};
use std::str::FromStr;

/// The next time after `after` that `cron` names, read in `timezone`.
pub fn next_after(
    cron: &str,
    timezone: &str,
    after: DateTime<Utc>,
) -> Result<DateTime<Utc>, Error> {
    let tz: Tz = timezone
        .parse()
        .map_err(|_| Error::bad_input(None, format!("unknown time zone {timezone:?}")))?;
    let pattern = Cron::from_str(cron)
        .map_err(|e| Error::bad_input(None, format!("invalid cron expression {cron:?}: {e}")))?;
    pattern
        .find_next_occurrence(&after.with_timezone(&tz), false)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| Error::bad_input(None, format!("cron expression {cron:?} never runs: {e}")))
}

/// Writes the registered schedules (a changed expression or zone takes effect from now).
pub(crate) async fn install(
    db: &impl ConnectionTrait,
    schedules: &[Recurring],
) -> Result<(), Error> {
    let now = Utc::now();
    for s in schedules {
        let next = next_after(s.cron, s.timezone, now)?;
        schedule::Entity::insert(schedule::ActiveModel {
            name: Set(s.name.to_owned()),
            cron: Set(s.cron.to_owned()),
            timezone: Set(s.timezone.to_owned()),
            kind: Set(s.kind.to_owned()),
            payload: Set(s.payload.clone()),
            next_run_at: Set(next),
            last_run_at: Set(None),
        })
        .on_conflict(
            OnConflict::column(schedule::Column::Name)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
        // A changed definition: recompute the next run.
        schedule::Entity::update_many()
            .col_expr(schedule::Column::Cron, Expr::value(s.cron))
            .col_expr(schedule::Column::Timezone, Expr::value(s.timezone))
            .col_expr(schedule::Column::Kind, Expr::value(s.kind))
            .col_expr(schedule::Column::Payload, Expr::value(s.payload.clone()))
            .col_expr(schedule::Column::NextRunAt, Expr::value(next))
            .filter(schedule::Column::Name.eq(s.name))
            .filter(
                schedule::Column::Cron
                    .ne(s.cron)
                    .or(schedule::Column::Timezone.ne(s.timezone))
                    .or(schedule::Column::Kind.ne(s.kind)),
            )
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Enqueues every due run. Returns how many were enqueued.
pub(crate) async fn tick<C: ConnectionTrait + TransactionTrait>(db: &C) -> Result<u64, Error> {
    let now = Utc::now();
    let due = schedule::Entity::find()
        .filter(schedule::Column::NextRunAt.lte(now))
        .all(db)
        .await?;
    let mut enqueued = 0;
    for s in due {
        let next = next_after(&s.cron, &s.timezone, Ord::max(now, s.next_run_at))?;
        let txn = kernel::db::begin_write(db).await?;
        let won = schedule::Entity::update_many()
            .col_expr(schedule::Column::NextRunAt, Expr::value(next))
            .col_expr(schedule::Column::LastRunAt, Expr::value(s.next_run_at))
            .filter(schedule::Column::Name.eq(&s.name))
            .filter(schedule::Column::NextRunAt.eq(s.next_run_at))
            .exec(&txn)
            .await?
            .rows_affected
            == 1;
        if won {
            let key = format!("{}@{}", s.name, s.next_run_at.to_rfc3339());
            if enqueue(
                &txn,
                NewJob::new(s.kind.clone(), Owner::System, s.payload.clone()).key(key),
            )
            .await?
            .is_some()
            {
                enqueued += 1;
            }
        }
        txn.commit().await?;
    }
    Ok(enqueued)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_daily_run_follows_the_zone_across_daylight_saving() {
        // 03:30 in Berlin: UTC+1 in winter, UTC+2 in summer (clocks went forward on 29 March 2026).
        let before = Utc
            .with_ymd_and_hms(2026, 3, 28, 12, 0, 0)
            .single()
            .unwrap_or_default();
        let first = next_after("30 3 * * *", "Europe/Berlin", before).unwrap_or_default();
        assert_eq!(
            first,
            Utc.with_ymd_and_hms(2026, 3, 29, 1, 30, 0)
                .single()
                .unwrap_or_default()
        );
        let second = next_after("30 3 * * *", "Europe/Berlin", first).unwrap_or_default();
        assert_eq!(
            second,
            Utc.with_ymd_and_hms(2026, 3, 30, 1, 30, 0)
                .single()
                .unwrap_or_default()
        );
    }

    #[test]
    fn a_bad_expression_or_zone_is_an_error() {
        assert!(next_after("61 * * * *", "UTC", Utc::now()).is_err());
        assert!(next_after("* * * * *", "Mars/Olympus", Utc::now()).is_err());
    }
}
