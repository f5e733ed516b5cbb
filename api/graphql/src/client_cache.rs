//! The configuration a normalised client cache needs for this schema, generated from
//! the SDL (`schema.graphql`) and committed next to it as `schema.cache-config.json`
//! (`stockade print-cache-config`; a test fails when it drifts). Both apps import it.
//!
//! Every object type is one of:
//! - an **entity**: it has `id: ID!`; caches key it by `id` (urql's and Apollo's default);
//! - a **value** (`Money`, `PriceRange`, `Attribute`, ...): no identity of its own, it
//!   belongs to the object holding it. urql: `keys: { Type: () => null }`; Apollo:
//!   `keyFields: false, merge: true`, so two queries selecting different fields of the
//!   same value merge instead of replacing each other (without it Apollo drops data and
//!   refetches, e.g. collapsing a paginated list when a page selects another
//!   `priceRange` shape);
//! - **embedded** structure (connections, edges, `PageInfo`, mutation payloads,
//!   subscription messages): no identity, no merge (pagination is a field policy).
//!
//! It also lists `possibleTypes` of interfaces and unions (Apollo needs them for
//! fragments on `Node`).

use std::collections::BTreeMap;

use async_graphql::parser::parse_schema;
use async_graphql::parser::types::{BaseType, TypeKind, TypeSystemDefinition};
use serde_json::{Value, json};

/// Roots are never cached as objects.
const ROOTS: [&str; 3] = ["Query", "Mutation", "Subscription"];

/// How a client cache should treat one object type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    Entity,
    Value,
    Embedded,
}

fn is_embedded(name: &str) -> bool {
    name.ends_with("Connection")
        || name.ends_with("Edge")
        || name == "PageInfo"
        || name.ends_with("Payload")
        || name.ends_with("Update")
        || name == "StockAvailability"
}

/// Object type name -> shape.
pub type Shapes = BTreeMap<String, Shape>;
/// Interface or union name -> the object types in it.
pub type PossibleTypes = BTreeMap<String, Vec<String>>;

/// Every object type of `sdl` with its shape, and interfaces/unions with their members.
pub fn classify(sdl: &str) -> Result<(Shapes, PossibleTypes), String> {
    let doc = parse_schema(sdl).map_err(|e| e.to_string())?;
    let mut shapes = Shapes::new();
    let mut possible = PossibleTypes::new();
    for def in &doc.definitions {
        let TypeSystemDefinition::Type(t) = def else { continue };
        let name = t.node.name.node.to_string();
        match &t.node.kind {
            TypeKind::Object(object) => {
                for interface in &object.implements {
                    possible.entry(interface.node.to_string()).or_default().push(name.clone());
                }
                if ROOTS.contains(&name.as_str()) {
                    continue;
                }
                let has_id = object.fields.iter().any(|f| {
                    f.node.name.node.as_str() == "id"
                        && !f.node.ty.node.nullable
                        && matches!(&f.node.ty.node.base, BaseType::Named(n) if n.as_str() == "ID")
                });
                let shape = if has_id {
                    Shape::Entity
                } else if is_embedded(&name) {
                    Shape::Embedded
                } else {
                    Shape::Value
                };
                shapes.insert(name, shape);
            }
            TypeKind::Union(union) => {
                possible.entry(name).or_default().extend(union.members.iter().map(|m| m.node.to_string()));
            }
            _ => {}
        }
    }
    for members in possible.values_mut() {
        members.sort();
    }
    Ok((shapes, possible))
}

/// The committed `schema.cache-config.json` for `sdl`.
pub fn cache_config(sdl: &str) -> Result<String, String> {
    let (shapes, possible) = classify(sdl)?;
    let list = |wanted: Shape| -> Vec<&String> { shapes.iter().filter(|(_, s)| **s == wanted).map(|(n, _)| n).collect() };
    let mut urql_keys = serde_json::Map::new();
    let mut type_policies = serde_json::Map::new();
    for (name, shape) in &shapes {
        match shape {
            Shape::Entity => {
                type_policies.insert(name.clone(), json!({ "keyFields": ["id"] }));
            }
            Shape::Value => {
                urql_keys.insert(name.clone(), Value::Null);
                type_policies.insert(name.clone(), json!({ "keyFields": false, "merge": true }));
            }
            Shape::Embedded => {
                urql_keys.insert(name.clone(), Value::Null);
                type_policies.insert(name.clone(), json!({ "keyFields": false }));
            }
        }
    }
    let config = json!({
        "$comment": "Generated from schema.graphql by `cargo run -q -- print-cache-config > schema.cache-config.json`; a test fails when it drifts. urql graphcache: `keys` maps each listed type to `() => null` (not normalised). Apollo InMemoryCache: use `apollo.typePolicies` and `apollo.possibleTypes` as they are.",
        "entities": list(Shape::Entity),
        "values": list(Shape::Value),
        "embedded": list(Shape::Embedded),
        "urql": { "keys": urql_keys },
        "apollo": { "typePolicies": type_policies, "possibleTypes": possible },
    });
    serde_json::to_string_pretty(&config).map(|s| s + "\n").map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_make_entities_and_the_rest_values_or_structure() {
        let sdl = "type Query { a: A } type A implements Node { id: ID! m: Money } interface Node { id: ID! }
            type Money { amount: Int! } type AConnection { edges: [AEdge!]! } type AEdge { node: A! }
            type APayload { a: A } type Loose { id: ID }";
        let (shapes, possible) = classify(sdl).unwrap();
        assert_eq!(shapes["A"], Shape::Entity);
        assert_eq!(shapes["Money"], Shape::Value);
        assert_eq!((shapes["AConnection"], shapes["AEdge"], shapes["APayload"]), (Shape::Embedded, Shape::Embedded, Shape::Embedded));
        assert_eq!(shapes["Loose"], Shape::Value, "a nullable id identifies nothing");
        assert!(!shapes.contains_key("Query"));
        assert_eq!(possible["Node"], ["A"]);
    }
}
