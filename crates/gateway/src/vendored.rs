//! Tests of what Canopy's patches to its vendored crates must keep (vendor/README.md): an
//! object's fields answer as they did before the patch, in the same order, whether they wait or
//! not (async-graphql; the published crate passes these too: they pin behaviour, not speed), and
//! a NULL in a column that may not hold one is still reported by the column's name (sea-orm).

use async_graphql::{EmptyMutation, EmptySubscription, Object, Schema};
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
use std::time::Duration;

struct Query;

/// An object whose fields are plain, waiting and failing, in that mix.
struct Card;

#[Object]
impl Card {
    async fn a(&self) -> i32 {
        1
    }
    async fn slow(&self) -> i32 {
        tokio::time::sleep(Duration::from_millis(5)).await;
        2
    }
    async fn b(&self) -> &str {
        "b"
    }
    async fn slower(&self) -> i32 {
        tokio::time::sleep(Duration::from_millis(10)).await;
        3
    }
    async fn fails(&self) -> async_graphql::Result<i32> {
        Err("no".into())
    }
    async fn child(&self) -> Card {
        Card
    }
}

#[Object]
impl Query {
    async fn card(&self) -> Card {
        Card
    }
}

async fn run(query: &str) -> async_graphql::Response {
    Schema::new(Query, EmptyMutation, EmptySubscription)
        .execute(query)
        .await
}

#[tokio::test]
async fn plain_fields_keep_the_selection_order_and_waiting_ones_still_answer() {
    let r = run("{ card { b a slow x: a child { b a } } }").await;
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    let json = serde_json::to_string(&r.data).expect("json");
    // The fields at hand come first, in the selection's order; the one that waited follows.
    assert_eq!(
        json,
        r#"{"card":{"b":"b","a":1,"x":1,"child":{"b":"b","a":1},"slow":2}}"#
    );
}

#[tokio::test]
async fn several_waiting_fields_and_a_failing_one() {
    let r = run("{ card { slower fails a slow } }").await;
    let data = r.data.into_json().expect("json");
    assert_eq!(data["card"]["slower"], 3);
    assert_eq!(data["card"]["slow"], 2);
    assert_eq!(data["card"]["a"], 1);
    // A field's error is reported with its path, and leaves the others standing.
    assert_eq!(r.errors.len(), 1);
    assert_eq!(r.errors[0].message, "no");
    assert_eq!(r.errors[0].path.len(), 2);
}

#[tokio::test]
async fn a_null_decodes_to_none_and_is_named_where_a_value_is_required() {
    let db = Database::connect("sqlite::memory:").await.expect("sqlite");
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT NULL AS nickname, 'Ada' AS name, NULL AS t_nickname",
        ))
        .await
        .expect("query")
        .expect("row");
    let none: Option<String> = row.try_get("", "nickname").expect("nullable");
    assert_eq!(none, None);
    assert_eq!(row.try_get::<String>("", "name").expect("name"), "Ada");
    let err = row.try_get::<String>("", "nickname").expect_err("not null");
    assert!(err.to_string().contains("nickname"), "{err}");
    let err = row
        .try_get::<String>("t_", "nickname")
        .expect_err("prefixed");
    assert!(err.to_string().contains("t_nickname"), "{err}");
    let err = row.try_get_by::<String, _>(0usize).expect_err("by index");
    assert!(err.to_string().contains('0'), "{err}");
}
