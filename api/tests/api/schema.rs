//! The committed schema is the contract both apps build against; it must match.

#[test]
fn schema_graphql_matches_the_server() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema.graphql");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    let current = stockade::graphql::sdl();
    assert!(
        committed == current,
        "schema.graphql is out of date with the server.\nRegenerate it with:\n\n    cargo run -q -- print-schema > schema.graphql\n"
    );
}
