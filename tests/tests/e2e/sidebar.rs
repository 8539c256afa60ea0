//! Sidebar options: defaults with each agency and sub-account, edited and reordered by admins.

use kernel::Role;
use serde_json::{Value, json};
use tests::spawn_app;

const AGENCY_SIDEBAR: &str = "query($id: ID!) { node(id: $id) { ... on Agency { sidebarOptions { id key label visible } } } }";
const SUB_SIDEBAR: &str = "query($id: ID!) { node(id: $id) { ... on SubAccount { sidebarOptions { id key label visible } } } }";
const UPDATE: &str = "mutation($id: ID!, $i: SidebarOptionUpdateInput!) { sidebarOptionUpdate(id: $id, input: $i) { sidebarOption { key label visible } userErrors { field code } } }";
const MOVE: &str = "mutation($id: ID!, $after: ID) { sidebarOptionMove(id: $id, afterId: $after) { sidebarOption { key } userErrors { field code } } }";

fn keys(entries: &Value) -> Vec<String> {
    entries
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["key"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn id_of(entries: &Value, key: &str) -> String {
    entries
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["key"] == key)
        .expect("entry")["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

#[tokio::test]
async fn defaults_are_created_and_admins_edit_and_reorder_them() {
    let app = spawn_app().await;
    let tests::Acme { owner, agency, .. } = app.acme().await;
    let sub = app.sub_account(&owner, &agency, "Dental").await;

    let r = app
        .gql(Some(&owner.access), AGENCY_SIDEBAR, json!({ "id": agency }))
        .await
        .ok();
    let entries = r.data("node.sidebarOptions").clone();
    assert_eq!(
        keys(&entries),
        vec![
            "dashboard",
            "sub_accounts",
            "team",
            "billing",
            "marketplace",
            "settings"
        ]
    );
    let r = app
        .gql(Some(&owner.access), SUB_SIDEBAR, json!({ "id": sub }))
        .await
        .ok();
    let sub_entries = r.data("node.sidebarOptions").clone();
    assert_eq!(sub_entries.as_array().expect("entries").len(), 11);

    let r = app
        .gql(
            Some(&owner.access),
            UPDATE,
            json!({ "id": id_of(&entries, "team"), "i": { "label": "People", "visible": false } }),
        )
        .await
        .ok();
    assert_eq!(
        r.data("sidebarOptionUpdate.sidebarOption"),
        &json!({ "key": "team", "label": "People", "visible": false })
    );
    let r = app
        .gql(
            Some(&owner.access),
            UPDATE,
            json!({ "id": id_of(&entries, "team"), "i": { "label": "  " } }),
        )
        .await
        .ok();
    assert_eq!(r.user_error_codes("sidebarOptionUpdate"), vec!["INVALID"]);

    // Moving "settings" first, then "billing" after "dashboard": one row each time.
    use sea_orm::ConnectionTrait;
    app.db
        .execute_unprepared("UPDATE sidebar_options SET updated_at = created_at")
        .await
        .expect("reset");
    app.gql(
        Some(&owner.access),
        MOVE,
        json!({ "id": id_of(&entries, "settings") }),
    )
    .await
    .ok();
    assert_eq!(
        app.count("sidebar_options WHERE updated_at > created_at")
            .await,
        1
    );
    app.gql(
        Some(&owner.access),
        MOVE,
        json!({ "id": id_of(&entries, "billing"), "after": id_of(&entries, "dashboard") }),
    )
    .await
    .ok();
    assert_eq!(
        app.count("sidebar_options WHERE updated_at > created_at")
            .await,
        2
    );
    let r = app
        .gql(Some(&owner.access), AGENCY_SIDEBAR, json!({ "id": agency }))
        .await
        .ok();
    assert_eq!(
        keys(r.data("node.sidebarOptions")),
        vec![
            "settings",
            "dashboard",
            "billing",
            "sub_accounts",
            "team",
            "marketplace"
        ]
    );
    // Moving to the end, after the last entry.
    app.gql(
        Some(&owner.access),
        MOVE,
        json!({ "id": id_of(&entries, "settings"), "after": id_of(&entries, "marketplace") }),
    )
    .await
    .ok();
    let r = app
        .gql(Some(&owner.access), AGENCY_SIDEBAR, json!({ "id": agency }))
        .await
        .ok();
    assert_eq!(
        keys(r.data("node.sidebarOptions"))
            .last()
            .map(String::as_str),
        Some("settings")
    );
    // Not after an entry of another sidebar.
    let r = app
        .gql(
            Some(&owner.access),
            MOVE,
            json!({ "id": id_of(&entries, "team"), "after": id_of(&sub_entries, "contacts") }),
        )
        .await
        .ok();
    assert_eq!(r.user_error_codes("sidebarOptionMove"), vec!["INVALID"]);
}

#[tokio::test]
async fn sidebar_refusals() {
    let app = spawn_app().await;
    let tests::Acme { owner, agency, .. } = app.acme().await;
    let sub = app.sub_account(&owner, &agency, "Dental").await;
    let staff = app
        .member("staff@acme.test", &agency, Role::AgencyUser)
        .await;
    let sub_admin = app
        .member("admin@dental.test", &sub, Role::SubaccountAdmin)
        .await;
    let stranger = app.user("stranger@x.test").await;
    let agency_entries = app
        .gql(Some(&owner.access), AGENCY_SIDEBAR, json!({ "id": agency }))
        .await
        .ok()
        .data("node.sidebarOptions")
        .clone();
    let sub_entries = app
        .gql(Some(&owner.access), SUB_SIDEBAR, json!({ "id": sub }))
        .await
        .ok()
        .data("node.sidebarOptions")
        .clone();
    let team = id_of(&agency_entries, "team");

    let rename = json!({ "id": team, "i": { "label": "Mine" } });
    assert_eq!(
        app.gql(Some(&staff.access), UPDATE, rename.clone())
            .await
            .error_code(),
        Some("FORBIDDEN")
    );
    assert_eq!(
        app.gql(Some(&stranger.access), UPDATE, rename.clone())
            .await
            .error_code(),
        Some("NOT_FOUND")
    );
    assert_eq!(
        app.gql(Some(&sub_admin.access), UPDATE, rename)
            .await
            .error_code(),
        Some("NOT_FOUND")
    );
    // The sub-account's admin edits the sub-account's sidebar.
    let r = app
        .gql(
            Some(&sub_admin.access),
            UPDATE,
            json!({ "id": id_of(&sub_entries, "reviews"), "i": { "label": "Reviews" } }),
        )
        .await
        .ok();
    assert_eq!(r.data("sidebarOptionUpdate.sidebarOption.label"), "Reviews");
    assert_eq!(app.count("sidebar_options WHERE label = 'Mine'").await, 0);
}

#[tokio::test]
async fn the_list_and_node_agree_on_who_sees_a_sidebar_entry() {
    let app = spawn_app().await;
    let w = app.world().await;
    let staff = app
        .member("staff@dental.test", &w.dental, Role::SubaccountUser)
        .await;
    let node = "query($id: ID!) { node(id: $id) { id } }";
    for (who, scope, query, sees) in [
        (&staff, &w.agency, AGENCY_SIDEBAR, false),
        (&staff, &w.dental, SUB_SIDEBAR, true),
        (&w.owner, &w.agency, AGENCY_SIDEBAR, true),
        (&w.admin, &w.agency, AGENCY_SIDEBAR, true),
    ] {
        // The entries' ids, read as the owner (who sees both sidebars).
        let all = app
            .gql(Some(&w.owner.access), query, json!({ "id": scope }))
            .await
            .ok();
        let first = all.data("node.sidebarOptions")[0]["id"].clone();
        let listed = app
            .gql(Some(&who.access), query, json!({ "id": scope }))
            .await
            .ok();
        let in_list = listed
            .data("node.sidebarOptions")
            .as_array()
            .is_some_and(|l| !l.is_empty());
        let by_node = app
            .gql(Some(&who.access), node, json!({ "id": first }))
            .await;
        assert_eq!(in_list, sees, "{query} as {}", who.user_id);
        if sees {
            assert_eq!(by_node.ok().data("node.id"), &first);
        } else {
            assert_eq!(by_node.error_code(), Some("NOT_FOUND"));
        }
    }
}
