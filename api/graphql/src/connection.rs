//! Relay connections of the API: a page request from the arguments, and the connection
//! built from a domain page with its `totalCount`.

use std::future::Future;
use std::sync::Arc;

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Object, OutputType, Result};
use futures::future::BoxFuture;

use crate::error::ResultExt;
use crate::int::int;
use crate::settings::GraphqlLimits;
use stockade_domain::pagination::{Page, PageRequest};

/// `first`/`after`/`last`/`before` as a page request, capped at the configured size.
pub fn page_request(
    ctx: &Context<'_>,
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> Result<PageRequest> {
    let max = ctx.data_unchecked::<Arc<GraphqlLimits>>().max_page_size;
    PageRequest::new(first, after, last, before, max).gql()
}

type CountFn = dyn Fn() -> BoxFuture<'static, stockade_domain::error::Result<u64>> + Send + Sync;

/// The `totalCount` of a connection: how many items its filter matches over all
/// pages, counted by the list's own service only when a client selects it.
pub struct Counted(Box<CountFn>);

impl Counted {
    /// `count` runs the count query (once per selection of `totalCount`).
    pub fn new<F, Fut>(count: F) -> Counted
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = stockade_domain::error::Result<u64>> + Send + 'static,
    {
        Counted(Box::new(move || Box::pin(count())))
    }
}

#[Object]
impl Counted {
    /// How many items match in all, over every page (one count query, run only when
    /// selected).
    async fn total_count(&self) -> Result<i32> {
        Ok(int((self.0)().await.gql()?))
    }
}

/// A connection over a counted list.
pub type CountedConnection<T> = Connection<String, T, Counted>;

/// The connection of `page`, each item wrapped as its API type.
pub fn counted<T, U: OutputType>(page: Page<T>, wrap: impl Fn(T) -> U, total: Counted) -> CountedConnection<U> {
    let mut connection = Connection::with_additional_fields(page.has_previous_page, page.has_next_page, total);
    connection.edges.extend(page.items.into_iter().map(|(cursor, item)| Edge::new(cursor, wrap(item))));
    connection
}
