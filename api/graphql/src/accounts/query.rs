//! Account queries: the viewer's own account, and the user list for admins.

use crate::connection::{Counted, CountedConnection, counted, page_request};
use async_graphql::{Context, InputObject, Object, Result};

use super::types::{Role, User};
use crate::access::{allow, viewer};
use crate::error::ResultExt;
use stockade_domain::accounts::{AccountService, UserFilter};

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
    ) -> Result<CountedConnection<User>> {
        let page = page_request(ctx, first, after, last, before)?;
        let filter = filter.unwrap_or_default();
        let filter = UserFilter { roles: filter.roles.unwrap_or_default().into_iter().map(Into::into).collect(), search: filter.search };
        let accounts = ctx.data_unchecked::<AccountService>().clone();
        let result = accounts.list_users(&filter, &page).await.gql()?;
        let total = Counted::new(move || {
            let (accounts, filter) = (accounts.clone(), filter.clone());
            async move { accounts.count_users(&filter).await }
        });
        Ok(counted(result, User, total))
    }
}
