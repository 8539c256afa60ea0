//! Per-request dataloaders of the CRM crate, installed on each request by [`Loaders`] (see
//! `kernel::loader` and `identity::loader`).

use crate::entity::{contact, contact_field_value, contact_tag, custom_field, tag};
use async_graphql::SelectionField;
use async_graphql::dataloader::{LoadedMap, Loader};
use async_graphql::extensions::ExtensionContext;
use kernel::loader::{RequestLoaders, cached, clear};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, FromQueryResult, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, Select,
};
use std::collections::HashMap;
use std::sync::{Arc, Weak};
use uuid::Uuid;

/// Loads the tags of many contacts of the request's tenant in one query.
pub struct ContactTagsLoader {
    tx: Weak<DatabaseTransaction>,
    agency_id: Option<Uuid>,
}

impl ContactTagsLoader {
    /// A loader on the request's transaction and tenant.
    pub fn new(tx: Weak<DatabaseTransaction>, agency_id: Option<Uuid>) -> Self {
        Self { tx, agency_id }
    }
}

impl Loader<Uuid> for ContactTagsLoader {
    type Value = Vec<Arc<tag::Model>>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<LoadedMap<Uuid, Self::Value>, Self::Error> {
        let Some(agency_id) = self.agency_id else {
            return Ok(LoadedMap::default());
        };
        let tx = self
            .tx
            .upgrade()
            .ok_or_else(|| kernel::Error::internal("loader used after its request ended"))?;
        let links = contact_tag::Entity::find()
            .filter(contact_tag::Column::AgencyId.eq(agency_id))
            .filter(kernel::db::one_of(
                tx.get_database_backend(),
                contact_tag::Column::ContactId,
                keys.iter().copied(),
            ))
            .find_also_related(tag::Entity)
            .order_by_asc(contact_tag::Column::CreatedAt);
        Ok(tags_by_key(&*tx, links, contact_tag::Column::ContactId, keys).await?)
    }
}

/// The tags of the tag links a select reads (a link entity's `find_also_related(tag::Entity)`:
/// the link's columns `A_`-prefixed, the tag's `B_`), grouped by the link's `key` column (the
/// tagged object's id; the link's tag is its `tag_id` column) in the select's order. Every key
/// of `keys` gets an entry (empty when untagged), so a request's loader cache answers it.
///
/// A page's links name a few tags many times (50 contacts, 75 links, about 10 tags): each tag's
/// columns are decoded from its first row in the batch alone and shared (every row still carries
/// them), where decoding both models of every row was 5.6 % of the contacts page's gateway CPU
/// samples (`perf`; BENCHMARKS.md, session 36).
/// A link whose tag is missing is left out, as `find_also_related`'s `None` was.
pub async fn tags_by_key<L: EntityTrait>(
    db: &impl ConnectionTrait,
    links: sea_orm::SelectTwo<L, tag::Entity>,
    key: L::Column,
    keys: &[Uuid],
) -> Result<LoadedMap<Uuid, Vec<Arc<tag::Model>>>, kernel::Error> {
    let rows = db
        .query_all_raw(links.build(db.get_database_backend()))
        .await?;
    let mut out: LoadedMap<Uuid, Vec<Arc<tag::Model>>> =
        keys.iter().map(|k| (*k, Vec::new())).collect();
    let mut tags: HashMap<Uuid, Arc<tag::Model>> = HashMap::new();
    for row in rows {
        let tagged: Uuid = row.try_get("A_", sea_orm::IdenStatic::as_str(&key))?;
        let tag_id: Uuid = row.try_get("A_", "tag_id")?;
        let t = match tags.get(&tag_id) {
            Some(t) => t.clone(),
            None => {
                let Some(t) = tag::Model::from_query_result_optional(&row, "B_")? else {
                    continue;
                };
                let t = Arc::new(t);
                tags.insert(tag_id, t.clone());
                t
            }
        };
        out.entry(tagged).or_default().push(t);
    }
    Ok(out)
}

/// Loads the custom values (with their live fields) of many contacts of the request's tenant in
/// two queries, whatever the number of contacts.
pub struct ContactValuesLoader {
    tx: Weak<DatabaseTransaction>,
    agency_id: Option<Uuid>,
}

impl ContactValuesLoader {
    /// A loader on the request's transaction and tenant.
    pub fn new(tx: Weak<DatabaseTransaction>, agency_id: Option<Uuid>) -> Self {
        Self { tx, agency_id }
    }
}

/// A contact's value of a custom field, with the field (shared by every value of that field the
/// batch read).
pub type FieldValue = (contact_field_value::Model, Arc<custom_field::Model>);

impl Loader<Uuid> for ContactValuesLoader {
    type Value = Vec<FieldValue>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<LoadedMap<Uuid, Vec<FieldValue>>, Self::Error> {
        let Some(agency_id) = self.agency_id else {
            return Ok(LoadedMap::default());
        };
        let tx = self
            .tx
            .upgrade()
            .ok_or_else(|| kernel::Error::internal("loader used after its request ended"))?;
        // Each value with its field, in one statement; values of archived fields are left out.
        let select = contact_field_value::Entity::find()
            .filter(contact_field_value::Column::AgencyId.eq(agency_id))
            .filter(kernel::db::one_of(
                tx.get_database_backend(),
                contact_field_value::Column::ContactId,
                keys.iter().copied(),
            ))
            .find_also_related(custom_field::Entity)
            .filter(custom_field::Column::ArchivedAt.is_null())
            .order_by_asc(contact_field_value::Column::FieldId);
        let rows = tx
            .query_all_raw(select.build(tx.get_database_backend()))
            .await
            .map_err(kernel::Error::from)?;
        // Every key gets an entry (empty without values), so the request's cache answers it.
        let mut out: LoadedMap<Uuid, Vec<FieldValue>> =
            keys.iter().map(|k| (*k, Vec::new())).collect();
        // A sub-account has a few fields and its contacts many values: each field's columns
        // are decoded from its first row alone (as `find_also_related`'s model would have
        // them, `B_`-prefixed; a value whose field is missing, or fails to decode, is left out,
        // as it was there).
        let mut fields: HashMap<Uuid, Arc<custom_field::Model>> = HashMap::new();
        for row in rows {
            let v = contact_field_value::Model::from_query_result(&row, "A_")
                .map_err(kernel::Error::from)?;
            let f = match fields.get(&v.field_id) {
                Some(f) => f.clone(),
                None => {
                    let Some(f) = custom_field::Model::from_query_result_optional(&row, "B_")
                        .map_err(kernel::Error::from)?
                    else {
                        continue;
                    };
                    fields.entry(v.field_id).or_insert(Arc::new(f)).clone()
                }
            };
            out.entry(v.contact_id).or_default().push((v, f));
        }
        Ok(out)
    }
}

/// Loads many live contacts of the request's tenant by id in one query (for objects of other
/// domains that point at a contact).
pub struct ContactLoader {
    tx: Weak<DatabaseTransaction>,
    agency_id: Option<Uuid>,
}

/// The request's transaction, and a select of contacts to run on it.
type LiveContacts = (Arc<DatabaseTransaction>, Select<contact::Entity>);

impl ContactLoader {
    /// A loader on the request's transaction and tenant.
    pub fn new(tx: Weak<DatabaseTransaction>, agency_id: Option<Uuid>) -> Self {
        Self { tx, agency_id }
    }

    /// The request's transaction, and a select of the live contacts among `ids` in its tenant
    /// (`None` without a tenant: nothing to read).
    fn live(
        &self,
        ids: impl IntoIterator<Item = Uuid>,
    ) -> Result<Option<LiveContacts>, kernel::Error> {
        let Some(agency_id) = self.agency_id else {
            return Ok(None);
        };
        let tx = self
            .tx
            .upgrade()
            .ok_or_else(|| kernel::Error::internal("loader used after its request ended"))?;
        let select = contact::Entity::find()
            .filter(contact::Column::AgencyId.eq(agency_id))
            .filter(kernel::db::one_of(
                tx.get_database_backend(),
                contact::Column::Id,
                ids,
            ))
            .filter(contact::Column::DeletedAt.is_null());
        Ok(Some((tx, select)))
    }
}

impl Loader<Uuid> for ContactLoader {
    /// `None` for a deleted or missing contact (every key gets an entry, so the request's cache
    /// answers it).
    type Value = Option<contact::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<LoadedMap<Uuid, Self::Value>, Self::Error> {
        let mut out: LoadedMap<Uuid, Self::Value> = keys.iter().map(|k| (*k, None)).collect();
        let Some((tx, live)) = self.live(keys.iter().copied())? else {
            return Ok(out);
        };
        for c in live.all(&*tx).await.map_err(kernel::Error::from)? {
            out.insert(c.id, Some(c));
        }
        Ok(out)
    }
}

/// The `Contact` fields a slim read ([`Slim`]) answers: each reads only the columns that read
/// selects. A selection of anything else reads the whole row.
pub const SLIM_FIELDS: &[&str] = &[
    "__typename",
    "id",
    "firstName",
    "lastName",
    "email",
    "phone",
];

/// Whether a contact field's selection (`contact { … }`; fields in fragments too, whatever
/// their type condition) asks for nothing but [`SLIM_FIELDS`].
pub fn is_slim(field: &SelectionField<'_>) -> bool {
    kernel::loader::selects_only(field, SLIM_FIELDS)
}

/// A contact's key for a slim read: [`ContactLoader`] then selects only the columns
/// [`SLIM_FIELDS`] read (a board card shows a contact's name; decoding all 26 columns of its
/// row was a seventh of the board's instructions).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Slim(pub Uuid);

/// The `Contact` fields a slim page of contacts ([`is_slim_page`]) answers: those of a slim
/// read, those read through the contact's id (`tags`, `customValues`) or its owner's
/// (`owner`), and its timestamps. Its connection's cursors read the sort keys, which a slim
/// page selects too.
pub const SLIM_PAGE_FIELDS: &[&str] = &[
    "__typename",
    "id",
    "firstName",
    "lastName",
    "email",
    "phone",
    "owner",
    "tags",
    "customValues",
    "createdAt",
    "updatedAt",
];

/// Whether a contact connection's selection shows its contacts through nothing but
/// [`SLIM_PAGE_FIELDS`] (see `kernel::loader::page_selects_only`): the page then selects
/// 12 of a contact's 26 columns (`contact::Shown::slim`).
pub fn is_slim_page(contacts: &SelectionField<'_>) -> bool {
    kernel::loader::page_selects_only(contacts, SLIM_PAGE_FIELDS)
}

/// The columns a slim read selects, in [`SlimRow`]'s order.
pub(crate) const SLIM_COLUMNS: [contact::Column; 7] = [
    contact::Column::AgencyId,
    contact::Column::Id,
    contact::Column::SubAccountId,
    contact::Column::FirstName,
    contact::Column::LastName,
    contact::Column::Email,
    contact::Column::Phone,
];

/// The columns a slim read selects.
#[derive(FromQueryResult)]
pub(crate) struct SlimRow {
    agency_id: Uuid,
    id: Uuid,
    sub_account_id: Uuid,
    first_name: String,
    last_name: String,
    email: Option<String>,
    phone: Option<String>,
}

impl SlimRow {
    /// The row as a contact whose other columns hold placeholders (empty, `None`, the epoch).
    ///
    /// Architecture Invariant: a slim contact reaches only resolvers of [`SLIM_FIELDS`] (the
    /// caller checked the selection with [`is_slim`]); a slim page's contact, to those of
    /// [`SLIM_PAGE_FIELDS`] (checked with [`is_slim_page`]), with the page's columns set.
    pub(crate) fn into_model(self) -> contact::Model {
        use contact::{ContactSource, ContactStatus, Model};
        let epoch = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH;
        Model {
            agency_id: self.agency_id,
            id: self.id,
            sub_account_id: self.sub_account_id,
            first_name: self.first_name,
            last_name: self.last_name,
            first_name_key: String::new(),
            last_name_key: String::new(),
            email: self.email,
            phone: self.phone,
            company: None,
            source: ContactSource::Other,
            status: ContactStatus::New,
            owner_id: None,
            dnd_email: false,
            dnd_sms: false,
            dnd_calls: false,
            created_at: epoch,
            updated_at: epoch,
            deleted_at: None,
            address_line1: None,
            address_line2: None,
            city: None,
            region: None,
            postal_code: None,
            country: None,
            merged_into_id: None,
        }
    }
}

impl Loader<Slim> for ContactLoader {
    /// As for a full read: `None` for a deleted or missing contact.
    type Value = Option<contact::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Slim]) -> Result<LoadedMap<Slim, Self::Value>, Self::Error> {
        let mut out: LoadedMap<Slim, Self::Value> = keys.iter().map(|k| (*k, None)).collect();
        let Some((tx, live)) = self.live(keys.iter().map(|k| k.0))? else {
            return Ok(out);
        };
        let rows = live
            .select_only()
            .columns(SLIM_COLUMNS)
            .into_model::<SlimRow>()
            .all(&*tx)
            .await
            .map_err(kernel::Error::from)?;
        for row in rows {
            out.insert(Slim(row.id), Some(row.into_model()));
        }
        Ok(out)
    }
}

/// The CRM's request loaders: [`ContactTagsLoader`], [`ContactValuesLoader`],
/// [`ContactLoader`] (by id, and by [`Slim`] id).
pub struct Loaders;

impl RequestLoaders for Loaders {
    fn install(
        &self,
        request: async_graphql::Request,
        tx: &Weak<DatabaseTransaction>,
        tenant: Option<Uuid>,
    ) -> async_graphql::Request {
        request
            .data(cached(ContactTagsLoader::new(tx.clone(), tenant)))
            .data(cached(ContactValuesLoader::new(tx.clone(), tenant)))
            .data(cached(ContactLoader::new(tx.clone(), tenant)))
    }

    fn clear(&self, ctx: &ExtensionContext<'_>) {
        clear::<ContactTagsLoader, Uuid>(ctx);
        clear::<ContactValuesLoader, Uuid>(ctx);
        clear::<ContactLoader, Uuid>(ctx);
        clear::<ContactLoader, Slim>(ctx);
    }
}
