//! Events: what changed, for whoever watches (subscriptions, other instances).
//!
//! - [`outbox`]: every state change that others may watch writes an event row in the
//!   same transaction as the change ([`append`]), so no event is published for a
//!   rolled-back transaction and none is lost on a crash.
//! - [`publisher`]: delivers committed rows to the bus in commit order per aggregate,
//!   marks them delivered, prunes old ones. Writers call [`OutboxNotify::notify`] after
//!   committing to have their events published at once.
//! - [`bus`]: fans events out to subscribers, across instances through Redis when
//!   configured; slow subscribers are told to resync instead of slowing anyone down.
//!
//! Delivery is at least once; each [`BusEvent`] carries its outbox id and its
//! aggregate's `sequence`, so receivers drop repeats and stale events.

pub mod bus;
mod delivery;
pub mod message;
pub mod outbox;
pub mod publisher;
mod redis_link;
mod settings;

pub use bus::{BusError, EventBus, RedisSettings, Subscription};
pub use message::{BusEvent, BusMessage, ResyncReason};
pub use outbox::{Event, append, append_many};
pub use publisher::{BatchReport, OutboxNotify, Publisher, PublisherHandle, PublisherSettings};
pub use redis_link::{BusHealth, RemoteDelivery};
pub use settings::EventsConfig;
