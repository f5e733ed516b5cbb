//! Search that forgives typos and knows synonyms: corrections, ranking, `searchInfo`,
//! staff synonym management, pagination over corrected results, the vocabulary
//! following edits, and hostile input. The answers are asserted exactly, so the same
//! test on SQLite and Postgres checks that both backends agree.

use std::collections::HashSet;

use serde_json::{Value, json};
use stockade_domain::accounts::Role;

use crate::helpers::{TestApp, code};

const SEARCH: &str = r#"
query Search($first: Int, $after: String, $last: Int, $before: String, $filter: ProductFilter, $sortBy: ProductSort) {
  products(first: $first, after: $after, last: $last, before: $before, filter: $filter, sortBy: $sortBy) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { slug name } }
    searchInfo { query correctedQuery corrections { word replacement } usedSynonyms { term synonyms } }
    facets { brands { value count } }
  }
}"#;

const CREATE: &str =
    "mutation($t: [String!]!) { searchSynonymCreate(terms: $t) { synonym { id terms } userErrors { code field message } } }";
const DELETE: &str =
    "mutation($id: ID!) { searchSynonymDelete(id: $id) { deletedId synonym { terms } userErrors { code field message } } }";
const LIST: &str = "{ searchSynonyms(first: 10) { totalCount nodes { id terms createdAt } } }";

async fn search(app: &TestApp, text: &str) -> Value {
    app.gql_ok(SEARCH, json!({ "first": 50, "filter": { "search": text } })).await["products"].clone()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn slugs(products: &Value) -> Vec<String> {
    products["edges"].as_array().unwrap().iter().map(|e| e["node"]["slug"].as_str().unwrap().to_owned()).collect()
}

/// An active product with one active variant, so shoppers see it.
async fn product_for_sale(app: &TestApp, token: &str, name: &str, sku: &str) -> String {
    let created = app
        .gql_as(
            token,
            "mutation($i: ProductCreateInput!) { productCreate(input: $i) { product { id slug } userErrors { code message } } }",
            json!({ "i": { "name": name, "brand": "Test Brand", "status": "ACTIVE" } }),
        )
        .await;
    let product = &created["data"]["productCreate"]["product"];
    assert!(product.is_object(), "{created}");
    let variant = app
        .gql_as(
            token,
            "mutation($i: VariantCreateInput!) { variantCreate(input: $i) { variant { id } userErrors { code message } } }",
            json!({ "i": { "productId": product["id"], "sku": sku, "price": 4500 } }),
        )
        .await;
    assert!(variant["data"]["variantCreate"]["variant"].is_object(), "{variant}");
    product["slug"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn misspelt_words_are_corrected_to_catalog_words() {
    let app = TestApp::spawn().await;

    let marino = search(&app, "marino wool").await;
    assert_eq!(sorted(slugs(&marino)), ["merino-crew-sweater", "mock-neck-merino-sweater"], "{marino:#}");
    assert_eq!(
        marino["searchInfo"],
        json!({ "query": "marino wool", "correctedQuery": "merino wool", "corrections": [{ "word": "marino", "replacement": "merino" }], "usedSynonyms": [] })
    );
    let exact = search(&app, "merino wool").await;
    assert_eq!(sorted(slugs(&exact)), sorted(slugs(&marino)), "the correction finds what the right spelling finds");
    assert_eq!(exact["searchInfo"]["correctedQuery"], Value::Null, "nothing to correct");
    assert_eq!(exact["searchInfo"]["corrections"], json!([]));

    for typo in ["chambrey", "chmabray", "Chambary shirt"] {
        let found = search(&app, typo).await;
        assert_eq!(slugs(&found), ["chambray-work-shirt"], "{typo}: {found:#}");
        assert!(found["searchInfo"]["correctedQuery"].as_str().unwrap().contains("chambray"), "{typo}");
    }

    // Words that match something are never corrected (no skirts for "shirt"), words of
    // three letters are too short to guess, and nothing near is nothing found.
    let shirt = search(&app, "shirt").await;
    assert_eq!(shirt["searchInfo"]["corrections"], json!([]));
    assert!(slugs(&shirt).iter().all(|s| !s.contains("skirt")), "{:?}", slugs(&shirt));
    for nothing in ["wol", "zzzzqqq"] {
        let none = search(&app, nothing).await;
        assert_eq!(none["totalCount"], 0, "{nothing}");
        assert_eq!(none["searchInfo"]["correctedQuery"], Value::Null, "{nothing}");
    }

    // Without a search there is nothing to report.
    let plain = app.gql_ok(SEARCH, json!({ "first": 1 })).await;
    assert_eq!(plain["products"]["searchInfo"], Value::Null);
}

#[tokio::test]
async fn staff_manage_synonyms_and_searches_use_them_at_once() {
    let app = TestApp::spawn().await;
    let staff = app.user(Role::Staff).await;
    let t = staff.access_token.as_str();
    let trainers = product_for_sale(&app, t, "Court Trainers", "TB-COURT-1").await;

    assert_eq!(search(&app, "sneakers").await["totalCount"], 0, "no synonym yet");
    let empty = app.gql_as(t, LIST, json!({})).await;
    assert_eq!(empty["data"]["searchSynonyms"], json!({ "totalCount": 0, "nodes": [] }), "{empty}");

    let created = app.gql_as(t, CREATE, json!({ "t": ["Sneakers", " TRAINERS "] })).await;
    let set = created["data"]["searchSynonymCreate"]["synonym"].clone();
    assert_eq!(created["data"]["searchSynonymCreate"]["userErrors"], json!([]), "{created}");
    assert_eq!(set["terms"], json!(["sneakers", "trainers"]), "terms are normalised");

    let listed = app.gql_as(t, LIST, json!({})).await;
    assert_eq!(listed["data"]["searchSynonyms"]["totalCount"], 1);
    assert_eq!(listed["data"]["searchSynonyms"]["nodes"][0]["id"], set["id"]);
    let node = app.gql_as(t, "query($id: ID!) { node(id: $id) { ... on SearchSynonym { terms } } }", json!({ "id": set["id"] })).await;
    assert_eq!(node["data"]["node"]["terms"], json!(["sneakers", "trainers"]));
    let hidden = app.gql_ok("query($id: ID!) { node(id: $id) { id } }", json!({ "id": set["id"] })).await;
    assert_eq!(hidden["node"], Value::Null, "synonym sets are staff data");

    let sneakers = search(&app, "sneakers").await;
    assert_eq!(slugs(&sneakers), std::slice::from_ref(&trainers), "the set applies at once: {sneakers:#}");
    assert_eq!(sneakers["searchInfo"]["usedSynonyms"], json!([{ "term": "sneakers", "synonyms": ["trainers"] }]));
    assert_eq!(sneakers["searchInfo"]["correctedQuery"], Value::Null);
    // A misspelt synonym is corrected to it, though no product uses the word.
    let sneakrs = search(&app, "sneakrs").await;
    assert_eq!(slugs(&sneakrs), std::slice::from_ref(&trainers), "{sneakrs:#}");
    assert_eq!(sneakrs["searchInfo"]["correctedQuery"], "sneakers");

    // Typed errors with the field to blame; nothing is created.
    for (terms, error_code, field) in [
        (json!(["trainers", "kicks"]), "SYNONYM_TAKEN", json!(["terms", "0"])),
        (json!(["kicks", "Sneakers!"]), "SYNONYM_TAKEN", json!(["terms", "1"])),
        (json!(["t-shirt", "T Shirt"]), "INVALID", json!(["terms", "1"])),
        (json!(["tee"]), "INVALID", json!(["terms"])),
        (json!(["tee", " -- "]), "INVALID", json!(["terms", "1"])),
        (json!(["tee", "one two three four five"]), "INVALID", json!(["terms", "1"])),
        (json!(["tee", "x".repeat(100_000)]), "INVALID", json!(["terms", "1"])),
        (json!(vec!["a"; 11]), "INVALID", json!(["terms"])),
    ] {
        let answer = app.gql_as(t, CREATE, json!({ "t": terms })).await;
        let payload = &answer["data"]["searchSynonymCreate"];
        assert_eq!(payload["synonym"], Value::Null, "{answer}");
        assert_eq!(payload["userErrors"][0]["code"], error_code, "{answer}");
        assert_eq!(payload["userErrors"][0]["field"], field, "{answer}");
    }
    assert_eq!(app.gql_as(t, LIST, json!({})).await["data"]["searchSynonyms"]["totalCount"], 1);

    // Only staff.
    let customer = app.user(Role::Customer).await;
    let refused = app.gql_as(&customer.access_token, CREATE, json!({ "t": ["tee", "t-shirt"] })).await;
    assert_eq!(code(&refused["errors"][0]), "FORBIDDEN", "{refused}");
    let anonymous = app.gql_err(LIST, json!({})).await;
    assert_eq!(code(&anonymous), "UNAUTHENTICATED");

    let deleted = app.gql_as(t, DELETE, json!({ "id": set["id"] })).await;
    assert_eq!(deleted["data"]["searchSynonymDelete"]["deletedId"], set["id"], "{deleted}");
    assert_eq!(deleted["data"]["searchSynonymDelete"]["synonym"]["terms"], json!(["sneakers", "trainers"]));
    assert_eq!(search(&app, "sneakers").await["totalCount"], 0, "gone at once");
    let again = app.gql_as(t, DELETE, json!({ "id": set["id"] })).await;
    assert_eq!(again["data"]["searchSynonymDelete"]["userErrors"][0]["code"], "NOT_FOUND", "{again}");
    let wrong = app.gql_as(t, DELETE, json!({ "id": staff.id })).await;
    assert_eq!(wrong["data"]["searchSynonymDelete"]["userErrors"][0]["code"], "INVALID", "{wrong}");
    assert_eq!(wrong["data"]["searchSynonymDelete"]["userErrors"][0]["field"], json!(["id"]));
}

#[tokio::test]
async fn matches_as_typed_rank_above_synonym_matches() {
    let app = TestApp::spawn().await;
    let staff = app.user(Role::Staff).await;
    let t = staff.access_token.as_str();
    let boxy = product_for_sale(&app, t, "Boxy Slub T-Shirt", "TB-BOXY-1").await;
    let created = app.gql_as(t, CREATE, json!({ "t": ["tee", "T-Shirt"] })).await;
    assert_eq!(created["data"]["searchSynonymCreate"]["synonym"]["terms"], json!(["tee", "t-shirt"]), "{created}");

    let tee = search(&app, "tee").await;
    let found = slugs(&tee);
    assert_eq!(found.last(), Some(&boxy), "the product that only says t-shirt comes after every tee: {found:?}");
    assert!(found.len() > 2 && found[..found.len() - 1].iter().all(|s| s.contains("tee") || s.contains("cardigan")), "{found:?}");
    assert_eq!(tee["searchInfo"]["usedSynonyms"], json!([{ "term": "tee", "synonyms": ["t-shirt"] }]));
    let both = search(&app, "t-shirt").await;
    assert_eq!(both["searchInfo"]["usedSynonyms"], json!([{ "term": "t-shirt", "synonyms": ["tee"] }]));
    assert!(slugs(&both).contains(&boxy) && slugs(&both).contains(&"organic-cotton-crew-tee".to_owned()), "{both:#}");
}

#[tokio::test]
async fn corrected_results_page_stably_with_facets() {
    let app = TestApp::spawn().await;
    let all = app.gql_ok(SEARCH, json!({ "first": 100, "filter": { "search": "cottn" } })).await["products"].clone();
    let every = slugs(&all);
    assert!(every.len() >= 10, "a correction with many matches: {every:?}");
    assert_eq!(all["totalCount"], every.len());
    assert_eq!(all["searchInfo"]["correctedQuery"], "cotton");
    let brands: i64 = all["facets"]["brands"].as_array().unwrap().iter().map(|b| b["count"].as_i64().unwrap()).sum();
    assert_eq!(brands, every.len() as i64, "facets count the corrected results");

    let mut forward = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = app.gql_ok(SEARCH, json!({ "first": 3, "after": after, "filter": { "search": "cottn" } })).await["products"].clone();
        forward.extend(slugs(&page));
        if page["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(forward, every, "pages of 3 give the one-page order, each product once");

    let mut backward = Vec::new();
    let mut before = Value::Null;
    loop {
        let page = app.gql_ok(SEARCH, json!({ "last": 4, "before": before, "filter": { "search": "cottn" } })).await["products"].clone();
        let mut chunk = slugs(&page);
        chunk.extend(backward);
        backward = chunk;
        if page["pageInfo"]["hasPreviousPage"] == false {
            break;
        }
        before = page["pageInfo"]["startCursor"].clone();
    }
    assert_eq!(backward, every, "paging backward gives the same order");
    assert_eq!(every.iter().collect::<HashSet<_>>().len(), every.len());
}

#[tokio::test]
async fn the_vocabulary_follows_product_edits() {
    let app = TestApp::spawn().await;
    let staff = app.user(Role::Staff).await;
    let t = staff.access_token.as_str();
    let slug = product_for_sale(&app, t, "Zephyrine Scarf", "TB-ZEPH-1").await;
    let found = search(&app, "zephirine").await;
    assert_eq!(slugs(&found), std::slice::from_ref(&slug), "a new product's words are corrected to at once: {found:#}");

    let p = app.gql_ok("query($s: String!) { product(slug: $s) { id version } }", json!({ "s": slug })).await;
    let renamed = app
        .gql_as(
            t,
            "mutation($i: ProductUpdateInput!) { productUpdate(input: $i) { product { name } userErrors { code } } }",
            json!({ "i": { "id": p["product"]["id"], "expectedVersion": p["product"]["version"], "name": "Aurora Scarf" } }),
        )
        .await;
    assert_eq!(renamed["data"]["productUpdate"]["product"]["name"], "Aurora Scarf", "{renamed}");
    let gone = search(&app, "zephirine").await;
    assert_eq!(gone["totalCount"], 0, "the old name left the vocabulary: {gone:#}");
    assert_eq!(gone["searchInfo"]["correctedQuery"], Value::Null);
    assert_eq!(slugs(&search(&app, "auroar").await), [slug]);
}

#[tokio::test]
async fn hostile_search_text_is_words_or_a_typed_error() {
    let app = TestApp::spawn().await;
    for text in [
        "",
        "   ",
        "'; DROP TABLE products; --",
        "merino:* & !wool | (a <-> b)",
        "NEAR(merino wool, 2) OR title:x*",
        "\"unbalanced",
        "\u{0000}\u{202e}\u{fffd} 🧶🧶 mérino",
        "İstanbul ǅemal ﬁsh",
        &"ab ".repeat(66),
        &format!("{} {}", "q".repeat(40), "w".repeat(150)),
    ] {
        let body = app.gql(SEARCH, json!({ "first": 5, "filter": { "search": text } })).await;
        assert!(body.get("errors").is_none(), "{text:?}: {body:#}");
    }
    let err = app.gql_err(SEARCH, json!({ "filter": { "search": "x".repeat(201) } })).await;
    assert_eq!(code(&err), "BAD_USER_INPUT");
    assert_eq!(err["extensions"]["field"], "search");
}
