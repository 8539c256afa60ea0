//! Notifications: short messages to one user about something that concerns them (an
//! assignment, an accepted invitation, …), written in the transaction of the change that
//! caused them. `kernel` owns the table so that any domain can notify; a user reads only their
//! own, and only those of scopes they still hold something in.

use crate::auth::{Actor, Scope};
use crate::error::Error;
use crate::id::NodeKind;
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, ConnectionTrait};

#[allow(missing_docs)]
pub mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "notifications")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub user_id: Uuid,
        pub agency_id: Option<Uuid>,
        pub sub_account_id: Option<Uuid>,
        pub kind: String,
        pub text: String,
        pub link: Option<String>,
        pub subject_type: Option<String>,
        pub subject_id: Option<Uuid>,
        pub read_at: Option<DateTimeUtc>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A notification to send.
#[derive(Debug, Clone)]
pub struct NewNotification {
    /// The recipient.
    pub user_id: Uuid,
    /// What it concerns (an agency or a sub-account).
    pub scope: Scope,
    /// A machine-readable kind, such as `ticket.assigned`.
    pub kind: &'static str,
    /// The text shown (cut to 500 characters).
    pub text: String,
    /// The object it is about.
    pub subject: Option<(NodeKind, Uuid)>,
}

/// Sends a notification, unless its recipient is the actor or the owner of the actor's API
/// key (nobody is told what they did).
pub async fn send(
    db: &impl ConnectionTrait,
    actor: &Actor,
    n: NewNotification,
) -> Result<(), Error> {
    let doer = match &actor.principal {
        crate::auth::Principal::User { user_id, .. } => Some(*user_id),
        crate::auth::Principal::ApiKey { owner, .. } => Some(*owner),
        _ => None,
    };
    if doer == Some(n.user_id) {
        return Ok(());
    }
    let text: String = n.text.chars().take(500).collect();
    // No `RETURNING`: the notification is its recipient's to read, not the writer's.
    let row = entity::ActiveModel {
        id: Set(crate::id::new_uuid()),
        user_id: Set(n.user_id),
        agency_id: Set(n.scope.agency_id()),
        sub_account_id: Set(n.scope.sub_account_id()),
        kind: Set(n.kind.to_owned()),
        text: Set(text),
        link: Set(n
            .subject
            .map(|(k, id)| format!("canopy://{}", crate::id::GlobalId::new(k, id)))),
        subject_type: Set(n.subject.map(|(k, _)| k.type_name().to_owned())),
        subject_id: Set(n.subject.map(|(_, id)| id)),
        read_at: Set(None),
        created_at: Set(chrono::Utc::now()),
    };
    entity::Entity::insert(row)
        .exec_without_returning(db)
        .await?;
    Ok(())
}
