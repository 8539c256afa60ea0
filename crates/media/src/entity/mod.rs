//! SeaORM entities of the media crate, one file per table.

pub mod file;
pub mod folder;
pub mod usage;

// Each table's node kind and the permissions that read and write it (`tenancy::guard`).
use kernel::id::NodeKind;
tenancy::sub_account_data!(file::Entity, NodeKind::MediaFile, MediaRead, MediaWrite);
tenancy::sub_account_data!(folder::Entity, NodeKind::MediaFolder, MediaRead, MediaWrite);
