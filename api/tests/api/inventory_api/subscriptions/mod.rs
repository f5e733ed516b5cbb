//! `stockChanged` and `inventoryEvents` over a real WebSocket against a real server.
//! The outbox publisher is on in these tests (the harness turns it off by default).

mod errors;
mod instances;
mod live;
mod slow;

use std::time::Duration;

pub const PUBLISHER_ON: (&str, &str) = ("EVENTS_PUBLISHER", "on");

pub const STOCK_CHANGED: &str =
    "subscription($ids: [ID!]!) { stockChanged(variantIds: $ids) { variantId availableQuantity inStock stockVersion at kind } }";

pub const INVENTORY_EVENTS: &str = r#"subscription($location: ID) { inventoryEvents(locationId: $location) {
    id reason deltaOnHand deltaReserved onHandAfter reservedAfter availableAfter versionAfter note at
    actor { type user { email } } reference { type id } location { code } variant { sku } } }"#;

/// How long a change may take to reach a subscriber.
pub const WITHIN: Duration = Duration::from_secs(1);
