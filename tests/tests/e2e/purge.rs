//! Removing tenants deleted more than 30 days ago (`tenancy.retention`): an agency goes with every
//! row of every table that has an `agency_id`, a sub-account with its own rows, a reseller with
//! its staff and ledger; their neighbours keep every row; a short run resumes where it stopped.

use chrono::Utc;
use kernel::Role;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use tests::receiver::Receiver;
use tests::{Session, TestApp, spawn_app_with};
use uuid::Uuid;

/// Tables with an `agency_id` that a tenant made through the API may leave empty, and why.
const MAY_BE_EMPTY: &[(&str, &str)] = &[(
    "metric_deltas",
    "the fold moves them into metric_daily within a second or so (`settle` waits for it)",
)];

use tests::uuid_of as uuid;

/// Fills the sub-account `sub` through the API with a row in every kind of table: CRM,
/// pipelines, the task workspace, a webhook endpoint (with `rx` receiving its messages), an
/// invitation (and its email), an API key, a staff member's notification.
async fn populate(app: &TestApp, owner: &Session, sub: &str, rx: &Receiver, tag: &str) {
    let staff = app
        .member(
            &format!("staff-{tag}@purge.test"),
            sub,
            Role::SubaccountUser,
        )
        .await;
    let q = |query: &'static str, vars: Value| {
        let token = owner.access.clone();
        async move {
            let r = app.gql(Some(&token), query, vars).await.ok();
            assert!(r.body.get("errors").is_none(), "{}", r.body);
            r
        }
    };
    let url = rx.url.clone();
    let first = q(
        "mutation($s: ID!, $u: ID!, $url: String!, $e: String!) { w: webhookEndpointCreate(input: { scopeId: $s, url: $url, eventTypes: [\"contact.created\"] }) { endpoint { id } } c: contactCreate(input: { subAccountId: $s, firstName: \"Ada\" }) { contact { id } } t: tagCreate(input: { subAccountId: $s, name: \"vip\" }) { tag { id } } f: customFieldCreate(input: { subAccountId: $s, name: \"Plan\", kind: SINGLE_SELECT, options: [\"gold\"] }) { customField { id } } p: pipelineCreate(input: { subAccountId: $s, name: \"Deals\" }) { pipeline { lanes { id } } } g: taskGroupCreate(input: { subAccountId: $s, name: \"G\" }) { group { id } } k: taskCategoryCreate(input: { subAccountId: $s, name: \"K\" }) { category { id } } b: ideaBoardCreate(input: { subAccountId: $s, name: \"B\" }) { board { id } } l: workspaceLinkCreate(input: { subAccountId: $s, title: \"L\", url: \"https://purge.test\" }) { link { id } } task: taskCreate(input: { subAccountId: $s, title: \"T\", assigneeId: $u }) { task { id } } i: invitationCreate(input: { scopeId: $s, email: $e, role: SUBACCOUNT_USER }) { invitation { id } } a: apiKeyCreate(input: { scopeId: $s, name: \"k\", permissions: [CONTACTS_READ] }) { apiKey { id } } }",
        json!({ "s": sub, "u": staff.user_id, "url": url, "e": format!("hire-{tag}@purge.test") }),
    )
    .await;
    let id = |r: &tests::Gql, path: &str| r.data(path).as_str().expect(path).to_owned();
    let (contact, tag_id, field) = (
        id(&first, "c.contact.id"),
        id(&first, "t.tag.id"),
        id(&first, "f.customField.id"),
    );
    let second = q(
        "mutation($s: ID!, $c: ID!, $t: ID!, $f: ID!, $l: ID!, $task: ID!, $b: ID!) { tags: contactTagsAdd(input: { contactIds: [$c], tagIds: [$t] }) { userErrors { code } } v: contactUpdate(id: $c, input: { customValues: [{ fieldId: $f, text: \"gold\" }] }) { userErrors { code } } s: segmentCreate(input: { subAccountId: $s, name: \"Gold\", filter: { customFields: [{ fieldId: $f, equals: \"gold\" }] } }) { segment { id } } n: contactNoteAdd(input: { contactId: $c, body: \"note\" }) { activity { id } } d: ticketCreate(input: { laneId: $l, title: \"Deal\", contactId: $c, tagIds: [$t] }) { ticket { id } } i: taskChecklistItemAdd(input: { taskId: $task, body: \"I\" }) { item { id } } m: taskCommentAdd(input: { taskId: $task, body: \"M\" }) { comment { id } } a: taskAttachmentAdd(input: { taskId: $task, name: \"a.pdf\", url: \"https://purge.test/a.pdf\" }) { attachment { id } } r: taskReminderAdd(input: { taskId: $task, remindAt: \"2099-01-01T00:00:00Z\" }) { reminder { id } } u: taskUpdate(id: $task, input: { title: \"T2\" }) { task { id } } idea: ideaCreate(input: { boardId: $b, title: \"I\" }) { idea { id } } }",
        json!({ "s": sub, "c": contact, "t": tag_id, "f": field, "l": first.data("p.pipeline.lanes")[0]["id"], "task": id(&first, "task.task.id"), "b": id(&first, "b.board.id") }),
    )
    .await;
    q(
        "mutation($d: ID!, $i: ID!) { n: ticketNoteAdd(input: { ticketId: $d, body: \"N\" }) { note { id } } v: ideaVote(id: $i) { idea { id } } }",
        json!({ "d": id(&second, "d.ticket.id"), "i": id(&second, "idea.idea.id") }),
    )
    .await;
    // The media library: a folder, a file in it, and the file attached to the task (a use);
    // the funnels' settings (tracking allowed).
    let folder = q(
        "mutation($s: ID!) { f: mediaFolderCreate(input: { subAccountId: $s, name: \"Brand\" }) { folder { id } } t: funnelTrackingAllow(subAccountId: $s, allowed: true) { allowed } }",
        json!({ "s": sub }),
    )
    .await;
    let file = app
        .upload_part(
            Some(&owner.access),
            crate::media::UPLOAD,
            json!({ "i": { "subAccountId": sub, "folderId": id(&folder, "f.folder.id"), "file": null } }),
            "i.file",
            tests::Part { filename: "logo.png", content_type: None, bytes: &crate::media::png(1, 1, tag.len()) },
            true,
        )
        .await
        .ok();
    q(
        "mutation($t: ID!, $f: ID!) { a: taskAttachmentAdd(input: { taskId: $t, mediaFileId: $f }) { attachment { id } } }",
        json!({ "t": id(&first, "task.task.id"), "f": id(&file, "mediaFileUpload.file.id") }),
    )
    .await;
    // Calendars: a staff member with a dated exception, a service, an appointment (its holds).
    let (staff_resource, _, _) = crate::calendars::booked(app, owner, sub).await;
    // A review asked for.
    crate::reviews::requested(app, owner, sub, &format!("reviewer-{tag}@purge.test")).await;
    // Referrals: a code, redeemed once through its link.
    let (_, link) = crate::referrals::code(app, owner, sub, json!({})).await;
    let redeemed = app
        .http
        .post(format!("{}{link}", app.url))
        .json(&json!({ "firstName": "Lena", "email": format!("lena-{tag}@purge.test") }))
        .send()
        .await
        .expect("redeem");
    assert_eq!(redeemed.status(), 201);
    q(
        "mutation($r: ID!) { x: calendarExceptionSet(resourceId: $r, date: \"2099-12-24\", windows: []) { userErrors { code } } }",
        json!({ "r": staff_resource }),
    )
    .await;
    let funnel = q(
        "mutation($s: ID!, $d: String!) { f: funnelCreate(input: { subAccountId: $s, kind: WEBSITE, name: \"Site\", subdomain: $d }) { funnel { id pages { id } } } }",
        json!({ "s": sub, "d": format!("purge-{tag}") }),
    )
    .await;
    let form = json!({ "schemaVersion": 1, "blocks": [{ "type": "form", "key": "f", "submitLabel": "Go",
        "consent": { "statement": "Yes", "channels": ["email"] },
        "fields": [{ "name": "email", "label": "Email", "kind": "email", "contact": "email" }] }] });
    q(
        "mutation($f: ID!, $p: ID!, $h: String!, $doc: JSON!, $s: ID!, $e: String!) { d: funnelDomainAdd(funnelId: $f, host: $h) { userErrors { code } } x: funnelPageSaveDraft(id: $p, document: $doc) { userErrors { code } } p: funnelPagePublish(id: $p) { version { id } } e: embedDomainAdd(subAccountId: $s, host: $e) { userErrors { code } } }",
        json!({ "f": id(&funnel, "f.funnel.id"), "p": funnel.data("f.funnel.pages")[0]["id"], "h": format!("{tag}.purge-example.com"), "doc": form, "s": sub, "e": format!("www.{tag}.purge-example.com") }),
    )
    .await;
    // A visitor's view (written off the request path) and submission with consent (the app
    // takes forms at once: form_min_fill_ms 0).
    let host = format!("purge-{tag}.sites.canopy.localhost");
    let page = app
        .http
        .get(format!("{}/", app.url))
        .header("host", &host)
        .header("user-agent", "Mozilla/5.0")
        .send()
        .await
        .expect("page");
    let html = page.text().await.expect("html");
    let token = tests::form_token(&html).expect("a form");
    let sent = app
        .http
        .post(format!("{}/", app.url))
        .header("host", &host)
        .json(&json!({ "_form": "f", "_t": token, "email": format!("{tag}@visitor.test"), "_consent": true }))
        .send()
        .await
        .expect("post");
    assert_eq!(
        sent.status(),
        200,
        "{}",
        sent.text().await.unwrap_or_default()
    );
    for _ in 0..200 {
        if app
            .count_where("funnel_visits", "sub_account_id = $1", uuid(sub))
            .await
            > 0
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

fn instant_forms(c: &mut kernel::Config) {
    c.form_min_fill_ms = 0;
    c.visits_flush_ms = 20;
}

/// Rows per table with an `agency_id` column, for `agency`.
async fn rows_of(app: &TestApp, agency: Uuid) -> BTreeMap<String, i64> {
    let mut rows = BTreeMap::new();
    for t in app.tables_with("agency_id").await {
        let n = app.count_where(&t, "agency_id = $1", agency).await;
        rows.insert(t, n);
    }
    rows
}

/// Waits until `agency` has `attempts` logged webhook attempts (six per populated
/// sub-account, one per `contact.created`: its contact, the form's, the appointment's, a
/// referrer, their lead and a reviewer), no job ready or running, and its metric deltas folded
/// into daily rows by the maintenance tick (so nothing is written for it after the counts are
/// taken: a fold between two counts emptied `metric_deltas` and filled `metric_daily`).
async fn settle(app: &TestApp, agency: Uuid, expected: i64) {
    for _ in 0..800 {
        let attempts = app
            .count_where("webhook_attempts", "agency_id = $1", agency)
            .await;
        let sending = app
            .count_where(
                "jobs",
                "agency_id = $1 AND status IN ('available', 'running') ",
                agency,
            )
            .await;
        let unfolded = app
            .count_where("metric_deltas", "agency_id = $1", agency)
            .await;
        if attempts >= expected && sending == 0 && unfolded == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("the tenant's deliveries, jobs and metric fold did not settle");
}

/// Moves a tenant's deletion 31 days into the past (beyond the restore window).
async fn age(app: &TestApp, table: &str, id: Uuid) {
    use sea_orm::{ConnectionTrait, Statement};
    let past = Utc::now() - chrono::Duration::days(31);
    app.db
        .execute_raw(Statement::from_sql_and_values(
            app.db.get_database_backend(),
            format!("UPDATE {table} SET deleted_at = $1 WHERE id = $2"),
            [past.into(), id.into()],
        ))
        .await
        .expect("age the deletion");
}

#[tokio::test]
async fn every_agency_table_is_on_the_purge_list() {
    let app = spawn_app_with(instant_forms).await;
    let listed: Vec<&str> = gateway::work::tenant_tables()
        .iter()
        .map(|t| t.table)
        .collect();
    for t in app.tables_with("agency_id").await {
        assert!(
            listed.contains(&t.as_str()),
            "{t} has an agency_id but is on no crate's TENANT_TABLES: a deleted agency would leave its rows"
        );
    }
}

#[tokio::test]
async fn a_deleted_agency_goes_with_every_row_and_its_neighbour_keeps_all() {
    let app = spawn_app_with(instant_forms).await;
    let rx = Receiver::start().await;
    let admin = app.platform_admin("root@platform.test").await;
    // The reseller's own staff create the agencies: each costs credits, a ledger entry.
    let partner = app.user("partner@reseller.test").await;
    let reseller = app
        .reseller(&admin, "Resold", "partner@reseller.test", 5)
        .await;
    app.credit(&admin, &reseller, 20).await;
    let mut agencies = Vec::new();
    for name in ["victim", "neighbour"] {
        let owner = app.user(&format!("owner@{name}.test")).await;
        let r = app
            .agency_under(&partner, &reseller, name, &format!("owner@{name}.test"))
            .await
            .ok();
        let agency = r
            .data("agencyCreate.agency.id")
            .as_str()
            .expect("agency")
            .to_owned();
        let sub = app.sub_account(&owner, &agency, "One").await;
        populate(&app, &owner, &sub, &rx, name).await;
        settle(&app, uuid(&agency), 6).await;
        agencies.push((agency, owner));
    }
    let (victim, neighbour) = (uuid(&agencies[0].0), uuid(&agencies[1].0));
    let before = rows_of(&app, victim).await;
    for (t, n) in &before {
        let exempt = MAY_BE_EMPTY.iter().any(|(e, _)| e == t);
        assert!(
            *n > 0 || exempt,
            "the victim has no row in {t}: the test proves nothing for it"
        );
    }
    let theirs = rows_of(&app, neighbour).await;
    let balance = app
        .count_where(
            "reseller_credit_entries",
            "reseller_id = $1",
            uuid(&reseller),
        )
        .await;

    let r = app
        .gql(
            Some(&admin.access),
            "mutation($id: ID!) { agencyDelete(id: $id) { userErrors { code } } }",
            json!({ "id": agencies[0].0 }),
        )
        .await
        .ok();
    assert_eq!(r.user_error_codes("agencyDelete"), Vec::<String>::new());
    let early = app.run_job(tenancy::retention::RETENTION, json!({})).await;
    assert_eq!(
        early["agencies"], 0,
        "within the restore window nothing goes"
    );
    age(&app, "agencies", victim).await;

    let done = app.run_job(tenancy::retention::RETENTION, json!({})).await;
    assert_eq!(done["agencies"], 1, "{done}");
    assert_eq!(done["finished"], true);
    for (t, n) in rows_of(&app, victim).await {
        assert_eq!(n, 0, "{t} keeps {n} of the removed agency's rows");
    }
    assert_eq!(app.count_where("agencies", "id = $1", victim).await, 0);
    assert_eq!(
        rows_of(&app, neighbour).await,
        theirs,
        "the neighbour keeps every row"
    );
    assert_eq!(
        app.count_where(
            "reseller_credit_entries",
            "reseller_id = $1",
            uuid(&reseller)
        )
        .await,
        balance,
        "the reseller's ledger keeps its entries (without the agency)"
    );
    let again = app.run_job(tenancy::retention::RETENTION, json!({})).await;
    assert_eq!(again["rows"], 0, "a second run finds nothing: {again}");
}

#[tokio::test]
async fn a_deleted_sub_account_goes_with_its_rows_and_its_sibling_keeps_all() {
    let app = spawn_app_with(instant_forms).await;
    let rx = Receiver::start().await;
    let w = app.world().await;
    populate(&app, &w.owner, &w.dental, &rx, "dental").await;
    populate(&app, &w.owner, &w.gardens, &rx, "gardens").await;
    let agency = uuid(&w.agency);
    settle(&app, agency, 12).await;
    let (dental, gardens) = (uuid(&w.dental), uuid(&w.gardens));
    let of = |sub: Uuid| {
        let app = &app;
        async move {
            let mut rows = BTreeMap::new();
            for t in app.tables_with("sub_account_id").await {
                rows.insert(
                    t.clone(),
                    app.count_where(&t, "sub_account_id = $1", sub).await,
                );
            }
            for (t, scope) in [
                ("memberships", "scope_id"),
                ("invitations", "scope_id"),
                ("api_keys", "scope_id"),
                ("sidebar_options", "scope_id"),
            ] {
                rows.insert(
                    t.to_owned(),
                    app.count_where(t, &format!("{scope} = $1"), sub).await,
                );
            }
            rows
        }
    };
    let siblings = of(gardens).await;
    assert!(
        of(dental)
            .await
            .iter()
            .all(|(t, n)| *n > 0 || MAY_BE_EMPTY.iter().any(|(e, _)| e == t)),
        "{:?}",
        of(dental).await
    );
    let children = [
        "contact_tags",
        "ticket_notes",
        "task_comments",
        "idea_votes",
        "webhook_attempts",
    ];
    let mut per_agency = BTreeMap::new();
    for t in children {
        per_agency.insert(t, app.count_where(t, "agency_id = $1", agency).await);
    }

    app.gql(
        Some(&w.owner.access),
        "mutation($id: ID!) { subAccountDelete(id: $id) { userErrors { code } } }",
        json!({ "id": w.dental }),
    )
    .await
    .ok();
    age(&app, "sub_accounts", dental).await;
    let done = app.run_job(tenancy::retention::RETENTION, json!({})).await;
    assert_eq!(done["sub_accounts"], 1, "{done}");
    assert!(
        of(dental).await.values().all(|n| *n == 0),
        "{:?}",
        of(dental).await
    );
    assert_eq!(of(gardens).await, siblings, "the sibling keeps every row");
    for t in children {
        // Each sub-account had the same rows: half of the agency's are left.
        assert_eq!(
            app.count_where(t, "agency_id = $1", agency).await * 2,
            per_agency[t],
            "{t}"
        );
    }
    assert_eq!(app.count_where("agencies", "id = $1", agency).await, 1);
}

#[tokio::test]
async fn a_short_run_stops_and_the_next_one_finishes() {
    let app = spawn_app_with(instant_forms).await;
    let rx = Receiver::start().await;
    let w = app.world().await;
    populate(&app, &w.owner, &w.dental, &rx, "dental").await;
    let agency = uuid(&w.agency);
    settle(&app, agency, 2).await;
    app.gql(
        Some(&w.admin.access),
        "mutation($id: ID!) { agencyDelete(id: $id) { userErrors { code } } }",
        json!({ "id": w.agency }),
    )
    .await
    .ok();
    age(&app, "agencies", agency).await;
    let first = app
        .run_job(tenancy::retention::RETENTION, json!({ "budget": 4 }))
        .await;
    assert_eq!(first["finished"], false, "{first}");
    assert_eq!(first["agencies"], 0);
    assert_eq!(
        app.count_where("agencies", "id = $1", agency).await,
        1,
        "its row goes last"
    );
    // The run enqueued its continuation, which carries on (4 rows at a time) until done.
    for _ in 0..800 {
        if app.count_where("agencies", "id = $1", agency).await == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    for (t, n) in rows_of(&app, agency).await {
        assert_eq!(n, 0, "{t}");
    }
    assert_eq!(app.count_where("agencies", "id = $1", agency).await, 0);
}

#[tokio::test]
async fn a_deleted_reseller_goes_with_its_own_rows_and_its_agencies_stay() {
    let app = spawn_app_with(instant_forms).await;
    let admin = app.platform_admin("root@platform.test").await;
    app.user("partner@reseller.test").await;
    let reseller = app
        .reseller(&admin, "Resold", "partner@reseller.test", 5)
        .await;
    app.credit(&admin, &reseller, 20).await;
    app.user("owner@sold.test").await;
    let r = app
        .agency_under(&admin, &reseller, "Sold", "owner@sold.test")
        .await
        .ok();
    let agency = uuid(r.data("agencyCreate.agency.id").as_str().expect("agency"));
    let id = uuid(&reseller);
    assert!(app.count_where("memberships", "scope_id = $1", id).await > 0);
    assert!(
        app.count_where("reseller_credit_entries", "reseller_id = $1", id)
            .await
            > 0
    );

    app.gql(
        Some(&admin.access),
        "mutation($id: ID!) { resellerDelete(id: $id) { userErrors { code } } }",
        json!({ "id": reseller }),
    )
    .await
    .ok();
    age(&app, "resellers", id).await;
    let done = app.run_job(tenancy::retention::RETENTION, json!({})).await;
    assert_eq!(done["resellers"], 1, "{done}");
    assert_eq!(app.count_where("resellers", "id = $1", id).await, 0);
    assert_eq!(app.count_where("memberships", "scope_id = $1", id).await, 0);
    assert_eq!(
        app.count_where("reseller_credit_entries", "reseller_id = $1", id)
            .await,
        0
    );
    assert_eq!(app.count_where("events", "scope_id = $1", id).await, 0);
    assert_eq!(
        app.count_where("agencies", "id = $1 AND reseller_id IS NULL", agency)
            .await,
        1,
        "the agency stays, the platform's own"
    );
}
