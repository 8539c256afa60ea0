//! API correctness: counts that are counted, query cost that grows with page size, input the
//! databases cannot store refused alike on both, request shapes refused clearly, and messages
//! that say what is wrong.

use serde_json::json;
use tests::spawn_app;

#[tokio::test]
async fn task_comment_change_and_note_totals_are_counted() {
    let app = spawn_app().await;
    let w = app.world().await;
    let q = |query: &'static str, vars: serde_json::Value| {
        let token = w.owner.access.clone();
        let app = &app;
        async move { app.gql(Some(&token), query, vars).await.ok() }
    };
    let made = q(
        "mutation($s: ID!) { a: taskCreate(input: { subAccountId: $s, title: \"A\" }) { task { id } } b: taskCreate(input: { subAccountId: $s, title: \"B\" }) { task { id } } c: taskCreate(input: { subAccountId: $s, title: \"C\" }) { task { id } } p: pipelineCreate(input: { subAccountId: $s, name: \"P\" }) { pipeline { lanes { id } } } }",
        json!({ "s": w.dental }),
    )
    .await;
    let task = made.data("a.task.id").as_str().expect("task").to_owned();
    let lane = made.data("p.pipeline.lanes")[0]["id"].clone();
    let more = q(
        "mutation($t: ID!, $l: ID!) { c1: taskCommentAdd(input: { taskId: $t, body: \"1\" }) { comment { id } } c2: taskCommentAdd(input: { taskId: $t, body: \"2\" }) { comment { id } } u: taskUpdate(id: $t, input: { title: \"A2\" }) { task { id } } d: ticketCreate(input: { laneId: $l, title: \"D\" }) { ticket { id } } }",
        json!({ "t": task, "l": lane }),
    )
    .await;
    let ticket = more
        .data("d.ticket.id")
        .as_str()
        .expect("ticket")
        .to_owned();
    for body in ["x", "y", "z"] {
        q(
            "mutation($d: ID!, $b: String!) { ticketNoteAdd(input: { ticketId: $d, body: $b }) { note { id } } }",
            json!({ "d": ticket, "b": body }),
        )
        .await;
    }
    let r = q(
        "query($s: ID!, $t: ID!, $d: ID!) { tasks(subAccountId: $s, first: 1) { totalCount } t: node(id: $t) { ... on Task { comments(first: 1) { totalCount } history(first: 1) { totalCount } } } d: node(id: $d) { ... on Ticket { notes(first: 1) { totalCount } } } }",
        json!({ "s": w.dental, "t": task, "d": ticket }),
    )
    .await;
    let sub = tests::uuid_of(&w.dental);
    let t = tests::uuid_of(&task);
    let d = tests::uuid_of(&ticket);
    let tasks = app
        .count_where("tasks", "sub_account_id = $1 AND parent_id IS NULL", sub)
        .await;
    assert_eq!(tasks, 3);
    assert_eq!(r.data("tasks.totalCount"), tasks);
    assert_eq!(
        r.data("t.comments.totalCount"),
        app.count_where("task_comments", "task_id = $1", t).await
    );
    let changes = app.count_where("task_history", "task_id = $1", t).await;
    assert!(changes > 0);
    assert_eq!(r.data("t.history.totalCount"), changes);
    assert_eq!(
        r.data("d.notes.totalCount"),
        app.count_where("ticket_notes", "ticket_id = $1", d).await
    );
    assert_eq!(r.data("d.notes.totalCount"), 3);
}
