//! Every GraphQL example in the README runs as written, in order, against the real
//! server: the quick start's `curl` body, each ```graphql block (a subscription over a
//! real WebSocket) with the ```json variables block that follows it. A variables value
//! `"<a.b.0.c>"` is that value from an earlier answer (the answers' root fields, plus
//! `staff` for the admin the README tells you to create); a first line
//! `# Authorization: Bearer <...>` sends that token. No example may answer an error, a
//! user error or a checkout problem, and the walkthrough must end with a paid,
//! fulfilled order.

use std::time::Duration;

use serde_json::{Map, Value, json};
use stockade_domain::accounts::Role;

use crate::helpers::TestApp;
use crate::ws::Ws;

const README: &str = include_str!("../../../README.md");

/// One runnable example and where it is.
#[derive(Debug)]
struct Example {
    line: usize,
    document: String,
    variables: Option<String>,
}

/// The examples in the order the README gives them.
fn examples() -> Vec<Example> {
    let lines: Vec<&str> = README.lines().collect();
    let mut out: Vec<Example> = Vec::new();
    let mut i = 0;
    // Whether the last block was a GraphQL one with nothing but blank lines since.
    let mut open_graphql = false;
    while i < lines.len() {
        let Some(lang) = lines[i].strip_prefix("```") else {
            if !lines[i].trim().is_empty() {
                open_graphql = false;
            }
            i += 1;
            continue;
        };
        let start = i + 1;
        let end = start + lines[start..].iter().position(|l| l.starts_with("```")).expect("a closed block");
        let body = lines[start..end].join("\n");
        match lang.trim() {
            "graphql" => {
                out.push(Example { line: start, document: body, variables: None });
                open_graphql = true;
                i = end + 1;
                continue;
            }
            "json" if open_graphql => {
                let last = out.last_mut().unwrap();
                last.variables = Some(body);
            }
            "sh" => {
                if let Some(at) = body.find("-d '") {
                    let payload = &body[at + 4..body.rfind('\'').expect("a quoted body")];
                    let request: Value = serde_json::from_str(payload).expect("the curl body is JSON");
                    let document = request["query"].as_str().expect("a query").to_owned();
                    out.push(Example { line: start, document, variables: None });
                }
            }
            _ => {}
        }
        open_graphql = false;
        i = end + 1;
    }
    out
}

/// `value` with every `"<path>"` string replaced by that value from `known`.
fn resolve(value: &Value, known: &Map<String, Value>, line: usize) -> Value {
    match value {
        Value::String(s) if s.starts_with('<') && s.ends_with('>') => lookup(&s[1..s.len() - 1], known, line),
        Value::Array(items) => Value::Array(items.iter().map(|v| resolve(v, known, line)).collect()),
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), resolve(v, known, line))).collect()),
        other => other.clone(),
    }
}

fn lookup(path: &str, known: &Map<String, Value>, line: usize) -> Value {
    let mut segments = path.split('.');
    let mut at = known.get(segments.next().unwrap_or_default()).unwrap_or_else(|| panic!("line {line}: nothing answered {path} yet"));
    for segment in segments {
        at = match segment.parse::<usize>() {
            Ok(index) => &at[index],
            Err(_) => &at[segment],
        };
    }
    assert!(!at.is_null(), "line {line}: {path} is not in the earlier answers");
    at.clone()
}

/// The bearer token a `# Authorization: Bearer <...>` first line asks for.
fn bearer(document: &str, known: &Map<String, Value>, line: usize) -> Option<String> {
    let first = document.lines().next()?.trim();
    let rest = first.strip_prefix("# Authorization: Bearer ")?;
    let path = rest.strip_prefix('<')?.split('>').next()?;
    Some(lookup(path, known, line).as_str().expect("a token").to_owned())
}

/// Fails on user errors and checkout problems anywhere in a mutation's payload.
fn assert_no_refusal(field: &str, payload: &Value, line: usize) {
    for list in ["userErrors", "problems"] {
        if let Some(items) = payload.get(list) {
            assert_eq!(items, &json!([]), "line {line}: {field} refused: {payload:#}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_graphql_example_in_the_readme_runs_as_written() {
    let app = TestApp::spawn().await;
    let staff = app.user(Role::Admin).await;
    let mut known = Map::new();
    known.insert("staff".into(), json!({ "email": staff.email, "password": staff.password }));
    let examples = examples();
    assert!(examples.len() >= 14, "found only {} examples", examples.len());
    for (n, example) in examples.iter().enumerate() {
        let line = example.line;
        let variables = match &example.variables {
            Some(text) => {
                let raw: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("line {line}: the variables are not JSON: {e}"));
                resolve(&raw, &known, line)
            }
            None => json!({}),
        };
        let token = bearer(&example.document, &known, line);
        let is_subscription =
            example.document.lines().find(|l| !l.trim_start().starts_with('#')).is_some_and(|l| l.trim_start().starts_with("subscription"));
        if is_subscription {
            let mut ws = Ws::connect(app.addr, token.as_deref()).await;
            let id = format!("readme-{n}");
            ws.subscribe(&id, &example.document, variables).await;
            let payload = ws.next_payload(&id, Duration::from_secs(10)).await;
            assert!(payload.get("errors").is_none_or(Value::is_null), "line {line}: {payload:#}");
            let data = payload["data"].as_object().unwrap_or_else(|| panic!("line {line}: no data: {payload:#}"));
            assert!(data.values().all(|v| !v.is_null()), "line {line}: {payload:#}");
            ws.close().await;
            continue;
        }
        let body = match &token {
            Some(t) => app.gql_as(t, &example.document, variables).await,
            None => app.gql(&example.document, variables).await,
        };
        assert!(body.get("errors").is_none(), "line {line}: the example fails as written:\n{}\n{body:#}", example.document);
        for (field, payload) in body["data"].as_object().unwrap_or_else(|| panic!("line {line}: {body}")) {
            assert_no_refusal(field, payload, line);
            known.insert(field.clone(), payload.clone());
        }
    }
    assert_eq!(known["testPaymentConfirm"]["order"]["status"], "PAID", "the walkthrough pays");
    assert_eq!(known["orderFulfill"]["order"]["status"], "FULFILLED", "and staff fulfil the order");
    assert!(known["orders"]["totalCount"].as_i64().unwrap() >= 1);
}
