//! Finding contacts: the filters, the orders and the keyset pages of a sub-account's contact
//! list, with the owners joined in when the page shows them.

use super::super::custom_field;
use crate::entity::contact::{self, ContactSource, ContactStatus};
use crate::loader::{SLIM_COLUMNS, SlimRow};
use chrono::{DateTime, Utc};
use kernel::auth::Actor;
use kernel::connection::{Page, PageInfo};
use kernel::error::Error;
use sea_orm::sea_query::{Condition, Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, JoinType, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select, SelectModel, SelectorTrait,
};
use serde::{Deserialize, Serialize};
use tenancy::guard::{self, Access};
use uuid::Uuid;

/// A condition on a custom field's value. Values are given as text and read by the field's
/// kind: numbers, `YYYY-MM-DD` dates, `true`/`false` for checkboxes, a choice for selects (a
/// multi-select matches when it holds that choice).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct FieldCondition {
    /// The custom field.
    pub field_id: Uuid,
    /// The value equals this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equals: Option<String>,
    /// The value is at least this (numbers and dates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_least: Option<String>,
    /// The value is at most this (numbers and dates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_most: Option<String>,
    /// The contact has a value (`true`) or has none (`false`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_set: Option<bool>,
}

/// What to list (also what a segment saves, as JSON).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct ContactFilter {
    /// Prefix of a first name, last name, email or phone.
    pub search: Option<String>,
    /// Only this status (saved as its stored name, `"new"`).
    pub status: Option<ContactStatus>,
    /// Only this source (saved as its stored name, `"manual"`).
    pub source: Option<ContactSource>,
    /// Only contacts owned by this user.
    pub owner_id: Option<Uuid>,
    /// Only contacts with this tag.
    pub tag_id: Option<Uuid>,
    /// Words that must all appear in the name, email address, company or city (full-text on
    /// PostgreSQL: each word matches the start of a word; a substring match on SQLite).
    pub text: Option<String>,
    /// Only contacts created at or after this time.
    pub created_from: Option<DateTime<Utc>>,
    /// Only contacts created before this time.
    pub created_before: Option<DateTime<Utc>>,
    /// Only contacts whose custom values meet every condition.
    pub custom_fields: Vec<FieldCondition>,
    /// Only contacts of this segment (not inside a saved segment).
    pub segment_id: Option<Uuid>,
}

/// How to order a list of contacts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ContactSort {
    /// Oldest first.
    #[default]
    CreatedAsc,
    /// Newest first.
    CreatedDesc,
    /// Most recently changed first.
    UpdatedDesc,
    /// By last name, then first name, A to Z.
    NameAsc,
    /// By last name, then first name, Z to A.
    NameDesc,
}

impl ContactSort {
    fn ascending(self) -> bool {
        matches!(self, Self::CreatedAsc | Self::NameAsc)
    }

    /// The sort key a cursor carries (empty when the id alone orders the list).
    pub fn key(self, c: &contact::Model) -> String {
        match self {
            Self::CreatedAsc | Self::CreatedDesc => String::new(),
            Self::UpdatedDesc => c
                .updated_at
                .to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
            Self::NameAsc | Self::NameDesc => {
                format!("{}\u{1f}{}", c.last_name_key, c.first_name_key)
            }
        }
    }

    /// The cursor of a contact in a list in this order.
    pub fn cursor(self, c: &contact::Model) -> String {
        kernel::connection::encode_keyed_cursor(c.id, &self.key(c))
    }

    /// The sort columns (before the id) and the values of a cursor's key for them.
    fn columns(
        self,
        field: &str,
        key: Option<&str>,
    ) -> Result<Vec<(contact::Column, Option<sea_orm::Value>)>, Error> {
        let bad = || {
            Error::bad_input(
                Some(field),
                "this cursor belongs to a list in another order",
            )
        };
        Ok(match self {
            Self::CreatedAsc | Self::CreatedDesc => {
                if key.is_some() {
                    return Err(bad());
                }
                Vec::new()
            }
            Self::UpdatedDesc | Self::NameAsc | Self::NameDesc
                if !field.is_empty() && key.is_none() =>
            {
                return Err(bad());
            }
            Self::UpdatedDesc => {
                let v = key
                    .map(|k| {
                        DateTime::parse_from_rfc3339(k)
                            .map(|d| sea_orm::Value::from(d.with_timezone(&Utc)))
                            .map_err(|_| bad())
                    })
                    .transpose()?;
                vec![(contact::Column::UpdatedAt, v)]
            }
            Self::NameAsc | Self::NameDesc => {
                let (last, first) = match key {
                    Some(k) => {
                        let (l, f) = k.split_once('\u{1f}').ok_or_else(bad)?;
                        (Some(l.to_owned().into()), Some(f.to_owned().into()))
                    }
                    None => (None, None),
                };
                vec![
                    (contact::Column::LastNameKey, last),
                    (contact::Column::FirstNameKey, first),
                ]
            }
        })
    }
}

/// Rows after (`greater`) or before a cursor position in the order of `cols` then `id_col`:
/// `(a > A) OR (a = A AND b > B) OR (a = A AND b = B AND id > I)`.
fn keyset(
    cols: &[(contact::Column, Option<sea_orm::Value>)],
    id: Uuid,
    greater: bool,
) -> Condition {
    let cmp = |c: contact::Column, v: sea_orm::Value| {
        if greater {
            Expr::col((contact::Entity, c)).gt(v)
        } else {
            Expr::col((contact::Entity, c)).lt(v)
        }
    };
    let mut any = Condition::any();
    for i in 0..=cols.len() {
        let mut all = Condition::all();
        for (c, v) in &cols[..i] {
            all = all.add(
                Expr::col((contact::Entity, *c))
                    .eq(v.clone().unwrap_or(sea_orm::Value::Bool(None))),
            );
        }
        all = all.add(if i == cols.len() {
            cmp(contact::Column::Id, id.into())
        } else {
            let (c, v) = &cols[i];
            cmp(*c, v.clone().unwrap_or(sea_orm::Value::Bool(None)))
        });
        any = any.add(all);
    }
    any
}

/// What a contact page shows besides its rows, so [`list`] fetches it with them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Shown {
    /// The count of every matching contact (one more statement).
    pub total: bool,
    /// Each contact's owner (joined to the page's statement).
    pub owners: bool,
    /// The page shows nothing of its contacts but `crm::SLIM_PAGE_FIELDS` (the caller checked
    /// with `crm::is_slim_page`): it selects only the columns those fields and the cursors
    /// read ([`SlimListRow`]).
    pub slim: bool,
}

/// The columns a slim page selects: a slim read's, the owner, the sort keys and the
/// timestamps, in this order.
#[derive(FromQueryResult)]
struct SlimListRow {
    #[sea_orm(nested)]
    contact: SlimRow,
    owner_id: Option<Uuid>,
    first_name_key: String,
    last_name_key: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl SlimListRow {
    /// The row as a contact whose other columns hold placeholders.
    ///
    /// Architecture Invariant: a slim page's contact reaches only the resolvers of
    /// `crm::SLIM_PAGE_FIELDS` and its connection's cursors (the sort keys and the id).
    fn into_model(self) -> contact::Model {
        contact::Model {
            owner_id: self.owner_id,
            first_name_key: self.first_name_key,
            last_name_key: self.last_name_key,
            created_at: self.created_at,
            updated_at: self.updated_at,
            ..self.contact.into_model()
        }
    }

    /// Only the columns of a slim page, in the order of [`SlimListRow`]'s fields.
    fn select(q: Select<contact::Entity>) -> Select<contact::Entity> {
        q.select_only().columns(SLIM_COLUMNS).columns([
            contact::Column::OwnerId,
            contact::Column::FirstNameKey,
            contact::Column::LastNameKey,
            contact::Column::CreatedAt,
            contact::Column::UpdatedAt,
        ])
    }
}

/// A page of a sub-account's contacts ([`list`]).
pub struct Listing {
    /// The page's contacts, in its order.
    pub contacts: Vec<contact::Model>,
    /// The owners of the page's contacts, each once, when the page shows owners (none
    /// otherwise).
    pub owners: Vec<identity::entity::user::Model>,
    /// Where the page stands in the list.
    pub info: PageInfo,
    /// The count of every matching contact (0 unless [`Shown::total`]).
    pub total: u64,
}

/// A page of a sub-account's contacts matching the filter, in the given order.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    sub_account_id: Uuid,
    filter: ContactFilter,
    sort: ContactSort,
    page: Page,
    shown: Shown,
) -> Result<Listing, Error> {
    use identity::entity::user;
    let agency_id = guard::enter::<contact::Entity>(db, actor, sub_account_id, Access::Read)
        .await?
        .agency_id;
    let q = matching(db, agency_id, sub_account_id, &filter).await?;
    let total = if shown.total {
        q.clone().count(db).await?
    } else {
        0
    };
    let q = sorted(q, sort, &page)?;
    // Architecture Invariant: every column a contact condition names is qualified with its
    // table, so the outer select of `with_owners` (whose subquery takes the table's name) and
    // its join to `users` (which has an `id` and an `email` too) never make one ambiguous. The
    // owner is read as `identity::UserLoader` reads it: by id, with no condition of its own, in
    // the same transaction.
    let owner = || {
        contact::Entity::belongs_to(user::Entity)
            .from(contact::Column::OwnerId)
            .to(user::Column::Id)
            .into()
    };
    let (contacts, mut owners): (Vec<contact::Model>, Vec<user::Model>) =
        match (shown.owners, shown.slim) {
            (true, false) => {
                let q = with_owners(q, sort, &page)?
                    .select_also(user::Entity)
                    .join(JoinType::LeftJoin, owner());
                fetch_with_owners::<contact::Model>(db, q.into_query(), |c| c.owner_id).await?
            }
            (true, true) => {
                let q = SlimListRow::select(with_owners(SlimListRow::select(q), sort, &page)?)
                    .select_also(user::Entity)
                    .join(JoinType::LeftJoin, owner());
                let (rows, owners) =
                    fetch_with_owners::<SlimListRow>(db, q.into_query(), |c| c.owner_id).await?;
                (
                    rows.into_iter().map(SlimListRow::into_model).collect(),
                    owners,
                )
            }
            (false, false) => (
                fetch::<SelectModel<contact::Model>>(db, q.into_query()).await?,
                Vec::new(),
            ),
            (false, true) => (
                fetch::<SelectModel<SlimListRow>>(db, SlimListRow::select(q).into_query())
                    .await?
                    .into_iter()
                    .map(SlimListRow::into_model)
                    .collect(),
                Vec::new(),
            ),
        };
    let (contacts, info) = page.finish_with(contacts, |c| sort.cursor(c));
    // The statement read rows past the page (`Page::fetch_limit`: up to 21, 51 or 101); only the
    // kept rows' owners are the page's.
    if !owners.is_empty() {
        let kept: std::collections::HashSet<Uuid> =
            contacts.iter().filter_map(|c| c.owner_id).collect();
        owners.retain(|u| kept.contains(&u.id));
    }
    Ok(Listing {
        contacts,
        owners,
        info,
        total,
    })
}

/// The rows of a page's select, decoded as `S` decodes them, with its limit written into the
/// statement (`kernel::db::with_literal_limits`): PostgreSQL's generic plan of a tag's page
/// then knows about how many rows it keeps (`Page::fetch_limit`: one more than the page's
/// size, rounded up to 21, 51 or 101, so pages of every size share three texts).
async fn fetch<S: SelectorTrait>(
    db: &impl ConnectionTrait,
    query: sea_orm::sea_query::SelectStatement,
) -> Result<Vec<S::Item>, Error> {
    let stmt = kernel::db::with_literal_limits(db.get_database_backend(), &query);
    db.query_all_raw(stmt)
        .await?
        .into_iter()
        .map(|row| S::from_raw_query_result(row).map_err(Error::from))
        .collect()
}

/// The rows of a page's select with its owners joined (`select_also(user::Entity)`: the
/// contact's columns `A_`-prefixed, the owner's `B_`), fetched as [`fetch`] does: each row's
/// contact, and each owner once, decoded from the first row that names it (`owner_of` reads a
/// row's owner id; a page's few owners are searched in a list). At `seed-scale --agencies 1` a
/// page of 51 rows names 3 owners in 27 rows.
async fn fetch_with_owners<C: FromQueryResult>(
    db: &impl ConnectionTrait,
    query: sea_orm::sea_query::SelectStatement,
    owner_of: impl Fn(&C) -> Option<Uuid>,
) -> Result<(Vec<C>, Vec<identity::entity::user::Model>), Error> {
    let stmt = kernel::db::with_literal_limits(db.get_database_backend(), &query);
    let rows = db.query_all_raw(stmt).await?;
    let mut contacts = Vec::with_capacity(rows.len());
    let mut owners: Vec<identity::entity::user::Model> = Vec::new();
    for row in rows {
        let c = C::from_query_result(&row, "A_")?;
        if let Some(id) = owner_of(&c)
            && !owners.iter().any(|u| u.id == id)
            && let Some(u) = identity::entity::user::Model::from_query_result_optional(&row, "B_")?
        {
            owners.push(u);
        }
        contacts.push(c);
    }
    Ok((contacts, owners))
}

/// Orders and pages a contact query (keyset pagination on the sort columns, then the id).
fn sorted(
    mut q: Select<contact::Entity>,
    sort: ContactSort,
    page: &Page,
) -> Result<Select<contact::Entity>, Error> {
    let asc = sort.ascending();
    if let Some(after) = page.after {
        let cols = sort.columns("after", page.after_key.as_deref())?;
        q = q.filter(keyset(&cols, after, asc));
    }
    if let Some(before) = page.before {
        let cols = sort.columns("before", page.before_key.as_deref())?;
        q = q.filter(keyset(&cols, before, !asc));
    }
    Ok(ordered(q, sort, page)?.limit(page.fetch_limit()))
}

/// A contact query in a page's order: the list's, or reversed for `last`.
fn ordered(
    mut q: Select<contact::Entity>,
    sort: ContactSort,
    page: &Page,
) -> Result<Select<contact::Entity>, Error> {
    let order = if sort.ascending() != page.backward {
        sea_orm::Order::Asc
    } else {
        sea_orm::Order::Desc
    };
    for (c, _) in sort.columns("", None)? {
        q = q.order_by(c, order.clone());
    }
    Ok(q.order_by(contact::Column::Id, order))
}

/// A page's contacts (the sorted and limited `page_rows`) as a subquery named `contacts`, in
/// the page's order, for its owners to be joined to the page's rows alone.
///
/// Joined before the sort and the limit, a page whose order no index gives (a tag's contacts
/// by name) looks up the owner of every matching contact: at `seed-scale --agencies 1`, 158
/// owner lookups for a page of 50, and in a plan for the tag given, 232 buffers read against 63
/// this way (BENCHMARKS.md, sessions 31 and 32). PostgreSQL's generic plan gained little from
/// it (852 buffers a request against 840); writing the limit in is what changed that plan
/// ([`fetch`]). The subquery selects every column the outer select names: all of them, or a
/// slim page's.
fn with_owners(
    page_rows: Select<contact::Entity>,
    sort: ContactSort,
    page: &Page,
) -> Result<Select<contact::Entity>, Error> {
    let mut q = contact::Entity::find();
    QuerySelect::query(&mut q)
        .from_clear()
        .from_subquery(page_rows.into_query(), contact::Entity);
    ordered(q, sort, page)
}

/// The live contacts of a sub-account that match a filter (and its segment's saved filter).
pub async fn matching(
    db: &impl ConnectionTrait,
    agency_id: Uuid,
    sub_account_id: Uuid,
    filter: &ContactFilter,
) -> Result<Select<contact::Entity>, Error> {
    let mut q = contact::Entity::find()
        .filter(contact::Column::AgencyId.eq(agency_id))
        .filter(contact::Column::SubAccountId.eq(sub_account_id))
        .filter(contact::Column::DeletedAt.is_null());
    if let Some(seg) = filter.segment_id {
        // A saved filter never names a segment itself (segments do not nest).
        let saved = crate::service::segment::filter_of(db, agency_id, sub_account_id, seg).await?;
        q = conditions(db, agency_id, sub_account_id, q, &saved).await?;
    }
    conditions(db, agency_id, sub_account_id, q, filter).await
}

/// Adds a filter's conditions (all but its segment) to a contact query.
pub async fn conditions(
    db: &impl ConnectionTrait,
    agency_id: Uuid,
    sub_account_id: Uuid,
    mut q: Select<contact::Entity>,
    filter: &ContactFilter,
) -> Result<Select<contact::Entity>, Error> {
    {
        if let Some(s) = filter
            .search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let pattern = format!("{}%", escape_like(&s.to_lowercase()));
            // The stored keys are lowercased already (names) or by nature (emails, E.164
            // phones): no LOWER() on the column, so indexes apply and every database folds
            // case alike.
            let like = |col: contact::Column| {
                Expr::col((contact::Entity, col))
                    .like(sea_orm::sea_query::LikeExpr::new(pattern.clone()).escape('\\'))
            };
            q = q.filter(
                Condition::any()
                    .add(like(contact::Column::FirstNameKey))
                    .add(like(contact::Column::LastNameKey))
                    .add(like(contact::Column::Email))
                    .add(like(contact::Column::Phone)),
            );
        }
        if let Some(words) = filter.text.as_deref().map(words).filter(|w| !w.is_empty()) {
            q = q.filter(full_text(db.get_database_backend(), &words));
        }
        if let Some(v) = filter.status {
            q = q.filter(contact::Column::Status.eq(v));
        }
        if let Some(v) = filter.source {
            q = q.filter(contact::Column::Source.eq(v));
        }
        if let Some(v) = filter.owner_id {
            q = q.filter(contact::Column::OwnerId.eq(v));
        }
        if let Some(v) = filter.created_from {
            q = q.filter(contact::Column::CreatedAt.gte(v));
        }
        if let Some(v) = filter.created_before {
            q = q.filter(contact::Column::CreatedAt.lt(v));
        }
        if let Some(t) = filter.tag_id {
            use crate::entity::contact_tag;
            let tagged = contact_tag::Entity::find()
                .select_only()
                .column(contact_tag::Column::ContactId)
                .filter(contact_tag::Column::AgencyId.eq(agency_id))
                .filter(contact_tag::Column::TagId.eq(t))
                .into_query();
            q = q.filter(contact::Column::Id.in_subquery(tagged));
        }
        if !filter.custom_fields.is_empty() {
            q = custom_field::filter_contacts(
                db,
                agency_id,
                sub_account_id,
                q,
                &filter.custom_fields,
            )
            .await?;
        }
        Ok(q)
    }
}

/// The document PostgreSQL's full-text index covers: the migration's expression
/// (`migrations::m20261123_000013_crm_full_text::DOCUMENT`) with its columns qualified, so it
/// stays unambiguous beside a join. PostgreSQL matches an index expression after resolving
/// its columns, so the index applies all the same.
pub const FTS_DOCUMENT: &str = "to_tsvector('simple', contacts.first_name || ' ' || contacts.last_name || ' ' || coalesce(contacts.email, '') || ' ' || coalesce(contacts.company, '') || ' ' || coalesce(contacts.city, ''))";

/// Most words in a full-text filter.
pub const MAX_WORDS: usize = 8;

/// The lowercased words of a full-text filter: letters and digits only (anything else splits),
/// at most [`MAX_WORDS`].
fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(MAX_WORDS)
        .map(str::to_owned)
        .collect()
}

/// Every word must match: a prefix `tsquery` on PostgreSQL, `LIKE '%word%'` on any of the
/// columns elsewhere.
fn full_text(backend: sea_orm::DbBackend, words: &[String]) -> Condition {
    if backend == sea_orm::DbBackend::Postgres {
        // Words hold only letters and digits: nothing in them is tsquery syntax.
        let query: Vec<String> = words.iter().map(|w| format!("{w}:*")).collect();
        return Condition::all().add(Expr::cust_with_values(
            format!("{FTS_DOCUMENT} @@ to_tsquery('simple', $1)"),
            [query.join(" & ")],
        ));
    }
    let mut all = Condition::all();
    for w in words {
        let pattern = format!("%{}%", escape_like(w));
        let like = |col: contact::Column| {
            Expr::col((contact::Entity, col))
                .like(sea_orm::sea_query::LikeExpr::new(pattern.clone()).escape('\\'))
        };
        all = all.add(
            Condition::any()
                .add(like(contact::Column::FirstNameKey))
                .add(like(contact::Column::LastNameKey))
                .add(like(contact::Column::Email))
                .add(like(contact::Column::Company))
                .add(like(contact::Column::City)),
        );
    }
    all
}

/// Escapes `%`, `_` and `\` for a `LIKE` pattern with `\` as its escape character.
pub fn escape_like(s: &str) -> String {
    s.chars()
        .flat_map(|ch| match ch {
            '%' | '_' | '\\' => vec!['\\', ch],
            c => vec![c],
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_with_owners_is_ordered_again_outside_its_limited_subquery() {
        // A join keeps no order (a hash join on the owners emits in the users' order), so the
        // rows reach `Page::finish_with` in the page's order only by the outer `ORDER BY`.
        let page = Page::new(None, None, Some(2), None).expect("a page");
        let q = sorted(contact::Entity::find(), ContactSort::NameAsc, &page).expect("sorted");
        let q = with_owners(q, ContactSort::NameAsc, &page).expect("subquery");
        let sql =
            kernel::db::with_literal_limits(sea_orm::DbBackend::Postgres, &q.into_query()).sql;
        let order = r#"ORDER BY "contacts"."last_name_key" DESC, "contacts"."first_name_key" DESC, "contacts"."id" DESC"#;
        assert!(
            sql.contains(&format!("{order} LIMIT 21) AS \"contacts\"")),
            "{sql}"
        );
        assert!(sql.ends_with(order), "{sql}");
    }

    #[test]
    fn a_full_text_pages_values_are_numbered_in_order_around_its_written_limit() {
        // The full-text condition is custom SQL with a `$1` of its own, renumbered where it
        // lands: inside the page's subquery, after the tenant's two values.
        let page = Page::new(Some(50), None, None, None).expect("a page");
        let words = ["ada".to_owned(), "lon".to_owned()];
        let q = contact::Entity::find()
            .filter(contact::Column::AgencyId.eq(Uuid::nil()))
            .filter(contact::Column::SubAccountId.eq(Uuid::max()))
            .filter(full_text(sea_orm::DbBackend::Postgres, &words));
        let q = sorted(q, ContactSort::NameAsc, &page).expect("sorted");
        let q = with_owners(q, ContactSort::NameAsc, &page).expect("subquery");
        let stmt = kernel::db::with_literal_limits(sea_orm::DbBackend::Postgres, &q.into_query());
        assert!(
            stmt.sql.contains(r#""contacts"."sub_account_id" = $2"#),
            "{}",
            stmt.sql
        );
        assert!(
            stmt.sql.contains("@@ to_tsquery('simple', $3)"),
            "{}",
            stmt.sql
        );
        assert!(stmt.sql.contains("LIMIT 51) AS"), "{}", stmt.sql);
        assert_eq!(
            stmt.values.expect("values").0,
            vec![
                sea_orm::Value::from(Uuid::nil()),
                sea_orm::Value::from(Uuid::max()),
                sea_orm::Value::from("ada:* & lon:*"),
            ]
        );
    }
}
