//! Relay connections: cursors, page arguments with a default and a maximum size, and
//! [`connection_types!`](crate::connection_types) to declare a connection's GraphQL types.
//!
//! Lists are keyset-paginated on the UUIDv7 primary key (time-ordered), newest last.

use crate::error::Error;
use async_graphql::SimpleObject;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select};
use uuid::Uuid;

/// Page size when neither `first` nor `last` is given.
pub const DEFAULT_PAGE_SIZE: u64 = 20;
/// Largest page size accepted.
pub const MAX_PAGE_SIZE: u64 = 100;

/// The row counts a page with a written `LIMIT` fetches ([`Page::fetch_limit`]), smallest
/// first: one more than the default page size, than 50, and than the largest page.
pub const FETCH_LIMITS: [u64; 3] = [DEFAULT_PAGE_SIZE + 1, 51, MAX_PAGE_SIZE + 1];
const _: () = assert!(
    FETCH_LIMITS[0] < FETCH_LIMITS[1] && FETCH_LIMITS[1] < FETCH_LIMITS[2],
    "`Page::fetch_limit` takes the first count large enough"
);

/// Where a page lies in its list.
#[derive(SimpleObject, Debug, Clone, Default, PartialEq, Eq)]
pub struct PageInfo {
    /// Whether there are items before this page.
    pub has_previous_page: bool,
    /// Whether there are items after this page.
    pub has_next_page: bool,
    /// The cursor of the first item of this page.
    pub start_cursor: Option<String>,
    /// The cursor of the last item of this page.
    pub end_cursor: Option<String>,
}

/// The opaque cursor of a row.
pub fn encode_cursor(id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(id.as_bytes())
}

/// The opaque cursor of a row in a list sorted by something else than its id: the row's id
/// and its sort key (the id breaks ties).
pub fn encode_keyed_cursor(id: Uuid, key: &str) -> String {
    let mut bytes = Vec::with_capacity(16 + key.len());
    bytes.extend_from_slice(id.as_bytes());
    bytes.extend_from_slice(key.as_bytes());
    URL_SAFE_NO_PAD.encode(bytes)
}

fn decode_cursor(field: &str, cursor: &str) -> Result<(Uuid, Option<String>), Error> {
    let bad = || Error::bad_input(Some(field), format!("`{cursor}` is not a valid cursor"));
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    if bytes.len() < 16 {
        return Err(bad());
    }
    let id = Uuid::from_slice(&bytes[..16]).map_err(|_| bad())?;
    let key = String::from_utf8(bytes[16..].to_vec()).map_err(|_| bad())?;
    Ok((id, Some(key).filter(|k| !k.is_empty())))
}

/// Validated Relay page arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// How many items to return.
    pub limit: u64,
    /// Return items after this id.
    pub after: Option<Uuid>,
    /// Return items before this id.
    pub before: Option<Uuid>,
    /// Whether the page counts from the end (`last`).
    pub backward: bool,
    /// The sort key in the `after` cursor, in lists sorted by something else than the id.
    pub after_key: Option<String>,
    /// The sort key in the `before` cursor.
    pub before_key: Option<String>,
}

impl Page {
    /// Validates `first/after/last/before`.
    pub fn new(
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Self, Error> {
        if first.is_some() && last.is_some() {
            return Err(Error::bad_input(
                Some("first"),
                "pass `first` or `last`, not both",
            ));
        }
        let check = |name: &str, n: i32| -> Result<u64, Error> {
            match u64::try_from(n) {
                Ok(n) if n <= MAX_PAGE_SIZE => Ok(n),
                _ => Err(Error::bad_input(
                    Some(name),
                    format!("`{name}` must be between 0 and {MAX_PAGE_SIZE}"),
                )),
            }
        };
        let (limit, backward) = match (first, last) {
            (Some(n), _) => (check("first", n)?, false),
            (_, Some(n)) => (check("last", n)?, true),
            _ => (DEFAULT_PAGE_SIZE, false),
        };
        let after = after.map(|c| decode_cursor("after", &c)).transpose()?;
        let before = before.map(|c| decode_cursor("before", &c)).transpose()?;
        Ok(Self {
            limit,
            after: after.as_ref().map(|a| a.0),
            before: before.as_ref().map(|b| b.0),
            backward,
            after_key: after.and_then(|a| a.1),
            before_key: before.and_then(|b| b.1),
        })
    }

    /// Applies the page to a query ordered by `id_col` (one more row than the page is fetched
    /// to know whether another page follows).
    pub fn apply<E: EntityTrait>(&self, mut select: Select<E>, id_col: E::Column) -> Select<E>
    where
        E::Column: ColumnTrait,
    {
        if let Some(after) = self.after {
            select = select.filter(id_col.gt(after));
        }
        if let Some(before) = self.before {
            select = select.filter(id_col.lt(before));
        }
        let select = if self.backward {
            select.order_by_desc(id_col)
        } else {
            select.order_by_asc(id_col)
        };
        select.limit(self.limit + 1)
    }

    /// Like [`Page::apply`] for a list shown newest first: `after` moves to older items.
    pub fn apply_newest_first<E: EntityTrait>(
        &self,
        mut select: Select<E>,
        id_col: E::Column,
    ) -> Select<E>
    where
        E::Column: ColumnTrait,
    {
        if let Some(after) = self.after {
            select = select.filter(id_col.lt(after));
        }
        if let Some(before) = self.before {
            select = select.filter(id_col.gt(before));
        }
        let select = if self.backward {
            select.order_by_asc(id_col)
        } else {
            select.order_by_desc(id_col)
        };
        select.limit(self.limit + 1)
    }

    /// How many rows a page whose `LIMIT` is written into its statement fetches: one more than
    /// its size (to know whether another page follows), rounded up to one of
    /// [`FETCH_LIMITS`], so a query's pages of every size share at most three statement
    /// texts, and a page of a new size in a band already used (1 to 20, 21 to 50, 51 to 100)
    /// prepares no statement. [`Page::finish_with`] keeps the page's rows and decides from the
    /// rest, whatever their number, whether another page follows (`hasNextPage`, or
    /// `hasPreviousPage` for a page read backwards).
    pub fn fetch_limit(&self) -> u64 {
        let wanted = self.limit + 1;
        FETCH_LIMITS
            .into_iter()
            .find(|&n| n >= wanted)
            .unwrap_or(wanted)
    }

    /// Turns the fetched rows into the page's rows and its [`PageInfo`].
    pub fn finish<T>(&self, rows: Vec<T>, id: impl Fn(&T) -> Uuid) -> (Vec<T>, PageInfo) {
        self.finish_with(rows, |r| encode_cursor(id(r)))
    }

    /// Like [`Page::finish`], with cursors made by `cursor` (see [`encode_keyed_cursor`]).
    pub fn finish_with<T>(
        &self,
        mut rows: Vec<T>,
        cursor: impl Fn(&T) -> String,
    ) -> (Vec<T>, PageInfo) {
        let more = rows.len() as u64 > self.limit;
        rows.truncate(usize::try_from(self.limit).unwrap_or(usize::MAX));
        if self.backward {
            rows.reverse();
        }
        let info = PageInfo {
            has_previous_page: if self.backward {
                more
            } else {
                self.after.is_some()
            },
            has_next_page: if self.backward {
                self.before.is_some()
            } else {
                more
            },
            start_cursor: rows.first().map(&cursor),
            end_cursor: rows.last().map(&cursor),
        };
        (rows, info)
    }
}

/// How a connection makes an item's cursor, kept until its `edges` are asked for.
pub type CursorOf<T> = std::sync::Arc<dyn Fn(&T) -> String + Send + Sync>;

/// Declares a Relay connection and edge type for a node type (`Clone` + `OutputType`).
///
/// The connection holds its items once. Its `edges`, each with a cursor and a copy of its item,
/// are made only when a query selects them: a page read through `nodes` alone (the board's
/// tickets, a contacts page) writes no cursor but its `pageInfo`'s two and copies no item.
///
/// ```ignore
/// kernel::connection_types!(ApiKeyConnection, ApiKeyEdge, ApiKey, "API keys");
/// ```
#[macro_export]
macro_rules! connection_types {
    ($conn:ident, $edge:ident, $node:ty, $what:literal) => {
        #[doc = concat!("A page of ", $what, ".")]
        #[derive(Clone)]
        pub struct $conn {
            items: Vec<$node>,
            cursor: $crate::connection::CursorOf<$node>,
            page_info: $crate::connection::PageInfo,
            total_count: u64,
        }

        #[doc = concat!("A page of ", $what, ".")]
        #[async_graphql::Object]
        impl $conn {
            /// The items of this page with their cursors.
            async fn edges(&self) -> Vec<$edge> {
                self.items
                    .iter()
                    .map(|n| $edge {
                        cursor: (self.cursor)(n),
                        node: n.clone(),
                    })
                    .collect()
            }

            /// The items of this page.
            async fn nodes(&self) -> &[$node] {
                &self.items
            }

            /// Where this page lies in the list.
            async fn page_info(&self) -> &$crate::connection::PageInfo {
                &self.page_info
            }

            /// How many items the list holds across all pages.
            async fn total_count(&self) -> u64 {
                self.total_count
            }
        }

        #[doc = concat!("One of ", $what, " with its cursor.")]
        #[derive(async_graphql::SimpleObject, Clone)]
        pub struct $edge {
            /// The cursor to pass as `after` or `before`.
            pub cursor: String,
            /// The item.
            pub node: $node,
        }

        impl $conn {
            /// Builds the connection from a page's items, each item's cursor made from its id.
            pub fn build(
                items: Vec<$node>,
                page_info: $crate::connection::PageInfo,
                total_count: u64,
                id: impl Fn(&$node) -> uuid::Uuid + Send + Sync + 'static,
            ) -> Self {
                Self::build_with(items, page_info, total_count, move |n| {
                    $crate::connection::encode_cursor(id(n))
                })
            }

            /// Builds the connection from a page's items with cursors made by `cursor`, when
            /// `edges` are asked for.
            pub fn build_with(
                items: Vec<$node>,
                page_info: $crate::connection::PageInfo,
                total_count: u64,
                cursor: impl Fn(&$node) -> String + Send + Sync + 'static,
            ) -> Self {
                Self {
                    items,
                    cursor: std::sync::Arc::new(cursor),
                    page_info,
                    total_count,
                }
            }
        }
    };
}

/// Whether the client asked for `totalCount` (it costs a query, so it is computed only then).
pub fn wants_total_count(ctx: &async_graphql::Context<'_>) -> bool {
    ctx.look_ahead().field("totalCount").exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_limits() {
        assert_eq!(
            Page::new(None, None, None, None).map(|p| p.limit).ok(),
            Some(DEFAULT_PAGE_SIZE)
        );
        assert!(Page::new(Some(101), None, None, None).is_err());
        assert!(Page::new(Some(-1), None, None, None).is_err());
        assert!(Page::new(Some(1), None, Some(1), None).is_err());
        assert!(Page::new(None, Some("!!".into()), None, None).is_err());
    }

    #[test]
    fn keyed_cursors_carry_their_key() {
        let id = Uuid::now_v7();
        let c = encode_keyed_cursor(id, "smith\u{1f}ann");
        let page = Page::new(None, Some(c), None, Some(encode_cursor(id))).expect("page");
        assert_eq!(page.after, Some(id));
        assert_eq!(page.after_key.as_deref(), Some("smith\u{1f}ann"));
        assert_eq!(page.before_key, None);
    }

    #[test]
    fn cursors_round_trip_and_pages_finish() {
        let ids: Vec<Uuid> = (0..3).map(|_| Uuid::now_v7()).collect();
        let page = Page::new(Some(2), Some(encode_cursor(ids[0])), None, None).expect("page");
        assert_eq!(page.after, Some(ids[0]));
        let (rows, info) = page.finish(ids[1..].to_vec(), |u| *u);
        assert_eq!(rows.len(), 2);
        assert!(!info.has_next_page);
        assert!(info.has_previous_page);
        let page = Page::new(Some(1), None, None, None).expect("page");
        let (rows, info) = page.finish(ids.clone(), |u| *u);
        assert_eq!(rows, vec![ids[0]]);
        assert!(info.has_next_page);
        assert_eq!(info.end_cursor, Some(encode_cursor(ids[0])));
    }

    #[test]
    fn a_page_fetches_one_of_three_row_counts() {
        let fetched = |first| {
            Page::new(Some(first), None, None, None)
                .expect("page")
                .fetch_limit()
        };
        assert_eq!(
            [0, 1, 8, 20, 21, 50, 51, 99, 100].map(fetched),
            [21, 21, 21, 21, 51, 51, 101, 101, 101]
        );
    }

    #[test]
    fn a_backward_page_keeps_the_rows_nearest_its_cursor_whatever_it_fetched() {
        // Fetched backwards: the nearest row to `before` first.
        let ids: Vec<Uuid> = (0..5).map(|_| Uuid::now_v7()).collect();
        let page = Page::new(None, None, Some(2), Some(encode_cursor(ids[4]))).expect("page");
        let fetched: Vec<Uuid> = ids[..4].iter().rev().copied().collect();
        let (rows, info) = page.finish(fetched, |u| *u);
        assert_eq!(rows, vec![ids[2], ids[3]]);
        assert!(info.has_previous_page);
        assert!(info.has_next_page);
        let (rows, info) = page.finish(vec![ids[1], ids[0]], |u| *u);
        assert_eq!(rows, vec![ids[0], ids[1]]);
        assert!(!info.has_previous_page);
    }
}
