//! GraphQL types of the CRM crate.

use super::fields::{CustomValueInput, value_inputs};
pub use crate::entity::activity::{ActivityKind, Direction, InteractionStatus};
use crate::entity::contact;
pub use crate::entity::contact::{ContactSource, ContactStatus};
use crate::service::contact::ContactFields;
use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object};
use chrono::{DateTime, Utc};
use kernel::id::{GlobalId, NodeKind, gid};
use uuid::Uuid;

/// A postal address.
#[derive(async_graphql::SimpleObject, Clone)]
pub struct PostalAddress {
    /// Street and number.
    pub line1: Option<String>,
    /// Second line.
    pub line2: Option<String>,
    /// City.
    pub city: Option<String>,
    /// State, province or region.
    pub region: Option<String>,
    /// Postal code.
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2 country code.
    pub country: Option<String>,
}

/// A person a sub-account does business with.
#[derive(Clone)]
pub struct Contact(pub contact::Model);

/// A person a sub-account does business with.
#[Object]
impl Contact {
    /// The contact's global id.
    pub async fn id(&self) -> ID {
        gid(NodeKind::Contact, self.0.id)
    }
    /// First name.
    async fn first_name(&self) -> &str {
        &self.0.first_name
    }
    /// Last name.
    async fn last_name(&self) -> &str {
        &self.0.last_name
    }
    /// Email address (lowercase).
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    /// Phone number in E.164 form (`+14155552671`).
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }
    /// Company.
    async fn company(&self) -> Option<&str> {
        self.0.company.as_deref()
    }
    /// Where the contact came from.
    async fn source(&self) -> ContactSource {
        self.0.source
    }
    /// Where the contact stands.
    async fn status(&self) -> ContactStatus {
        self.0.status
    }
    /// The member who owns the contact.
    async fn owner(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<identity::User>> {
        let Some(owner) = self.0.owner_id else {
            return Ok(None);
        };
        // Batched across the page (one query for every owner shown).
        let loader = kernel::loader::get::<identity::UserLoader>(ctx)?;
        Ok(loader.load_one(owner).await?.map(identity::User))
    }
    /// The contact's notes and interactions, newest recorded first.
    async fn timeline(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Return the first n entries (at most 100).")] first: Option<i32>,
        #[graphql(desc = "Return entries after (older than) this cursor.")] after: Option<String>,
        #[graphql(desc = "Return the last n entries (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Return entries before (newer than) this cursor.")] before: Option<String>,
    ) -> async_graphql::Result<ActivityConnection> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let page = kernel::connection::Page::new(first, after, last, before)?;
        // Boxed, as every statement in a `Contact` field (see `kernel::boxed`).
        let (rows, info, total) = kernel::boxed(crate::service::activity::timeline(
            &**tx,
            &rc.actor,
            &self.0,
            page,
            kernel::connection::wants_total_count(ctx),
        ))
        .await?;
        Ok(ActivityConnection::build(
            rows.into_iter().map(Activity).collect(),
            info,
            total,
            |a| a.0.id,
        ))
    }
    /// The contact's tags, in the order they were put on.
    async fn tags(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Tag>> {
        // Batched across the page (one query for every contact shown).
        let loader = kernel::loader::get::<crate::ContactTagsLoader>(ctx)?;
        Ok(loader
            .load_one(self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(Tag)
            .collect())
    }
    /// The consent the contact gave to be reached, channel by channel, newest first: what they
    /// agreed to, when and where. A record, not a switch: the do-not-contact flags still apply.
    async fn consents(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Consent>> {
        let (tx, rc) = kernel::db::request(ctx)?;
        Ok(kernel::boxed(crate::service::intake::consents(
            &**tx, &rc.actor, self.0.id,
        ))
        .await?
        .into_iter()
        .map(Consent)
        .collect())
    }
    /// The postal address (null when it has no line, city, region, postal code or country).
    async fn address(&self) -> Option<PostalAddress> {
        let c = &self.0;
        let a = PostalAddress {
            line1: c.address_line1.clone(),
            line2: c.address_line2.clone(),
            city: c.city.clone(),
            region: c.region.clone(),
            postal_code: c.postal_code.clone(),
            country: c.country.clone(),
        };
        let empty = [
            &a.line1,
            &a.line2,
            &a.city,
            &a.region,
            &a.postal_code,
            &a.country,
        ]
        .iter()
        .all(|v| v.is_none());
        (!empty).then_some(a)
    }
    /// The contact's values of live custom fields, in the order the fields were made.
    async fn custom_values(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<super::fields::CustomValue>> {
        // Batched across the page (one query, values with their fields, for every contact shown).
        let loader = kernel::loader::get::<crate::loader::ContactValuesLoader>(ctx)?;
        Ok(loader
            .load_one(self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(|(v, f)| super::fields::CustomValue(v, f))
            .collect())
    }
    /// The contact this one was merged into (it is then deleted).
    async fn merged_into_id(&self) -> Option<ID> {
        self.0.merged_into_id.map(|id| gid(NodeKind::Contact, id))
    }
    /// Do not email.
    async fn do_not_email(&self) -> bool {
        self.0.dnd_email
    }
    /// Do not text.
    async fn do_not_text(&self) -> bool {
        self.0.dnd_sms
    }
    /// Do not call.
    async fn do_not_call(&self) -> bool {
        self.0.dnd_calls
    }
    /// When the contact was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When the contact last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// When the contact was deleted, if it was.
    async fn deleted_at(&self) -> Option<DateTime<Utc>> {
        self.0.deleted_at
    }
}

kernel::connection_types!(ContactConnection, ContactEdge, Contact, "contacts");

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
    /// Postal address.
    pub address: Option<PostalAddressInput>,
    /// Custom field values (at most 200).
    pub custom_values: Option<Vec<CustomValueInput>>,
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
    /// Postal address.
    pub address: Option<PostalAddressInput>,
    /// Custom field values (at most 200).
    pub custom_values: Option<Vec<CustomValueInput>>,
}

/// A postal address: omitted members stay as they are, an empty string clears one.
#[derive(InputObject, Default)]
pub struct PostalAddressInput {
    /// Street and number (at most 200 characters).
    pub line1: Option<String>,
    /// Second line (at most 200 characters).
    pub line2: Option<String>,
    /// City (at most 100 characters).
    pub city: Option<String>,
    /// State, province or region (at most 100 characters).
    pub region: Option<String>,
    /// Postal code (at most 20 characters).
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2 country code, such as `US` or `DE`.
    pub country: Option<String>,
}

impl ContactCreateInput {
    /// The sub-account and the contact's fields, as `contact::create` takes them.
    pub fn into_fields(self) -> Result<(Uuid, ContactFields), kernel::Error> {
        let sub = GlobalId::parse_as(&self.sub_account_id, NodeKind::SubAccount)?;
        // A creation is an update of a new contact: the members are the same.
        let fields = ContactUpdateInput {
            first_name: self.first_name,
            last_name: self.last_name,
            email: self.email,
            phone: self.phone,
            company: self.company,
            source: self.source,
            status: self.status,
            owner_id: self.owner_id.map(Some).into(),
            do_not_email: self.do_not_email,
            do_not_text: self.do_not_text,
            do_not_call: self.do_not_call,
            address: self.address,
            custom_values: self.custom_values,
        };
        Ok((sub, fields.try_into()?))
    }
}

/// The one mapping of a contact input onto the service's fields.
impl TryFrom<ContactUpdateInput> for ContactFields {
    type Error = kernel::Error;

    fn try_from(i: ContactUpdateInput) -> Result<Self, kernel::Error> {
        let address = i.address.unwrap_or_default();
        Ok(ContactFields {
            first_name: i.first_name,
            last_name: i.last_name,
            email: i.email,
            phone: i.phone,
            company: i.company,
            source: i.source,
            status: i.status,
            owner_id: i
                .owner_id
                .map_value(|o| GlobalId::parse_as(&o, NodeKind::User))
                .transpose()?
                .into(),
            dnd_email: i.do_not_email,
            dnd_sms: i.do_not_text,
            dnd_calls: i.do_not_call,
            address_line1: address.line1,
            address_line2: address.line2,
            city: address.city,
            region: address.region,
            postal_code: address.postal_code,
            country: address.country,
            custom_values: value_inputs(i.custom_values)?,
        })
    }
}

/// A label for a sub-account's contacts (shared: a page's tag loaders decode each tag once).
#[derive(Clone)]
pub struct Tag(pub std::sync::Arc<crate::entity::tag::Model>);

impl From<crate::entity::tag::Model> for Tag {
    fn from(t: crate::entity::tag::Model) -> Self {
        Self(std::sync::Arc::new(t))
    }
}

/// A label for a sub-account's contacts.
#[Object]
impl Tag {
    /// The tag's global id.
    pub async fn id(&self) -> ID {
        gid(NodeKind::Tag, self.0.id)
    }
    /// The name (unique in the sub-account, whatever its case).
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Colour, `#rrggbb`.
    async fn color(&self) -> Option<&str> {
        self.0.color.as_deref()
    }
    /// When the tag was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

kernel::connection_types!(TagConnection, TagEdge, Tag, "tags");

/// A note or a logged interaction on a contact's timeline.
#[derive(Clone)]
pub struct Activity(pub crate::entity::activity::Model);

/// A note or a logged interaction on a contact's timeline.
#[Object]
impl Activity {
    /// The entry's global id.
    pub async fn id(&self) -> ID {
        gid(NodeKind::Activity, self.0.id)
    }
    /// What it is.
    async fn kind(&self) -> ActivityKind {
        self.0.kind
    }
    /// Which way an interaction went (null for notes).
    async fn direction(&self) -> Option<Direction> {
        self.0.direction
    }
    /// How far an interaction got.
    async fn status(&self) -> Option<InteractionStatus> {
        self.0.status
    }
    /// Subject line.
    async fn subject(&self) -> Option<&str> {
        self.0.subject.as_deref()
    }
    /// The text.
    async fn body(&self) -> &str {
        &self.0.body
    }
    /// Who wrote or logged it.
    async fn author(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<identity::User>> {
        let Some(author) = self.0.author_id else {
            return Ok(None);
        };
        let loader = kernel::loader::get::<identity::UserLoader>(ctx)?;
        Ok(loader.load_one(author).await?.map(identity::User))
    }
    /// When it happened.
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }
    /// When it was recorded.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

kernel::connection_types!(
    ActivityConnection,
    ActivityEdge,
    Activity,
    "timeline entries"
);

/// Consent a contact gave to be reached through one channel.
pub struct Consent(pub crate::entity::consent::Model);

/// Consent a contact gave to be reached through one channel.
#[Object]
impl Consent {
    /// The channel they agreed to be reached through.
    async fn channel(&self) -> crate::entity::consent::ConsentChannel {
        self.0.channel
    }
    /// The words they agreed to, as they were shown.
    async fn statement(&self) -> &str {
        &self.0.statement
    }
    /// Where they gave it.
    async fn source(&self) -> crate::entity::consent::ConsentSource {
        self.0.source
    }
    /// The global id of what they gave it with (a `FormSubmission`), if any.
    async fn source_id(&self) -> Option<ID> {
        self.0.source_id.map(|id| gid(NodeKind::FormSubmission, id))
    }
    /// When they gave it.
    async fn given_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.created_at
    }
}
