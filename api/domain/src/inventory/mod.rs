//! Inventory: stock per variant and location, reservations with an expiry, staff
//! adjustments and transfers, and the stock ledger. The heart of "never oversell".
//!
//! The invariants (see `DESIGN.md`), and where they are kept:
//! - `0 <= reserved <= on_hand` on every stock level: a database CHECK, and every change
//!   is one guarded statement whose `WHERE` states what makes it legal ([`levels`]).
//!   Reads are only ever hints for a guarded write; a failed guard rolls the whole
//!   transaction back and retries it a bounded number of times ([`retry`]).
//! - A multi-line reservation is all or nothing, in one transaction, and touches stock
//!   levels in one global order, (variant, location), so racing requests cannot deadlock.
//! - Every change writes one ledger row and one outbox event in its transaction
//!   ([`ledger`]); summing the ledger reproduces every level ([`verify`]).
//! - A reservation changes status at most once (`... WHERE status = 'active'`), so a
//!   release, an expiry and a commit racing each other give the stock back exactly once.
//!
//! Nothing here knows about GraphQL or HTTP.

mod batch;
mod combine;
mod demo;
mod feed;
mod group;
mod ledger;
mod levels;
mod limits;
mod listing;
mod locations;
mod model;
mod plan;
mod queries;
mod reservations;
mod reserve;
mod retry;
mod service;
mod settings;
mod staff;
mod sweeper;
mod verify;
mod within;

pub use combine::CombineLimits;
pub use demo::{DEMO_LOCATIONS, DemoStockReport, demo_stock_for_sku, seed_demo_stock};
pub use feed::{StockLevelChanged, decode_stock_event, stock_event_target};
pub use ledger::{AGGREGATE_TYPE, EVENT_TYPE, aggregate_id};
pub use limits::{MAX_LINE_QUANTITY, MAX_LINES, MAX_LOW_STOCK_THRESHOLD, MAX_MOVE_QUANTITY, MAX_NOTE_CHARS, MAX_ON_HAND, MAX_TTL, MIN_TTL};
pub use listing::{InventoryFilter, InventoryItem};
pub use model::{
    Adjustment, Movement, MovementReason, Owner, OwnerKind, Reference, ReleaseTarget, Reservation, ReservationStatus, ReserveLine,
    StockChange, StockLevel, StockLocation,
};
pub use queries::LowStockThreshold;
pub use service::{InventoryService, InventorySettings};
pub use settings::InventoryConfig;
pub use staff::Transfer;
pub use sweeper::spawn_sweeper;
pub use verify::{Discrepancy, VerifyReport};
pub use within::retry_transaction;
