//! Catalog API: listing, pagination, filters, search, sorts, facets, nodes, categories.

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::helpers::{TestApp, code};

/// Active demo products (the demo catalog also has one draft).
const ACTIVE_PRODUCTS: i64 = 48;

const LIST: &str = r#"
query List($first: Int, $after: String, $last: Int, $before: String, $filter: ProductFilter, $sortBy: ProductSort) {
  products(first: $first, after: $after, last: $last, before: $before, filter: $filter, sortBy: $sortBy) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id slug name brand priceRange { min { amount } max { amount } } } }
  }
}"#;

async fn list(app: &TestApp, vars: Value) -> Value {
    app.gql_ok(LIST, vars).await["products"].clone()
}

fn slugs(products: &Value) -> Vec<String> {
    products["edges"].as_array().unwrap().iter().map(|e| e["node"]["slug"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn lists_products_with_a_default_page_and_total() {
    let app = TestApp::spawn().await;
    let page = list(&app, json!({})).await;
    assert_eq!(page["totalCount"], ACTIVE_PRODUCTS);
    assert_eq!(page["edges"].as_array().unwrap().len(), 20);
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    assert_eq!(page["pageInfo"]["hasPreviousPage"], false);
    assert!(!slugs(&page).contains(&"merino-beanie".to_owned()), "drafts are not for sale");
}

#[tokio::test]
async fn pages_forward_and_backward_cover_every_product_once() {
    let app = TestApp::spawn().await;
    for sort in ["NEWEST", "PRICE_ASC", "PRICE_DESC", "NAME_ASC", "NAME_DESC"] {
        let mut forward = Vec::new();
        let mut after = Value::Null;
        loop {
            let page = list(&app, json!({ "first": 7, "after": after, "sortBy": sort })).await;
            forward.extend(slugs(&page));
            if page["pageInfo"]["hasNextPage"] == false {
                break;
            }
            after = page["pageInfo"]["endCursor"].clone();
        }
        assert_eq!(forward.len() as i64, ACTIVE_PRODUCTS, "{sort}");
        assert_eq!(forward.iter().collect::<HashSet<_>>().len(), forward.len(), "{sort}: no duplicates");

        let mut backward = Vec::new();
        let mut before = Value::Null;
        loop {
            let page = list(&app, json!({ "last": 9, "before": before, "sortBy": sort })).await;
            let mut chunk = slugs(&page);
            chunk.extend(backward);
            backward = chunk;
            if page["pageInfo"]["hasPreviousPage"] == false {
                break;
            }
            before = page["pageInfo"]["startCursor"].clone();
        }
        assert_eq!(backward, forward, "{sort}: paging backward gives the same order");
    }
}

#[tokio::test]
async fn sorts_by_price_and_name() {
    let app = TestApp::spawn().await;
    let page = list(&app, json!({ "first": 100, "sortBy": "PRICE_ASC" })).await;
    let prices: Vec<i64> =
        page["edges"].as_array().unwrap().iter().map(|e| e["node"]["priceRange"]["min"]["amount"].as_i64().unwrap()).collect();
    assert!(prices.windows(2).all(|w| w[0] <= w[1]), "{prices:?}");

    let page = list(&app, json!({ "first": 100, "sortBy": "NAME_DESC" })).await;
    let names: Vec<String> = page["edges"].as_array().unwrap().iter().map(|e| e["node"]["name"].as_str().unwrap().to_owned()).collect();
    assert!(names.windows(2).all(|w| w[0] >= w[1]), "{names:?}");

    let newest = list(&app, json!({ "first": 1, "sortBy": "NEWEST" })).await;
    assert_eq!(slugs(&newest), ["kids-padded-winter-coat"], "the last active product added comes first");
}

#[tokio::test]
async fn filters_by_category_including_descendants() {
    let app = TestApp::spawn().await;
    let cats = app.gql_ok("{ men: category(slug: \"men\") { id } shirts: category(slug: \"men-shirts\") { id } }", json!({})).await;
    let men = list(&app, json!({ "first": 100, "filter": { "categoryIds": [cats["men"]["id"]] } })).await;
    let shirts = list(&app, json!({ "first": 100, "filter": { "categoryIds": [cats["shirts"]["id"]] } })).await;
    assert_eq!(men["totalCount"], 21, "five men's sub-categories; products are linked only to the leaves");
    assert_eq!(shirts["totalCount"], 5);
    let men_slugs: HashSet<String> = slugs(&men).into_iter().collect();
    assert!(slugs(&shirts).iter().all(|s| men_slugs.contains(s)));

    let unknown = app.gql_err(LIST, json!({ "filter": { "categoryIds": ["Q2F0ZWdvcnk6OTk5OQ"] } })).await; // Category:9999
    assert_eq!(code(&unknown), "NOT_FOUND");
    let wrong_type = app.gql_err(LIST, json!({ "filter": { "categoryIds": [men["edges"][0]["node"]["id"]] } })).await;
    assert_eq!(code(&wrong_type), "BAD_USER_INPUT");
    assert!(wrong_type["message"].as_str().unwrap().contains("expected a Category id"), "{wrong_type}");
}

#[tokio::test]
async fn searches_full_text_with_prefixes_and_relevance() {
    let app = TestApp::spawn().await;
    let merino = list(&app, json!({ "first": 10, "filter": { "search": "merino" } })).await;
    let found = slugs(&merino);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found.iter().all(|s| s.contains("merino")), "name matches rank first: {found:?}");

    let prefix = list(&app, json!({ "first": 50, "filter": { "search": "jack" } })).await;
    assert!(slugs(&prefix).contains(&"waxed-cotton-field-jacket".to_owned()), "prefix match");

    let two_words = list(&app, json!({ "first": 50, "filter": { "search": "linen dress" } })).await;
    assert_eq!(slugs(&two_words), ["linen-midi-dress"], "every word must match");

    let by_brand = list(&app, json!({ "first": 50, "filter": { "search": "otter" } })).await;
    assert_eq!(by_brand["totalCount"], 4, "brand is searched");

    // FTS5 / tsquery syntax is neutralised: the operators count as nothing, the words
    // as words, so the answer is the one for the bare words.
    let syntax = list(&app, json!({ "first": 5, "filter": { "search": "\"merino\" OR * -(" } })).await;
    let words = list(&app, json!({ "first": 5, "filter": { "search": "merino OR" } })).await;
    assert_eq!(syntax["totalCount"], words["totalCount"], "query syntax is neutralised, not an error");
    assert_eq!(slugs(&syntax), slugs(&words));

    let nothing = list(&app, json!({ "first": 5, "filter": { "search": "?!" } })).await;
    assert_eq!(nothing["totalCount"], ACTIVE_PRODUCTS, "no words means no search");

    let err = app.gql_err(LIST, json!({ "filter": { "search": "x".repeat(201) } })).await;
    assert_eq!(code(&err), "BAD_USER_INPUT");
    assert_eq!(err["extensions"]["field"], "search");
}

#[tokio::test]
async fn filters_by_brand_price_and_same_variant_attributes() {
    let app = TestApp::spawn().await;
    let otter = list(&app, json!({ "first": 50, "filter": { "brands": ["Little Otter"] } })).await;
    assert_eq!(otter["totalCount"], 4);

    let cheap = list(&app, json!({ "first": 100, "filter": { "priceMax": 2500 } })).await;
    for edge in cheap["edges"].as_array().unwrap() {
        assert!(edge["node"]["priceRange"]["min"]["amount"].as_i64().unwrap() <= 2500);
    }
    assert!(cheap["totalCount"].as_i64().unwrap() > 0);

    // The Oxford shirt comes in White, Light Blue and Pink; sizes XS..XL. Chinos come
    // in waist sizes only, so "Khaki in M" matches nothing even though both exist.
    let pink_m = list(
        &app,
        json!({ "first": 50, "filter": { "attributes": [{ "name": "color", "values": ["Pink"] }, { "name": "size", "values": ["M"] }] } }),
    )
    .await;
    assert_eq!(slugs(&pink_m), ["oxford-button-down-shirt"]);
    let khaki_m = list(
        &app,
        json!({ "first": 50, "filter": { "attributes": [{ "name": "color", "values": ["Khaki"] }, { "name": "size", "values": ["M"] }] } }),
    )
    .await;
    assert_eq!(slugs(&khaki_m), ["cotton-shirt-dress"], "chinos are khaki but not size M");

    for (filter, field) in [
        (json!({ "priceMin": -1 }), "priceMin"),
        (json!({ "priceMin": 500, "priceMax": 100 }), "priceMin"),
        (json!({ "attributes": [{ "name": "co'lor", "values": ["x"] }] }), "attributes"),
    ] {
        let err = app.gql_err(LIST, json!({ "filter": filter })).await;
        assert_eq!(code(&err), "BAD_USER_INPUT", "{err}");
        assert_eq!(err["extensions"]["field"], field, "{err}");
    }
}

#[tokio::test]
async fn facets_count_each_dimension_without_its_own_condition() {
    let app = TestApp::spawn().await;
    const FACETS: &str = r#"query($filter: ProductFilter) { products(first: 1, filter: $filter) { totalCount facets {
        brands { value count } attributes { name values { value count } } priceRange { min { amount } max { amount } } } } }"#;
    let all = app.gql_ok(FACETS, json!({})).await["products"].clone();
    let brands: i64 = all["facets"]["brands"].as_array().unwrap().iter().map(|b| b["count"].as_i64().unwrap()).sum();
    assert_eq!(brands, ACTIVE_PRODUCTS, "every product has one brand");
    let sizes = &all["facets"]["attributes"].as_array().unwrap().iter().find(|a| a["name"] == "size").unwrap()["values"];
    let order: Vec<&str> = sizes.as_array().unwrap().iter().map(|v| v["value"].as_str().unwrap()).collect();
    assert_eq!(&order[..5], ["XS", "S", "M", "L", "XL"], "sizes in shop order: {order:?}");

    let one_brand = app.gql_ok(FACETS, json!({ "filter": { "brands": ["Marlow"] } })).await["products"].clone();
    assert_eq!(one_brand["facets"]["brands"], all["facets"]["brands"], "choosing a brand keeps the other brands' counts");
    let marlow = one_brand["totalCount"].as_i64().unwrap();
    let colors = &one_brand["facets"]["attributes"].as_array().unwrap().iter().find(|a| a["name"] == "color").unwrap()["values"];
    assert!(colors.as_array().unwrap().iter().all(|c| c["count"].as_i64().unwrap() <= marlow), "colors narrowed by the brand");

    let none = app.gql_ok(FACETS, json!({ "filter": { "search": "zzzzqqq" } })).await["products"].clone();
    assert_eq!(none["totalCount"], 0);
    assert_eq!(none["facets"]["priceRange"], Value::Null);
}

#[tokio::test]
async fn nested_listing_needs_the_same_number_of_statements_for_5_and_50_products() {
    // The response cache would answer the repeat from memory; count real executions.
    let app = TestApp::spawn_with(crate::helpers::TestDb::seeded(), &[("RESPONSE_CACHE_ENTRIES", "0")]).await;
    const NESTED: &str = r#"query($first: Int) { products(first: $first) { edges { node {
        name featuredImage { url } images { url altText }
        categories { slug parent { slug } }
        variants { sku attributes { name value } price { amount } product { slug } }
        options { name values } } } } }"#;
    let mut counts = Vec::new();
    for first in [5, 50] {
        // Warm up so one-off statements (pool connects, pragmas) are not counted.
        app.gql_ok(NESTED, json!({ "first": first })).await;
        let before = app.metrics.statements();
        let data = app.gql_ok(NESTED, json!({ "first": first })).await;
        counts.push(app.metrics.statements() - before);
        let edges = data["products"]["edges"].as_array().unwrap();
        assert_eq!(edges.len(), (first as usize).min(ACTIVE_PRODUCTS as usize));
        assert!(edges.iter().all(|e| !e["node"]["variants"].as_array().unwrap().is_empty()));
    }
    assert_eq!(counts[0], counts[1], "statements for 5 vs 50 products: {counts:?}");
    assert!(counts[0] <= 8, "one statement per relation: {counts:?}");
}

#[tokio::test]
async fn fetches_products_variants_and_categories_by_slug_and_global_id() {
    let app = TestApp::spawn().await;
    let data = app
        .gql_ok(
            r#"{ product(slug: "oxford-button-down-shirt") { id name status version tags
                 images { url altText } options { name values }
                 variants { id sku title attributes { name value } price { amount currencyCode formatted } compareAtPrice { amount } }
                 categories { id slug ancestors { slug } level } } }"#,
            json!({}),
        )
        .await;
    let product = &data["product"];
    assert_eq!(product["status"], "ACTIVE");
    assert_eq!(
        product["options"],
        json!([{ "name": "color", "values": ["White", "Light Blue", "Pink"] }, { "name": "size", "values": ["XS", "S", "M", "L", "XL"] }])
    );
    let variant = &product["variants"][0];
    assert_eq!(variant["attributes"], json!([{ "name": "color", "value": "White" }, { "name": "size", "value": "XS" }]));
    assert_eq!(variant["price"], json!({ "amount": 5900, "currencyCode": "USD", "formatted": "$59.00" }));
    assert!(product["images"][0]["url"].as_str().unwrap().starts_with(&format!("http://{}/demo-images/", app.addr)));
    assert_eq!(product["categories"][0]["ancestors"], json!([{ "slug": "men" }]));
    assert_eq!(product["categories"][0]["level"], 1);

    let node = app
        .gql_ok(
            r#"query($ids: [ID!]!) { nodes(ids: $ids) { id __typename ... on Product { slug } ... on Variant { sku } ... on Category { slug } } }"#,
            json!({ "ids": [product["id"], variant["id"], product["categories"][0]["id"]] }),
        )
        .await;
    assert_eq!(node["nodes"][0]["slug"], "oxford-button-down-shirt");
    assert_eq!(node["nodes"][1]["sku"], variant["sku"]);
    assert_eq!(node["nodes"][2]["slug"], "men-shirts");

    let missing = app.gql_ok(r#"{ product(slug: "no-such-thing") { id } node(id: "UHJvZHVjdDo5OTk5OQ") { id } }"#, json!({})).await;
    assert_eq!(missing, json!({ "product": null, "node": null }));
    let draft = app.gql_ok(r#"{ product(slug: "merino-beanie") { id } }"#, json!({})).await;
    assert_eq!(draft["product"], Value::Null, "drafts are not public");

    for bad in ["not-base64!", "Zm9vOjE", "UHJvZHVjdDphYmM"] {
        let err = app.gql_err("query($id: ID!) { node(id: $id) { id } }", json!({ "id": bad })).await;
        assert_eq!(code(&err), "BAD_USER_INPUT", "{bad}: {err}");
    }
}

#[tokio::test]
async fn returns_the_category_tree() {
    let app = TestApp::spawn().await;
    let data = app.gql_ok("{ categories { slug level children { slug level parent { slug } children { slug } } } }", json!({})).await;
    let roots: Vec<&str> = data["categories"].as_array().unwrap().iter().map(|c| c["slug"].as_str().unwrap()).collect();
    assert_eq!(roots, ["men", "women", "kids"]);
    let men = &data["categories"][0];
    assert_eq!(men["children"].as_array().unwrap().len(), 5);
    assert_eq!(men["children"][0]["parent"]["slug"], "men");
    assert_eq!(men["children"][0]["level"], 1);
}

#[tokio::test]
async fn rejects_bad_pagination_arguments() {
    let app = TestApp::spawn().await;
    let cases = [
        (json!({ "first": 101 }), "first"),
        (json!({ "first": -1 }), "first"),
        (json!({ "last": 101 }), "last"),
        (json!({ "first": 1, "last": 1 }), "last"),
        (json!({ "after": "garbage" }), "after"),
        (json!({ "before": "eyJ4IjoxfQ" }), "before"),
    ];
    for (vars, field) in cases {
        let err = app.gql_err(LIST, vars.clone()).await;
        assert_eq!(code(&err), "BAD_USER_INPUT", "{vars}: {err}");
        assert_eq!(err["extensions"]["field"], field, "{vars}: {err}");
    }
    let page = list(&app, json!({ "first": 2, "sortBy": "PRICE_ASC" })).await;
    let err = app.gql_err(LIST, json!({ "first": 2, "after": page["pageInfo"]["endCursor"], "sortBy": "NAME_ASC" })).await;
    assert!(err["message"].as_str().unwrap().contains("different sort"), "{err}");
    let zero = list(&app, json!({ "first": 0 })).await;
    assert_eq!(zero["edges"], json!([]));
}

/// Variants in a list are answered in one walk when every selected field is at hand,
/// and the derived way when one is not (here `product`). Both must give the same
/// answer for the same selection, with aliases, fragments, `__typename`, a field asked
/// twice with different parts, and stock; and so must a walked object async-graphql has
/// to merge with another answer for the same key.
#[tokio::test]
async fn variants_answer_the_same_whether_walked_at_once_or_field_by_field() {
    let app = TestApp::spawn_with(crate::helpers::TestDb::seeded(), &[("RESPONSE_CACHE_ENTRIES", "0")]).await;
    let query = |product_extra: &str, extra: &str| {
        format!(
            r#"query($first: Int) {{ products(first: $first) {{ edges {{ node {{ slug id name brand tags status version __typename
                priceRange {{ min {{ amount }} max {{ amount formatted }} }} options {{ name values }} ... on Product {{ slug }}
                {product_extra} variants {{
                __typename id sku title status version availableQuantity inStock
                label: title
                price {{ amount }} price {{ formatted currencyCode }}
                compareAtPrice {{ amount formatted }}
                attributes {{ name }} ...More ... on Node {{ nodeId: id }} ... on Variant {{ sku }} ... {{ attributes {{ value }} }}
                {extra} }} }} }} }} }}
            fragment More on Variant {{ attributes {{ __typename name value }} price {{ __typename }} }}"#
        )
    };
    let walks = || async {
        let metrics = app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
        ["json", "value", "derived"].map(|result| {
            let prefix = format!("stockade_graphql_walked_objects_total{{result=\"{result}\"}} ");
            metrics.lines().find_map(|l| l.strip_prefix(prefix.as_str())).map_or(0, |n| n.parse::<u64>().unwrap())
        })
    };
    let at_once = app.gql_ok(&query("", ""), json!({ "first": 12 })).await;
    assert_eq!(walks().await, [12, 0, 0], "each of the 12 products went up as ready JSON");
    let mut by_field = app.gql_ok(&query("", "viaProduct: product { slug }"), json!({ "first": 12 })).await;
    // A product field that is not at hand (a loader) sends each product the derived
    // way, with the variants loaded with it.
    let mut products_by_field = app.gql_ok(&query("pic: featuredImage { url }", ""), json!({ "first": 12 })).await;
    for edge in products_by_field["products"]["edges"].as_array_mut().unwrap() {
        edge["node"].as_object_mut().unwrap().remove("pic").unwrap();
    }
    let variants: u64 =
        at_once["products"]["edges"].as_array().unwrap().iter().map(|e| e["node"]["variants"].as_array().unwrap().len() as u64).sum();
    let [json, value, derived] = walks().await;
    assert!(derived >= 24 && value == 0, "products with a field not at hand went field by field ({derived} {value})");
    assert_eq!(json, 12 + variants, "and the variants under them still went up as ready JSON");
    assert_eq!(at_once, products_by_field);
    // A product field selected again under the same key above the walked objects:
    // async-graphql merges the two answers, so they come to it as values, not as JSON.
    let twice = query("", "").replacen("edges {", "edges { node { slug } } edges {", 1);
    let before = walks().await;
    assert_eq!(app.gql_ok(&twice, json!({ "first": 12 })).await, at_once);
    let after = walks().await;
    assert_eq!(
        [after[0] - before[0], after[1] - before[1]],
        [0, 24],
        "both answers for each node went up as values, for async-graphql to merge"
    );
    let mut compare_at_seen = false;
    for edge in by_field["products"]["edges"].as_array_mut().unwrap() {
        let slug = edge["node"]["slug"].clone();
        for variant in edge["node"]["variants"].as_array_mut().unwrap() {
            let object = variant.as_object_mut().unwrap();
            assert_eq!(object.remove("viaProduct").unwrap()["slug"], slug);
            compare_at_seen |= !object["compareAtPrice"].is_null();
        }
    }
    assert_eq!(at_once, by_field);
    assert!(compare_at_seen, "some demo variant is on sale, so both forms of compareAtPrice are compared");
    let first = &at_once["products"]["edges"][0]["node"]["variants"][0];
    assert_eq!(first["__typename"], "Variant");
    assert_eq!(first["nodeId"], first["id"]);
    assert_eq!(first["label"], first["title"]);
    assert!(first["price"]["amount"].is_i64() && first["price"]["formatted"].is_string());
    assert_eq!(first["price"]["__typename"], "Money");
    assert_eq!(first["attributes"][0]["__typename"], "Attribute");
    assert!(first["attributes"][0]["value"].is_string());
    assert_eq!(first["inStock"], json!(first["availableQuantity"].as_i64().unwrap() > 0));
}
