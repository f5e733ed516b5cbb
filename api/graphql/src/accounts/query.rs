//! Account queries: the viewer's own account, and the user list for admins.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, InputObject, Object, Result};

use super::types::{Role, User};
use crate::access::{allow, viewer};
use crate::error::ResultExt;
use stockade_domain::accounts::{AccountService, UserFilter};
use stockade_domain::pagination::PageRequest;

#[derive(InputObject, Default)]
pub struct UsersFilter {
    pub roles: Option<Vec<Role>>,
    /// Part of the email or name.
    pub search: Option<String>,
}

#[derive(Default)]
pub struct AccountQuery;

#[Object]
impl AccountQuery {
    /// The signed-in user.
    #[graphql(guard = "allow(\"Query.me\")")]
    async fn me(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let Some(who) = viewer(ctx).signed_in() else { return Ok(None) };
        let mut found = ctx.data_unchecked::<AccountService>().users_by_ids(&[who.user_id]).await.gql()?;
        Ok(found.remove(&who.user_id).map(User))
    }

    /// Every account, newest first (admins).
    #[graphql(guard = "allow(\"Query.users\")", complexity = "crate::catalog::page_cost(first, last, child_complexity)")]
    async fn users(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        filter: Option<UsersFilter>,
    ) -> Result<Connection<String, User>> {
        let max = ctx.data_unchecked::<std::sync::Arc<crate::settings::GraphqlLimits>>().max_page_size;
        let page = PageRequest::new(first, after, last, before, max).gql()?;
        let filter = filter.unwrap_or_default();
        let filter = UserFilter { roles: filter.roles.unwrap_or_default().into_iter().map(Into::into).collect(), search: filter.search };
        let result = ctx.data_unchecked::<AccountService>().list_users(&filter, &page).await.gql()?;
        let mut connection = Connection::new(result.has_previous_page, result.has_next_page);
        connection.edges.extend(result.items.into_iter().map(|(c, u)| Edge::new(c, User(u))));
        Ok(connection)
    }
}
