//! The task workspace: tasks with sub-tasks, checklists, comments, attachments, reminders,
//! repeat rules and history; task groups and categories; idea boards; links.

use kernel::Role;
use serde_json::{Value, json};
use tests::{Session, TestApp, spawn_app};

const TASK: &str = "id title status priority dueAt repeatRule completedAt assignee { email } group { name } category { name } parent { title } subtasks { title } checklist { id body done } nextOccurrence { id dueAt status checklist { body done } }";

struct World {
    owner: Session,
    staff: Session,
    outsider: Session,
    dental: String,
    gardens: String,
}

async fn world(app: &TestApp) -> World {
    let tests::World {
        owner,
        dental,
        gardens,
        ..
    } = app.world().await;
    let staff = app
        .member("staff@dental.test", &dental, Role::SubaccountUser)
        .await;
    let outsider = app
        .member("gardener@gardens.test", &gardens, Role::SubaccountUser)
        .await;
    World {
        owner,
        staff,
        outsider,
        dental,
        gardens,
    }
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

async fn ok(app: &TestApp, who: &Session, q: &str, vars: Value, path: &str) -> Value {
    let r = app.gql(Some(&who.access), q, vars).await.ok();
    assert_eq!(r.user_errors(path), vec![], "{}", r.body);
    r.data(path).clone()
}

#[tokio::test]
async fn tasks_repeat_keep_history_and_carry_checklists_comments_files_and_reminders() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let g = ok(&app, &w.owner, "mutation($s: ID!) { taskGroupCreate(input: { subAccountId: $s, name: \"Launch\" }) { group { id name } userErrors { field code } } }", json!({ "s": w.dental }), "taskGroupCreate").await;
    let c = ok(&app, &w.owner, "mutation($s: ID!) { taskCategoryCreate(input: { subAccountId: $s, name: \"Ops\", color: \"#AA00FF\" }) { category { id color } userErrors { field code } } }", json!({ "s": w.dental }), "taskCategoryCreate").await;
    assert_eq!(c["category"]["color"], "#aa00ff");
    let r = app
        .gql(
            Some(&w.staff.access),
            "query($s: ID!) { taskCategories(subAccountId: $s) { name color } }",
            json!({ "s": w.dental }),
        )
        .await
        .ok();
    assert_eq!(
        r.data("taskCategories"),
        &json!([{ "name": "Ops", "color": "#aa00ff" }])
    );
    let create = format!(
        "mutation($i: TaskCreateInput!) {{ taskCreate(input: $i) {{ task {{ {TASK} }} userErrors {{ field code message }} }} }}"
    );
    let t = ok(&app, &w.owner, &create, json!({ "i": {
        "subAccountId": w.dental, "title": "Weekly report", "groupId": g["group"]["id"], "categoryId": c["category"]["id"],
        "assigneeId": w.staff.user_id, "dueAt": "2030-01-07T09:00:00Z", "priority": "HIGH",
        "repeat": { "frequency": "WEEKLY" },
    } }), "taskCreate").await["task"].clone();
    assert_eq!(
        (
            t["status"].as_str(),
            t["priority"].as_str(),
            t["repeatRule"].as_str()
        ),
        (Some("TODO"), Some("HIGH"), Some("FREQ=WEEKLY"))
    );
    assert_eq!(
        (
            t["group"]["name"].as_str(),
            t["category"]["name"].as_str(),
            t["assignee"]["email"].as_str()
        ),
        (Some("Launch"), Some("Ops"), Some("staff@dental.test"))
    );
    let id = t["id"].clone();
    assert!(id.as_str().is_some_and(|i| i.starts_with("tsk_")));

    // Bad input.
    for (input, expected) in [
        (
            json!({ "title": "x", "repeat": { "frequency": "CUSTOM", "rule": "FREQ=SOMETIMES" } }),
            vec![("input.repeatRule", "INVALID")],
        ),
        (
            json!({ "title": "x", "repeat": { "frequency": "CUSTOM", "rule": "FREQ=HOURLY" } }),
            vec![("input.repeatRule", "INVALID")],
        ),
        (
            json!({ "title": "", "assigneeId": w.outsider.user_id }),
            vec![("input.title", "INVALID"), ("input.assigneeId", "INVALID")],
        ),
    ] {
        let mut i = input;
        i["subAccountId"] = json!(w.dental);
        let r = app
            .gql(Some(&w.owner.access), &create, json!({ "i": i }))
            .await
            .ok();
        let mut got = r.user_errors("taskCreate");
        got.sort();
        let mut want = pairs(&expected);
        want.sort();
        assert_eq!(got, want, "{}", r.body);
    }
    let other_group = ok(&app, &w.owner, "mutation($s: ID!) { taskGroupCreate(input: { subAccountId: $s, name: \"Elsewhere\" }) { group { id } userErrors { code } } }", json!({ "s": w.gardens }), "taskGroupCreate").await;
    let r = app.gql(Some(&w.owner.access), &create, json!({ "i": { "subAccountId": w.dental, "title": "x", "groupId": other_group["group"]["id"] } })).await.ok();
    assert_eq!(
        r.user_errors("taskCreate"),
        pairs(&[("input.groupId", "INVALID")])
    );

    // Sub-tasks, one level deep.
    let sub = ok(
        &app,
        &w.owner,
        &create,
        json!({ "i": { "subAccountId": w.dental, "title": "Collect numbers", "parentId": id } }),
        "taskCreate",
    )
    .await["task"]
        .clone();
    assert_eq!(sub["parent"]["title"], "Weekly report");
    let r = app
        .gql(
            Some(&w.owner.access),
            &create,
            json!({ "i": { "subAccountId": w.dental, "title": "Deeper", "parentId": sub["id"] } }),
        )
        .await
        .ok();
    assert_eq!(
        r.user_errors("taskCreate"),
        pairs(&[("input.parentId", "NOT_ALLOWED")])
    );

    // The checklist.
    let add = "mutation($t: ID!, $b: String!) { taskChecklistItemAdd(input: { taskId: $t, body: $b }) { item { id body done } userErrors { field code } } }";
    let mut items = Vec::new();
    for b in ["Sales", "Costs", "Outlook"] {
        items.push(
            ok(
                &app,
                &w.staff,
                add,
                json!({ "t": id, "b": b }),
                "taskChecklistItemAdd",
            )
            .await["item"]["id"]
                .clone(),
        );
    }
    ok(&app, &w.staff, "mutation($i: ID!) { taskChecklistItemUpdate(id: $i, input: { done: true }) { item { done } userErrors { code } } }", json!({ "i": items[0] }), "taskChecklistItemUpdate").await;
    ok(&app, &w.staff, "mutation($i: ID!, $a: ID) { taskChecklistItemMove(input: { itemId: $i, afterItemId: $a }) { item { body } userErrors { code } } }", json!({ "i": items[2], "a": Value::Null }), "taskChecklistItemMove").await;
    ok(&app, &w.staff, "mutation($i: ID!) { taskChecklistItemDelete(id: $i) { item { body } userErrors { code } } }", json!({ "i": items[1] }), "taskChecklistItemDelete").await;
    let r = app
        .gql(Some(&w.staff.access), add, json!({ "t": id, "b": "  " }))
        .await
        .ok();
    assert_eq!(
        r.user_errors("taskChecklistItemAdd"),
        pairs(&[("input.body", "INVALID")])
    );
    // Someone of another sub-account cannot touch it.
    let r = app
        .gql(
            Some(&w.outsider.access),
            add,
            json!({ "t": id, "b": "sneaky" }),
        )
        .await;
    assert_eq!(r.error_code(), Some("NOT_FOUND"));

    // Comments, attachments, reminders.
    let cm = ok(&app, &w.staff, "mutation($t: ID!) { taskCommentAdd(input: { taskId: $t, body: \"On it\" }) { comment { id body author { email } } userErrors { code } } }", json!({ "t": id }), "taskCommentAdd").await;
    assert_eq!(cm["comment"]["author"]["email"], "staff@dental.test");
    let att = "mutation($t: ID!, $u: String!) { taskAttachmentAdd(input: { taskId: $t, name: \"report.pdf\", url: $u, mediaType: \"application/pdf\", sizeBytes: 2048 }) { attachment { id name url } userErrors { field code } } }";
    let a = ok(
        &app,
        &w.staff,
        att,
        json!({ "t": id, "u": "https://files.example.com/report.pdf" }),
        "taskAttachmentAdd",
    )
    .await;
    let r = app
        .gql(
            Some(&w.staff.access),
            att,
            json!({ "t": id, "u": "javascript:alert(1)" }),
        )
        .await
        .ok();
    assert_eq!(
        r.user_errors("taskAttachmentAdd"),
        pairs(&[("input.url", "INVALID")])
    );
    let rem = "mutation($t: ID!, $at: DateTime!, $u: ID) { taskReminderAdd(input: { taskId: $t, remindAt: $at, userId: $u }) { reminder { id user { email } } userErrors { field code } } }";
    let rm = ok(
        &app,
        &w.staff,
        rem,
        json!({ "t": id, "at": "2030-01-07T08:00:00Z" }),
        "taskReminderAdd",
    )
    .await;
    assert_eq!(rm["reminder"]["user"]["email"], "staff@dental.test");
    let r = app
        .gql(
            Some(&w.staff.access),
            rem,
            json!({ "t": id, "at": "2001-01-01T00:00:00Z" }),
        )
        .await
        .ok();
    assert_eq!(
        r.user_errors("taskReminderAdd"),
        pairs(&[("input.remindAt", "INVALID")])
    );
    let r = app
        .gql(
            Some(&w.staff.access),
            rem,
            json!({ "t": id, "at": "2030-01-07T08:00:00Z", "u": w.outsider.user_id }),
        )
        .await
        .ok();
    assert_eq!(
        r.user_errors("taskReminderAdd"),
        pairs(&[("input.userId", "INVALID")])
    );

    // Changes go to the history.
    let upd = "mutation($id: ID!, $i: TaskUpdateInput!) { taskUpdate(id: $id, input: $i) { task { title status priority assignee { email } } userErrors { field code } } }";
    ok(&app, &w.owner, upd, json!({ "id": id, "i": { "title": "Weekly sales report", "priority": "URGENT", "status": "IN_PROGRESS", "assigneeId": null } }), "taskUpdate").await;
    let hist = "query($id: ID!) { node(id: $id) { ... on Task { history(first: 50) { nodes { field oldValue newValue actor { email } actorKind } } } } }";
    let r = app
        .gql(Some(&w.owner.access), hist, json!({ "id": id }))
        .await
        .ok();
    let h = r
        .data("node.history.nodes")
        .as_array()
        .expect("history")
        .clone();
    let find = |f: &str| {
        h.iter()
            .find(|e| e["field"] == f)
            .cloned()
            .unwrap_or(Value::Null)
    };
    assert_eq!(
        (
            find("title")["oldValue"].as_str(),
            find("title")["newValue"].as_str()
        ),
        (Some("Weekly report"), Some("Weekly sales report"))
    );
    assert_eq!(
        (
            find("status")["oldValue"].as_str(),
            find("status")["newValue"].as_str()
        ),
        (Some("todo"), Some("in_progress"))
    );
    assert_eq!(find("title")["actor"]["email"], "owner@acme.test");
    assert!(find("assigneeId")["newValue"].is_null() && find("assigneeId")["oldValue"].is_string());
    assert!(
        h.iter().any(|e| e["field"] == "checklist")
            && h.iter().any(|e| e["field"] == "attachment")
            && h.iter().any(|e| e["field"] == "created")
    );

    // Completing a repeating task makes the next one, a week later, with a fresh checklist.
    let done = format!(
        "mutation($id: ID!) {{ taskComplete(id: $id) {{ task {{ {TASK} }} userErrors {{ code }} }} }}"
    );
    let t = ok(&app, &w.owner, &done, json!({ "id": id }), "taskComplete").await["task"].clone();
    assert_eq!(t["status"], "DONE");
    assert!(t["completedAt"].is_string());
    let next = &t["nextOccurrence"];
    assert_eq!(
        (next["status"].as_str(), next["dueAt"].as_str()),
        (Some("TODO"), Some("2030-01-14T09:00:00+00:00"))
    );
    assert_eq!(
        next["checklist"],
        json!([{ "body": "Outlook", "done": false }, { "body": "Sales", "done": false }])
    );
    // Reopened and completed again, it makes no second occurrence.
    let tasks_before = app.count("tasks").await;
    ok(&app, &w.owner, "mutation($id: ID!) { taskUpdate(id: $id, input: { status: TODO }) { task { status } userErrors { code } } }", json!({ "id": id }), "taskUpdate").await;
    let again = ok(&app, &w.owner, &done, json!({ "id": id }), "taskComplete").await;
    assert_eq!(
        again["task"]["nextOccurrence"]["id"],
        t["nextOccurrence"]["id"]
    );
    assert_eq!(app.count("tasks").await, tasks_before);
    // Listing by status and group.
    let list = "query($s: ID!, $f: TaskFilterInput) { tasks(subAccountId: $s, filter: $f) { nodes { title status } } }";
    let r = app
        .gql(
            Some(&w.owner.access),
            list,
            json!({ "s": w.dental, "f": { "status": "TODO", "groupId": g["group"]["id"] } }),
        )
        .await
        .ok();
    assert_eq!(
        r.data("tasks.nodes"),
        &json!([{ "title": "Weekly sales report", "status": "TODO" }])
    );
    let r = app
        .gql(
            Some(&w.owner.access),
            list,
            json!({ "s": w.dental, "f": { "parentId": id } }),
        )
        .await
        .ok();
    assert_eq!(
        r.data("tasks.nodes"),
        &json!([{ "title": "Collect numbers", "status": "TODO" }])
    );

    // Deleting the category leaves the tasks; deleting a task takes its children.
    ok(&app, &w.owner, "mutation($id: ID!) { taskCategoryDelete(id: $id) { category { name } userErrors { code } } }", json!({ "id": c["category"]["id"] }), "taskCategoryDelete").await;
    assert_eq!(app.count("tasks WHERE category_id IS NOT NULL").await, 0);
    ok(&app, &w.owner, "mutation($id: ID!) { taskReminderDelete(id: $id) { reminder { id } userErrors { code } } }", json!({ "id": rm["reminder"]["id"] }), "taskReminderDelete").await;
    ok(&app, &w.owner, "mutation($id: ID!) { taskAttachmentDelete(id: $id) { attachment { name } userErrors { code } } }", json!({ "id": a["attachment"]["id"] }), "taskAttachmentDelete").await;
    ok(&app, &w.owner, "mutation($id: ID!) { taskCommentDelete(id: $id) { comment { body } userErrors { code } } }", json!({ "id": cm["comment"]["id"] }), "taskCommentDelete").await;
    ok(
        &app,
        &w.owner,
        "mutation($id: ID!) { taskDelete(id: $id) { task { title } userErrors { code } } }",
        json!({ "id": id }),
        "taskDelete",
    )
    .await;
    assert_eq!(
        app.count("tasks").await,
        1,
        "the sub-task went with its parent; the next occurrence stays"
    );
    assert_eq!(app.count("task_checklist_items").await, 2);
    assert!(app.count("events WHERE event_type LIKE 'task.%'").await >= 6);
}

#[tokio::test]
async fn groups_idea_boards_votes_and_links() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let g = ok(&app, &w.owner, "mutation($s: ID!) { taskGroupCreate(input: { subAccountId: $s, name: \"Launch\" }) { group { id } userErrors { code } } }", json!({ "s": w.dental }), "taskGroupCreate").await;
    ok(&app, &w.owner, "mutation($id: ID!) { taskGroupUpdate(id: $id, input: { name: \"Launch 2\", archived: true }) { group { name archivedAt } userErrors { code } } }", json!({ "id": g["group"]["id"] }), "taskGroupUpdate").await;
    let r = app.gql(Some(&w.owner.access), "query($s: ID!, $a: Boolean) { taskGroups(subAccountId: $s, includeArchived: $a) { name } }", json!({ "s": w.dental })).await.ok();
    assert_eq!(r.data("taskGroups"), &json!([]));
    let r = app.gql(Some(&w.owner.access), "query($s: ID!, $a: Boolean) { taskGroups(subAccountId: $s, includeArchived: $a) { name } }", json!({ "s": w.dental, "a": true })).await.ok();
    assert_eq!(r.data("taskGroups"), &json!([{ "name": "Launch 2" }]));
    let r = app.gql(Some(&w.owner.access), "mutation($s: ID!) { taskCategoryCreate(input: { subAccountId: $s, name: \"Ops\", color: \"red\" }) { category { id } userErrors { field code } } }", json!({ "s": w.dental })).await.ok();
    assert_eq!(
        r.user_errors("taskCategoryCreate"),
        pairs(&[("input.color", "INVALID")])
    );

    // Ideas: anyone in the sub-account proposes and votes once; the status needs write access.
    let b = ok(&app, &w.owner, "mutation($s: ID!) { ideaBoardCreate(input: { subAccountId: $s, name: \"Ideas\" }) { board { id } userErrors { code } } }", json!({ "s": w.dental }), "ideaBoardCreate").await;
    let idea = ok(&app, &w.staff, "mutation($b: ID!) { ideaCreate(input: { boardId: $b, title: \"Late opening\" }) { idea { id votes author { email } } userErrors { code } } }", json!({ "b": b["board"]["id"] }), "ideaCreate").await;
    let iid = idea["idea"]["id"].clone();
    let vote = "mutation($id: ID!) { ideaVote(id: $id) { idea { votes votedByMe } userErrors { field code } } }";
    let r = ok(&app, &w.staff, vote, json!({ "id": iid }), "ideaVote").await;
    assert_eq!(r["idea"], json!({ "votes": 1, "votedByMe": true }));
    let r = app
        .gql(Some(&w.staff.access), vote, json!({ "id": iid }))
        .await
        .ok();
    assert_eq!(
        r.user_errors("ideaVote"),
        pairs(&[("id", "ALREADY_DONE")]),
        "{}",
        r.body
    );
    let r = ok(&app, &w.owner, vote, json!({ "id": iid }), "ideaVote").await;
    assert_eq!(r["idea"]["votes"], 2);
    let r = ok(&app, &w.staff, "mutation($id: ID!) { ideaUnvote(id: $id) { idea { votes votedByMe } userErrors { code } } }", json!({ "id": iid }), "ideaUnvote").await;
    assert_eq!(r["idea"], json!({ "votes": 1, "votedByMe": false }));
    let r = ok(&app, &w.owner, "mutation($id: ID!) { ideaStatusSet(id: $id, status: PLANNED) { idea { status } userErrors { code } } }", json!({ "id": iid }), "ideaStatusSet").await;
    assert_eq!(r["idea"]["status"], "PLANNED");
    let r = app
        .gql(Some(&w.outsider.access), vote, json!({ "id": iid }))
        .await;
    assert_eq!(r.error_code(), Some("NOT_FOUND"));
    // A key that may only read the workspace cannot vote.
    let key = app
        .gql(Some(&w.owner.access), "mutation($s: ID!) { apiKeyCreate(input: { scopeId: $s, name: \"reader\", permissions: [PIPELINES_READ] }) { secret } }", json!({ "s": w.dental }))
        .await
        .ok();
    let reader = key
        .data("apiKeyCreate.secret")
        .as_str()
        .expect("secret")
        .to_owned();
    let r = app.gql(Some(&reader), vote, json!({ "id": iid })).await;
    assert_eq!(r.error_code(), Some("FORBIDDEN"), "{}", r.body);
    let r = app
        .gql(
            Some(&w.owner.access),
            "query($s: ID!) { ideaBoards(subAccountId: $s) { name ideas { title votes } } }",
            json!({ "s": w.dental }),
        )
        .await
        .ok();
    assert_eq!(
        r.data("ideaBoards"),
        &json!([{ "name": "Ideas", "ideas": [{ "title": "Late opening", "votes": 1 }] }])
    );

    // Links.
    let link = "mutation($s: ID!, $t: String!, $u: String!) { workspaceLinkCreate(input: { subAccountId: $s, title: $t, url: $u }) { link { id title url } userErrors { field code } } }";
    let l = ok(
        &app,
        &w.owner,
        link,
        json!({ "s": w.dental, "t": "Handbook", "u": "https://wiki.example.com/handbook" }),
        "workspaceLinkCreate",
    )
    .await;
    let r = app
        .gql(
            Some(&w.owner.access),
            link,
            json!({ "s": w.dental, "t": "", "u": "ftp://x" }),
        )
        .await
        .ok();
    let mut got = r.user_errors("workspaceLinkCreate");
    got.sort();
    assert_eq!(
        got,
        pairs(&[("input.title", "INVALID"), ("input.url", "INVALID")])
    );
    let r = app
        .gql(
            Some(&w.staff.access),
            "query($s: ID!) { workspaceLinks(subAccountId: $s) { title } }",
            json!({ "s": w.dental }),
        )
        .await
        .ok();
    assert_eq!(r.data("workspaceLinks"), &json!([{ "title": "Handbook" }]));
    ok(&app, &w.owner, "mutation($id: ID!) { workspaceLinkDelete(id: $id) { link { title } userErrors { code } } }", json!({ "id": l["link"]["id"] }), "workspaceLinkDelete").await;
    assert_eq!(app.count("workspace_links").await, 0);
}
