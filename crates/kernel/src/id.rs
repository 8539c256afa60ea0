//! Typed, opaque global ids: a short type prefix and the row's UUIDv7 (`usr_0193…`).

use crate::error::Error;
use uuid::Uuid;

/// The kinds of object that have a global id. The prefix is part of the public API: never change one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NodeKind {
    /// The platform (one per deployment).
    Platform,
    /// A white-label reseller.
    Reseller,
    /// An agency (the tenant).
    Agency,
    /// A sub-account of an agency.
    SubAccount,
    /// A user.
    User,
    /// A login session.
    Session,
    /// An API key.
    ApiKey,
    /// A membership of a user in a scope.
    Membership,
    /// An invitation.
    Invitation,
    /// An event of the event log.
    Event,
    /// A sidebar option of an agency or sub-account.
    SidebarOption,
    /// A contact of a sub-account.
    Contact,
    /// A tag of a sub-account.
    Tag,
    /// A note or interaction on a contact's timeline.
    Activity,
    /// A custom contact field of a sub-account.
    CustomField,
    /// A saved contact filter of a sub-account.
    Segment,
    /// A pipeline (kanban board) of a sub-account.
    Pipeline,
    /// A lane of a pipeline.
    Lane,
    /// A ticket (deal) on a pipeline.
    Ticket,
    /// A note on a ticket.
    TicketNote,
    /// A task of a sub-account's workspace.
    Task,
    /// A task group (project).
    TaskGroup,
    /// A task category.
    TaskCategory,
    /// An item of a task's checklist.
    ChecklistItem,
    /// A comment on a task.
    TaskComment,
    /// A file attached to a task.
    TaskAttachment,
    /// A reminder of a task.
    TaskReminder,
    /// An idea board.
    IdeaBoard,
    /// An idea on a board.
    Idea,
    /// A link of a workspace.
    WorkspaceLink,
    /// A notification to a user.
    Notification,
    /// A background job.
    Job,
    /// A partner's webhook endpoint.
    WebhookEndpoint,
    /// A message to a webhook endpoint.
    WebhookMessage,
    /// A funnel or website of a sub-account.
    Funnel,
    /// A page (a step) of a funnel.
    FunnelPage,
    /// A published, immutable version of a funnel page.
    FunnelPageVersion,
    /// An accepted submission of a funnel page's form.
    FormSubmission,
    /// A host a sub-account's public endpoints accept cross-origin calls from.
    EmbedDomain,
    /// A file in a sub-account's media library.
    MediaFile,
    /// A folder of a sub-account's media library.
    MediaFolder,
    /// A bookable staff member, room or piece of equipment of a sub-account's calendars.
    CalendarResource,
    /// A service a sub-account's clients can book.
    CalendarService,
    /// A booked appointment.
    Appointment,
    /// A contact's referral code.
    ReferralCode,
    /// A review asked of a contact, or recorded.
    Review,
}

impl NodeKind {
    /// Every kind, for lookups by prefix.
    pub const ALL: [NodeKind; 46] = [
        NodeKind::Platform,
        NodeKind::Reseller,
        NodeKind::Agency,
        NodeKind::SubAccount,
        NodeKind::User,
        NodeKind::Session,
        NodeKind::ApiKey,
        NodeKind::Membership,
        NodeKind::Invitation,
        NodeKind::Event,
        NodeKind::SidebarOption,
        NodeKind::Contact,
        NodeKind::Tag,
        NodeKind::Activity,
        NodeKind::CustomField,
        NodeKind::Segment,
        NodeKind::Pipeline,
        NodeKind::Lane,
        NodeKind::Ticket,
        NodeKind::TicketNote,
        NodeKind::Task,
        NodeKind::TaskGroup,
        NodeKind::TaskCategory,
        NodeKind::ChecklistItem,
        NodeKind::TaskComment,
        NodeKind::TaskAttachment,
        NodeKind::TaskReminder,
        NodeKind::IdeaBoard,
        NodeKind::Idea,
        NodeKind::WorkspaceLink,
        NodeKind::Notification,
        NodeKind::Job,
        NodeKind::WebhookEndpoint,
        NodeKind::WebhookMessage,
        NodeKind::Funnel,
        NodeKind::FunnelPage,
        NodeKind::FunnelPageVersion,
        NodeKind::FormSubmission,
        NodeKind::EmbedDomain,
        NodeKind::MediaFile,
        NodeKind::MediaFolder,
        NodeKind::CalendarResource,
        NodeKind::CalendarService,
        NodeKind::Appointment,
        NodeKind::ReferralCode,
        NodeKind::Review,
    ];

    /// The id prefix of this kind.
    pub const fn prefix(self) -> &'static str {
        match self {
            NodeKind::Platform => "plt",
            NodeKind::Reseller => "rsl",
            NodeKind::Agency => "agc",
            NodeKind::SubAccount => "sub",
            NodeKind::User => "usr",
            NodeKind::Session => "ses",
            NodeKind::ApiKey => "key",
            NodeKind::Membership => "mbr",
            NodeKind::Invitation => "inv",
            NodeKind::Event => "evt",
            NodeKind::SidebarOption => "sbo",
            NodeKind::Contact => "con",
            NodeKind::Tag => "tag",
            NodeKind::Activity => "act",
            NodeKind::CustomField => "cfd",
            NodeKind::Segment => "seg",
            NodeKind::Pipeline => "pip",
            NodeKind::Lane => "lan",
            NodeKind::Ticket => "tkt",
            NodeKind::TicketNote => "tkn",
            NodeKind::Task => "tsk",
            NodeKind::TaskGroup => "tgr",
            NodeKind::TaskCategory => "tct",
            NodeKind::ChecklistItem => "chk",
            NodeKind::TaskComment => "tcm",
            NodeKind::TaskAttachment => "tat",
            NodeKind::TaskReminder => "trm",
            NodeKind::IdeaBoard => "idb",
            NodeKind::Idea => "ide",
            NodeKind::WorkspaceLink => "wln",
            NodeKind::Notification => "ntf",
            NodeKind::Job => "job",
            NodeKind::WebhookEndpoint => "whe",
            NodeKind::WebhookMessage => "whm",
            NodeKind::Funnel => "fnl",
            NodeKind::FunnelPage => "fpg",
            NodeKind::FunnelPageVersion => "fpv",
            NodeKind::FormSubmission => "fsb",
            NodeKind::EmbedDomain => "emd",
            NodeKind::MediaFile => "mdf",
            NodeKind::MediaFolder => "mdd",
            NodeKind::CalendarResource => "clr",
            NodeKind::CalendarService => "cls",
            NodeKind::Appointment => "apt",
            NodeKind::ReferralCode => "rfc",
            NodeKind::Review => "rvw",
        }
    }

    /// The kind whose GraphQL type is `name` (as stored in events and notifications).
    pub fn from_type_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.type_name() == name)
    }

    /// The GraphQL type name of this kind.
    pub const fn type_name(self) -> &'static str {
        match self {
            NodeKind::Platform => "Platform",
            NodeKind::Reseller => "Reseller",
            NodeKind::Agency => "Agency",
            NodeKind::SubAccount => "SubAccount",
            NodeKind::User => "User",
            NodeKind::Session => "Session",
            NodeKind::ApiKey => "ApiKey",
            NodeKind::Membership => "Membership",
            NodeKind::Invitation => "Invitation",
            NodeKind::Event => "Event",
            NodeKind::SidebarOption => "SidebarOption",
            NodeKind::Contact => "Contact",
            NodeKind::Tag => "Tag",
            NodeKind::Activity => "Activity",
            NodeKind::CustomField => "CustomField",
            NodeKind::Segment => "Segment",
            NodeKind::Pipeline => "Pipeline",
            NodeKind::Lane => "Lane",
            NodeKind::Ticket => "Ticket",
            NodeKind::TicketNote => "TicketNote",
            NodeKind::Task => "Task",
            NodeKind::TaskGroup => "TaskGroup",
            NodeKind::TaskCategory => "TaskCategory",
            NodeKind::ChecklistItem => "ChecklistItem",
            NodeKind::TaskComment => "TaskComment",
            NodeKind::TaskAttachment => "TaskAttachment",
            NodeKind::TaskReminder => "TaskReminder",
            NodeKind::IdeaBoard => "IdeaBoard",
            NodeKind::Idea => "Idea",
            NodeKind::WorkspaceLink => "WorkspaceLink",
            NodeKind::Notification => "Notification",
            NodeKind::Job => "Job",
            NodeKind::WebhookEndpoint => "WebhookEndpoint",
            NodeKind::WebhookMessage => "WebhookMessage",
            NodeKind::Funnel => "Funnel",
            NodeKind::FunnelPage => "FunnelPage",
            NodeKind::FunnelPageVersion => "FunnelPageVersion",
            NodeKind::FormSubmission => "FormSubmission",
            NodeKind::EmbedDomain => "EmbedDomain",
            NodeKind::MediaFile => "MediaFile",
            NodeKind::MediaFolder => "MediaFolder",
            NodeKind::CalendarResource => "CalendarResource",
            NodeKind::CalendarService => "CalendarService",
            NodeKind::Appointment => "Appointment",
            NodeKind::ReferralCode => "ReferralCode",
            NodeKind::Review => "Review",
        }
    }

    fn from_prefix(prefix: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.prefix() == prefix)
    }
}

/// A typed global id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GlobalId {
    /// What the id names.
    pub kind: NodeKind,
    /// The row's primary key.
    pub uuid: Uuid,
}

/// At most the first 40 characters of what a client sent as an id, to quote in an error.
fn shown(s: &str) -> String {
    const MAX: usize = 40;
    if s.chars().count() <= MAX {
        s.to_owned()
    } else {
        format!("{}…", s.chars().take(MAX).collect::<String>())
    }
}

/// "an" before a vowel sound, else "a" (for type names: "an Agency id", "a Contact id").
fn article(word: &str) -> &'static str {
    match word.chars().next().map(|c| c.to_ascii_lowercase()) {
        Some('a' | 'e' | 'i' | 'o') => "an",
        _ => "a",
    }
}

impl GlobalId {
    /// The global id of a row of the given kind.
    pub const fn new(kind: NodeKind, uuid: Uuid) -> Self {
        Self { kind, uuid }
    }

    /// Parses any global id. A malformed id is `BAD_USER_INPUT`.
    pub fn parse(s: &str) -> Result<Self, Error> {
        let bad = || Error::bad_input(None, format!("`{}` is not a valid id", shown(s)));
        let (prefix, rest) = s.split_once('_').ok_or_else(bad)?;
        let kind = NodeKind::from_prefix(prefix).ok_or_else(bad)?;
        if rest.len() != 32 {
            return Err(bad());
        }
        let uuid = Uuid::try_parse(rest).map_err(|_| bad())?;
        Ok(Self { kind, uuid })
    }

    /// Parses a global id that must be of `kind`. Another kind is `BAD_USER_INPUT`.
    pub fn parse_as(s: &str, kind: NodeKind) -> Result<Uuid, Error> {
        let id = Self::parse(s)?;
        if id.kind != kind {
            return Err(Error::bad_input(
                None,
                format!(
                    "`{}` is not {} {} id",
                    shown(s),
                    article(kind.type_name()),
                    kind.type_name()
                ),
            ));
        }
        Ok(id.uuid)
    }

    /// The GraphQL `ID` of this global id.
    pub fn to_id(self) -> async_graphql::ID {
        // Written in place at its final size: `to_string` went through the formatter and
        // grew its buffer twice (every id a page shows is written this way).
        let prefix = self.kind.prefix();
        let mut s = String::with_capacity(prefix.len() + 1 + uuid::fmt::Simple::LENGTH);
        s.push_str(prefix);
        s.push('_');
        s.push_str(
            self.uuid
                .simple()
                .encode_lower(&mut [0; uuid::fmt::Simple::LENGTH]),
        );
        async_graphql::ID(s)
    }
}

impl std::fmt::Display for GlobalId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}_{}", self.kind.prefix(), self.uuid.simple())
    }
}

/// The id of the platform: one per deployment.
pub const PLATFORM_ID: Uuid = Uuid::nil();

/// The global id of a scope.
pub fn scope_gid(scope: crate::auth::Scope) -> async_graphql::ID {
    use crate::auth::Scope;
    match scope {
        Scope::Platform => gid(NodeKind::Platform, PLATFORM_ID),
        Scope::Reseller(id) => gid(NodeKind::Reseller, id),
        Scope::Agency(id) => gid(NodeKind::Agency, id),
        Scope::SubAccount { id, .. } => gid(NodeKind::SubAccount, id),
    }
}

/// A new time-ordered primary key (UUIDv7).
pub fn new_uuid() -> Uuid {
    Uuid::now_v7()
}

/// The smallest UUIDv7 of the millisecond `at`: ids at or above it were made at `at` or later.
pub fn uuid_floor(at: chrono::DateTime<chrono::Utc>) -> Uuid {
    let ms = u64::try_from(at.timestamp_millis()).unwrap_or(0);
    Uuid::from_u128((u128::from(ms) << 80) | (0x7u128 << 76) | (0x2u128 << 62))
}

/// The global id of the tenant scope a row concerns: its sub-account, else its agency (for
/// rows that keep both columns, as events and notifications do).
pub fn row_scope_gid(
    agency_id: Option<Uuid>,
    sub_account_id: Option<Uuid>,
) -> Option<async_graphql::ID> {
    match (sub_account_id, agency_id) {
        (Some(s), _) => Some(gid(NodeKind::SubAccount, s)),
        (None, Some(a)) => Some(gid(NodeKind::Agency, a)),
        (None, None) => None,
    }
}

/// Shorthand: the GraphQL `ID` of a row.
pub fn gid(kind: NodeKind, uuid: Uuid) -> async_graphql::ID {
    GlobalId::new(kind, uuid).to_id()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_wrong_kind() {
        let uuid = new_uuid();
        let s = GlobalId::new(NodeKind::User, uuid).to_string();
        assert!(s.starts_with("usr_"));
        assert_eq!(GlobalId::parse(&s).map(|g| g.uuid).ok(), Some(uuid));
        assert_eq!(GlobalId::parse_as(&s, NodeKind::User).ok(), Some(uuid));
        assert!(GlobalId::parse_as(&s, NodeKind::ApiKey).is_err());
    }

    #[test]
    fn an_id_is_written_as_it_is_displayed() {
        let uuid = new_uuid();
        for k in NodeKind::ALL {
            let g = GlobalId::new(k, uuid);
            let id = g.to_id();
            assert_eq!(id.0, g.to_string(), "{k:?}");
        }
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "usr",
            "usr_",
            "xyz_0193",
            "usr_not-a-uuid-at-all-000000000000",
            "usr_0193",
        ] {
            assert!(GlobalId::parse(bad).is_err(), "{bad}");
        }
        let hyphenated = format!("usr_{}", new_uuid());
        assert!(
            GlobalId::parse(&hyphenated).is_err(),
            "only the simple form is accepted"
        );
    }

    #[test]
    fn prefixes_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for k in NodeKind::ALL {
            assert!(seen.insert(k.prefix()), "{k:?}");
        }
    }
}
