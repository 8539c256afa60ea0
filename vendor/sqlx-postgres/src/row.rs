use crate::column::ColumnIndex;
use crate::error::Error;
use crate::message::DataRow;
use crate::statement::PgStatementMetadata;
use crate::value::PgValueFormat;
use crate::{PgColumn, PgValueRef, Postgres};
use sqlx_core::row::debug_row;
pub(crate) use sqlx_core::row::Row;
use std::sync::Arc;

/// Implementation of [`Row`] for PostgreSQL.
pub struct PgRow {
    pub(crate) data: DataRow,
    pub(crate) format: PgValueFormat,
    pub(crate) metadata: Arc<PgStatementMetadata>,
}

impl Row for PgRow {
    type Database = Postgres;

    fn columns(&self) -> &[PgColumn] {
        &self.metadata.columns
    }

    fn try_get_raw<I>(&self, index: I) -> Result<PgValueRef<'_>, Error>
    where
        I: ColumnIndex<Self>,
    {
        let index = index.index(self)?;
        let column = &self.metadata.columns[index];
        let value = self.data.get(index);

        Ok(PgValueRef {
            format: self.format,
            row: Some(&self.data.storage),
            type_info: column.type_info.clone(),
            value,
        })
    }
}

impl PgRow {
    /// Canopy: the index of the column named `prefix` followed by `name`, the one that
    /// `row.try_get(format!("{prefix}{name}"))` would read, found without building the name or
    /// hashing it. `hint` is where the caller expects it (the column after the one it read last):
    /// where the statement's column names are all distinct, that column is checked first, then
    /// the rest in order. Where names repeat, the last column of the name wins, as it does in the
    /// map the by-name lookup uses.
    ///
    /// The names are compared a byte at a time in place, not by `==` (a call of libc's
    /// `memcmp`, two a cell): a board's some 3,800 calls were a tenth of the gateway's CPU
    /// samples, for names of a few bytes.
    pub fn column_index_of(&self, prefix: &str, name: &str, hint: usize) -> Option<usize> {
        #[inline(always)]
        fn same(a: &[u8], b: &[u8]) -> bool {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
        }
        let columns = &self.metadata.columns;
        let (prefix, name) = (prefix.as_bytes(), name.as_bytes());
        let named = |c: &PgColumn| {
            let n = c.name.as_bytes();
            n.len() == prefix.len() + name.len()
                && same(&n[..prefix.len()], prefix)
                && same(&n[prefix.len()..], name)
        };
        if self.metadata.column_names.len() != columns.len() {
            return columns.iter().rposition(named);
        }
        let hint = hint.min(columns.len());
        columns[hint..]
            .iter()
            .position(named)
            .map(|i| i + hint)
            .or_else(|| columns[..hint].iter().position(named))
    }
}

impl ColumnIndex<PgRow> for &'_ str {
    fn index(&self, row: &PgRow) -> Result<usize, Error> {
        row.metadata
            .column_names
            .get(*self)
            .ok_or_else(|| Error::ColumnNotFound((*self).into()))
            .copied()
    }
}

impl std::fmt::Debug for PgRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        debug_row(self, f)
    }
}
