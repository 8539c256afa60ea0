//! Custom fields in GraphQL: definitions, values on contacts, and their mutations.

pub use crate::entity::custom_field::CustomFieldKind;
use crate::entity::{contact_field_value, custom_field};
use crate::service::custom_field::{self as service, ValueInput};
use async_graphql::{Context, ID, InputObject, Object};
use chrono::{DateTime, Utc};
use kernel::error::IntoPayload;
use kernel::id::{GlobalId, NodeKind, gid};
use kernel::payload;

/// An extra contact field that a sub-account defines.
#[derive(Clone)]
pub struct CustomField(pub custom_field::Model);

/// An extra contact field that a sub-account defines.
#[Object]
impl CustomField {
    /// The field's global id.
    pub async fn id(&self) -> ID {
        gid(NodeKind::CustomField, self.0.id)
    }
    /// The name (unique in the sub-account, whatever its case).
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// What the field holds.
    async fn kind(&self) -> CustomFieldKind {
        self.0.kind
    }
    /// The choices of a select field (empty for other kinds).
    async fn options(&self) -> Vec<String> {
        service::options_of(&self.0)
    }
    /// When the field was archived (its values are then hidden and no longer written).
    async fn archived_at(&self) -> Option<DateTime<Utc>> {
        self.0.archived_at
    }
    /// When the field was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// A contact's value of a custom field: the member of the field's kind is set.
#[derive(Clone)]
pub struct CustomValue(
    pub contact_field_value::Model,
    pub std::sync::Arc<custom_field::Model>,
);

/// A contact's value of a custom field: the member of the field's kind is set.
#[Object]
impl CustomValue {
    /// The field.
    async fn field(&self) -> CustomField {
        CustomField(custom_field::Model::clone(&self.1))
    }
    /// The value of a text, URL or single-select field.
    async fn text(&self) -> Option<&str> {
        if self.1.kind == CustomFieldKind::MultiSelect {
            None
        } else {
            self.0.text_value.as_deref()
        }
    }
    /// The value of a number field.
    async fn number(&self) -> Option<f64> {
        self.0.number_value
    }
    /// The value of a date field, `YYYY-MM-DD`.
    async fn date(&self) -> Option<&str> {
        self.0.date_value.as_deref()
    }
    /// The value of a checkbox field.
    async fn checked(&self) -> Option<bool> {
        self.0.bool_value
    }
    /// The choices held by a multi-select field, in the field's order.
    async fn options(&self) -> Option<Vec<String>> {
        if self.1.kind != CustomFieldKind::MultiSelect {
            return None;
        }
        self.0.text_value.as_deref().map(|t| {
            t.split('|')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
    }
}

/// A custom value to set on a contact: give the member that matches the field's kind (`text`
/// for text, URL and single-select fields, `number`, `date`, `checked`, or `options` for
/// multi-select fields), or none of them to clear the value.
#[derive(InputObject, Clone)]
pub struct CustomValueInput {
    /// The custom field.
    pub field_id: ID,
    /// For text, URL and single-select fields.
    pub text: Option<String>,
    /// For number fields.
    pub number: Option<f64>,
    /// For date fields, `YYYY-MM-DD`.
    pub date: Option<String>,
    /// For checkbox fields.
    pub checked: Option<bool>,
    /// For multi-select fields: the chosen choices.
    pub options: Option<Vec<String>>,
}

/// Most custom values in one contact write.
pub const MAX_VALUES: usize = 200;

/// Turns GraphQL custom values into service input (ids parsed, size bounded).
pub fn value_inputs(
    values: Option<Vec<CustomValueInput>>,
) -> Result<Vec<ValueInput>, kernel::Error> {
    let values = values.unwrap_or_default();
    if values.len() > MAX_VALUES {
        return Err(kernel::Error::bad_input(
            Some("input.customValues"),
            format!("at most {MAX_VALUES} values"),
        ));
    }
    values
        .into_iter()
        .map(|v| {
            Ok(ValueInput {
                field_id: GlobalId::parse_as(&v.field_id, NodeKind::CustomField)?,
                text: v.text,
                number: v.number,
                date: v.date,
                checked: v.checked,
                options: v.options,
            })
        })
        .collect()
}

/// Input of `customFieldCreate`.
#[derive(InputObject)]
pub struct CustomFieldCreateInput {
    /// The sub-account (of the agency you act in).
    pub sub_account_id: ID,
    /// The name (1 to 100 characters, unique in the sub-account).
    pub name: String,
    /// What the field holds (cannot change later).
    pub kind: CustomFieldKind,
    /// The choices of a select field (1 to 100 distinct, without `|`).
    pub options: Option<Vec<String>>,
}

/// Input of `customFieldUpdate`: omitted members stay as they are.
#[derive(InputObject)]
pub struct CustomFieldUpdateInput {
    /// A new name.
    pub name: Option<String>,
    /// The new list of choices of a select field; a choice that contacts still hold cannot be
    /// dropped (`IN_USE`).
    pub options: Option<Vec<String>>,
}

payload!(CustomFieldPayload, custom_field: CustomField, "The custom field.");

/// Custom-field queries.
#[derive(Default)]
pub struct FieldQuery;

#[Object]
impl FieldQuery {
    /// The custom contact fields of a sub-account of the agency you act in, oldest first.
    /// Needs `CONTACTS_READ`.
    async fn custom_fields(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The sub-account's global id.")] sub_account_id: ID,
        #[graphql(desc = "Include archived fields (default: false).")] include_archived: Option<
            bool,
        >,
    ) -> async_graphql::Result<Vec<CustomField>> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let sub = GlobalId::parse_as(&sub_account_id, NodeKind::SubAccount)?;
        Ok(
            service::list(&**tx, &rc.actor, sub, include_archived.unwrap_or(false))
                .await?
                .into_iter()
                .map(CustomField)
                .collect(),
        )
    }
}

/// Custom-field mutations.
#[derive(Default)]
pub struct FieldMutation;

#[Object]
impl FieldMutation {
    /// Defines a custom contact field in a sub-account (`CONTACTS_WRITE`; at most 200 per
    /// sub-account).
    async fn custom_field_create(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The field.")] input: CustomFieldCreateInput,
    ) -> async_graphql::Result<CustomFieldPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let sub = GlobalId::parse_as(&input.sub_account_id, NodeKind::SubAccount)?;
        service::create(
            &**tx,
            &rc.actor,
            sub,
            &input.name,
            input.kind,
            input.options.as_deref(),
        )
        .await
        .map(CustomField)
        .into_payload()
    }

    /// Renames a custom field or changes a select field's choices.
    async fn custom_field_update(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The field's global id.")] id: ID,
        #[graphql(desc = "The changes.")] input: CustomFieldUpdateInput,
    ) -> async_graphql::Result<CustomFieldPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = GlobalId::parse_as(&id, NodeKind::CustomField)?;
        service::update(
            &**tx,
            &rc.actor,
            id,
            input.name.as_deref(),
            input.options.as_deref(),
        )
        .await
        .map(CustomField)
        .into_payload()
    }

    /// Archives a custom field: its values are kept but hidden, and it takes no new values.
    async fn custom_field_archive(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The field's global id.")] id: ID,
    ) -> async_graphql::Result<CustomFieldPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = GlobalId::parse_as(&id, NodeKind::CustomField)?;
        service::set_archived(&**tx, &rc.actor, id, true)
            .await
            .map(CustomField)
            .into_payload()
    }

    /// Brings an archived custom field back, with the values it had.
    async fn custom_field_unarchive(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The field's global id.")] id: ID,
    ) -> async_graphql::Result<CustomFieldPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let id = GlobalId::parse_as(&id, NodeKind::CustomField)?;
        service::set_archived(&**tx, &rc.actor, id, false)
            .await
            .map(CustomField)
            .into_payload()
    }
}
