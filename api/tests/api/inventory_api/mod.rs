//! Inventory through the GraphQL API (real server, both backends): stock on variants,
//! staff queries and mutations, and the live subscriptions over WebSocket.

mod adjust;
mod reads;
mod subscriptions;

use serde_json::{Value, json};
use stockade_domain::accounts::Role;
use stockade_graphql::ids::{NodeType, decode_as};

use crate::helpers::{TestApp, TestUser};

/// The demo catalog's first listed variant and the two demo locations.
pub struct Stock {
    pub staff: TestUser,
    /// Global id of the variant.
    pub variant: String,
    pub variant_id: i64,
    /// Global ids of the `main` and `east` locations.
    pub main: String,
    pub east: String,
}

impl Stock {
    /// A variant of the demo catalog stocked at both locations, at least 5 available
    /// at each, and a staff user.
    pub async fn on(app: &TestApp) -> Stock {
        let staff = app.user(Role::Staff).await;
        let query = "{ inventory(first: 100) { edges { node { variant { id } levels { available location { id code } } } } } }";
        let body = app.gql_as(&staff.access_token, query, json!({})).await;
        let edges = body["data"]["inventory"]["edges"].as_array().unwrap_or_else(|| panic!("inventory list: {body:#}"));
        let item = edges
            .iter()
            .map(|e| &e["node"])
            .find(|n| n["levels"].as_array().is_some_and(|l| l.len() == 2 && l.iter().all(|l| l["available"].as_i64() >= Some(5))))
            .expect("a demo variant stocked at both locations");
        let location = |code: &str| {
            item["levels"].as_array().and_then(|l| l.iter().find(|l| l["location"]["code"] == code)).expect("demo location")["location"]["id"]
                .as_str()
                .expect("id")
                .to_owned()
        };
        let (main, east) = (location("main"), location("east"));
        let variant = item["variant"]["id"].as_str().expect("variant id").to_owned();
        Stock { variant_id: raw(&variant, NodeType::Variant), staff, variant, main, east }
    }

    /// The variant's levels as staff see them, keyed by location code.
    pub async fn levels(&self, app: &TestApp) -> Value {
        let body = app.gql_as(&self.staff.access_token, LEVELS, json!({ "id": self.variant })).await;
        assert!(body.get("errors").is_none(), "{body:#}");
        body["data"]["node"].clone()
    }

    /// The level at location `code` (`{ version onHand reserved available }`).
    pub async fn level(&self, app: &TestApp, code: &str) -> Value {
        let node = self.levels(app).await;
        node["stockLevels"].as_array().expect("levels").iter().find(|l| l["location"]["code"] == code).cloned().unwrap_or(Value::Null)
    }

    /// Runs `inventoryAdjust` as staff; returns the payload.
    pub async fn adjust(&self, app: &TestApp, input: Value) -> Value {
        let body = app.gql_as(&self.staff.access_token, ADJUST, json!({ "input": input })).await;
        assert!(body.get("errors").is_none(), "{body:#}");
        body["data"]["inventoryAdjust"].clone()
    }
}

pub const LEVELS: &str = r#"query($id: ID!) { node(id: $id) { ... on Variant { sku availableQuantity inStock
    stockLevels { version onHand reserved available updatedAt location { id code } } } } }"#;

pub const ADJUST: &str = r#"mutation($input: InventoryAdjustInput!) { inventoryAdjust(input: $input) {
    stockLevel { version onHand reserved available location { code } }
    userErrors { code field message currentVersion } } }"#;

/// The row id behind a global id of type `kind`.
pub fn raw(id: &str, kind: NodeType) -> i64 {
    decode_as(&async_graphql::ID(id.to_owned()), kind, "id").expect("a global id of that type")
}
