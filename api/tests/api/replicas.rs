//! Read replicas: `DATABASE_READ_URL` pointed at a second database (seeded like the
//! primary, then changed behind the server's back) shows which reads go where.

use std::sync::Arc;
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use stockade_domain::accounts::Role;

use crate::cluster::Cluster;
use crate::commerce::{add, guest_cart};
use crate::helpers::{TestApp, TestDb, skip};

async fn exec(url: &str, sql: &str) {
    let db = sea_orm::Database::connect(url).await.expect("connect to the replica");
    db.execute_raw(Statement::from_string(db.get_database_backend(), sql)).await.expect(sql);
    db.close().await.expect("close");
}

/// A query as staff (never served from the response cache), which must not fail.
async fn staff_read(app: &TestApp, token: &str, q: &str, vars: Value) -> Value {
    let body = app.gql_as(token, q, vars).await;
    assert!(body.get("errors").is_none(), "{body:#}");
    body["data"].clone()
}

#[tokio::test]
async fn catalog_reads_go_to_the_replica_and_writes_and_their_answers_to_the_primary() {
    let replica = TestDb::seeded();
    let replica_url = replica.url();
    let app = TestApp::spawn_on(Arc::new(TestDb::seeded()), &[("DATABASE_READ_URL", replica_url.as_str())]).await;
    assert_eq!(app.database.replica_count(), 1);
    let staff = app.user(Role::Staff).await;
    let read = |q: &'static str, vars: Value| staff_read(&app, &staff.access_token, q, vars);
    let first = read("{ products(first: 1) { nodes { id slug name version variants { id sku } } } }", json!({})).await;
    let product = first["products"]["nodes"][0].clone();
    let (slug, name) = (product["slug"].as_str().unwrap().to_owned(), product["name"].as_str().unwrap().to_owned());
    let variant = product["variants"][0].clone();
    let sku = variant["sku"].as_str().unwrap().to_owned();

    // Only the replica changes: the catalog as the API reads it changes with it.
    exec(&replica_url, &format!("UPDATE products SET name = 'Replica copy' WHERE slug = '{slug}'")).await;
    exec(&replica_url, &format!("UPDATE variants SET sku = 'REPLICA-SKU' WHERE sku = '{sku}'")).await;
    let q = "query($s: String!) { product(slug: $s) { name variants { sku availableQuantity } } }";
    let seen = read(q, json!({ "s": slug })).await;
    assert_eq!(seen["product"]["name"], "Replica copy", "catalog reads come from the replica");
    assert_eq!(seen["product"]["variants"][0]["sku"], "REPLICA-SKU");
    let listed = read("{ products(first: 1) { nodes { name } } }", json!({})).await;
    assert_eq!(listed["products"]["nodes"][0]["name"], "Replica copy", "so do listings");

    // Stock is read from the primary: a hold taken there shows at once.
    let before = seen["product"]["variants"][0]["availableQuantity"].as_i64().unwrap();
    let (cart, token) = guest_cart(&app).await;
    let held = add(&app, None, &cart, Some(&token), variant["id"].as_str().unwrap(), 1).await;
    assert_eq!(held["userErrors"], json!([]), "{held}");
    let after = read(q, json!({ "s": slug })).await;
    assert_eq!(after["product"]["variants"][0]["availableQuantity"].as_i64().unwrap(), before - 1, "stock is never read from a replica");

    // A mutation writes to the primary and reads its answer back from the primary,
    // nested loads included: it shows its own write, not the replica's copy.
    let update = "mutation($i: ProductUpdateInput!) { productUpdate(input: $i) {
        product { name description variants { sku } } userErrors { code field } } }";
    let input = json!({ "i": { "id": product["id"], "expectedVersion": product["version"], "description": "Written on the primary." } });
    let body = app.gql_as(&staff.access_token, update, input).await;
    let updated = &body["data"]["productUpdate"];
    assert_eq!(updated["userErrors"], json!([]), "{body:#}");
    assert_eq!(updated["product"]["name"], name.as_str(), "the mutation's answer is read from the primary");
    assert_eq!(updated["product"]["description"], "Written on the primary.");
    assert_eq!(updated["product"]["variants"][0]["sku"], sku.as_str(), "nested loads too");
    // A later read goes to the replica again, which (not being a real replica) never
    // got the write: the write went to the primary only.
    let later = read("query($s: String!) { product(slug: $s) { name description } }", json!({ "s": slug })).await;
    assert_eq!(later["product"]["name"], "Replica copy");
    assert_ne!(later["product"]["description"], "Written on the primary.");
}

#[tokio::test]
async fn a_replica_of_another_kind_is_refused_at_start_naming_the_variable() {
    let env = stockade::config::Env::from_pairs(&[
        ("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test"),
        ("DATABASE_READ_URL", "sqlite:./replica.db"),
    ]);
    let err = stockade::config::Config::read(&env).unwrap_err();
    assert_eq!(err.var, "DATABASE_READ_URL", "{err}");
    let env = stockade::config::Env::from_pairs(&[("DATABASE_READ_URL", "mysql://h/db")]);
    assert_eq!(stockade::config::Config::read(&env).unwrap_err().var, "DATABASE_READ_URL");
}

/// A real streaming replica (`pg_basebackup -R` of a cluster of the test's own): its
/// replay is paused to show that catalog reads come from it, while stock and a
/// mutation's answer come from the primary; resumed, it catches up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streaming_replica_serves_the_catalog_while_stock_and_mutations_stay_on_the_primary() {
    let clusters = tokio::task::spawn_blocking(|| {
        let primary = Cluster::start()?;
        let standby = Cluster::standby_of(&primary)?;
        Ok::<_, String>((primary, standby))
    })
    .await
    .unwrap();
    let (primary, standby) = match clusters {
        Ok(c) => c,
        Err(why) => {
            skip("replicas::a_streaming_replica_serves_the_catalog", &why);
            return;
        }
    };
    let standby_url = standby.url();
    let app =
        TestApp::spawn_with(TestDb::External { url: primary.url() }, &[("SEED_DEMO", "true"), ("DATABASE_READ_URL", standby_url.as_str())])
            .await;
    let staff = app.user(Role::Staff).await;
    let read = |q: &'static str, vars: Value| staff_read(&app, &staff.access_token, q, vars);
    // The demo catalog written on the primary arrives on the standby.
    let deadline = Instant::now() + Duration::from_secs(30);
    let product = loop {
        let page = read("{ products(first: 1) { nodes { id slug name version variants { id availableQuantity } } } }", json!({})).await;
        if let Some(p) = page["products"]["nodes"].get(0) {
            break p.clone();
        }
        assert!(Instant::now() < deadline, "the standby never received the catalog");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let slug = product["slug"].as_str().unwrap().to_owned();
    let name = product["name"].as_str().unwrap().to_owned();

    let replay = |sql: &'static str| {
        let url = standby_url.clone();
        async move { exec(&url, sql).await }
    };
    replay("SELECT pg_wal_replay_pause()").await;
    let update = "mutation($i: ProductUpdateInput!) { productUpdate(input: $i) { product { name } userErrors { code } } }";
    let input = json!({ "i": { "id": product["id"], "expectedVersion": product["version"], "name": "Renamed on the primary" } });
    let body = app.gql_as(&staff.access_token, update, input).await;
    assert_eq!(body["data"]["productUpdate"]["product"]["name"], "Renamed on the primary", "{body:#}");
    let q = "query($s: String!) { product(slug: $s) { name variants { availableQuantity } } }";
    let seen = read(q, json!({ "s": slug })).await;
    assert_eq!(seen["product"]["name"], name.as_str(), "the paused standby answers the catalog read");

    let variant = product["variants"][0].clone();
    let (cart, token) = guest_cart(&app).await;
    let held = add(&app, None, &cart, Some(&token), variant["id"].as_str().unwrap(), 1).await;
    assert_eq!(held["userErrors"], json!([]), "{held}");
    let seen = read(q, json!({ "s": slug })).await;
    let before = variant["availableQuantity"].as_i64().unwrap();
    assert_eq!(seen["product"]["variants"][0]["availableQuantity"].as_i64().unwrap(), before - 1, "stock comes from the primary");

    replay("SELECT pg_wal_replay_resume()").await;
    let resumed = Instant::now();
    loop {
        if read(q, json!({ "s": slug })).await["product"]["name"] == "Renamed on the primary" {
            break;
        }
        assert!(resumed.elapsed() < Duration::from_secs(30), "the standby never caught up");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(app);
}
