//! CRM contacts: a page's contacts share tags and owners, which the page decodes once each
//! (`crm::loader::tags_by_key`, `fetch_with_owners`); each contact still shows its own, its
//! tags in the order they were put on.

use super::*;

/// The first three contacts, with their owners and tags.
const PAGE: &str = "query($s: ID!) { contacts(subAccountId: $s, first: 3) { nodes { firstName owner { email } tags { name } } } }";
/// [`PAGE`] without the owners.
const NO_OWNERS: &str =
    "query($s: ID!) { contacts(subAccountId: $s, first: 3) { nodes { firstName tags { name } } } }";

#[tokio::test]
async fn contacts_sharing_tags_and_owners_each_show_their_own_in_order() {
    let app = spawn_app().await;
    let w = app.world().await;
    let [seller, clerk] = [
        app.user("seller@dental.test").await,
        app.user("clerk@dental.test").await,
    ];
    for u in [&seller, &clerk] {
        app.grant_in(&u.user_id, &w.dental, Role::SubaccountUser)
            .await;
    }
    // Edsger, past the page but read with it, is owned by a member no contact of the page has.
    let owners = [
        &w.owner.user_id,
        &seller.user_id,
        &w.owner.user_id,
        &clerk.user_id,
    ];
    let mut ids = Vec::new();
    for (name, owner) in ["Ada", "Alan", "Grace", "Edsger"].into_iter().zip(owners) {
        let c = contact(
            &app,
            &w.owner,
            &w.dental,
            json!({ "firstName": name, "ownerId": owner }),
        )
        .await;
        ids.push(c["id"].clone());
    }
    let [vip, news] = [
        tag(&app, &w.owner, &w.dental, "vip").await,
        tag(&app, &w.owner, &w.dental, "news").await,
    ];
    // Ada gets vip then news, Alan news then vip, Grace news alone, Edsger none.
    for (contacts, t) in [
        (vec![&ids[0]], &vip),
        (vec![&ids[0], &ids[1], &ids[2]], &news),
        (vec![&ids[1]], &vip),
    ] {
        let r = app
            .gql(
                Some(&w.owner.access),
                TAGS_ADD,
                json!({ "i": { "contactIds": contacts, "tagIds": [t] } }),
            )
            .await
            .ok();
        assert_eq!(r.user_errors("contactTagsAdd"), vec![], "{}", r.body);
    }
    let page = app
        .gql(Some(&w.owner.access), PAGE, json!({ "s": w.dental }))
        .await
        .ok();
    let shown: Vec<(String, Value, Vec<String>)> = page
        .data("contacts.nodes")
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| {
            let tags = n["tags"].as_array().expect("tags");
            let names = tags
                .iter()
                .map(|t| t["name"].as_str().expect("name").to_owned())
                .collect();
            (
                n["firstName"].as_str().expect("name").to_owned(),
                n["owner"]["email"].clone(),
                names,
            )
        })
        .collect();
    let owner = json!("owner@acme.test");
    assert_eq!(
        shown,
        vec![
            (
                "Ada".into(),
                owner.clone(),
                vec!["vip".into(), "news".into()]
            ),
            (
                "Alan".into(),
                json!("seller@dental.test"),
                vec!["news".into(), "vip".into()]
            ),
            ("Grace".into(), owner, vec!["news".into()]),
        ]
    );
    // The owners came with the page's rows: showing them costs no statement of its own.
    let vars = json!({ "s": w.dental });
    assert_eq!(
        app.statements_for(&w.owner.access, PAGE, vars.clone())
            .await,
        app.statements_for(&w.owner.access, NO_OWNERS, vars).await,
    );
    // The fourth contact (read past the page, untagged) shows as it is on a page of its own.
    let last = app
        .gql(
            Some(&w.owner.access),
            "query($s: ID!) { contacts(subAccountId: $s, last: 1) { nodes { firstName owner { email } tags { name } } } }",
            json!({ "s": w.dental }),
        )
        .await
        .ok();
    assert_eq!(
        last.data("contacts.nodes"),
        &json!([{ "firstName": "Edsger", "owner": { "email": "clerk@dental.test" }, "tags": [] }])
    );
}
