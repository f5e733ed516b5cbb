//! The accounts part of the GraphQL API.

mod mutation;
mod query;
pub mod types;

pub use mutation::AccountMutation;
pub use query::AccountQuery;
