//! The CRM crate's mutation root.

use super::types::{Contact, ContactSource, ContactStatus};
use crate::service::contact::{self, ContactFields};
use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object};
use kernel::error::IntoPayload;
use kernel::id::{GlobalId, NodeKind};
use kernel::payload;

/// CRM mutations.
#[derive(Default)]
pub struct CrmMutation;

/// Input of `contactCreate`. A contact needs a name, an email address or a phone number.
#[derive(InputObject)]
pub struct ContactCreateInput {
    /// The sub-account (of the agency you act in) the contact belongs to.
    pub sub_account_id: ID,
    /// First name (at most 100 characters).
    pub first_name: Option<String>,
    /// Last name (at most 100 characters).
    pub last_name: Option<String>,
    /// Email address.
    pub email: Option<String>,
    /// Phone number with its country code (`+1 415 555 2671`); stored in E.164.
    pub phone: Option<String>,
    /// Company (at most 200 characters).
    pub company: Option<String>,
    /// Where the contact came from. Default: `MANUAL`.
    pub source: Option<ContactSource>,
    /// Where the contact stands. Default: `NEW`.
    pub status: Option<ContactStatus>,
    /// The member who owns the contact (one who works in the sub-account).
    pub owner_id: Option<ID>,
    /// Do not email.
    pub do_not_email: Option<bool>,
    /// Do not text.
    pub do_not_text: Option<bool>,
    /// Do not call.
    pub do_not_call: Option<bool>,
}

/// Input of `contactUpdate`: omitted fields stay as they are; an empty string clears an
/// optional text, `ownerId: null` clears the owner.
#[derive(InputObject, Default)]
pub struct ContactUpdateInput {
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Email address.
    pub email: Option<String>,
    /// Phone number with its country code.
    pub phone: Option<String>,
    /// Company.
    pub company: Option<String>,
    /// Where the contact came from.
    pub source: Option<ContactSource>,
    /// Where the contact stands.
    pub status: Option<ContactStatus>,
    /// The member who owns the contact; null to clear.
    pub owner_id: MaybeUndefined<ID>,
    /// Do not email.
    pub do_not_email: Option<bool>,
    /// Do not text.
    pub do_not_text: Option<bool>,
    /// Do not call.
    pub do_not_call: Option<bool>,
}

payload!(ContactPayload, contact: Contact, "The contact.");

fn user_id(id: &ID) -> Result<uuid::Uuid, kernel::Error> {
    GlobalId::parse_as(id, NodeKind::User)
}

#[Object]
impl CrmMutation {
    /// Creates a contact (`CONTACTS_WRITE` in the sub-account).
    async fn contact_create(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The contact.")] input: ContactCreateInput,
    ) -> async_graphql::Result<ContactPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let sub = GlobalId::parse_as(&input.sub_account_id, NodeKind::SubAccount)?;
        let fields = ContactFields {
            first_name: input.first_name,
            last_name: input.last_name,
            email: input.email,
            phone: input.phone,
            company: input.company,
            source: input.source.map(|s| s.as_str().to_owned()),
            status: input.status.map(|s| s.as_str().to_owned()),
            owner_id: input.owner_id.as_ref().map(user_id).transpose()?.map(Some),
            dnd_email: input.do_not_email,
            dnd_sms: input.do_not_text,
            dnd_calls: input.do_not_call,
        };
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
        let owner_id = match &input.owner_id {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(o) => Some(Some(user_id(o)?)),
        };
        let fields = ContactFields {
            first_name: input.first_name,
            last_name: input.last_name,
            email: input.email,
            phone: input.phone,
            company: input.company,
            source: input.source.map(|s| s.as_str().to_owned()),
            status: input.status.map(|s| s.as_str().to_owned()),
            owner_id,
            dnd_email: input.do_not_email,
            dnd_sms: input.do_not_text,
            dnd_calls: input.do_not_call,
        };
        contact::update(&**tx, &rc.actor, id, fields)
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
