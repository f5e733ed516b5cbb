//! Events: what changed, for whoever watches (subscriptions, other instances).
//!
//! Every state change that others may watch writes an [`outbox`] row in the same
//! transaction as the change, so no event is published for a rolled-back transaction
//! and none is lost on a crash. A publisher later delivers the rows to the bus.

pub mod outbox;

pub use outbox::{Event, append};
