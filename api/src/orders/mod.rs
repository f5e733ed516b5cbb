//! Orders: the one-way state machine, the timeline, buyers' and staff's views.

pub mod status;

pub use status::OrderStatus;
