//! Staff catalog editing: versioned updates, typed errors that change nothing,
//! concurrent edits, category moves, staff visibility, cache invalidation.

use serde_json::{Value, json};
use stockade_domain::accounts::Role;

use crate::helpers::{TestApp, code};

const PRODUCT_FIELDS: &str = "id slug name status version priceRange { min { amount } max { amount } } categories { slug }";

async fn product(app: &TestApp, token: &str, slug: &str) -> Value {
    let q = format!(
        "query($s: String!) {{ product(slug: $s) {{ {PRODUCT_FIELDS} variants {{ id sku version price {{ amount }} status }} }} }}"
    );
    app.gql_as(token, &q, json!({ "s": slug })).await["data"]["product"].clone()
}

#[tokio::test]
async fn staff_create_update_and_archive_products_and_variants() {
    let app = TestApp::spawn().await;
    let staff = app.user(Role::Staff).await;
    let t = staff.access_token.as_str();
    let cats = app.gql_ok("{ category(slug: \"men-shirts\") { id } }", json!({})).await;

    let created = app
        .gql_as(
            t,
            &format!("mutation($i: ProductCreateInput!) {{ productCreate(input: $i) {{ product {{ {PRODUCT_FIELDS} }} userErrors {{ code field message }} }} }}"),
            json!({ "i": { "name": "Seersucker Shirt", "brand": "Marlow", "tags": ["summer"], "categoryIds": [cats["category"]["id"]] } }),
        )
        .await;
    let p = &created["data"]["productCreate"]["product"];
    assert_eq!(created["data"]["productCreate"]["userErrors"], json!([]), "{created}");
    assert_eq!(p["slug"], "seersucker-shirt");
    assert_eq!(p["status"], "DRAFT");
    assert_eq!(p["categories"], json!([{ "slug": "men-shirts" }]));
    let guest_view = app.gql_ok("{ product(slug: \"seersucker-shirt\") { id } }", json!({})).await;
    assert_eq!(guest_view["product"], Value::Null, "drafts are hidden from shoppers");

    const VARIANT: &str = "mutation($i: VariantCreateInput!) { variantCreate(input: $i) { variant { id sku title version price { amount } } userErrors { code field } } }";
    for (sku, size, price) in [("MA-SEER-BLUE-M", "M", 6500), ("MA-SEER-BLUE-L", "L", 6900)] {
        let v = app
            .gql_as(t, VARIANT, json!({ "i": { "productId": p["id"], "sku": sku, "price": price, "attributes": [{ "name": "Color", "value": "Blue" }, { "name": "size", "value": size }] } }))
            .await;
        assert_eq!(v["data"]["variantCreate"]["variant"]["title"], format!("Blue / {size}"), "{v}");
    }
    let now = product(&app, t, "seersucker-shirt").await;
    assert_eq!(now["priceRange"], json!({ "min": { "amount": 6500 }, "max": { "amount": 6900 } }), "price range follows the variants");

    const UPDATE: &str = "mutation($i: ProductUpdateInput!) { productUpdate(input: $i) { product { name status version } userErrors { code field currentVersion } } }";
    let updated = app
        .gql_as(t, UPDATE, json!({ "i": { "id": p["id"], "expectedVersion": 1, "name": "Seersucker Camp Shirt", "status": "ACTIVE" } }))
        .await;
    assert_eq!(updated["data"]["productUpdate"]["product"], json!({ "name": "Seersucker Camp Shirt", "status": "ACTIVE", "version": 2 }));
    let visible = app.gql_ok("{ product(slug: \"seersucker-shirt\") { name } }", json!({})).await;
    assert_eq!(visible["product"]["name"], "Seersucker Camp Shirt");

    let stale = app.gql_as(t, UPDATE, json!({ "i": { "id": p["id"], "expectedVersion": 1, "name": "Lost Update" } })).await;
    let stale = &stale["data"]["productUpdate"];
    assert_eq!(stale["userErrors"][0]["code"], "VERSION_CONFLICT");
    assert_eq!(stale["userErrors"][0]["field"], json!(["expectedVersion"]));
    assert_eq!(stale["userErrors"][0]["currentVersion"], 2);
    assert_eq!(stale["product"]["name"], "Seersucker Camp Shirt", "the payload shows the current values; nothing changed");

    const VARIANT_UPDATE: &str = "mutation($i: VariantUpdateInput!) { variantUpdate(input: $i) { variant { price { amount } compareAtPrice { amount } version } userErrors { code field } } }";
    let variant = &now["variants"][0];
    let repriced = app
        .gql_as(t, VARIANT_UPDATE, json!({ "i": { "id": variant["id"], "expectedVersion": 1, "price": 5900, "compareAtPrice": 6500 } }))
        .await;
    assert_eq!(
        repriced["data"]["variantUpdate"]["variant"],
        json!({ "price": { "amount": 5900 }, "compareAtPrice": { "amount": 6500 }, "version": 2 })
    );
    let cleared =
        app.gql_as(t, VARIANT_UPDATE, json!({ "i": { "id": variant["id"], "expectedVersion": 2, "compareAtPrice": null } })).await;
    assert_eq!(cleared["data"]["variantUpdate"]["variant"]["compareAtPrice"], Value::Null, "null clears; omitted keeps");
    assert_eq!(product(&app, t, "seersucker-shirt").await["priceRange"]["min"]["amount"], 5900);

    let archived = app
        .gql_as(
            t,
            "mutation($id: ID!) { productArchive(id: $id, expectedVersion: 2) { product { status } userErrors { code } } }",
            json!({ "id": p["id"] }),
        )
        .await;
    assert_eq!(archived["data"]["productArchive"]["product"]["status"], "ARCHIVED");
    assert_eq!(app.gql_ok("{ product(slug: \"seersucker-shirt\") { id } }", json!({})).await["product"], Value::Null);
}

#[tokio::test]
async fn bad_catalog_input_gets_typed_errors_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let staff = app.user(Role::Staff).await;
    let t = staff.access_token.as_str();
    let oxford = product(&app, t, "oxford-button-down-shirt").await;
    let variant = &oxford["variants"][0];
    const CREATE: &str = "mutation($i: ProductCreateInput!) { productCreate(input: $i) { product { id } userErrors { code field } } }";
    const VARIANT: &str = "mutation($i: VariantCreateInput!) { variantCreate(input: $i) { variant { id } userErrors { code field } } }";
    const VUPDATE: &str = "mutation($i: VariantUpdateInput!) { variantUpdate(input: $i) { variant { id } userErrors { code field } } }";
    let cases: Vec<(&str, Value, &str, Value)> = vec![
        (CREATE, json!({ "name": "  " }), "INVALID", json!(["input", "name"])),
        (CREATE, json!({ "name": "Oxford", "slug": "oxford-button-down-shirt" }), "SLUG_TAKEN", json!(["input", "slug"])),
        (CREATE, json!({ "name": "Bad Slug", "slug": "Bad Slug!" }), "INVALID", json!(["input", "slug"])),
        (CREATE, json!({ "name": "X", "categoryIds": ["Q2F0ZWdvcnk6OTk5OTk"] }), "NOT_FOUND", json!(["input", "categoryIds", "0"])),
        (CREATE, json!({ "name": "X", "categoryIds": [oxford["id"]] }), "INVALID", json!(["input", "categoryIds", "0"])),
        (VARIANT, json!({ "productId": oxford["id"], "sku": variant["sku"], "price": 100 }), "SKU_TAKEN", json!(["input", "sku"])),
        (VARIANT, json!({ "productId": oxford["id"], "sku": "NEW-SKU-1", "price": -5 }), "INVALID", json!(["input", "price"])),
        (VARIANT, json!({ "productId": "UHJvZHVjdDo5OTk5OQ", "sku": "NEW-SKU-2", "price": 5 }), "NOT_FOUND", json!(["input", "productId"])),
        (VUPDATE, json!({ "id": variant["id"], "expectedVersion": 1, "price": 2_000_000_000 }), "INVALID", json!(["input", "price"])),
        (VUPDATE, json!({ "id": "VmFyaWFudDo5OTk5OTk", "expectedVersion": 1, "price": 5 }), "NOT_FOUND", json!(["input", "id"])),
    ];
    let before = product(&app, t, "oxford-button-down-shirt").await;
    const COUNT: &str = "{ products(first: 1, filter: { statuses: [ACTIVE, DRAFT, ARCHIVED] }) { totalCount } }";
    let total_before = app.gql_as(t, COUNT, json!({})).await["data"]["products"]["totalCount"].clone();
    for (mutation, input, expected, field) in cases {
        let body = app.gql_as(t, mutation, json!({ "i": input })).await;
        let payload = body["data"].as_object().and_then(|d| d.values().next()).cloned().unwrap_or(Value::Null);
        assert_eq!(payload["userErrors"][0]["code"], expected, "{input}: {body}");
        assert_eq!(payload["userErrors"][0]["field"], field, "{input}");
    }
    assert_eq!(product(&app, t, "oxford-button-down-shirt").await, before, "nothing changed");
    assert_eq!(app.gql_as(t, COUNT, json!({})).await["data"]["products"]["totalCount"], total_before);
}

#[tokio::test]
async fn twenty_concurrent_updates_with_one_version_have_one_winner() {
    let app = TestApp::spawn().await;
    let staff = app.user(Role::Staff).await;
    let oxford = product(&app, &staff.access_token, "oxford-button-down-shirt").await;
    const UPDATE: &str =
        "mutation($i: ProductUpdateInput!) { productUpdate(input: $i) { product { name version } userErrors { code currentVersion } } }";
    let results = futures::future::join_all((0..20).map(|n| {
        app.gql_as(
            &staff.access_token,
            UPDATE,
            json!({ "i": { "id": oxford["id"], "expectedVersion": oxford["version"], "name": format!("Oxford {n}") } }),
        )
    }))
    .await;
    let winners: Vec<&Value> = results.iter().filter(|r| r["data"]["productUpdate"]["userErrors"] == json!([])).collect();
    let conflicts = results.iter().filter(|r| r["data"]["productUpdate"]["userErrors"][0]["code"] == "VERSION_CONFLICT").count();
    assert_eq!(winners.len(), 1, "{results:#?}");
    assert_eq!(conflicts, 19);
    let now = product(&app, &staff.access_token, "oxford-button-down-shirt").await;
    assert_eq!(now["name"], winners[0]["data"]["productUpdate"]["product"]["name"], "the winner's edit is what stands");
    assert_eq!(now["version"], oxford["version"].as_i64().unwrap() + 1);
}

#[tokio::test]
async fn categories_are_created_renamed_and_moved_with_their_subtree() {
    let app = TestApp::spawn().await;
    let staff = app.user(Role::Staff).await;
    let t = staff.access_token.as_str();
    const CREATE: &str =
        "mutation($i: CategoryCreateInput!) { categoryCreate(input: $i) { category { id slug level version } userErrors { code field } } }";
    const MOVE: &str = "mutation($id: ID!, $p: ID, $v: Int!) { categoryMove(id: $id, parentId: $p, expectedVersion: $v) {
        category { slug level version ancestors { slug } } userErrors { code field message } } }";
    let ids = app.gql_ok("{ men: category(slug: \"men\") { id version } women: category(slug: \"women\") { id } shirts: category(slug: \"men-shirts\") { id version } }", json!({})).await;
    let sub =
        app.gql_as(t, CREATE, json!({ "i": { "name": "Linen Shirts", "parentId": ids["shirts"]["id"] } })).await["data"]["categoryCreate"]
            ["category"]
            .clone();
    assert_eq!(sub["level"], 2);

    let moved = app.gql_as(t, MOVE, json!({ "id": ids["shirts"]["id"], "p": ids["women"]["id"], "v": ids["shirts"]["version"] })).await;
    assert_eq!(moved["data"]["categoryMove"]["category"]["ancestors"], json!([{ "slug": "women" }]), "{moved}");
    let child = app.gql_ok("{ category(slug: \"linen-shirts\") { level ancestors { slug } } }", json!({})).await;
    assert_eq!(child["category"]["ancestors"], json!([{ "slug": "women" }, { "slug": "men-shirts" }]), "the sub-tree moved along");
    let in_women =
        app.gql_ok("query($c: [ID!]) { products(filter: { categoryIds: $c }) { totalCount } }", json!({ "c": [ids["women"]["id"]] })).await;
    assert_eq!(in_women["products"]["totalCount"], 19 + 5, "women's products now include the shirts");

    // Shirts (now under women) cannot move under its own child.
    let cycle = app.gql_as(t, MOVE, json!({ "id": ids["shirts"]["id"], "p": sub["id"], "v": 2 })).await;
    assert_eq!(cycle["data"]["categoryMove"]["userErrors"][0]["code"], "INVALID", "{cycle}");
    assert_eq!(cycle["data"]["categoryMove"]["category"], Value::Null);
    // Men no longer contains linen-shirts, so moving men under it is allowed.
    let allowed = app.gql_as(t, MOVE, json!({ "id": ids["men"]["id"], "p": sub["id"], "v": ids["men"]["version"] })).await;
    assert_eq!(allowed["data"]["categoryMove"]["category"]["level"], 3, "{allowed}");

    let dup = app.gql_as(t, CREATE, json!({ "i": { "name": "Kids", "slug": "kids" } })).await;
    assert_eq!(dup["data"]["categoryCreate"]["userErrors"][0]["code"], "SLUG_TAKEN");
}

#[tokio::test]
async fn staff_see_drafts_customers_may_not_ask_and_edits_refresh_the_cache() {
    let app = TestApp::spawn().await;
    let staff = app.user(Role::Staff).await;
    let customer = app.user(Role::Customer).await;
    const ALL: &str = "{ products(first: 100, filter: { statuses: [DRAFT] }) { totalCount edges { node { slug status } } } }";
    let drafts = app.gql_as(&staff.access_token, ALL, json!({})).await;
    assert_eq!(drafts["data"]["products"]["edges"], json!([{ "node": { "slug": "merino-beanie", "status": "DRAFT" } }]));
    let refused = app.gql_as(&customer.access_token, ALL, json!({})).await;
    assert_eq!(code(&refused["errors"][0]), "FORBIDDEN");
    let guest = app.gql(ALL, json!({})).await;
    assert_eq!(code(&guest["errors"][0]), "UNAUTHENTICATED");

    // A cached public answer does not outlive an edit.
    const LIST: &str = "{ product(slug: \"oxford-button-down-shirt\") { name } }";
    app.gql_ok(LIST, json!({})).await;
    let oxford = product(&app, &staff.access_token, "oxford-button-down-shirt").await;
    let update = "mutation($i: ProductUpdateInput!) { productUpdate(input: $i) { userErrors { code } } }";
    app.gql_as(
        &staff.access_token,
        update,
        json!({ "i": { "id": oxford["id"], "expectedVersion": oxford["version"], "name": "Oxford Shirt II" } }),
    )
    .await;
    assert_eq!(app.gql_ok(LIST, json!({})).await["product"]["name"], "Oxford Shirt II");
}
