//! The catalog part of the GraphQL API.

pub mod loaders;
mod mutation;
mod query;
pub mod search;
pub mod types;

pub use mutation::CatalogMutation;
pub use query::{CatalogQuery, page_cost};
pub use search::{SearchMutation, SearchQueryRoot};

use stockade_domain::catalog::{ProductStatus, Visibility};

/// What the request's viewer may see of the catalog: staff see every product and
/// variant, everyone else what is for sale.
pub fn visibility(ctx: &async_graphql::Context<'_>) -> Visibility {
    visibility_for(crate::access::viewer(ctx))
}

pub fn visibility_for(viewer: &stockade_domain::accounts::Viewer) -> Visibility {
    if viewer.is_staff() {
        Visibility::Statuses(vec![ProductStatus::Active, ProductStatus::Draft, ProductStatus::Archived])
    } else {
        Visibility::Storefront
    }
}
