//! SeaORM entities of the CRM crate, one file per table.

/// Declares an entity's lowercased key columns (`text => key`): its `ActiveModel::fill_keys`,
/// and a `before_save` that calls it on every save. Bulk inserts, which skip that hook, call
/// `fill_keys` themselves.
macro_rules! lowercase_keys {
    ($($text:ident => $key:ident),+ $(,)?) => {
        impl ActiveModel {
            /// Fills the lowercased key columns from the text being written.
            pub fn fill_keys(&mut self) {
                $(super::lower_key(&self.$text, &mut self.$key);)+
            }
        }

        #[async_trait::async_trait]
        impl ActiveModelBehavior for ActiveModel {
            async fn before_save<C>(mut self, _db: &C, _insert: bool) -> Result<Self, DbErr>
            where
                C: ConnectionTrait,
            {
                self.fill_keys();
                Ok(self)
            }
        }
    };
}
use lowercase_keys;

pub mod activity;
pub mod consent;
pub mod contact;
pub mod contact_field_value;
pub mod contact_tag;
pub mod custom_field;
pub mod segment;
pub mod tag;

use sea_orm::ActiveValue::{self, Set};

/// Sets a `*_key` column to its text lowercased when the text is written (the keys that
/// case-insensitive uniqueness, prefix search and name sorting read). Entities call it from
/// `before_save`; bulk inserts, which skip that hook, call the entity's `fill_keys`.
fn lower_key(text: &ActiveValue<String>, key: &mut ActiveValue<String>) {
    if let Set(t) = text {
        *key = Set(t.to_lowercase());
    }
}

// Each sub-account table's node kind and the permissions that read and write it: what
// `tenancy::guard` checks whenever a service loads, enters or records.
use kernel::id::NodeKind;
tenancy::sub_account_data!(
    contact::Entity,
    NodeKind::Contact,
    ContactsRead,
    ContactsWrite
);
tenancy::sub_account_data!(
    activity::Entity,
    NodeKind::Activity,
    ContactsRead,
    ContactsWrite
);
tenancy::sub_account_data!(
    custom_field::Entity,
    NodeKind::CustomField,
    ContactsRead,
    ContactsWrite
);
tenancy::sub_account_data!(
    segment::Entity,
    NodeKind::Segment,
    ContactsRead,
    ContactsWrite
);
tenancy::sub_account_data!(tag::Entity, NodeKind::Tag, ContactsRead, ContactsWrite);
