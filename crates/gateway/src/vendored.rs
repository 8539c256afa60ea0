//! Tests of what Canopy's patches to its vendored crates must keep (vendor/README.md): an
//! object's fields answer as they did before the patch, in the same order, whether they wait or
//! not (async-graphql; the published crate passes these too: they pin behaviour, not speed); an
//! answer's and an input's objects keep their order in foldhash-keyed maps (async-graphql-value
//! and -derive); a NULL in a column that may not hold one is still reported by the column's name
//! (sea-orm); and a column found by position reads what the by-name lookup read (sea-orm and
//! sqlx-postgres; on PostgreSQL, with `TEST_DATABASE_URL` set).

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

/// Two numbers, declared in an order no sorting gives (an input object of the vendored derive).
#[derive(Debug, async_graphql::InputObject)]
struct Range {
    to: i32,
    from: i32,
}

#[Object]
impl Query {
    async fn card(&self) -> Card {
        Card
    }
    async fn span(&self, range: Range) -> i32 {
        range.to - range.from
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
async fn a_field_selected_twice_merges_into_one_object() {
    let r = run("{ card { child { a } ... on Card { child { b slow a } } } }").await;
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    let json = serde_json::to_string(&r.data).expect("json");
    assert_eq!(json, r#"{"card":{"child":{"a":1,"b":"b","slow":2}}}"#);
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

/// The sixth async-graphql patch keys an answer's objects with foldhash (`ObjectMap`): an object
/// of many fields, under aliases in an order neither sorted nor hashed, keeps the selection's.
#[tokio::test]
async fn an_object_of_many_fields_keeps_the_selection_order() {
    let aliases: Vec<String> = (0..64).map(|i| format!("f{}", (i * 37) % 64)).collect();
    let fields: Vec<String> = aliases.iter().map(|a| format!("{a}: b")).collect();
    let r = run(&format!("{{ card {{ {} }} }}", fields.join(" "))).await;
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    let async_graphql::Value::Object(data) = &r.data else {
        panic!("{:?}", r.data)
    };
    let Some(async_graphql::Value::Object(card)) = data.get("card") else {
        panic!("{data:?}")
    };
    let keys: Vec<&str> = card.keys().map(|k| k.as_str()).collect();
    assert_eq!(keys, aliases.iter().map(String::as_str).collect::<Vec<_>>());
}

/// A derived input object's value (an `ObjectMap` the vendored derive builds) keeps its fields'
/// order and reads back, and one sent in a request's variables arrives whole.
#[tokio::test]
async fn an_input_object_goes_to_a_value_and_back_and_arrives_from_variables() {
    let value = async_graphql::InputType::to_value(&Range { to: 9, from: 4 });
    assert_eq!(
        serde_json::to_string(&value).expect("json"),
        r#"{"to":9,"from":4}"#
    );
    let back = <Range as async_graphql::InputType>::parse(Some(value)).expect("parse");
    assert_eq!((back.to, back.from), (9, 4));
    let variables = serde_json::json!({ "r": { "from": 4, "to": 9 } });
    let request = async_graphql::Request::new("query($r: Range!) { span(range: $r) }")
        .variables(async_graphql::Variables::from_json(variables));
    let r = Schema::new(Query, EmptyMutation, EmptySubscription)
        .execute(request)
        .await;
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(
        serde_json::to_string(&r.data).expect("json"),
        r#"{"span":5}"#
    );
}

/// A `@oneOf` input (the vendored derive's other object value): its value reads back.
#[derive(Debug, PartialEq, async_graphql::OneofObject)]
enum Pick {
    Id(i32),
    Name(String),
}

#[test]
fn a_oneof_inputs_value_reads_back() {
    let value = async_graphql::InputType::to_value(&Pick::Name("x".into()));
    assert_eq!(
        serde_json::to_string(&value).expect("json"),
        r#"{"name":"x"}"#
    );
    let back = <Pick as async_graphql::InputType>::parse(Some(value)).expect("parse");
    assert_eq!(back, Pick::Name("x".into()));
    let id = async_graphql::InputType::to_value(&Pick::Id(7));
    assert_eq!(
        <Pick as async_graphql::InputType>::parse(Some(id)).expect("parse"),
        Pick::Id(7)
    );
}

/// A directive that appends `!` to a string it resolves: proof that a field went through it.
struct Bang;

#[async_graphql::async_trait::async_trait]
impl async_graphql::CustomDirective for Bang {
    async fn resolve_field(
        &self,
        _ctx: &async_graphql::Context<'_>,
        resolve: async_graphql::ResolveFut<'_>,
    ) -> async_graphql::ServerResult<Option<async_graphql::Value>> {
        Ok(resolve.await?.map(|v| match v {
            async_graphql::Value::String(s) => async_graphql::Value::String(s + "!"),
            v => v,
        }))
    }
}

#[async_graphql::Directive(location = "Field")]
fn bang() -> impl async_graphql::CustomDirective {
    Bang
}

/// A field with a custom directive, or under a schema with an extension, takes the path the
/// fifth async-graphql patch moved out of line (`resolve_field_extended`): the same answers,
/// order and errors as a plain field's. (`@skip` and `@include` do not: they are taken out of the
/// document before it runs.)
#[tokio::test]
async fn fields_with_a_directive_or_under_an_extension_answer_as_plain_ones() {
    let plain = "{ card { b a slow x: a fails child { b a } } }";
    let banged = "{ card { b @bang a slow @bang x: a fails @bang child { b @bang a } } }";
    let directed = Schema::build(Query, EmptyMutation, EmptySubscription)
        .directive(bang)
        .finish();
    let extended = Schema::build(Query, EmptyMutation, EmptySubscription)
        .directive(bang)
        .extension(async_graphql::extensions::Analyzer)
        .finish();
    let answer = |b: &str| {
        format!(r#"{{"card":{{"b":"{b}","a":1,"x":1,"child":{{"b":"{b}","a":1}},"slow":2}}}}"#)
    };
    for (r, expected) in [
        (directed.execute(banged).await, answer("b!")),
        (extended.execute(plain).await, answer("b")),
        (extended.execute(banged).await, answer("b!")),
    ] {
        assert_eq!(serde_json::to_string(&r.data).expect("json"), expected);
        assert_eq!(r.errors.len(), 1, "{:?}", r.errors);
        assert_eq!(r.errors[0].message, "no");
        assert_eq!(r.errors[0].path.len(), 2);
    }
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

/// A row from PostgreSQL, or `None` where the tests run on SQLite.
async fn postgres_row(sql: &str) -> Option<sea_orm::QueryResult> {
    let url = std::env::var("TEST_DATABASE_URL").ok()?;
    if !url.starts_with("postgres") {
        return None;
    }
    let db = Database::connect(url.as_str()).await.expect("postgres");
    let stmt = Statement::from_string(DbBackend::Postgres, sql);
    Some(db.query_one_raw(stmt).await.expect("query").expect("row"))
}

#[tokio::test]
async fn prefixed_columns_read_by_position_in_any_order() {
    let sql = r#"SELECT 'a'::varchar AS "A_name", 7::int8 AS "A_n", 'b'::text AS "B_name",
        'c'::bpchar AS "B_code", NULL::text AS "B_nick""#;
    let Some(row) = postgres_row(sql).await else {
        return;
    };
    // Out of the select's order, so the position each read starts from is wrong.
    assert_eq!(row.try_get::<String>("B_", "name").expect("b"), "b");
    assert_eq!(row.try_get::<String>("A_", "name").expect("a"), "a");
    assert_eq!(row.try_get::<i64>("A_", "n").expect("n"), 7);
    assert_eq!(row.try_get::<String>("B_", "code").expect("bpchar"), "c");
    assert_eq!(
        row.try_get::<Option<String>>("B_", "nick").expect("null"),
        None
    );
    assert_eq!(
        row.try_get::<Option<String>>("C_", "name").expect("absent"),
        None
    );
    // The lookup itself: from the hint, wrapping round to the start, and absent.
    let pg = row.try_as_pg_row().expect("a PostgreSQL row");
    assert_eq!(pg.column_index_of("B_", "name", 2), Some(2));
    assert_eq!(pg.column_index_of("A_", "n", 4), Some(1));
    assert_eq!(pg.column_index_of("A_", "n", 99), Some(1));
    assert_eq!(pg.column_index_of("", "A_n", 0), Some(1));
    assert_eq!(pg.column_index_of("A", "_nam", 0), None);
    assert_eq!(pg.column_index_of("C_", "name", 0), None);
}

#[tokio::test]
async fn a_repeated_column_name_reads_the_last_and_errors_name_the_column() {
    let sql = r#"SELECT 1::int4 AS n, 2::int4 AS n, NULL::text AS "t_nick", 'x'::text AS word"#;
    let Some(row) = postgres_row(sql).await else {
        return;
    };
    assert_eq!(row.try_get::<i32>("", "n").expect("n"), 2);
    let pg = row.try_as_pg_row().expect("a PostgreSQL row");
    assert_eq!(
        pg.column_index_of("", "n", 0),
        Some(1),
        "the last of the name"
    );
    let err = row.try_get::<String>("t_", "nick").expect_err("null");
    assert!(err.to_string().contains("t_nick"), "{err}");
    let err = row
        .try_get::<i32>("", "word")
        .expect_err("a text as an integer");
    assert!(err.to_string().contains("word"), "{err}");
    let err = row.try_get::<String>("", "missing").expect_err("absent");
    assert!(err.to_string().contains("missing"), "{err}");
}
