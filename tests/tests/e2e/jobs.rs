//! The job runtime: each job runs once in effect, failures back off into the dead-letter state
//! and come back through the API, a killed worker's job runs again with its effect once, a
//! rolled-back change enqueues nothing, schedules run once across replicas, agencies take
//! turns, and shutdown puts back what it did not finish.

mod api;
mod runtime;

use chrono::Utc;
use jobs::entity::job;
use jobs::{NewJob, Owner, RuntimeConfig};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};
use std::time::Duration;
use uuid::Uuid;

/// A runtime that notices work quickly.
fn quick(workers: usize) -> RuntimeConfig {
    RuntimeConfig {
        workers,
        poll: Duration::from_millis(20),
        tick: Duration::from_millis(50),
        lease: Duration::from_secs(5),
        shutdown_grace: Duration::from_millis(200),
        ..RuntimeConfig::default()
    }
}

fn uuid_of(gid: &str) -> Uuid {
    kernel::GlobalId::parse(gid).expect("a global id").uuid
}

/// The owner of jobs of the world's Dental sub-account.
fn dental(w: &tests::World) -> Owner {
    Owner::SubAccount {
        agency_id: uuid_of(&w.agency),
        id: uuid_of(&w.dental),
    }
}

async fn enqueue(db: &DatabaseConnection, job: NewJob) -> Uuid {
    jobs::enqueue(db, job)
        .await
        .expect("enqueue")
        .expect("a new job")
}

async fn load(db: &DatabaseConnection, id: Uuid) -> job::Model {
    job::Entity::find_by_id(id)
        .one(db)
        .await
        .expect("read the job")
        .expect("the job exists")
}

async fn in_status(db: &DatabaseConnection, status: jobs::JobStatus) -> u64 {
    job::Entity::find()
        .filter(job::Column::Status.eq(status))
        .count(db)
        .await
        .expect("count jobs")
}

/// Waits (up to 30 s) until `check` holds.
async fn until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Utc::now() + chrono::Duration::seconds(30);
    while !check().await {
        assert!(Utc::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
