//! The CRM crate's mutation root.

use super::types::{
    Activity, ActivityKind, Contact, ContactCreateInput, ContactUpdateInput, Direction,
    InteractionStatus, Tag,
};
use crate::service::contact;
use async_graphql::{Context, ID, InputObject, Object};
use kernel::error::IntoPayload;
use kernel::id::{GlobalId, NodeKind};
use kernel::payload;

/// Contact, tag and timeline mutations.
#[derive(Default)]
pub struct ContactMutation;

payload!(ContactPayload, contact: Contact, "The contact.");
payload!(TagPayload, tag: Tag, "The tag.");
payload!(ActivityPayload, activity: Activity, "The timeline entry.");

/// Input of `contactNoteAdd`.
#[derive(InputObject)]
pub struct ContactNoteAddInput {
    /// The contact.
    pub contact_id: ID,
    /// The note (1 to 10,000 characters).
    pub body: String,
}

/// The kinds of interaction that can be logged.
#[derive(async_graphql::Enum, Clone, Copy, PartialEq, Eq)]
pub enum InteractionKind {
    /// An email.
    Email,
    /// A text message.
    Sms,
    /// A phone call.
    Call,
    /// A meeting.
    Meeting,
}

/// Input of `contactInteractionLog`.
#[derive(InputObject)]
pub struct ContactInteractionLogInput {
    /// The contact.
    pub contact_id: ID,
    /// What it was.
    pub kind: InteractionKind,
    /// Which way it went.
    pub direction: Direction,
    /// How far it got.
    pub status: Option<InteractionStatus>,
    /// Subject line (at most 300 characters).
    pub subject: Option<String>,
    /// What was said (1 to 10,000 characters).
    pub body: String,
    /// When it happened. Default: now.
    pub occurred_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Input of `tagCreate`.
#[derive(InputObject)]
pub struct TagCreateInput {
    /// The sub-account (of the agency you act in).
    pub sub_account_id: ID,
    /// The name (1 to 50 characters, unique in the sub-account whatever its case).
    pub name: String,
    /// Colour, `#rrggbb`.
    pub color: Option<String>,
}

/// Input of `tagUpdate`: omitted fields stay as they are; an empty colour clears it.
#[derive(InputObject, Default)]
pub struct TagUpdateInput {
    /// A new name.
    pub name: Option<String>,
    /// A new colour, `#rrggbb`.
    pub color: Option<String>,
}

/// Input of `contactTagsAdd` and `contactTagsRemove`: contacts and tags of one sub-account.
#[derive(InputObject)]
pub struct ContactTagsInput {
    /// The contacts (1 to 100).
    pub contact_ids: Vec<ID>,
    /// The tags (1 to 100).
    pub tag_ids: Vec<ID>,
}

/// The result of `contactTagsAdd` and `contactTagsRemove`.
#[derive(async_graphql::SimpleObject)]
pub struct ContactTagsPayload {
    /// The contacts, with their tags now.
    pub contacts: Vec<Contact>,
    /// Problems with the input that a person can fix; empty on success.
    pub user_errors: Vec<kernel::UserError>,
}

impl kernel::error::Payload for ContactTagsPayload {
    type Value = Vec<Contact>;
    fn ok(contacts: Vec<Contact>) -> Self {
        Self {
            contacts,
            user_errors: Vec::new(),
        }
    }
    fn user_errors(errors: Vec<kernel::UserError>) -> Self {
        Self {
            contacts: Vec::new(),
            user_errors: errors,
        }
    }
}

fn ids(list: &[ID], kind: NodeKind) -> Result<Vec<uuid::Uuid>, kernel::Error> {
    list.iter().map(|i| GlobalId::parse_as(i, kind)).collect()
}

#[Object]
impl ContactMutation {
    /// Adds a note to a contact's timeline (`CONTACTS_WRITE`).
    async fn contact_note_add(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The contact and the note.")] input: ContactNoteAddInput,
    ) -> async_graphql::Result<ActivityPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = GlobalId::parse_as(&input.contact_id, NodeKind::Contact)?;
        crate::service::activity::add(
            &**tx,
            &rc.actor,
            id,
            crate::service::activity::NewActivity {
                kind: ActivityKind::Note,
                direction: None,
                status: None,
                subject: None,
                body: input.body,
                occurred_at: None,
            },
        )
        .await
        .map(Activity)
        .into_payload()
    }

    /// Logs an email, text, call or meeting on a contact's timeline (`CONTACTS_WRITE`).
    async fn contact_interaction_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The contact and the interaction.")] input: ContactInteractionLogInput,
    ) -> async_graphql::Result<ActivityPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = GlobalId::parse_as(&input.contact_id, NodeKind::Contact)?;
        let kind = match input.kind {
            InteractionKind::Email => ActivityKind::Email,
            InteractionKind::Sms => ActivityKind::Sms,
            InteractionKind::Call => ActivityKind::Call,
            InteractionKind::Meeting => ActivityKind::Meeting,
        };
        crate::service::activity::add(
            &**tx,
            &rc.actor,
            id,
            crate::service::activity::NewActivity {
                kind,
                direction: Some(input.direction),
                status: input.status,
                subject: input.subject,
                body: input.body,
                occurred_at: input.occurred_at,
            },
        )
        .await
        .map(Activity)
        .into_payload()
    }

    /// Deletes a note or interaction from a timeline (`CONTACTS_WRITE`).
    async fn activity_delete(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The entry's global id.")] id: ID,
    ) -> async_graphql::Result<ActivityPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = GlobalId::parse_as(&id, NodeKind::Activity)?;
        crate::service::activity::delete(&**tx, &rc.actor, id)
            .await
            .map(Activity)
            .into_payload()
    }

    /// Creates a tag in a sub-account (`CONTACTS_WRITE`).
    async fn tag_create(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The tag.")] input: TagCreateInput,
    ) -> async_graphql::Result<TagPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let sub = GlobalId::parse_as(&input.sub_account_id, NodeKind::SubAccount)?;
        crate::service::tag::create(&**tx, &rc.actor, sub, &input.name, input.color.as_deref())
            .await
            .map(Tag::from)
            .into_payload()
    }

    /// Renames or recolours a tag (`CONTACTS_WRITE`).
    async fn tag_update(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The tag's global id.")] id: ID,
        #[graphql(desc = "The changes.")] input: TagUpdateInput,
    ) -> async_graphql::Result<TagPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = GlobalId::parse_as(&id, NodeKind::Tag)?;
        crate::service::tag::update(
            &**tx,
            &rc.actor,
            id,
            input.name.as_deref(),
            input.color.as_deref(),
        )
        .await
        .map(Tag::from)
        .into_payload()
    }

    /// Deletes a tag and takes it off every contact (`CONTACTS_WRITE`).
    async fn tag_delete(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The tag's global id.")] id: ID,
    ) -> async_graphql::Result<TagPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = GlobalId::parse_as(&id, NodeKind::Tag)?;
        crate::service::tag::delete(&**tx, &rc.actor, id)
            .await
            .map(Tag::from)
            .into_payload()
    }

    /// Puts tags on contacts, all of one sub-account; all or nothing.
    async fn contact_tags_add(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The contacts and the tags.")] input: ContactTagsInput,
    ) -> async_graphql::Result<ContactTagsPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let (c, t) = (
            ids(&input.contact_ids, NodeKind::Contact)?,
            ids(&input.tag_ids, NodeKind::Tag)?,
        );
        crate::service::tag::set_on_contacts(&**tx, &rc.actor, &c, &t, true)
            .await
            .map(|v| v.into_iter().map(Contact).collect())
            .into_payload()
    }

    /// Takes tags off contacts, all of one sub-account; all or nothing.
    async fn contact_tags_remove(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The contacts and the tags.")] input: ContactTagsInput,
    ) -> async_graphql::Result<ContactTagsPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let (c, t) = (
            ids(&input.contact_ids, NodeKind::Contact)?,
            ids(&input.tag_ids, NodeKind::Tag)?,
        );
        crate::service::tag::set_on_contacts(&**tx, &rc.actor, &c, &t, false)
            .await
            .map(|v| v.into_iter().map(Contact).collect())
            .into_payload()
    }

    /// Creates a contact (`CONTACTS_WRITE` in the sub-account).
    async fn contact_create(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The contact.")] input: ContactCreateInput,
    ) -> async_graphql::Result<ContactPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let (sub, fields) = input.into_fields()?;
        contact::create(&**tx, &rc.actor, sub, fields)
            .await
            .map(Contact)
            .into_payload()
    }

    /// Changes a contact (`CONTACTS_WRITE`).
    async fn contact_update(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The contact's global id.")] id: ID,
        #[graphql(desc = "The changes.")] input: ContactUpdateInput,
    ) -> async_graphql::Result<ContactPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = GlobalId::parse_as(&id, NodeKind::Contact)?;
        contact::update(&**tx, &rc.actor, id, input.try_into()?)
            .await
            .map(Contact)
            .into_payload()
    }

    /// Deletes a contact (soft: `contactRestore` brings it back).
    async fn contact_delete(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The contact's global id.")] id: ID,
    ) -> async_graphql::Result<ContactPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = GlobalId::parse_as(&id, NodeKind::Contact)?;
        contact::set_deleted(&**tx, &rc.actor, id, true)
            .await
            .map(Contact)
            .into_payload()
    }

    /// Restores a deleted contact.
    async fn contact_restore(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The contact's global id.")] id: ID,
    ) -> async_graphql::Result<ContactPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = GlobalId::parse_as(&id, NodeKind::Contact)?;
        contact::set_deleted(&**tx, &rc.actor, id, false)
            .await
            .map(Contact)
            .into_payload()
    }
}
