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

#[tokio::test]
async fn every_tenant_table_is_forced_and_the_runtime_role_owns_nothing() {
    let app = spawn_app().await;
    let Some(_) = app.runtime_connection().await else {
        eprintln!("row-level security is PostgreSQL's: nothing to check on SQLite");
        return;
    };
    let db: &DatabaseConnection = &app.db;
    let role = migrations::m20261122_000005_row_level_security::APP_ROLE;
    // Tenant tables: those whose rows carry a NOT NULL agency_id.
    let tenant_tables = "SELECT c.oid, c.relrowsecurity, c.relforcerowsecurity FROM pg_class c \
        JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public' \
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'agency_id' AND a.attnotnull \
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
    assert_eq!(scalar(db, &format!("SELECT COUNT(*) FROM pg_roles WHERE rolname = '{role}' AND NOT rolsuper AND NOT rolbypassrls")).await, 1);
    assert_eq!(scalar(db, &format!("SELECT COUNT(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner WHERE r.rolname = '{role}'")).await, 0);
}
