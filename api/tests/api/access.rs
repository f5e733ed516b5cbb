//! The access policy: every field is classified, and every non-public field refuses
//! guests and lesser roles. Both checks walk the live schema by introspection, so a
//! field added later is covered without touching this file.

use std::collections::{HashMap, HashSet, VecDeque};

use serde_json::{Value, json};
use stockade_domain::accounts::Role;
use stockade_graphql::access::{Access, classify};

use crate::commerce::{CART, add, complete, start, stocked_variant};
use crate::helpers::{TestApp, code};
use crate::ws::Ws;

const INTROSPECT: &str = r#"{ __schema {
  queryType { name } mutationType { name } subscriptionType { name }
  types { name kind
    fields { name args { name type { ...T } } type { ...T } }
    inputFields { name type { ...T } }
    enumValues { name } } } }
fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } }"#;

struct Schema {
    types: HashMap<String, Value>,
    /// Root type names with their operation keyword (`query`, `mutation`, `subscription`).
    roots: Vec<(String, &'static str)>,
}

async fn schema(app: &TestApp) -> Schema {
    let data = app.gql_ok(INTROSPECT, json!({})).await;
    let s = &data["__schema"];
    let types = s["types"].as_array().unwrap().iter().map(|t| (t["name"].as_str().unwrap().to_owned(), t.clone())).collect();
    let roots = [("queryType", "query"), ("mutationType", "mutation"), ("subscriptionType", "subscription")]
        .iter()
        .filter_map(|(k, op)| s[k]["name"].as_str().map(|n| (n.to_owned(), *op)))
        .collect();
    Schema { types, roots }
}

/// The named type under NON_NULL/LIST wrappers.
fn named(t: &Value) -> &Value {
    if t["ofType"].is_null() { t } else { named(&t["ofType"]) }
}

fn required(t: &Value) -> bool {
    t["kind"] == "NON_NULL"
}

/// A literal valid for `t` (for arguments the guard refuses before they matter).
fn dummy(schema: &Schema, t: &Value) -> String {
    match t["kind"].as_str().unwrap() {
        "NON_NULL" => dummy(schema, &t["ofType"]),
        "LIST" => format!("[{}]", dummy(schema, &t["ofType"])),
        "ENUM" => schema.types[t["name"].as_str().unwrap()]["enumValues"][0]["name"].as_str().unwrap().to_owned(),
        "INPUT_OBJECT" => {
            let fields = schema.types[t["name"].as_str().unwrap()]["inputFields"].as_array().unwrap();
            let parts: Vec<String> = fields
                .iter()
                .filter(|f| required(&f["type"]))
                .map(|f| format!("{}: {}", f["name"].as_str().unwrap(), dummy(schema, &f["type"])))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        _ => match t["name"].as_str().unwrap() {
            "Int" => "1".into(),
            "Float" => "1.5".into(),
            "Boolean" => "false".into(),
            "DateTime" => "\"2026-01-01T00:00:00Z\"".into(),
            "ID" => "\"UHJvZHVjdDox\"".into(),
            _ => "\"x\"".into(),
        },
    }
}

/// `name(args)` with every required argument (and `first: 1` on connections).
fn call(schema: &Schema, field: &Value) -> String {
    let args: Vec<String> = field["args"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| required(&a["type"]) || a["name"] == "first")
        .map(|a| format!("{}: {}", a["name"].as_str().unwrap(), if a["name"] == "first" { "1".into() } else { dummy(schema, &a["type"]) }))
        .collect();
    let name = field["name"].as_str().unwrap();
    if args.is_empty() { name.to_owned() } else { format!("{name}({})", args.join(", ")) }
}

fn fields(schema: &Schema, type_name: &str) -> Vec<Value> {
    schema.types.get(type_name).and_then(|t| t["fields"].as_array().cloned()).unwrap_or_default()
}

fn is_object(schema: &Schema, name: &str) -> bool {
    schema.types.get(name).is_some_and(|t| t["kind"] == "OBJECT" || t["kind"] == "INTERFACE")
}

#[tokio::test]
async fn every_field_of_the_schema_is_classified() {
    let app = TestApp::spawn().await;
    let schema = schema(&app).await;
    let mut missing = Vec::new();
    for (name, t) in &schema.types {
        if name.starts_with("__") || !(t["kind"] == "OBJECT" || t["kind"] == "INTERFACE") {
            continue;
        }
        for f in fields(&schema, name) {
            let field = f["name"].as_str().unwrap();
            let root = schema.roots.iter().any(|(r, _)| r == name);
            let classified = if root {
                // Root fields must be listed one by one, not by a type default.
                stockade_graphql::access::POLICY.iter().any(|(k, _)| *k == format!("{name}.{field}"))
            } else {
                classify(name, field).is_some()
            };
            if !classified {
                missing.push(format!("{name}.{field}"));
            }
        }
    }
    missing.sort();
    assert!(missing.is_empty(), "unclassified fields (add them to graphql/access.rs POLICY): {missing:#?}");
}

/// Nested selections: `a { b { c { __typename } } }`.
fn nest(selections: &[String], leaf: &str) -> String {
    match selections {
        [] => String::new(),
        [last] => format!("{last}{leaf}"),
        [first, rest @ ..] => format!("{first} {{ {} }}", nest(rest, leaf)),
    }
}

/// The shortest operation reaching `target` (type, field) from `root`, walking only
/// fields the viewer may use (`may`) and that take no required arguments (so the
/// walk follows real data, e.g. `products(first: 1)`, not a lookup by a dummy slug).
/// Returns the operation and the response path of the target.
fn reach(schema: &Schema, (root, op): (&str, &str), target: (&str, &str), may: &dyn Fn(Access) -> bool) -> Option<(String, Vec<String>)> {
    let mut queue: VecDeque<(String, Vec<(String, String)>)> = VecDeque::from([(root.to_owned(), Vec::new())]);
    let mut seen: HashSet<String> = HashSet::new();
    while let Some((type_name, path)) = queue.pop_front() {
        if !seen.insert(type_name.clone()) || path.len() > 7 {
            continue;
        }
        for f in fields(schema, &type_name) {
            let name = f["name"].as_str().unwrap().to_owned();
            let ret = named(&f["type"])["name"].as_str().unwrap().to_owned();
            let mut next = path.clone();
            next.push((name.clone(), call(schema, &f)));
            if type_name == target.0 && name == target.1 {
                let leaf = if is_object(schema, &ret) { " { __typename }" } else { "" };
                let selections: Vec<String> = next.iter().map(|(_, s)| s.clone()).collect();
                return Some((format!("{op} {{ {} }}", nest(&selections, leaf)), next.into_iter().map(|(n, _)| n).collect()));
            }
            let no_required_args = f["args"].as_array().unwrap().iter().all(|a| !required(&a["type"]));
            if is_object(schema, &ret) && !ret.starts_with("__") && no_required_args && classify(&type_name, &name).is_some_and(may) {
                queue.push_back((ret, next));
            }
        }
    }
    None
}

#[tokio::test]
async fn non_public_fields_refuse_guests_and_lesser_roles() {
    let app = TestApp::spawn().await;
    let schema = schema(&app).await;
    let customer = app.user(Role::Customer).await;
    let staff = app.user(Role::Staff).await;
    // The customer has an order, so the walk can reach the staff-only fields of their
    // own orders (`Order.paymentIssue`).
    customer_order(&app, &customer.access_token).await;
    let viewers: [(&str, Option<&str>, Role); 3] = [
        ("guest", None, Role::Customer),
        ("customer", Some(customer.access_token.as_str()), Role::Customer),
        ("staff", Some(staff.access_token.as_str()), Role::Staff),
    ];
    let mut checked = 0;
    for (type_name, t) in &schema.types {
        if type_name.starts_with("__") || t["kind"] != "OBJECT" {
            continue;
        }
        for f in fields(&schema, type_name) {
            let field = f["name"].as_str().unwrap();
            let Some(access) = classify(type_name, field) else { continue };
            for (who, token, role) in &viewers {
                let refused = match access {
                    Access::Public => false,
                    Access::Own => token.is_none(),
                    Access::Staff => token.is_none() || *role < Role::Staff,
                    Access::Admin => token.is_none() || *role < Role::Admin,
                };
                if !refused {
                    continue;
                }
                // Only paths this viewer may walk (their own access, not the target's).
                let may = |a: Access| match a {
                    Access::Public => true,
                    Access::Own => token.is_some(),
                    Access::Staff => token.is_some() && *role >= Role::Staff,
                    Access::Admin => false,
                };
                for (root, op) in &schema.roots {
                    let Some((query, path)) = reach(&schema, (root, op), (type_name, field), &may) else { continue };
                    // Mutations are checked at their own fields: what their payloads
                    // nest depends on data the walk cannot create (an empty new cart
                    // has no lines), and the same types are reached through queries.
                    if *op == "mutation" && path.len() > 1 {
                        continue;
                    }
                    let body = match (token, *op) {
                        // Subscriptions run over WebSocket: the refusal must be a clean
                        // error on the operation.
                        (_, "subscription") => {
                            let mut ws = Ws::connect(app.addr, *token).await;
                            ws.subscribe("1", &query, json!({})).await;
                            json!({ "errors": [ws.next_error("1").await] })
                        }
                        (Some(t), _) => app.gql_as(t, &query, json!({})).await,
                        (None, _) => app.gql(&query, json!({})).await,
                    };
                    let expected = if token.is_none() { "UNAUTHENTICATED" } else { "FORBIDDEN" };
                    let errors = body["errors"].as_array().cloned().unwrap_or_default();
                    let hit = errors.iter().any(|e| {
                        code(e) == expected
                            && e["path"]
                                .as_array()
                                .is_some_and(|p| p.iter().filter_map(Value::as_str).next_back() == path.last().map(String::as_str))
                    });
                    assert!(hit, "{who} reached {type_name}.{field} ({access:?}) without {expected}:\n{query}\n{body:#}");
                    checked += 1;
                }
            }
        }
    }
    assert!(checked >= 20, "the matrix checked {checked} (field, viewer) pairs");
}

/// An order of one unit placed by the signed-in customer holding `token`.
async fn customer_order(app: &TestApp, token: &str) {
    let (variant, _) = stocked_variant(app, 10, 1_500).await;
    let created = app.gql_as(token, &format!("mutation {{ cartCreate {{ cart {{ {CART} }} }} }}"), json!({})).await;
    let cart = created["data"]["cartCreate"]["cart"].clone();
    add(app, Some(token), &cart, None, &variant, 1).await;
    start(app, Some(token), &cart["id"], None, "").await;
    let done = complete(app, Some(token), &cart["id"], None, "access-matrix-order").await;
    assert_eq!(done["order"]["status"], "PENDING_PAYMENT", "{done}");
}
