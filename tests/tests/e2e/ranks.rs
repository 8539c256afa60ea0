//! Ordered lists under concurrency (PostgreSQL is where it bites: SQLite's writers are serial
//! already): sixteen creates at once in one list, then sixteen moves at once between them,
//! leave every rank distinct and never answer `INTERNAL`.

use futures_util::future::join_all;
use serde_json::{Value, json};
use tests::{Gql, TestApp, spawn_app};

const N: usize = 16;
const PIPELINE_CREATE: &str = "mutation($i: PipelineCreateInput!) { pipelineCreate(input: $i) { pipeline { id } userErrors { field code message } } }";
const PIPELINE_MOVE: &str = "mutation($i: PipelineMoveInput!) { pipelineMove(input: $i) { pipeline { id } userErrors { field code message } } }";
const LANE_CREATE: &str = "mutation($i: LaneCreateInput!) { laneCreate(input: $i) { lane { id } userErrors { field code message } } }";
const LANE_MOVE: &str = "mutation($i: LaneMoveInput!) { laneMove(input: $i) { lane { id } userErrors { field code message } } }";
const ITEM_ADD: &str = "mutation($i: ChecklistItemAddInput!) { taskChecklistItemAdd(input: $i) { item { id } userErrors { field code message } } }";
const ITEM_MOVE: &str = "mutation($i: ChecklistItemMoveInput!) { taskChecklistItemMove(input: $i) { item { id } userErrors { field code message } } }";
const GROUP_CREATE: &str = "mutation($i: WorkspaceItemCreateInput!) { taskGroupCreate(input: $i) { group { id } userErrors { field code message } } }";
const LINK_CREATE: &str = "mutation($i: WorkspaceLinkCreateInput!) { workspaceLinkCreate(input: $i) { link { id } userErrors { field code message } } }";
const SIDEBAR: &str =
    "query($id: ID!) { node(id: $id) { ... on Agency { sidebarOptions { id } } } }";
const SIDEBAR_MOVE: &str = "mutation($id: ID!, $after: ID) { sidebarOptionMove(id: $id, afterId: $after) { sidebarOption { id } userErrors { field code message } } }";

/// Every response succeeded: no top-level error (`INTERNAL` above all), no `userErrors`.
/// Returns the id at `payload.object`.
fn ids(responses: &[Gql], payload: &str, object: &str) -> Vec<Value> {
    responses
        .iter()
        .map(|r| {
            assert!(r.body.get("errors").is_none(), "{}", r.body);
            assert_eq!(r.user_errors(payload), vec![], "{}", r.body);
            r.data(&format!("{payload}.{object}.id")).clone()
        })
        .collect()
}

/// Rows of `table` whose rank repeats another's in the same list.
async fn repeated_ranks(app: &TestApp, table: &str, list: &str) -> i64 {
    app.count(table).await
        - app
            .count(&format!("(SELECT DISTINCT {list}, rank FROM {table}) AS t"))
            .await
}

#[tokio::test]
async fn concurrent_pipeline_and_lane_creates_and_moves_keep_ranks_distinct() {
    let app = spawn_app().await;
    let w = app.world().await;
    let t = Some(w.owner.access.as_str());
    let created = join_all((0..N).map(|i| {
        let i = json!({ "subAccountId": w.dental, "name": format!("P{i}"), "lanes": ["Only"] });
        app.gql(t, PIPELINE_CREATE, json!({ "i": i }))
    }))
    .await;
    let pipelines = ids(&created, "pipelineCreate", "pipeline");
    let created = join_all((0..N).map(|i| {
        let i = json!({ "pipelineId": pipelines[0], "name": format!("L{i}") });
        app.gql(t, LANE_CREATE, json!({ "i": i }))
    }))
    .await;
    let lanes = ids(&created, "laneCreate", "lane");
    assert_eq!(repeated_ranks(&app, "pipelines", "sub_account_id").await, 0);
    assert_eq!(repeated_ranks(&app, "lanes", "pipeline_id").await, 0);

    // Each moves after the next one, all at once.
    let moved = join_all((0..N).map(|i| {
        let i = json!({ "laneId": lanes[i], "afterLaneId": lanes[(i + 1) % N] });
        app.gql(t, LANE_MOVE, json!({ "i": i }))
    }))
    .await;
    ids(&moved, "laneMove", "lane");
    let moved = join_all((0..N).map(|i| {
        let i = json!({ "pipelineId": pipelines[i], "afterPipelineId": pipelines[(i + 1) % N] });
        app.gql(t, PIPELINE_MOVE, json!({ "i": i }))
    }))
    .await;
    ids(&moved, "pipelineMove", "pipeline");
    assert_eq!(repeated_ranks(&app, "pipelines", "sub_account_id").await, 0);
    assert_eq!(repeated_ranks(&app, "lanes", "pipeline_id").await, 0);
}

#[tokio::test]
async fn concurrent_workspace_and_sidebar_changes_keep_ranks_distinct() {
    let app = spawn_app().await;
    let w = app.world().await;
    let t = Some(w.owner.access.as_str());
    let task = app
        .gql(
            t,
            "mutation($i: TaskCreateInput!) { taskCreate(input: $i) { task { id } } }",
            json!({ "i": { "subAccountId": w.dental, "title": "Launch" } }),
        )
        .await
        .ok()
        .data("taskCreate.task.id")
        .clone();
    let added = join_all((0..N).map(|i| {
        app.gql(
            t,
            ITEM_ADD,
            json!({ "i": { "taskId": task, "body": format!("Step {i}") } }),
        )
    }))
    .await;
    let items = ids(&added, "taskChecklistItemAdd", "item");
    let moved = join_all((0..N).map(|i| {
        let i = json!({ "itemId": items[i], "afterItemId": items[(i + 1) % N] });
        app.gql(t, ITEM_MOVE, json!({ "i": i }))
    }))
    .await;
    ids(&moved, "taskChecklistItemMove", "item");
    let groups = join_all((0..N).map(|i| {
        let i = json!({ "subAccountId": w.dental, "name": format!("G{i}") });
        app.gql(t, GROUP_CREATE, json!({ "i": i }))
    }))
    .await;
    ids(&groups, "taskGroupCreate", "group");
    let links = join_all((0..N).map(|i| {
        let i = json!({ "subAccountId": w.dental, "title": format!("Doc {i}"), "url": format!("https://example.com/{i}") });
        app.gql(t, LINK_CREATE, json!({ "i": i }))
    }))
    .await;
    ids(&links, "workspaceLinkCreate", "link");
    let entries: Vec<Value> = app
        .gql(t, SIDEBAR, json!({ "id": w.agency }))
        .await
        .ok()
        .data("node.sidebarOptions")
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["id"].clone())
        .collect();
    let n = entries.len();
    assert!(n >= 4, "{entries:?}");
    let moved = join_all((0..n).map(|i| {
        app.gql(
            t,
            SIDEBAR_MOVE,
            json!({ "id": entries[i], "after": entries[(i + 1) % n] }),
        )
    }))
    .await;
    ids(&moved, "sidebarOptionMove", "sidebarOption");
    for (table, list) in [
        ("task_checklist_items", "task_id"),
        ("task_groups", "sub_account_id"),
        ("workspace_links", "sub_account_id"),
        ("sidebar_options", "scope_id"),
    ] {
        assert_eq!(repeated_ranks(&app, table, list).await, 0, "{table}");
    }
}

#[tokio::test]
async fn the_migration_tells_apart_ranks_made_equal_before_it() {
    use migrations::{MigrationTrait, SchemaManager};
    use sea_orm::ConnectionTrait;
    let app = spawn_app().await;
    let w = app.world().await;
    let t = Some(w.owner.access.as_str());
    let lanes = ["A", "B", "C"];
    let i = json!({ "subAccountId": w.dental, "name": "Sales", "lanes": lanes });
    let r = app.gql(t, PIPELINE_CREATE, json!({ "i": i })).await.ok();
    let pipeline = r.data("pipelineCreate.pipeline.id").clone();
    // As before the migration: no unique index, and ranks made equal by concurrent creates.
    let migration = migrations::m20261203_000024_unique_ranks::Migration;
    migration
        .down(&SchemaManager::new(&app.db))
        .await
        .expect("down");
    app.db
        .execute_unprepared("UPDATE lanes SET rank = '8'")
        .await
        .expect("equal ranks");
    assert_eq!(repeated_ranks(&app, "lanes", "pipeline_id").await, 2);
    migration
        .up(&SchemaManager::new(&app.db))
        .await
        .expect("up");
    assert_eq!(repeated_ranks(&app, "lanes", "pipeline_id").await, 0);
    let r = app
        .gql(
            t,
            "query($id: ID!) { node(id: $id) { ... on Pipeline { lanes { id name } } } }",
            json!({ "id": pipeline }),
        )
        .await
        .ok();
    let listed = r.data("node.lanes").as_array().expect("lanes").clone();
    assert_eq!(listed.len(), 3);
    // The lanes move again: between the once-equal neighbours, too.
    let i = json!({ "laneId": listed[0]["id"], "afterLaneId": listed[1]["id"] });
    ids(
        &[app.gql(t, LANE_MOVE, json!({ "i": i })).await],
        "laneMove",
        "lane",
    );
    assert_eq!(repeated_ranks(&app, "lanes", "pipeline_id").await, 0);
}
