//! What one top-level mutation did, gathered for the audit log while it runs: the subjects of
//! the events it recorded (and their tenant), and the codes of the user errors it answered
//! with. The gateway runs each mutation inside [`collect`]; `event::record` and
//! `error::IntoPayload` note what they see.

use crate::id::{GlobalId, NodeKind};
use std::cell::RefCell;
use uuid::Uuid;

/// Most subjects kept for one mutation (an import records thousands of events).
pub const MAX_SUBJECTS: usize = 20;

/// What a mutation did, as far as the audit log tells.
#[derive(Debug, Default, Clone)]
pub struct Collected {
    /// Global ids of the subjects of its events (the first [`MAX_SUBJECTS`], each once).
    pub subjects: Vec<String>,
    /// The agency of its first event in one, if any.
    pub agency_id: Option<Uuid>,
    /// The sub-account of its first event in one, if any.
    pub sub_account_id: Option<Uuid>,
    /// How many events it recorded.
    pub events: usize,
    /// The codes of the user errors it answered with (none on success).
    pub user_errors: Vec<String>,
    /// Whether it answers a user error over writes it cannot keep ([`roll_back_mutation`]):
    /// the gateway rolls it back whole, and its payload stands.
    pub roll_back: bool,
}

tokio::task_local! {
    static CURRENT: RefCell<Collected>;
}

/// Runs `work` (one mutation) and returns what it did beside its output.
pub async fn collect<F: std::future::Future>(work: F) -> (F::Output, Collected) {
    CURRENT
        .scope(RefCell::new(Collected::default()), async {
            let out = work.await;
            (out, CURRENT.with(|c| c.take()))
        })
        .await
}

/// Notes an event about `subject`, in the tenant `agency_id` / `sub_account_id`.
pub(crate) fn note_event(
    subject: (NodeKind, Uuid),
    agency_id: Option<Uuid>,
    sub_account_id: Option<Uuid>,
) {
    let _ = CURRENT.try_with(|c| {
        let mut c = c.borrow_mut();
        c.events += 1;
        if c.agency_id.is_none() && agency_id.is_some() {
            c.agency_id = agency_id;
            c.sub_account_id = sub_account_id;
        }
        // An import records thousands of events: past the first few, nothing is formatted.
        if c.subjects.len() < MAX_SUBJECTS {
            let gid = GlobalId::new(subject.0, subject.1).to_string();
            if !c.subjects.contains(&gid) {
                c.subjects.push(gid);
            }
        }
    });
}

/// Notes that the running mutation answers a user error over writes it cannot keep: the gateway
/// rolls back all it wrote, and its payload stands. For a statement that failed (a unique
/// violation, turned into a user error by `crate::db::taken_rank`: on PostgreSQL it aborted the
/// transaction), or a user error found after a write (a ticket move's respaced lane). A service
/// that calls it for its user errors after writes needs no savepoint of its own.
pub fn roll_back_mutation() {
    let _ = CURRENT.try_with(|c| c.borrow_mut().roll_back = true);
}

/// Notes the user errors a mutation answers with.
pub(crate) fn note_user_errors(errors: &[crate::UserError]) {
    let _ = CURRENT.try_with(|c| {
        let mut c = c.borrow_mut();
        for e in errors {
            if c.user_errors.len() < MAX_SUBJECTS {
                c.user_errors
                    .push(async_graphql::InputType::to_value(&e.code).to_string());
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_mutation_keeps_its_first_tenant_and_each_subject_once() {
        let (a, s, id) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let ((), c) = collect(async {
            note_event((NodeKind::User, id), None, None);
            note_event((NodeKind::Contact, id), Some(a), Some(s));
            note_event((NodeKind::Contact, id), Some(Uuid::now_v7()), None);
        })
        .await;
        assert_eq!(c.events, 3);
        assert_eq!(c.subjects.len(), 2);
        assert_eq!((c.agency_id, c.sub_account_id), (Some(a), Some(s)));
        assert!(!c.roll_back);
        let ((), c) = collect(async { roll_back_mutation() }).await;
        assert!(c.roll_back);
        roll_back_mutation();
        // Outside a mutation nothing is noted, and nothing fails.
        note_event((NodeKind::User, id), None, None);
    }
}
