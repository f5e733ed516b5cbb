//! The committed schema is the contract both apps build against; it must match.

#[test]
fn schema_graphql_matches_the_server() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema.graphql");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    let current = stockade_graphql::sdl();
    assert!(
        committed == current,
        "schema.graphql is out of date with the server.\nRegenerate it with:\n\n    cargo run -q -- print-schema > schema.graphql\n"
    );
}

#[test]
fn the_client_cache_configuration_matches_the_schema() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema.cache-config.json");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == stockade_graphql::cache_config(),
        "schema.cache-config.json is out of date with the schema.\nRegenerate it with:\n\n    cargo run -q -- print-cache-config > schema.cache-config.json\n"
    );
    let config: serde_json::Value = serde_json::from_str(&committed).unwrap();
    // Every type the apps normalise has an id; every value merges in Apollo.
    for value in config["values"].as_array().unwrap() {
        let name = value.as_str().unwrap();
        assert_eq!(config["apollo"]["typePolicies"][name], serde_json::json!({ "keyFields": false, "merge": true }), "{name}");
        assert!(config["urql"]["keys"].get(name).is_some(), "{name}");
    }
    for name in ["Product", "Variant", "Cart", "CartLine", "Order", "StockLevel", "InventoryItem", "PaymentIssue"] {
        assert!(config["entities"].as_array().unwrap().iter().any(|e| e == name), "{name} is keyed by id");
    }
    for name in ["Money", "PriceRange", "Attribute", "MovementActor"] {
        assert!(config["values"].as_array().unwrap().iter().any(|e| e == name), "{name} is a value");
    }
}

#[test]
fn every_top_level_error_code_is_listed_in_the_schema() {
    use stockade_graphql::error::code;
    let sdl = stockade_graphql::sdl();
    let query = sdl.split("type Query {").next().unwrap_or_default();
    let description = query.rsplit("\"\"\"\n\ntype").next().unwrap_or_default();
    for c in [
        code::BAD_USER_INPUT,
        code::NOT_FOUND,
        code::INTERNAL,
        code::PARSE_FAILED,
        code::VALIDATION_FAILED,
        code::QUERY_TOO_DEEP,
        code::QUERY_TOO_COMPLEX,
        code::OPERATION_NOT_FOUND,
        code::BAD_REQUEST,
        code::UNAUTHENTICATED,
        code::FORBIDDEN,
        code::RATE_LIMITED,
    ] {
        assert!(description.contains(&format!("`{c}`")), "{c} is not described on Query:\n{description}");
    }
}
