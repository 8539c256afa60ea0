//! PostgreSQL's row-level security, tested beneath the application: the second wall holds even
//! when a query forgets its tenant filter. (On SQLite these tests have nothing to check.)

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, TransactionTrait};
use tests::spawn_app;

async fn scalar(db: &impl ConnectionTrait, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(DbBackend::Postgres, sql.to_owned()))
        .await
        .expect("query")
        .expect("row");
    row.try_get_by_index::<i64>(0).expect("integer")
}

async fn tenant(db: &impl ConnectionTrait, agency: &str) {
    let uuid = kernel::GlobalId::parse(agency).expect("gid").uuid;
    kernel::db::set_tenant(db, kernel::db::TenantGuard::Agency(uuid))
        .await
        .expect("set tenant");
}

#[tokio::test]
async fn the_runtime_role_sees_only_its_tenant() {
    let app = spawn_app().await;
    let Some(runtime) = app.runtime_connection().await else {
        eprintln!("row-level security is PostgreSQL's: nothing to check on SQLite");
        return;
    };
    let admin = app.platform_admin("root@platform.test").await;
    app.user("a@a.test").await;
    app.user("b@b.test").await;
    let a = app.agency(&admin, "A", "a@a.test").await;
    let b = app.agency(&admin, "B", "b@b.test").await;
    for (agency, n) in [(&a, 2), (&b, 3)] {
        for i in 0..n {
            app.sub_account(&admin, agency, &format!("Sub {i}")).await;
        }
    }
    let b_uuid = kernel::GlobalId::parse(&b).expect("gid").uuid;

    // No tenant: nothing.
    assert_eq!(
        scalar(&runtime, "SELECT COUNT(*) FROM sub_accounts").await,
        0
    );

    // Tenant A: A's rows only, even with no WHERE clause; B's rows cannot be touched or made.
    let tx = runtime.begin().await.expect("begin");
    tenant(&tx, &a).await;
    assert_eq!(scalar(&tx, "SELECT COUNT(*) FROM sub_accounts").await, 2);
    let updated = tx
        .execute_unprepared(&format!(
            "UPDATE sub_accounts SET name = 'pwned' WHERE agency_id = '{b_uuid}'"
        ))
        .await
        .expect("update");
    assert_eq!(updated.rows_affected(), 0);
    let deleted = tx
        .execute_unprepared(&format!(
            "DELETE FROM sub_accounts WHERE agency_id = '{b_uuid}'"
        ))
        .await
        .expect("delete");
    assert_eq!(deleted.rows_affected(), 0);
    let sp = tx.begin().await.expect("savepoint");
    let insert = sp
        .execute_unprepared(&format!(
            "INSERT INTO sub_accounts (agency_id, id, name, slug, timezone, status, created_at, updated_at) \
             VALUES ('{b_uuid}', gen_random_uuid(), 'planted', 'planted', 'UTC', 'active', now(), now())"
        ))
        .await;
    let err = insert
        .expect_err("a row of another tenant must be refused")
        .to_string();
    assert!(err.contains("row-level security"), "{err}");
    drop(sp);
    // Moving one of A's rows into B is refused too.
    let sp = tx.begin().await.expect("savepoint");
    let moved = sp
        .execute_unprepared(&format!("UPDATE sub_accounts SET agency_id = '{b_uuid}'"))
        .await;
    let err = moved
        .expect_err("a row cannot be moved to another tenant")
        .to_string();
    assert!(err.contains("row-level security"), "{err}");
    drop(sp);
    tx.commit().await.expect("commit");

    // Cross-tenant (the platform's staff) opens tree tables, never data tables.
    let owner_a = app.login("a@a.test", tests::PASSWORD).await.ok();
    let token = owner_a
        .data("sessionCreate.session.accessToken")
        .as_str()
        .expect("token")
        .to_owned();
    let a_sub = app
        .gql(Some(&token), "query($id: ID!) { node(id: $id) { ... on Agency { subAccounts(first: 1) { nodes { id } } } } }", serde_json::json!({ "id": a }))
        .await
        .ok()
        .data("node.subAccounts.nodes")[0]["id"]
        .as_str()
        .expect("sub")
        .to_owned();
    app.gql(Some(&token), "mutation($s: ID!) { contactCreate(input: { subAccountId: $s, firstName: \"Ada\" }) { contact { id } } }", serde_json::json!({ "s": a_sub }))
        .await
        .ok();
    let cross = runtime.begin().await.expect("begin");
    kernel::db::set_tenant(&cross, kernel::db::TenantGuard::CrossTenant)
        .await
        .expect("cross");
    assert_eq!(scalar(&cross, "SELECT COUNT(*) FROM sub_accounts").await, 5);
    assert_eq!(scalar(&cross, "SELECT COUNT(*) FROM contacts").await, 0);
    drop(cross);
    assert_eq!(
        app.count("contacts").await,
        1,
        "the contact exists; the owner sees it"
    );

    // The setting was transaction-local: the pooled connection carries nothing forward.
    assert_eq!(
        scalar(&runtime, "SELECT COUNT(*) FROM sub_accounts").await,
        0
    );
    let leftover = runtime
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT COALESCE(current_setting('app.agency_id', true), '') AS v".to_owned(),
        ))
        .await
        .expect("query")
        .expect("row");
    assert_eq!(leftover.try_get::<String>("", "v").expect("v"), "");
    assert_eq!(
        app.count("sub_accounts WHERE name = 'pwned' OR name = 'planted'")
            .await,
        0
    );
    assert_eq!(app.count("sub_accounts").await, 5);
}

/// The unique keys of tenant tables that do not include `agency_id`, each for a reason
/// ARCHITECTURE.md gives ("Keys without agency_id").
const KEYS_WITHOUT_AGENCY: [&str; 19] = [
    "api_keys_pkey",
    "api_keys_prefix_key",
    "audit_log_pkey",
    "calendar_services_booking_token",
    "email_outbox_pkey",
    "events_pkey",
    "funnel_domains_host",
    "funnels_subdomain",
    "invitations_one_pending",
    "invitations_pkey",
    "invitations_token_hash_key",
    "jobs_pkey",
    "media_files_token",
    "memberships_pkey",
    "memberships_user_scope",
    "notifications_pkey",
    "referral_codes_token",
    "reseller_credit_entries_pkey",
    "sub_accounts_id",
];

#[tokio::test]
async fn every_tenant_table_is_forced_and_the_runtime_role_owns_nothing() {
    let app = spawn_app().await;
    let Some(_) = app.runtime_connection().await else {
        eprintln!("row-level security is PostgreSQL's: nothing to check on SQLite");
        return;
    };
    let db: &DatabaseConnection = &app.db;
    let role = migrations::m20261122_000005_row_level_security::APP_ROLE;
    // Tenant tables: those whose rows carry an agency_id (nullable ones too: their other rows
    // are the platform's or a reseller's).
    let tenant_tables = "SELECT c.oid, c.relrowsecurity, c.relforcerowsecurity FROM pg_class c \
        JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public' \
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'agency_id' AND NOT a.attisdropped \
        WHERE c.relkind = 'r'";
    assert!(scalar(db, &format!("SELECT COUNT(*) FROM ({tenant_tables}) t")).await >= 1);
    assert_eq!(
        scalar(db, &format!("SELECT COUNT(*) FROM ({tenant_tables}) t WHERE NOT (relrowsecurity AND relforcerowsecurity)")).await,
        0,
        "every tenant table must have ENABLE and FORCE ROW LEVEL SECURITY"
    );
    assert_eq!(
        scalar(db, &format!("SELECT COUNT(*) FROM ({tenant_tables}) t WHERE NOT EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = t.oid AND NOT p.polpermissive)")).await,
        0,
        "every tenant table must have a restrictive tenant policy"
    );
    // Every unique key of a tenant table includes agency_id, but for the exceptions
    // ARCHITECTURE.md names ("Keys without agency_id"): no more, no fewer.
    let keys = db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT i.relname AS name FROM pg_index x JOIN pg_class c ON c.oid = x.indrelid \
             JOIN pg_class i ON i.oid = x.indexrelid \
             JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public' \
             WHERE x.indisunique \
               AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'agency_id' AND NOT a.attisdropped) \
               AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'agency_id' AND a.attnum = ANY (x.indkey)) \
             ORDER BY 1"
                .to_owned(),
        ))
        .await
        .expect("keys");
    let keys: Vec<String> = keys
        .iter()
        .map(|r| r.try_get::<String>("", "name").expect("name"))
        .collect();
    assert_eq!(
        keys, KEYS_WITHOUT_AGENCY,
        "update ARCHITECTURE.md's list with its reasons"
    );
    assert_eq!(scalar(db, &format!("SELECT COUNT(*) FROM pg_roles WHERE rolname = '{role}' AND NOT rolsuper AND NOT rolbypassrls")).await, 1);
    assert_eq!(scalar(db, &format!("SELECT COUNT(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner WHERE r.rolname = '{role}'")).await, 0);
}

/// A count as the runtime role, in a transaction carrying `settings` (what the server's
/// openings set: `app.agency_id`, `app.user_id`, ...).
async fn count_with(runtime: &DatabaseConnection, settings: &[(&str, String)], sql: &str) -> i64 {
    let tx = runtime.begin().await.expect("begin");
    for (name, value) in settings {
        tx.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT set_config($1, $2, true)",
            [(*name).into(), value.clone().into()],
        ))
        .await
        .expect("set");
    }
    scalar(&tx, sql).await
}

/// The tables whose `agency_id` may be null (platform and reseller rows beside tenant rows);
/// the catalog check above finds any such table the migration missed.
const NULLABLE_AGENCY: [&str; 7] = migrations::m20261203_000025_second_wall::TABLES;

#[tokio::test]
async fn tables_with_platform_rows_beside_tenant_rows_are_behind_the_wall_too() {
    let app = spawn_app().await;
    let Some(runtime) = app.runtime_connection().await else {
        eprintln!("row-level security is PostgreSQL's: nothing to check on SQLite");
        return;
    };
    let admin = app.platform_admin("root@platform.test").await;
    let partner = app.user("partner@north.test").await;
    let owner_a = app.user("a@a.test").await;
    let owner_b = app.user("b@b.test").await;
    let reseller = app.reseller(&admin, "North", "partner@north.test", 2).await;
    app.credit(&admin, &reseller, 100).await;
    let a = app
        .agency_under(&partner, &reseller, "A", "a@a.test")
        .await
        .ok()
        .data("agencyCreate.agency.id")
        .as_str()
        .expect("agency")
        .to_owned();
    let b = app.agency(&admin, "B", "b@b.test").await;
    for (owner, agency, invitee) in [(&owner_a, &a, "x@a.test"), (&owner_b, &b, "y@b.test")] {
        app.gql(Some(&owner.access), "mutation($s: ID!, $e: String!) { invitationCreate(input: { scopeId: $s, email: $e, role: AGENCY_ADMIN }) { invitation { id } } }", serde_json::json!({ "s": agency, "e": invitee }))
            .await
            .ok();
        app.gql(Some(&owner.access), "mutation($s: ID!) { apiKeyCreate(input: { scopeId: $s, name: \"k\", permissions: [CONTACTS_READ] }) { secret } }", serde_json::json!({ "s": agency }))
            .await
            .ok();
    }
    let (ua, ub) = (
        tests::uuid_of(&owner_a.user_id),
        tests::uuid_of(&owner_b.user_id),
    );
    let (aa, ab) = (tests::uuid_of(&a), tests::uuid_of(&b));
    for (user, agency) in [(ua, aa), (ub, ab)] {
        app.db
            .execute_unprepared(&format!(
                "INSERT INTO notifications (id, user_id, agency_id, kind, text, created_at) \
                 VALUES (gen_random_uuid(), '{user}', '{agency}', 'test', 'You were assigned the deal', now())"
            ))
            .await
            .expect("plant a notification");
    }
    // Every table holds rows of both agencies (or of the platform and a reseller).
    for t in NULLABLE_AGENCY {
        assert!(app.count(t).await >= 2, "{t} has rows to hide");
    }

    // No setting: nothing at all.
    for t in NULLABLE_AGENCY {
        let n = count_with(&runtime, &[], &format!("SELECT COUNT(*) FROM {t}")).await;
        assert_eq!(n, 0, "{t} without a tenant");
    }
    // Tenant A: A's rows and nothing else; notifications are their recipient's alone.
    let tenant_a = [("app.agency_id", aa.to_string())];
    for t in NULLABLE_AGENCY {
        let others = count_with(
            &runtime,
            &tenant_a,
            &format!("SELECT COUNT(*) FROM {t} WHERE agency_id IS DISTINCT FROM '{aa}'"),
        )
        .await;
        assert_eq!(
            others, 0,
            "{t}: tenant A sees another tenant's or the platform's rows"
        );
    }
    for t in [
        "events",
        "memberships",
        "invitations",
        "api_keys",
        "email_outbox",
    ] {
        let own = count_with(&runtime, &tenant_a, &format!("SELECT COUNT(*) FROM {t}")).await;
        assert!(own >= 1, "{t}: tenant A sees its own rows");
    }
    assert_eq!(
        count_with(&runtime, &tenant_a, "SELECT COUNT(*) FROM notifications").await,
        0,
        "a tenant alone does not read its members' notifications"
    );
    // The user: their notifications and memberships, in every scope, and no one else's.
    let user_a = [("app.user_id", ua.to_string())];
    assert_eq!(
        count_with(&runtime, &user_a, "SELECT COUNT(*) FROM notifications").await,
        1
    );
    assert_eq!(
        count_with(
            &runtime,
            &user_a,
            &format!("SELECT COUNT(*) FROM memberships WHERE user_id <> '{ua}'")
        )
        .await,
        0
    );
    // Reading one's own memberships does not let one write them: no self-made platform admin.
    let tx = runtime.begin().await.expect("begin");
    tx.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT set_config('app.user_id', $1, true)",
        [ua.to_string().into()],
    ))
    .await
    .expect("set");
    let planted = tx
        .execute_unprepared(&format!(
            "INSERT INTO memberships (id, user_id, scope_kind, scope_id, agency_id, role, granted, withheld, all_sub_accounts, created_at, updated_at) \
             VALUES (gen_random_uuid(), '{ua}', 'platform', '00000000-0000-0000-0000-000000000000', NULL, 'platform_admin', '[]', '[]', true, now(), now())"
        ))
        .await
        .expect_err("a user may not grant themselves a membership")
        .to_string();
    assert!(planted.contains("row-level security"), "{planted}");
    drop(tx);
    // An agency reads the ledger entries about it but cannot credit its reseller.
    let tx = runtime.begin().await.expect("begin");
    tenant(&tx, &a).await;
    let credited = tx
        .execute_unprepared(&format!(
            "INSERT INTO reseller_credit_entries (id, reseller_id, amount, kind, agency_id, created_at) \
             VALUES (gen_random_uuid(), '{}', 1000000, 'credit', '{aa}', now())",
            tests::uuid_of(&reseller)
        ))
        .await
        .expect_err("a tenant may not write its reseller's ledger")
        .to_string();
    assert!(credited.contains("row-level security"), "{credited}");
    drop(tx);
    // One API key by its prefix, one invitation by its code's hash: that row alone.
    let prefix = scalar_text(
        &app.db,
        &format!("SELECT prefix FROM api_keys WHERE agency_id = '{ab}'"),
    )
    .await;
    assert_eq!(
        count_with(
            &runtime,
            &[("app.api_key_prefix", prefix)],
            "SELECT COUNT(*) FROM api_keys"
        )
        .await,
        1
    );
    let hash = scalar_text(
        &app.db,
        &format!("SELECT token_hash FROM invitations WHERE agency_id = '{ab}'"),
    )
    .await;
    assert_eq!(
        count_with(
            &runtime,
            &[("app.invitation_token", hash)],
            "SELECT COUNT(*) FROM invitations"
        )
        .await,
        1
    );
    // The platform's staff manage the tree (memberships, keys, the ledger), never tenant data.
    let platform = [("app.cross_tenant", "on".to_owned())];
    assert!(count_with(&runtime, &platform, "SELECT COUNT(*) FROM memberships").await >= 3);
    assert!(
        count_with(
            &runtime,
            &platform,
            "SELECT COUNT(*) FROM reseller_credit_entries"
        )
        .await
            >= 1
    );
    for t in ["events", "notifications", "email_outbox"] {
        assert_eq!(
            count_with(&runtime, &platform, &format!("SELECT COUNT(*) FROM {t}")).await,
            0,
            "{t}"
        );
    }
    // A reseller's staff: their reseller's rows and their agencies', not B's.
    let north = [("app.reseller_ids", tests::uuid_of(&reseller).to_string())];
    assert_eq!(
        count_with(
            &runtime,
            &north,
            &format!("SELECT COUNT(*) FROM memberships WHERE agency_id = '{ab}'")
        )
        .await,
        0
    );
    assert!(
        count_with(
            &runtime,
            &north,
            "SELECT COUNT(*) FROM reseller_credit_entries"
        )
        .await
            >= 1
    );
    // The two readers across tenants, on their own pools: the live bus (events and
    // notifications) and the job runner.
    let bus = [("app.live_bus", "on".to_owned())];
    assert_eq!(
        count_with(&runtime, &bus, "SELECT COUNT(*) FROM events").await,
        app.count("events").await
    );
    assert_eq!(
        count_with(&runtime, &bus, "SELECT COUNT(*) FROM memberships").await,
        0
    );
    let runner = [("app.job_runner", "on".to_owned())];
    assert_eq!(
        count_with(&runtime, &runner, "SELECT COUNT(*) FROM email_outbox").await,
        app.count("email_outbox").await
    );
    assert_eq!(
        count_with(&runtime, &runner, "SELECT COUNT(*) FROM sub_accounts").await,
        0
    );
}

async fn scalar_text(db: &impl ConnectionTrait, sql: &str) -> String {
    let row = db
        .query_one_raw(Statement::from_string(DbBackend::Postgres, sql.to_owned()))
        .await
        .expect("query")
        .expect("row");
    row.try_get_by_index::<String>(0).expect("text")
}

#[tokio::test]
async fn the_runtime_role_reads_no_password_hash_and_no_signing_secret() {
    let app = spawn_app().await;
    let Some(runtime) = app.runtime_connection().await else {
        eprintln!("privileges are PostgreSQL's: nothing to check on SQLite");
        return;
    };
    let ada = app.user("ada@a.test").await;
    let id = tests::uuid_of(&ada.user_id);
    app.db
        .execute_unprepared("INSERT INTO signing_keys (id, secret, created_at) VALUES (gen_random_uuid(), 'not for the runtime role', now())")
        .await
        .expect("a signing key");
    for sql in [
        "SELECT password_hash FROM user_credentials",
        "SELECT * FROM user_credentials",
        "SELECT secret FROM signing_keys",
        "SELECT COUNT(*) FROM signing_keys",
    ] {
        let err = runtime
            .query_one_raw(Statement::from_string(DbBackend::Postgres, sql.to_owned()))
            .await
            .expect_err(sql)
            .to_string();
        assert!(err.contains("permission denied"), "{sql}: {err}");
    }
    // `users` holds no hash; the one hash a sign-in checks comes through the function.
    let columns = scalar(&runtime, "SELECT COUNT(*) FROM information_schema.columns WHERE table_name = 'users' AND column_name LIKE '%password%'").await;
    assert_eq!(columns, 0);
    let hash = scalar_text(&runtime, &format!("SELECT canopy_password_hash('{id}')")).await;
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    // And signing in still works, as the runtime role.
    assert!(app.login("ada@a.test", tests::PASSWORD).await.body["errors"].is_null());
}
