//! The isolation probe. It walks the live schema and calls every query field and mutation that
//! takes an id (directly or inside an input object) with ids that belong to a victim tenant, as
//! (a) the owner of another agency and (b) a user of a sibling sub-account in the victim's
//! agency. Every call must fail with `NOT_FOUND`, `FORBIDDEN` or `BAD_USER_INPUT` (an id of the
//! wrong type), return no data, change no row, and read exactly like the same call with a random
//! id of the same type. New fields are covered without editing this file.
//!
//! The probe also proves its coverage: every [`NodeKind`] has a victim id or a place on
//! [`EXEMPT_KINDS`], and every operation of the schema that takes an id (an `ID` argument, or
//! an `ID` inside an input object) was reached by some victim id (refused as `NOT_FOUND` or
//! `FORBIDDEN`, not only rejected as malformed input) or has a place on [`EXEMPT_OPERATIONS`].

mod schema;

use futures_util::StreamExt;
use kernel::{GlobalId, NodeKind};
use schema::{Op, Shape, call, errors, errors_of, fingerprint, no_data, operations, request};
use serde_json::json;
use std::collections::{BTreeSet, HashSet};
use tests::{Session, spawn_app};

/// Kinds of node that have no victim id, and why. Every other kind of `NodeKind::ALL` must have
/// one in the probe's list.
const EXEMPT_KINDS: &[(NodeKind, &str)] = &[(
    NodeKind::Platform,
    "a singleton above every tenant: there is no victim's platform, and its id is the same for all",
)];

/// Operations that take an id but that the probe cannot reach, and why. Every other one must be
/// reached by some victim id.
const EXEMPT_OPERATIONS: &[(&str, &str)] = &[
    // Two required ids of different kinds: one id in both slots never parses, and the probe
    // does not know which kind each slot wants.
    (
        "mutation contactTagsAdd",
        "contactIds and tagIds are both required: foreign contacts and tags are refused in \
         contacts.rs, tags_are_created_attached_filtered_and_removed",
    ),
    (
        "mutation contactTagsRemove",
        "contactIds and tagIds are both required; it shares contactTagsAdd's service path \
         (crm::service::tag::set_on_contacts) and its tests",
    ),
    (
        "mutation ticketMove",
        "ticketId and laneId are both required: a foreign mover is refused in kanban.rs, \
         tickets_are_checked_moved_closed_and_noted",
    ),
    (
        "mutation appointmentBook",
        "serviceId and contactId are both required: foreign services and contacts are refused \
         in calendars.rs, a_booking_with_another_tenants_service_or_contact_is_not_found",
    ),
    (
        "subscription pipelineChanged",
        "a subscription (WebSocket or SSE, not a POST): foreign ids are refused in \
         subscriptions.rs, pipeline_changed_follows_one_board_and_no_other_tenant_hears_it",
    ),
    (
        "subscription contactChanged",
        "a subscription: foreign ids are refused in subscriptions.rs, \
         contact_changed_and_activity_added_deliver_what_each_may_read",
    ),
    (
        "subscription activityAdded",
        "a subscription: foreign ids are refused in subscriptions.rs, \
         contact_changed_and_activity_added_deliver_what_each_may_read, and in \
         subscriptions/streams_and_limits.rs, \
         the_event_stream_carries_a_subscription_to_its_reader_alone",
    ),
];

/// Operations that ignore the ids of others rather than refuse them (so their schema
/// descriptions say), with the selection the probe reads: a victim id must get exactly the
/// answer a random id gets, and change no row.
const IGNORE_FOREIGN_IDS: &[(&str, &str)] = &[(
    "notificationsMarkRead",
    "{ marked { count } userErrors { field code message } }",
)];

#[tokio::test]
async fn foreign_ids_are_not_found_everywhere() {
    let app = spawn_app().await;
    let admin = app.platform_admin("root@platform.test").await;

    // The victim: an agency sold by a reseller, with two sub-accounts and keys at both levels.
    app.user("partner@reseller.test").await;
    let reseller = app
        .reseller(&admin, "Reseller", "partner@reseller.test", 0)
        .await;
    let victim_owner = app.user("owner@victim.test").await;
    let r = app
        .agency_under(&admin, &reseller, "Victim", "owner@victim.test")
        .await
        .ok();
    let victim = r
        .data("agencyCreate.agency.id")
        .as_str()
        .expect("victim")
        .to_owned();
    let v1 = app.sub_account(&victim_owner, &victim, "Victim One").await;
    let v2 = app.sub_account(&victim_owner, &victim, "Victim Two").await;
    let key = |scope: String| {
        let app = &app;
        let token = victim_owner.access.clone();
        async move {
            let r = app
                .gql(Some(&token), "mutation($s: ID!) { apiKeyCreate(input: { scopeId: $s, name: \"k\", permissions: [CONTACTS_READ] }) { apiKey { id } } }", json!({ "s": scope }))
                .await
                .ok();
            r.data("apiKeyCreate.apiKey.id")
                .as_str()
                .expect("key")
                .to_owned()
        }
    };
    let agency_key = key(victim.clone()).await;
    let v1_key = key(v1.clone()).await;
    let r = app
        .gql(
            Some(&victim_owner.access),
            "mutation($s: ID!) { invitationCreate(input: { scopeId: $s, email: \"hire@victim.test\", role: SUBACCOUNT_USER }) { invitation { id } } }",
            json!({ "s": v1 }),
        )
        .await
        .ok();
    let sidebar = app
        .gql(
            Some(&victim_owner.access),
            "query($id: ID!) { node(id: $id) { ... on SubAccount { sidebarOptions { id } } } }",
            json!({ "id": v1 }),
        )
        .await
        .ok();
    let v1_sidebar = sidebar.data("node.sidebarOptions")[0]["id"]
        .as_str()
        .expect("sidebar")
        .to_owned();
    let mine = app
        .gql(
            Some(&victim_owner.access),
            "{ viewerMemberships { id } }",
            json!({}),
        )
        .await
        .ok();
    let victim_membership = mine.data("viewerMemberships")[0]["id"]
        .as_str()
        .expect("membership")
        .to_owned();
    let created = app
        .gql(
            Some(&victim_owner.access),
            "mutation($s: ID!) { contactCreate(input: { subAccountId: $s, firstName: \"Victim\", email: \"victim@contact.test\" }) { contact { id } } }",
            json!({ "s": v1 }),
        )
        .await
        .ok();
    let v1_contact = created
        .data("contactCreate.contact.id")
        .as_str()
        .expect("contact")
        .to_owned();
    let created = app
        .gql(
            Some(&victim_owner.access),
            "mutation($s: ID!) { tagCreate(input: { subAccountId: $s, name: \"victim\" }) { tag { id } } }",
            json!({ "s": v1 }),
        )
        .await
        .ok();
    let v1_tag = created
        .data("tagCreate.tag.id")
        .as_str()
        .expect("tag")
        .to_owned();
    let created = app
        .gql(
            Some(&victim_owner.access),
            "mutation($c: ID!) { contactNoteAdd(input: { contactId: $c, body: \"victim note\" }) { activity { id } } }",
            json!({ "c": v1_contact }),
        )
        .await
        .ok();
    let v1_note = created
        .data("contactNoteAdd.activity.id")
        .as_str()
        .expect("note")
        .to_owned();
    let created = app
        .gql(
            Some(&victim_owner.access),
            "mutation($s: ID!) { customFieldCreate(input: { subAccountId: $s, name: \"Plan\", kind: SINGLE_SELECT, options: [\"gold\"] }) { customField { id } } }",
            json!({ "s": v1 }),
        )
        .await
        .ok();
    let v1_field = created
        .data("customFieldCreate.customField.id")
        .as_str()
        .expect("field")
        .to_owned();
    let created = app
        .gql(
            Some(&victim_owner.access),
            "mutation($c: ID!, $f: ID!) { contactUpdate(id: $c, input: { customValues: [{ fieldId: $f, text: \"gold\" }] }) { userErrors { code } } }",
            json!({ "c": v1_contact, "f": v1_field }),
        )
        .await
        .ok();
    assert_eq!(
        created.user_error_codes("contactUpdate"),
        Vec::<String>::new()
    );
    let created = app
        .gql(
            Some(&victim_owner.access),
            "mutation($s: ID!, $f: ID!) { segmentCreate(input: { subAccountId: $s, name: \"Gold\", filter: { customFields: [{ fieldId: $f, equals: \"gold\" }] } }) { segment { id } } }",
            json!({ "s": v1, "f": v1_field }),
        )
        .await
        .ok();
    let v1_segment = created
        .data("segmentCreate.segment.id")
        .as_str()
        .expect("segment")
        .to_owned();
    let created = app
        .gql(
            Some(&victim_owner.access),
            "mutation($s: ID!) { pipelineCreate(input: { subAccountId: $s, name: \"Victim\" }) { pipeline { id lanes { id } } } }",
            json!({ "s": v1 }),
        )
        .await
        .ok();
    let v1_pipeline = created
        .data("pipelineCreate.pipeline.id")
        .as_str()
        .expect("pipeline")
        .to_owned();
    let v1_lane = created.data("pipelineCreate.pipeline.lanes")[0]["id"]
        .as_str()
        .expect("lane")
        .to_owned();
    let created = app
        .gql(
            Some(&victim_owner.access),
            "mutation($l: ID!, $c: ID!) { ticketCreate(input: { laneId: $l, title: \"Victim deal\", contactId: $c, value: 100 }) { ticket { id } } }",
            json!({ "l": v1_lane, "c": v1_contact }),
        )
        .await
        .ok();
    let v1_ticket = created
        .data("ticketCreate.ticket.id")
        .as_str()
        .expect("ticket")
        .to_owned();
    let created = app
        .gql(
            Some(&victim_owner.access),
            "mutation($t: ID!) { ticketNoteAdd(input: { ticketId: $t, body: \"victim\" }) { note { id } } }",
            json!({ "t": v1_ticket }),
        )
        .await
        .ok();
    let v1_ticket_note = created
        .data("ticketNoteAdd.note.id")
        .as_str()
        .expect("note")
        .to_owned();
    // The victim's task workspace: a task with one of each child, a group, a category, an
    // idea board with an idea, a link.
    let created = app
        .gql(
            Some(&victim_owner.access),
            "mutation($s: ID!) { g: taskGroupCreate(input: { subAccountId: $s, name: \"V\" }) { group { id } } c: taskCategoryCreate(input: { subAccountId: $s, name: \"V\" }) { category { id } } b: ideaBoardCreate(input: { subAccountId: $s, name: \"V\" }) { board { id } } l: workspaceLinkCreate(input: { subAccountId: $s, title: \"V\", url: \"https://victim.test\" }) { link { id } } t: taskCreate(input: { subAccountId: $s, title: \"Victim task\" }) { task { id } } }",
            json!({ "s": v1 }),
        )
        .await
        .ok();
    let id_at = |r: &tests::Gql, path: &str| r.data(path).as_str().expect("id").to_owned();
    let task = id_at(&created, "t.task.id");
    let children = app
        .gql(
            Some(&victim_owner.access),
            "mutation($t: ID!, $b: ID!) { i: taskChecklistItemAdd(input: { taskId: $t, body: \"V\" }) { item { id } } c: taskCommentAdd(input: { taskId: $t, body: \"V\" }) { comment { id } } a: taskAttachmentAdd(input: { taskId: $t, name: \"v.pdf\", url: \"https://victim.test/v.pdf\" }) { attachment { id } } r: taskReminderAdd(input: { taskId: $t, remindAt: \"2099-01-01T00:00:00Z\" }) { reminder { id } } d: ideaCreate(input: { boardId: $b, title: \"V\" }) { idea { id } } }",
            json!({ "t": task, "b": id_at(&created, "b.board.id") }),
        )
        .await
        .ok();
    let v1_workspace = [
        task.clone(),
        id_at(&created, "g.group.id"),
        id_at(&created, "c.category.id"),
        id_at(&created, "b.board.id"),
        id_at(&created, "l.link.id"),
        id_at(&children, "i.item.id"),
        id_at(&children, "c.comment.id"),
        id_at(&children, "a.attachment.id"),
        id_at(&children, "r.reminder.id"),
        id_at(&children, "d.idea.id"),
    ];
    let v1_invitation = r
        .data("invitationCreate.invitation.id")
        .as_str()
        .expect("invitation")
        .to_owned();
    // A notification of the victim's: a task of v1 assigned to its staff member.
    let victim_staff = app.user("staff@victim.test").await;
    app.grant_in(&victim_staff.user_id, &v1, kernel::Role::SubaccountUser)
        .await;
    app.gql(
        Some(&victim_owner.access),
        "mutation($s: ID!, $u: ID!) { taskCreate(input: { subAccountId: $s, title: \"Assigned\", assigneeId: $u }) { task { id } } }",
        json!({ "s": v1, "u": victim_staff.user_id }),
    )
    .await
    .ok();
    let inbox = app
        .gql(
            Some(&victim_staff.access),
            "{ notifications { nodes { id } } }",
            json!({}),
        )
        .await
        .ok();
    let v1_notification = inbox.data("notifications.nodes")[0]["id"]
        .as_str()
        .expect("notification")
        .to_owned();
    // An event of the victim's feed.
    let feed = app
        .gql(
            Some(&victim_owner.access),
            "query($s: ID!) { activity(scopeId: $s, first: 1) { nodes { id } } }",
            json!({ "s": v1 }),
        )
        .await
        .ok();
    let v1_event = feed.data("activity.nodes")[0]["id"]
        .as_str()
        .expect("event")
        .to_owned();
    // A job of the victim's: its reminder's delivery.
    let queue = app
        .gql(
            Some(&victim_owner.access),
            "query($s: ID!) { jobs(scopeId: $s, first: 1) { nodes { id } } }",
            json!({ "s": v1 }),
        )
        .await
        .ok();
    let v1_job = queue.data("jobs.nodes")[0]["id"]
        .as_str()
        .expect("job")
        .to_owned();
    // A webhook endpoint of the victim's, and a message to it (a tag made after it).
    let hook = app
        .gql(
            Some(&victim_owner.access),
            "mutation($s: ID!) { webhookEndpointCreate(input: { scopeId: $s, url: \"https://hooks.victim.test/in\" }) { endpoint { id } } }",
            json!({ "s": v1 }),
        )
        .await
        .ok();
    let v1_endpoint = hook
        .data("webhookEndpointCreate.endpoint.id")
        .as_str()
        .expect("endpoint")
        .to_owned();
    app.gql(
        Some(&victim_owner.access),
        "mutation($s: ID!) { tagCreate(input: { subAccountId: $s, name: \"hooked\" }) { tag { id } } }",
        json!({ "s": v1 }),
    )
    .await
    .ok();
    let mut v1_message = String::new();
    for _ in 0..400 {
        let r = app
            .gql(
                Some(&victim_owner.access),
                "query($id: ID!) { node(id: $id) { ... on WebhookEndpoint { messages(first: 1) { nodes { id } } } } }",
                json!({ "id": v1_endpoint }),
            )
            .await
            .ok();
        if let Some(id) = r.data("node.messages.nodes")[0]["id"].as_str() {
            v1_message = id.to_owned();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert!(
        !v1_message.is_empty(),
        "the victim's endpoint got a message"
    );
    // A funnel of the victim's, its home page (with a draft) and a published version of it.
    let f = app
        .gql(
            Some(&victim_owner.access),
            "mutation($s: ID!) { funnelCreate(input: { subAccountId: $s, kind: FUNNEL, name: \"Offer\", subdomain: \"victim-offer\" }) { funnel { id pages { id } } } }",
            json!({ "s": v1 }),
        )
        .await
        .ok();
    let v1_funnel = f
        .data("funnelCreate.funnel.id")
        .as_str()
        .expect("funnel")
        .to_owned();
    let v1_funnel_page = f.data("funnelCreate.funnel.pages")[0]["id"]
        .as_str()
        .expect("page")
        .to_owned();
    let published = app
        .gql(
            Some(&victim_owner.access),
            "mutation($p: ID!) { funnelPagePublish(id: $p) { version { id } } }",
            json!({ "p": v1_funnel_page }),
        )
        .await
        .ok();
    let v1_funnel_version = published
        .data("funnelPagePublish.version.id")
        .as_str()
        .expect("version")
        .to_owned();
    // An embed domain of the victim's sub-account.
    let v1_embed = app
        .gql(
            Some(&victim_owner.access),
            "mutation($s: ID!) { embedDomainAdd(subAccountId: $s, host: \"www.victim.test\") { embedDomain { id } } }",
            json!({ "s": v1 }),
        )
        .await
        .ok()
        .data("embedDomainAdd.embedDomain.id")
        .as_str()
        .expect("embed domain")
        .to_owned();
    // A media folder of the victim's sub-account, with a file in it.
    let (v1_media_file, v1_media_folder) =
        crate::media::folder_with_file(&app, &victim_owner, &v1).await;
    // A bookable staff member, a service and an appointment of the victim's sub-account.
    let (v1_calendar_resource, v1_calendar_service, v1_appointment) =
        crate::calendars::booked(&app, &victim_owner, &v1).await;
    // A referral code of a contact of the victim's sub-account.
    let (v1_referral_code, _) = crate::referrals::code(&app, &victim_owner, &v1, json!({})).await;
    // A review asked of a contact of the victim's sub-account.
    let v1_review =
        crate::reviews::requested(&app, &victim_owner, &v1, "reviewer@victim.test").await;
    // A form submission to the victim's funnel (written as the public endpoint would: the
    // forms' own tests post them; here only its id matters).
    let v1_submission = {
        use funnels::entity::submission;
        use sea_orm::{ActiveModelTrait, ActiveValue::Set};
        let id = |g: &str| GlobalId::parse(g).expect("gid").uuid;
        let row = submission::ActiveModel {
            agency_id: Set(id(&victim)),
            id: Set(uuid::Uuid::now_v7()),
            sub_account_id: Set(id(&v1)),
            funnel_id: Set(id(&v1_funnel)),
            page_id: Set(id(&v1_funnel_page)),
            version_id: Set(id(&v1_funnel_version)),
            form_key: Set("book".into()),
            contact_id: Set(id(&v1_contact)),
            values: Set(json!({ "email": "victim@example.com" })),
            utm: Set(json!({})),
            created_at: Set(chrono::Utc::now()),
        }
        .insert(&app.db)
        .await
        .expect("submission");
        GlobalId::new(NodeKind::FormSubmission, row.id).to_string()
    };
    // A session of the victim owner's. No query names sessions, so its id is read from the
    // database: an attacker could only guess it.
    let victim_session = {
        use identity::entity::session;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let owner = GlobalId::parse_as(&victim_owner.user_id, NodeKind::User).expect("user id");
        let row = session::Entity::find()
            .filter(session::Column::UserId.eq(owner))
            .one(&app.db)
            .await
            .expect("query")
            .expect("the victim owner's session");
        GlobalId::new(NodeKind::Session, row.id).to_string()
    };

    // (a) the owner of another agency; (b) a user of the sibling sub-account; (c) the owner
    // of a sibling agency sold by the same reseller.
    let other_owner = app.user("owner@other.test").await;
    let other = app.agency(&admin, "Other", "owner@other.test").await;
    // (d) the owner of another reseller; (e) a broad API key of another agency.
    let rival = app.user("rival@reseller.test").await;
    app.reseller(&admin, "Rival", "rival@reseller.test", 0)
        .await;
    let r = app
        .gql(
            Some(&other_owner.access),
            "mutation($s: ID!) { apiKeyCreate(input: { scopeId: $s, name: \"k\", permissions: [CONTACTS_READ, MEMBERS_MANAGE, SETTINGS_MANAGE, API_KEYS_MANAGE, SUB_ACCOUNTS_MANAGE] }) { secret } }",
            json!({ "s": other }),
        )
        .await
        .ok();
    let foreign_key = Session {
        user_id: other_owner.user_id.clone(),
        access: r
            .data("apiKeyCreate.secret")
            .as_str()
            .expect("secret")
            .to_owned(),
        refresh: String::new(),
    };
    let sibling_agency_owner = app.user("owner@sibling.test").await;
    app.agency_under(&admin, &reseller, "Sibling", "owner@sibling.test")
        .await
        .ok();
    let sibling = app.user("staff@two.test").await;
    app.grant_in(&sibling.user_id, &v2, kernel::Role::SubaccountAdmin)
        .await;

    let random = |id: &str| {
        let g = GlobalId::parse(id).expect("gid");
        GlobalId::new(g.kind, uuid::Uuid::now_v7()).to_string()
    };
    // Every victim id; the sibling sub-account's user belongs to the victim agency, so its
    // agency and agency key are left out for them.
    let mut all: Vec<&String> = vec![
        &reseller,
        &victim,
        &v1,
        &agency_key,
        &v1_key,
        &v1_invitation,
        &v1_sidebar,
        &v1_contact,
        &v1_tag,
        &v1_note,
        &v1_field,
        &v1_segment,
        &v1_pipeline,
        &v1_lane,
        &v1_ticket,
        &v1_ticket_note,
        &victim_membership,
        &victim_owner.user_id,
        &victim_session,
        &v1_event,
        &v1_notification,
        &v1_job,
        &v1_endpoint,
        &v1_message,
        &v1_funnel,
        &v1_funnel_page,
        &v1_funnel_version,
        &v1_embed,
        &v1_submission,
        &v1_media_file,
        &v1_media_folder,
        &v1_calendar_resource,
        &v1_calendar_service,
        &v1_appointment,
        &v1_referral_code,
        &v1_review,
    ];
    all.extend(v1_workspace.iter());
    assert_every_kind_has_a_victim(&all);

    let (schema, ops) = operations(&app).await;
    assert!(
        ops.len() >= 15,
        "the probe found only {} operations",
        ops.len()
    );
    // Subscriptions are named for the coverage check; queries and mutations are called.
    let called: Vec<&Op> = ops.iter().filter(|op| op.kind != "subscription").collect();
    let in_agency: Vec<&String> = all
        .iter()
        .copied()
        .filter(|id| *id != &victim && *id != &agency_key)
        .collect();
    let relationships: [(&str, &Session, Vec<&String>); 5] = [
        ("another agency", &other_owner, all.clone()),
        ("sibling sub-account", &sibling, in_agency),
        ("another reseller", &rival, all.clone()),
        ("an API key of another agency", &foreign_key, all.clone()),
        (
            "sibling agency of the same reseller",
            &sibling_agency_owner,
            all.clone(),
        ),
    ];

    let mut failures = Vec::new();
    let mut calls = 0;
    // The operations some victim id got past input checks of (see `assert_every_operation_is_reached`).
    let mut reached = BTreeSet::new();
    for (relationship, attacker, ids) in &relationships {
        let before = fingerprint(&app).await;
        // Independent requests: eight at a time.
        let probes = called
            .iter()
            .flat_map(|op| ids.iter().map(move |id| (*op, *id)));
        let results: Vec<(String, bool, Vec<String>)> = futures_util::stream::iter(probes)
            .map(|(op, id)| {
                let (app, schema) = (&app, &schema);
                async move {
                    let other = random(id);
                    let (mut got_in, mut failures) = (false, Vec::new());
                    for shape in [Shape::Full, Shape::Required] {
                        let hit = request(schema, op, id, shape);
                        if shape == Shape::Required && hit == request(schema, op, id, Shape::Full)
                        {
                            continue;
                        }
                        let hit = call(app, attacker, hit).await;
                        let miss = call(app, attacker, request(schema, op, &other, shape)).await;
                        let codes: Vec<String> =
                            errors(&hit).into_iter().map(|(c, _)| c).collect();
                        let refused = !codes.is_empty()
                            && codes.iter().all(|c| {
                                ["NOT_FOUND", "FORBIDDEN", "BAD_USER_INPUT"].contains(&c.as_str())
                            });
                        let ignored = op.ignores_foreign_ids() && codes.is_empty();
                        let leaked = if ignored {
                            // Answered as if the id did not exist: exactly as for a random id.
                            hit["body"].to_string().replace(id, "<id>")
                                != miss["body"].to_string().replace(&other, "<id>")
                                || hit["status"] != miss["status"]
                        } else {
                            !refused
                                || !no_data(&hit, &op.field)
                                || errors_of(&hit, id) != errors_of(&miss, &other)
                                || hit["status"] != miss["status"]
                        };
                        got_in |=
                            ignored || codes.iter().any(|c| c == "NOT_FOUND" || c == "FORBIDDEN");
                        if leaked {
                            failures.push(format!(
                                "[{relationship}] {} ({shape:?} shape) with {id}:\n  victim: {}\n  random: {}",
                                op.field, hit, miss
                            ));
                        }
                    }
                    (op.name(), got_in, failures)
                }
            })
            .buffer_unordered(8)
            .collect()
            .await;
        calls += results.len();
        for (name, got_in, failure) in results {
            if got_in {
                reached.insert(name);
            }
            failures.extend(failure);
        }
        let after = fingerprint(&app).await;
        assert_eq!(before, after, "[{relationship}] the probe changed rows");
    }
    // `contactImport` and `mediaFileUpload` take a file, which a JSON request cannot carry:
    // each is sent as the multipart request the API expects, into the victim's sub-account
    // and a random one.
    let png = crate::media::png(1, 1, 1);
    let uploads: [(&str, &str, serde_json::Value, &[u8]); 2] = [
        (
            "contactImport",
            "mutation($i: ContactImportInput!) { contactImport(input: $i) { __typename } }",
            json!({ "file": null, "mapping": [{ "column": "Email", "field": "EMAIL" }], "mode": "ALL_OR_NOTHING" }),
            b"Email\nprobe@example.test\n",
        ),
        (
            "mediaFileUpload",
            "mutation($i: MediaFileUploadInput!) { mediaFileUpload(input: $i) { __typename } }",
            json!({ "file": null }),
            &png,
        ),
    ];
    let before = fingerprint(&app).await;
    for (op, query, input, bytes) in &uploads {
        for (relationship, attacker, _) in &relationships {
            let mut answers = Vec::new();
            for sub in [v1.clone(), random(&v1)] {
                let mut input = input.clone();
                input["subAccountId"] = json!(sub);
                let r = app
                    .upload(
                        Some(&attacker.access),
                        query,
                        json!({ "i": input }),
                        "i.file",
                        bytes,
                        true,
                    )
                    .await;
                let body = json!({ "status": r.status, "body": r.body });
                answers.push((errors_of(&body, &sub), r.status, no_data(&body, op)));
            }
            calls += 2;
            let (hit, miss) = (&answers[0], &answers[1]);
            let refused = !hit.0.is_empty()
                && hit
                    .0
                    .iter()
                    .all(|(c, _)| c == "NOT_FOUND" || c == "FORBIDDEN");
            if refused && hit.2 && hit == miss {
                reached.insert(format!("mutation {op}"));
            } else {
                failures.push(format!(
                    "[{relationship}] {op} with {v1}:\n  victim: {hit:?}\n  random: {miss:?}"
                ));
            }
        }
    }
    assert_eq!(before, fingerprint(&app).await, "an upload changed rows");
    assert!(
        failures.is_empty(),
        "{} of {calls} calls leaked:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_every_operation_is_reached(&ops, &reached);
    eprintln!(
        "isolation probe: {} victim ids of {} kinds ({} exempt), {} id-taking operations ({} \
         called, {} exempt), {calls} calls, 0 leaks",
        all.len(),
        NodeKind::ALL.len() - EXEMPT_KINDS.len(),
        EXEMPT_KINDS.len(),
        ops.len(),
        called.len(),
        EXEMPT_OPERATIONS.len(),
    );
}

/// Panics unless every kind of node has a victim id or a place on [`EXEMPT_KINDS`], and no
/// exempt kind has one.
fn assert_every_kind_has_a_victim(ids: &[&String]) {
    let covered: HashSet<NodeKind> = ids
        .iter()
        .map(|id| GlobalId::parse(id).expect("a victim's global id").kind)
        .collect();
    let exempt = |k: &NodeKind| EXEMPT_KINDS.iter().any(|(e, _)| e == k);
    let missing: Vec<&str> = NodeKind::ALL
        .iter()
        .filter(|k| !covered.contains(k) && !exempt(k))
        .map(|k| k.type_name())
        .collect();
    assert!(
        missing.is_empty(),
        "the isolation probe has no victim id of kind {}: create one in the victim tenant and \
         add it to the probe's ids, or put the kind on EXEMPT_KINDS saying why",
        missing.join(", ")
    );
    let needless: Vec<&str> = NodeKind::ALL
        .iter()
        .filter(|k| covered.contains(k) && exempt(k))
        .map(|k| k.type_name())
        .collect();
    assert!(
        needless.is_empty(),
        "kinds on EXEMPT_KINDS that have a victim id: {}; take them off the list",
        needless.join(", ")
    );
}

/// Panics unless every id-taking operation was reached by some victim id (refused as
/// `NOT_FOUND` or `FORBIDDEN`, or, where it ignores foreign ids, answered as for a random id)
/// or has a place on [`EXEMPT_OPERATIONS`]; an operation every call of which was rejected as
/// malformed input never had its access checked. An exemption must name an operation that
/// exists and is not reached.
fn assert_every_operation_is_reached(ops: &[Op], reached: &BTreeSet<String>) {
    let names: BTreeSet<String> = ops.iter().map(Op::name).collect();
    let exempt = |n: &str| EXEMPT_OPERATIONS.iter().any(|(e, _)| *e == n);
    let skipped: Vec<&str> = names
        .iter()
        .map(String::as_str)
        .filter(|n| !reached.contains(*n) && !exempt(n))
        .collect();
    assert!(
        skipped.is_empty(),
        "the isolation probe never got past the input checks of {}: no victim id was refused \
         as NOT_FOUND or FORBIDDEN. Give the probe a victim id and an input they accept, or put \
         them on EXEMPT_OPERATIONS saying why",
        skipped.join(", ")
    );
    let stale: Vec<&str> = EXEMPT_OPERATIONS
        .iter()
        .map(|(e, _)| *e)
        .filter(|e| !names.contains(*e) || reached.contains(*e))
        .collect();
    assert!(
        stale.is_empty(),
        "EXEMPT_OPERATIONS names operations that are gone or reached: {}; take them off the list",
        stale.join(", ")
    );
}
