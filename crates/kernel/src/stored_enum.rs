//! [`stored_enum!`](crate::stored_enum): one declaration for a status or kind that is at once a
//! SeaORM column value (its stored string), a GraphQL enum and a serde value.

/// Declares an enum stored as a string column, exposed as a GraphQL enum (variant docs are its
/// value descriptions) and (de)serialized in snake case:
///
/// ```ignore
/// kernel::stored_enum! {
///     /// Where a ticket stands.
///     pub enum TicketStatus: "String(StringLen::N(8))" {
///         /// In progress.
///         Open = "open",
///     }
/// }
/// ```
///
/// The column type string is SeaORM's `db_type`; the calling module must have
/// `sea_orm::entity::prelude::*` in scope, and depend on `sea-orm`, `async-graphql` and `serde`.
#[macro_export]
macro_rules! stored_enum {
    (
        $(#[doc = $doc:literal])*
        $vis:vis enum $name:ident : $db_type:literal {
            $( $(#[doc = $vdoc:literal])* $variant:ident = $wire:literal, )+
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(
            Clone,
            Copy,
            Debug,
            PartialEq,
            Eq,
            Hash,
            sea_orm::EnumIter,
            sea_orm::DeriveActiveEnum,
            async_graphql::Enum,
            serde::Serialize,
            serde::Deserialize,
        )]
        #[sea_orm(rs_type = "String", db_type = $db_type)]
        #[serde(rename_all = "snake_case")]
        $vis enum $name {
            $(
                $(#[doc = $vdoc])*
                #[sea_orm(string_value = $wire)]
                $variant,
            )+
        }
    };
}
