//! CSV import in GraphQL (a file sent with the GraphQL multipart request spec).

use crate::service::import::{self as service, Column, Mode, Target};
use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject, Upload};
use kernel::error::IntoPayload;
use kernel::id::{GlobalId, NodeKind};
use kernel::payload;
use std::io::Read;

/// A contact field a CSV column can fill.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum ContactImportField {
    /// First name.
    FirstName,
    /// Last name.
    LastName,
    /// Email address (also how rows find existing contacts).
    Email,
    /// Phone number with its country code (found by, after the email address).
    Phone,
    /// Company.
    Company,
    /// Source: `manual`, `form`, `ad`, `import`, `api`, `referral` or `other` (default
    /// `import`).
    Source,
    /// Status: `new`, `contacted`, `qualified`, `converted` or `lost`.
    Status,
    /// Address line 1.
    AddressLine1,
    /// Address line 2.
    AddressLine2,
    /// City.
    City,
    /// State, province or region.
    Region,
    /// Postal code.
    PostalCode,
    /// Two-letter country code.
    Country,
    /// Do not email: `yes`/`no`, `true`/`false` or `1`/`0`.
    DoNotEmail,
    /// Do not text.
    DoNotText,
    /// Do not call.
    DoNotCall,
    /// A custom field (name it in `customFieldId`); multi-select choices are separated by `;`.
    CustomField,
}

/// What to do with rows that have errors.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Default)]
pub enum ContactImportMode {
    /// Any bad row writes nothing (the default).
    #[default]
    AllOrNothing,
    /// Good rows are written; bad rows are reported and skipped.
    Partial,
}

/// Where one column of the file goes.
#[derive(InputObject)]
pub struct ContactImportColumnInput {
    /// The column's header in the file's first row (case and surrounding spaces ignored).
    pub column: String,
    /// The contact field it fills.
    pub field: ContactImportField,
    /// The custom field, when `field` is `CUSTOM_FIELD`.
    pub custom_field_id: Option<ID>,
}

/// Input of `contactImport`.
#[derive(InputObject)]
pub struct ContactImportInput {
    /// The sub-account (of the agency you act in).
    pub sub_account_id: ID,
    /// The CSV file (UTF-8, comma-separated, a header row first; at most 10 MiB and 50,000
    /// rows), sent as a multipart upload.
    pub file: Upload,
    /// Where the columns go; unmapped columns are ignored.
    pub mapping: Vec<ContactImportColumnInput>,
    /// What to do with rows that have errors. Default: `ALL_OR_NOTHING`.
    pub mode: Option<ContactImportMode>,
}

/// A problem with one row of an import.
#[derive(SimpleObject, Clone)]
pub struct ContactImportRowError {
    /// The row's number as a spreadsheet shows it (the header row is 1).
    pub row: u64,
    /// The column at fault, if one is.
    pub column: Option<String>,
    /// What is wrong.
    pub message: String,
}

/// What an import did.
#[derive(SimpleObject, Clone)]
pub struct ContactImportResult {
    /// Whether anything was written (false when a bad row stopped an all-or-nothing import).
    pub committed: bool,
    /// Contacts created.
    pub created: u64,
    /// Existing contacts updated (matched by email address, then phone number).
    pub updated: u64,
    /// Existing contacts matched but left as they were (nothing to change; not written).
    pub unchanged: u64,
    /// Rows not written because of errors.
    pub failed: u64,
    /// The first 1,000 row errors.
    pub row_errors: Vec<ContactImportRowError>,
}

payload!(ContactImportPayload, result: ContactImportResult, "What the import did.");

/// Import mutations.
#[derive(Default)]
pub struct ImportMutation;

#[Object]
impl ImportMutation {
    /// Imports contacts from a CSV file (`CONTACTS_WRITE`), sent as a GraphQL multipart
    /// request with the header `GraphQL-Require-Preflight: 1`. Rows update the contact with
    /// the same email address (or else phone number) and create the others. A malformed or
    /// oversized file, or a bad mapping, writes nothing and answers in `userErrors`; row
    /// errors are listed in the result.
    async fn contact_import(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The file, the mapping and the mode.")] input: ContactImportInput,
    ) -> async_graphql::Result<ContactImportPayload> {
        let (tx, rc) = kernel::db::request(ctx)?;
        let sub = GlobalId::parse_as(&input.sub_account_id, NodeKind::SubAccount)?;
        let mut mapping = Vec::with_capacity(input.mapping.len());
        for (i, m) in input.mapping.iter().enumerate() {
            let target = match (simple(m.field), &m.custom_field_id) {
                (Some(t), _) => t,
                (None, Some(id)) => Target::Custom(GlobalId::parse_as(id, NodeKind::CustomField)?),
                (None, None) => {
                    return Err(kernel::Error::bad_input(
                        Some(&format!("input.mapping.{i}.customFieldId")),
                        "name the custom field",
                    )
                    .into());
                }
            };
            mapping.push(Column {
                header: m.column.clone(),
                target,
            });
        }
        let mut file = input.file.value(ctx)?.content;
        let mut data = Vec::new();
        // One byte more than allowed tells an oversized file apart.
        (&mut file)
            .take(service::MAX_BYTES as u64 + 1)
            .read_to_end(&mut data)
            .map_err(|e| kernel::Error::internal(format!("reading the upload: {e}")))?;
        let mode = match input.mode.unwrap_or_default() {
            ContactImportMode::AllOrNothing => Mode::AllOrNothing,
            ContactImportMode::Partial => Mode::Partial,
        };
        service::import(&**tx, &rc.actor, sub, &data, &mapping, mode)
            .await
            .map(|o| ContactImportResult {
                committed: o.committed,
                created: o.created,
                updated: o.updated,
                unchanged: o.unchanged,
                failed: o.failed,
                row_errors: o
                    .errors
                    .into_iter()
                    .map(|e| ContactImportRowError {
                        row: e.row,
                        column: e.column,
                        message: e.message,
                    })
                    .collect(),
            })
            .into_payload()
    }
}

/// The target of a plain field; `None` for `CUSTOM_FIELD`.
fn simple(f: ContactImportField) -> Option<Target> {
    Some(match f {
        ContactImportField::FirstName => Target::FirstName,
        ContactImportField::LastName => Target::LastName,
        ContactImportField::Email => Target::Email,
        ContactImportField::Phone => Target::Phone,
        ContactImportField::Company => Target::Company,
        ContactImportField::Source => Target::Source,
        ContactImportField::Status => Target::Status,
        ContactImportField::AddressLine1 => Target::AddressLine1,
        ContactImportField::AddressLine2 => Target::AddressLine2,
        ContactImportField::City => Target::City,
        ContactImportField::Region => Target::Region,
        ContactImportField::PostalCode => Target::PostalCode,
        ContactImportField::Country => Target::Country,
        ContactImportField::DoNotEmail => Target::DoNotEmail,
        ContactImportField::DoNotText => Target::DoNotText,
        ContactImportField::DoNotCall => Target::DoNotCall,
        ContactImportField::CustomField => return None,
    })
}
