//! Orders: the one-way state machine, the timeline, buyers' and staff's views.

pub mod model;
pub mod payment_issue;
mod service;
pub mod status;
pub mod status_events;
mod summary;

pub use model::{Order, OrderEvent, OrderLine};
pub use payment_issue::{IssueChange, PaymentIssueKind, QueuedIssue, decode_issue_event};
pub use service::{Change, OrderFilter, OrderService, OrderTokens, order_owner};
pub(crate) use service::{publish_status, record_in};
pub use status::OrderStatus;
pub use status_events::{StatusChange, decode_status_event, status_event_order};
pub use summary::{DaySales, SalesSummary, TopVariant};
