//! `segments`: saved contact filters of a sub-account, evaluated when read. A tenant data table
//! keyed `(agency_id, id)`.
#![allow(missing_docs)]

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "segments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub agency_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub sub_account_id: Uuid,
    pub name: String,
    /// Lowercased name: unique in the sub-account.
    pub name_key: String,
    /// The saved filter as JSON (`service::contact::ContactFilter`).
    pub filter: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModel {
    /// Fills `name_key` from the name being written (done on every save).
    pub fn fill_keys(&mut self) {
        super::lower_key(&self.name, &mut self.name_key);
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
