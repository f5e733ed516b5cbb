//! Abandoned carts: reminders a shop sends to win them back, the signed webhooks that
//! carry them to the shop's email service, recovery links, opt-outs, and the staff's
//! view of what was abandoned and what came back.
//!
//! A cart with lines that nobody touched for the first step's delay (1 h by default)
//! is abandoned. A background pass ([`ReminderService::run_pass`]) writes one reminder
//! per step (default 1 h, 24 h, 72 h of idleness), each once, for carts it can reach
//! (a signed-in customer's, or a guest's with the email given at checkout) unless the
//! address opted out; a cart checked out, emptied or expired gets nothing more. Each
//! reminder is a row, an outbox event and a webhook delivery, written in one
//! transaction; deliveries are posted signed (HMAC-SHA256 in Stripe's scheme) and
//! retried with backoff. The webhook carries a recovery link token that restores the
//! cart on any device, once per device, until it expires.
//!
//! Depends on checkout (carts), accounts (emails) and events; nothing depends on it.

mod links;
mod service;
mod settings;
mod webhooks;

pub use service::{AbandonedCart, AbandonedFilter, AbandonedSummary, EVENT_TYPE, ReminderReport, ReminderService, TOPIC};
pub use settings::RemindersConfig;
pub use webhooks::{Delivery, DeliveryReport, DeliveryStatus};
