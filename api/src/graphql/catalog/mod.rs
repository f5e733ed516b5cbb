//! The catalog part of the GraphQL API.

pub mod loaders;
mod query;
pub mod types;

pub use query::CatalogQuery;
