//! The event log (outbox): every domain change worth reacting to is recorded here, in the same
//! transaction as the change, so a rolled-back change leaves no event.
//!
//! `kernel` owns this one table. Automations, webhooks, notifications and subscriptions read it.

use crate::auth::{Actor, Scope};
use crate::error::Error;
use crate::id::NodeKind;
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, ConnectionTrait};

/// The `events` table.
pub mod entity {
    use sea_orm::entity::prelude::*;

    /// One recorded domain event.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "events")]
    pub struct Model {
        /// UUIDv7: events sort by time.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// The agency the event happened in (NULL for platform and reseller events).
        pub agency_id: Option<Uuid>,
        /// The sub-account, if the event happened in one.
        pub sub_account_id: Option<Uuid>,
        /// `platform`, `reseller`, `agency` or `sub_account`.
        pub scope_kind: String,
        /// The id of the scope (NULL for the platform).
        pub scope_id: Option<Uuid>,
        /// Dotted event type, such as `user.registered`.
        pub event_type: String,
        /// GraphQL type name of the subject.
        pub subject_type: String,
        /// Id of the subject.
        pub subject_id: Uuid,
        /// `user`, `api_key`, `system` or `anonymous`.
        pub actor_kind: String,
        /// The user or key that acted.
        pub actor_id: Option<Uuid>,
        /// Event-specific data.
        pub payload: Json,
        /// When it happened.
        pub occurred_at: DateTimeUtc,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

macro_rules! event_types {
    ($($(#[$doc:meta])* $variant:ident = $wire:literal,)*) => {
        /// Every kind of domain event, with its wire name (the `event_type` column, webhook and
        /// live payloads): one list, so a producer cannot misspell a type and a consumer can
        /// match on them exhaustively.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum EventType {
            $($(#[$doc])* $variant,)*
        }

        impl EventType {
            /// Every event type.
            pub const ALL: &'static [EventType] = &[$(EventType::$variant,)*];

            /// The wire name, such as `contact.created`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(EventType::$variant => $wire,)*
                }
            }

            /// The event type of a wire name.
            pub fn parse(name: &str) -> Option<Self> {
                match name {
                    $($wire => Some(EventType::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

event_types! {
    /// `agency.created`
    AgencyCreated = "agency.created",
    /// `agency.updated`
    AgencyUpdated = "agency.updated",
    /// `agency.suspended`
    AgencySuspended = "agency.suspended",
    /// `agency.reactivated`
    AgencyReactivated = "agency.reactivated",
    /// `agency.deleted`
    AgencyDeleted = "agency.deleted",
    /// `agency.restored`
    AgencyRestored = "agency.restored",
    /// `appointment.booked`
    AppointmentBooked = "appointment.booked",
    /// `appointment.rescheduled`
    AppointmentRescheduled = "appointment.rescheduled",
    /// `appointment.cancelled` (the payload has the reason)
    AppointmentCancelled = "appointment.cancelled",
    /// `appointment.status_changed`: confirmed, completed or marked a no-show.
    AppointmentStatusChanged = "appointment.status_changed",
    /// `api_key.created`
    ApiKeyCreated = "api_key.created",
    /// `api_key.revoked`
    ApiKeyRevoked = "api_key.revoked",
    /// `contact.created`
    ContactCreated = "contact.created",
    /// `contact.consent_given`: the contact agreed to be contacted through a channel (the
    /// payload names the channel, the statement and where).
    ContactConsentGiven = "contact.consent_given",
    /// `contact.updated`
    ContactUpdated = "contact.updated",
    /// `contact.deleted`
    ContactDeleted = "contact.deleted",
    /// `contact.restored`
    ContactRestored = "contact.restored",
    /// `contact.merged`
    ContactMerged = "contact.merged",
    /// `contact.tagged`
    ContactTagged = "contact.tagged",
    /// `contact.untagged`
    ContactUntagged = "contact.untagged",
    /// `calendar_resource.created`
    CalendarResourceCreated = "calendar_resource.created",
    /// `calendar_resource.updated`: its details, hours or dated exceptions changed.
    CalendarResourceUpdated = "calendar_resource.updated",
    /// `calendar_resource.archived`
    CalendarResourceArchived = "calendar_resource.archived",
    /// `calendar_service.created`
    CalendarServiceCreated = "calendar_service.created",
    /// `calendar_service.updated`
    CalendarServiceUpdated = "calendar_service.updated",
    /// `calendar_service.archived`
    CalendarServiceArchived = "calendar_service.archived",
    /// `contact.note_added`
    ContactNoteAdded = "contact.note_added",
    /// `contact.interaction_logged`
    ContactInteractionLogged = "contact.interaction_logged",
    /// `contact.activity_deleted`
    ContactActivityDeleted = "contact.activity_deleted",
    /// `custom_field.created`
    CustomFieldCreated = "custom_field.created",
    /// `custom_field.updated`
    CustomFieldUpdated = "custom_field.updated",
    /// `custom_field.archived`
    CustomFieldArchived = "custom_field.archived",
    /// `custom_field.unarchived`
    CustomFieldUnarchived = "custom_field.unarchived",
    /// `form.submitted`: a visitor's submission of a published page's form was accepted (the
    /// automation trigger; the payload names the contact, the funnel, the page and the form).
    FormSubmitted = "form.submitted",
    /// `embed_domain.added`
    EmbedDomainAdded = "embed_domain.added",
    /// `embed_domain.removed`
    EmbedDomainRemoved = "embed_domain.removed",
    /// `funnel.created`
    FunnelCreated = "funnel.created",
    /// `funnel.updated`
    FunnelUpdated = "funnel.updated",
    /// `funnel.deleted`
    FunnelDeleted = "funnel.deleted",
    /// `funnel.tracking_changed`: a sub-account allowed or stopped tracking tags on its funnels'
    /// pages (the payload says which).
    FunnelTrackingChanged = "funnel.tracking_changed",
    /// `funnel.domain_added`
    FunnelDomainAdded = "funnel.domain_added",
    /// `funnel.domain_removed`
    FunnelDomainRemoved = "funnel.domain_removed",
    /// `funnel_page.created`
    FunnelPageCreated = "funnel_page.created",
    /// `funnel_page.updated`
    FunnelPageUpdated = "funnel_page.updated",
    /// `funnel_page.moved`
    FunnelPageMoved = "funnel_page.moved",
    /// `funnel_page.deleted`
    FunnelPageDeleted = "funnel_page.deleted",
    /// `funnel_page.draft_saved`
    FunnelPageDraftSaved = "funnel_page.draft_saved",
    /// `funnel_page.published`
    FunnelPagePublished = "funnel_page.published",
    /// `funnel_page.rolled_back`
    FunnelPageRolledBack = "funnel_page.rolled_back",
    /// `funnel_page.unpublished`
    FunnelPageUnpublished = "funnel_page.unpublished",
    /// `idea_board.created`
    IdeaBoardCreated = "idea_board.created",
    /// `idea.created`
    IdeaCreated = "idea.created",
    /// `idea.updated`
    IdeaUpdated = "idea.updated",
    /// `invitation.created`
    InvitationCreated = "invitation.created",
    /// `invitation.revoked`
    InvitationRevoked = "invitation.revoked",
    /// `invitation.accepted`
    InvitationAccepted = "invitation.accepted",
    /// `lane.created`
    LaneCreated = "lane.created",
    /// `lane.updated`
    LaneUpdated = "lane.updated",
    /// `lane.moved`
    LaneMoved = "lane.moved",
    /// `lane.deleted`
    LaneDeleted = "lane.deleted",
    /// `media_file.uploaded`
    MediaFileUploaded = "media_file.uploaded",
    /// `media_file.updated`: renamed or moved.
    MediaFileUpdated = "media_file.updated",
    /// `media_file.deleted`
    MediaFileDeleted = "media_file.deleted",
    /// `media_folder.created`
    MediaFolderCreated = "media_folder.created",
    /// `media_folder.updated`: renamed or moved.
    MediaFolderUpdated = "media_folder.updated",
    /// `media_folder.deleted`
    MediaFolderDeleted = "media_folder.deleted",
    /// `membership.granted`
    MembershipGranted = "membership.granted",
    /// `membership.updated`
    MembershipUpdated = "membership.updated",
    /// `membership.removed`
    MembershipRemoved = "membership.removed",
    /// `pipeline.created`
    PipelineCreated = "pipeline.created",
    /// `pipeline.updated`
    PipelineUpdated = "pipeline.updated",
    /// `pipeline.reordered`
    PipelineReordered = "pipeline.reordered",
    /// `pipeline.archived`
    PipelineArchived = "pipeline.archived",
    /// `pipeline.unarchived`
    PipelineUnarchived = "pipeline.unarchived",
    /// `referral_code.created`
    ReferralCodeCreated = "referral_code.created",
    /// `referral_code.updated`
    ReferralCodeUpdated = "referral_code.updated",
    /// `referral_code.redeemed`: a lead redeemed it (the payload names the lead and the
    /// referrer).
    ReferralRedeemed = "referral_code.redeemed",
    /// `reseller.created`
    ResellerCreated = "reseller.created",
    /// `reseller.updated`
    ResellerUpdated = "reseller.updated",
    /// `reseller.suspended`
    ResellerSuspended = "reseller.suspended",
    /// `reseller.reactivated`
    ResellerReactivated = "reseller.reactivated",
    /// `reseller.deleted`
    ResellerDeleted = "reseller.deleted",
    /// `reseller.restored`
    ResellerRestored = "reseller.restored",
    /// `reseller.wallet_credited`
    ResellerWalletCredited = "reseller.wallet_credited",
    /// `review.requested`: a contact was asked for a review.
    ReviewRequested = "review.requested",
    /// `review.completed`: a review was recorded (the payload has its rating).
    ReviewCompleted = "review.completed",
    /// `review.verified`
    ReviewVerified = "review.verified",
    /// `review.replied`
    ReviewReplied = "review.replied",
    /// `segment.created`
    SegmentCreated = "segment.created",
    /// `segment.updated`
    SegmentUpdated = "segment.updated",
    /// `segment.deleted`
    SegmentDeleted = "segment.deleted",
    /// `session.created`
    SessionCreated = "session.created",
    /// `session.reuse_detected`
    SessionReuseDetected = "session.reuse_detected",
    /// `session.revoked`
    SessionRevoked = "session.revoked",
    /// `sub_account.created`
    SubAccountCreated = "sub_account.created",
    /// `sub_account.updated`
    SubAccountUpdated = "sub_account.updated",
    /// `sub_account.suspended`
    SubAccountSuspended = "sub_account.suspended",
    /// `sub_account.reactivated`
    SubAccountReactivated = "sub_account.reactivated",
    /// `sub_account.deleted`
    SubAccountDeleted = "sub_account.deleted",
    /// `sub_account.restored`
    SubAccountRestored = "sub_account.restored",
    /// `tag.created`
    TagCreated = "tag.created",
    /// `tag.updated`
    TagUpdated = "tag.updated",
    /// `tag.deleted`
    TagDeleted = "tag.deleted",
    /// `task.created`
    TaskCreated = "task.created",
    /// `task.updated`
    TaskUpdated = "task.updated",
    /// `task.completed`
    TaskCompleted = "task.completed",
    /// `task.deleted`
    TaskDeleted = "task.deleted",
    /// `task.commented`
    TaskCommented = "task.commented",
    /// `task_category.created`
    TaskCategoryCreated = "task_category.created",
    /// `task_category.deleted`
    TaskCategoryDeleted = "task_category.deleted",
    /// `task_group.created`
    TaskGroupCreated = "task_group.created",
    /// `task_group.updated`
    TaskGroupUpdated = "task_group.updated",
    /// `ticket.created`
    TicketCreated = "ticket.created",
    /// `ticket.updated`
    TicketUpdated = "ticket.updated",
    /// `ticket.moved`
    TicketMoved = "ticket.moved",
    /// `ticket.won`
    TicketWon = "ticket.won",
    /// `ticket.lost`
    TicketLost = "ticket.lost",
    /// `ticket.reopened`
    TicketReopened = "ticket.reopened",
    /// `ticket.deleted`
    TicketDeleted = "ticket.deleted",
    /// `ticket.noted`
    TicketNoted = "ticket.noted",
    /// `user.registered`
    UserRegistered = "user.registered",
    /// `user.password_changed`
    UserPasswordChanged = "user.password_changed",
    /// `user.password_reset`
    UserPasswordReset = "user.password_reset",
    /// `workspace_link.created`
    WorkspaceLinkCreated = "workspace_link.created",
    /// `workspace_link.deleted`
    WorkspaceLinkDeleted = "workspace_link.deleted",
}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An event to record.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// What happened.
    pub event_type: EventType,
    /// The scope it happened in.
    pub scope: Scope,
    /// What it happened to.
    pub subject: (NodeKind, Uuid),
    /// Event-specific data (never secrets).
    pub payload: serde_json::Value,
}

/// Records an event on `db`, which must be the transaction of the change it describes.
pub async fn record(
    db: &impl ConnectionTrait,
    actor: &Actor,
    event: NewEvent,
) -> Result<Uuid, Error> {
    let event = unwritten(actor, event);
    event.insert(db).await?;
    Ok(event.written())
}

/// An event whose row its change writes in its own statement ([`Unwritten::insert_from`]): a
/// change and its event in one round trip. Call [`Unwritten::written`] once that statement has
/// written it, and not if it wrote none: it notes the event for the audit log and the edge, as
/// [`record`] does.
#[derive(Debug)]
#[must_use = "an unwritten event is noted only by `written`"]
pub struct Unwritten {
    row: entity::ActiveModel,
    id: Uuid,
    scope: Scope,
    subject: (NodeKind, Uuid),
    event_type: EventType,
}

/// `event`'s row, to be written by the statement of its change.
pub fn unwritten(actor: &Actor, event: NewEvent) -> Unwritten {
    let id = crate::id::new_uuid();
    Unwritten {
        id,
        scope: event.scope,
        subject: event.subject,
        event_type: event.event_type,
        row: row(actor, event, id),
    }
}

impl Unwritten {
    /// The insert of the event's row, selected from `source`, a common table expression of the
    /// change's statement (`crate::db::insert_from`): written if the change was. No
    /// `RETURNING`, as in [`record`].
    pub fn insert_from(&self, source: &str) -> Result<sea_orm::sea_query::InsertStatement, Error> {
        crate::db::insert_from(&self.row, source)
    }

    /// Writes the event's row in a statement of its own ([`record`], and a change whose
    /// statement cannot write it: on SQLite). No `RETURNING`: a row may be written where it may
    /// not be read back (an event with no agency, under row-level security).
    pub async fn insert(&self, db: &impl ConnectionTrait) -> Result<(), Error> {
        entity::Entity::insert(self.row.clone())
            .exec_without_returning(db)
            .await?;
        Ok(())
    }

    /// Notes the event, now written: its id.
    pub fn written(self) -> Uuid {
        note(self.scope.agency_id(), self.event_type);
        crate::audit::note_event(
            self.subject,
            self.scope.agency_id(),
            self.scope.sub_account_id(),
        );
        self.id
    }
}

/// Records that `event_type` happened to `subject` in `scope`, on `db` (the transaction of the
/// change it describes).
pub async fn record_in(
    db: &impl ConnectionTrait,
    actor: &Actor,
    scope: Scope,
    subject: (NodeKind, Uuid),
    event_type: EventType,
    payload: serde_json::Value,
) -> Result<(), Error> {
    let event = NewEvent {
        event_type,
        scope,
        subject,
        payload,
    };
    record(db, actor, event).await.map(|_| ())
}

tokio::task_local! {
    static RECORDED: std::cell::RefCell<Vec<(Option<Uuid>, EventType)>>;
}

fn note(agency: Option<Uuid>, event_type: EventType) {
    let _ = RECORDED.try_with(|r| r.borrow_mut().push((agency, event_type)));
}

/// Runs `work` and returns, with its output, the events it recorded (their agency and type),
/// whether or not they were committed after: the edge uses them to tell what a request changed
/// once it has committed.
pub async fn tracking<F: std::future::Future>(
    work: F,
) -> (F::Output, Vec<(Option<Uuid>, EventType)>) {
    RECORDED
        .scope(std::cell::RefCell::new(Vec::new()), async {
            let out = work.await;
            (out, RECORDED.with(|r| r.take()))
        })
        .await
}

/// Whether an event of this type may change what a published page shows or whether it is
/// served: funnels and their pages, and the lifecycle and domains of sub-accounts, agencies and
/// resellers.
pub fn touches_sites(event_type: &str) -> bool {
    [
        "funnel.",
        "funnel_page.",
        "sub_account.",
        "agency.",
        "reseller.",
    ]
    .iter()
    .any(|p| event_type.starts_with(p))
}

/// Most events written by one statement of [`record_many`].
const BATCH: usize = 500;

/// Records many events in a few statements (batches of 500), in the caller's transaction: for
/// bulk changes such as imports.
pub async fn record_many(
    db: &impl ConnectionTrait,
    actor: &Actor,
    events: Vec<NewEvent>,
) -> Result<(), Error> {
    let mut rows: Vec<entity::ActiveModel> = events
        .into_iter()
        .map(|e| {
            note(e.scope.agency_id(), e.event_type);
            crate::audit::note_event(e.subject, e.scope.agency_id(), e.scope.sub_account_id());
            row(actor, e, crate::id::new_uuid())
        })
        .collect();
    while !rows.is_empty() {
        let rest = rows.split_off(rows.len().min(BATCH));
        entity::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
        rows = rest;
    }
    Ok(())
}

fn row(actor: &Actor, event: NewEvent, id: Uuid) -> entity::ActiveModel {
    let (actor_kind, actor_id) = actor.kind_and_id();
    entity::ActiveModel {
        id: Set(id),
        agency_id: Set(event.scope.agency_id()),
        sub_account_id: Set(event.scope.sub_account_id()),
        scope_kind: Set(event.scope.kind().as_str().to_owned()),
        scope_id: Set(event.scope.id()),
        event_type: Set(event.event_type.as_str().to_owned()),
        subject_type: Set(event.subject.0.type_name().to_owned()),
        subject_id: Set(event.subject.1),
        actor_kind: Set(actor_kind.to_owned()),
        actor_id: Set(actor_id),
        payload: Set(event.payload),
        occurred_at: Set(chrono::Utc::now()),
    }
}

/// The permission that lets one read the events about a subject of this GraphQL type.
pub fn subject_read_permission(subject_type: &str) -> Option<crate::auth::Permission> {
    use crate::auth::Permission;
    Some(match subject_type {
        "Contact" | "Tag" | "CustomField" | "Segment" | "Activity" | "FormSubmission"
        | "ReferralCode" | "Review" => Permission::ContactsRead,
        "Pipeline" | "Lane" | "Ticket" | "TicketNote" | "Task" | "TaskGroup" | "TaskCategory"
        | "ChecklistItem" | "TaskComment" | "TaskAttachment" | "TaskReminder" | "IdeaBoard"
        | "Idea" | "WorkspaceLink" => Permission::PipelinesRead,
        "Membership" | "Invitation" => Permission::MembersManage,
        "ApiKey" => Permission::ApiKeysManage,
        "Funnel" | "FunnelPage" | "FunnelPageVersion" => Permission::FunnelsRead,
        "SubAccount" | "Agency" | "SidebarOption" | "EmbedDomain" => Permission::SettingsManage,
        "CalendarResource" | "CalendarService" | "Appointment" => Permission::CalendarsRead,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::EventType;

    #[test]
    fn wire_names_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for t in EventType::ALL {
            assert_eq!(EventType::parse(t.as_str()), Some(*t));
            assert!(seen.insert(t.as_str()), "{} twice", t.as_str());
            let (subject, verb) = t.as_str().split_once('.').expect("dotted");
            assert!(!subject.is_empty() && !verb.is_empty());
        }
        assert_eq!(EventType::parse("contact.exploded"), None);
    }
}
