//! Account mutations: register, sign in and out, refresh, change password, and staff
//! management for admins.

use async_graphql::{Context, ID, InputObject, Object, Result};

use super::types::{AuthPayload, PasswordChangePayload, Role, StaffInvitePayload, TokenRevokePayload, User, UserPayload};
use crate::access::{allow, viewer};
use crate::error::{ApiError, ResultExt, failed, with_user_errors};
use crate::ids::{NodeType, decode_as};
use crate::limits::limit;
use stockade_domain::accounts::{AccountService, ClientInfo};
use stockade_domain::error::Error;
use stockade_domain::ratelimit::Tier;

#[derive(InputObject)]
pub struct AccountRegisterInput {
    pub email: String,
    /// At least 10 characters; not a common password; not containing the email.
    pub password: String,
    pub name: String,
}

#[derive(InputObject)]
pub struct StaffCreateInput {
    pub email: String,
    pub name: String,
    pub password: String,
    #[graphql(default_with = "Role::Staff")]
    pub role: Role,
}

#[derive(InputObject)]
pub struct StaffInviteInput {
    pub email: String,
    pub name: String,
    #[graphql(default_with = "Role::Staff")]
    pub role: Role,
}

fn accounts<'a>(ctx: &'a Context<'_>) -> &'a AccountService {
    ctx.data_unchecked::<AccountService>()
}

fn client(ctx: &Context<'_>) -> ClientInfo {
    ctx.data_opt::<ClientInfo>().cloned().unwrap_or_default()
}

with_user_errors!(AuthPayload, TokenRevokePayload, PasswordChangePayload, UserPayload, StaffInvitePayload);

#[derive(Default)]
pub struct AccountMutation;

#[Object]
impl AccountMutation {
    /// Creates a customer account and signs it in.
    #[graphql(guard = "allow(\"Mutation.accountRegister\")")]
    async fn account_register(&self, ctx: &Context<'_>, input: AccountRegisterInput) -> Result<AuthPayload> {
        limit(ctx, Tier::Auth, Some(&input.email.trim().to_lowercase())).await?;
        match accounts(ctx).register(&input.email, &input.password, &input.name, &client(ctx)).await {
            Ok(signed_in) => Ok(signed_in.into()),
            Err(e) => failed(e, Some("input")),
        }
    }

    /// Signs in. Repeated failures slow the answers down, then refuse the account (or
    /// the IP) for a while: the error says when to retry.
    #[graphql(guard = "allow(\"Mutation.tokenCreate\")")]
    async fn token_create(
        &self,
        ctx: &Context<'_>,
        email: String,
        password: String,
        #[graphql(desc = "A guest cart to merge into the customer's cart on success.")] guest_cart: Option<crate::commerce::GuestCartInput>,
    ) -> Result<AuthPayload> {
        limit(ctx, Tier::Auth, Some(&email.trim().to_lowercase())).await?;
        let signed_in = match accounts(ctx).sign_in(&email, &password, &client(ctx)).await {
            Ok(signed_in) => signed_in,
            Err(e) => return failed(e, None),
        };
        let mut payload: AuthPayload = signed_in.clone().into();
        if let Some(guest) = guest_cart {
            let carts = ctx.data_unchecked::<stockade_domain::checkout::CartService>();
            let actor = stockade_domain::actor::Actor::Customer { user_id: signed_in.user.id };
            let merged = match crate::ids::decode_as(&guest.id, NodeType::Cart, "guestCart.id") {
                Ok(cart_id) => {
                    let access = stockade_domain::checkout::CartAccess { cart_id, token: Some(guest.token), customer_id: None };
                    carts.merge(&access, signed_in.user.id, actor).await.map(|_| ())
                }
                Err(ApiError(e)) => Err(e),
            };
            // Signed in either way; say why the cart could not be merged.
            if let Err(e) = merged {
                payload.user_errors.push(crate::error::user_error(e, Some("guestCart"))?);
            }
        }
        Ok(payload)
    }

    /// Exchanges a refresh token for new tokens. An unknown, expired or reused token is
    /// UNAUTHENTICATED; reuse also signs out the session it belonged to.
    #[graphql(guard = "allow(\"Mutation.tokenRefresh\")")]
    async fn token_refresh(&self, ctx: &Context<'_>, refresh_token: String) -> Result<AuthPayload> {
        limit(ctx, Tier::Auth, None).await?;
        Ok(accounts(ctx).refresh(&refresh_token).await.gql()?.into())
    }

    /// Signs out: the session of `refreshToken`, or without it the session of the
    /// access token in use.
    #[graphql(guard = "allow(\"Mutation.tokenRevoke\")")]
    async fn token_revoke(&self, ctx: &Context<'_>, refresh_token: Option<String>) -> Result<TokenRevokePayload> {
        let revoked = match (refresh_token, viewer(ctx).signed_in()) {
            (Some(token), _) => accounts(ctx).revoke_refresh_token(&token).await.gql()?,
            (None, Some(who)) => accounts(ctx).revoke_session(&who.session_id, "sign_out").await.gql()?,
            (None, None) => return Err(ApiError(Error::unauthenticated("pass `refreshToken` or sign in"))).gql(),
        };
        Ok(TokenRevokePayload { revoked, user_errors: Vec::new() })
    }

    /// Changes your password; your other sessions are signed out.
    #[graphql(guard = "allow(\"Mutation.passwordChange\")")]
    async fn password_change(&self, ctx: &Context<'_>, current_password: String, new_password: String) -> Result<PasswordChangePayload> {
        let who = viewer(ctx).signed_in().cloned().ok_or_else(|| Error::unauthenticated("sign in first")).map_err(ApiError).gql()?;
        limit(ctx, Tier::Auth, Some(&format!("user:{}", who.user_id))).await?;
        match accounts(ctx).change_password(&who, &current_password, &new_password).await {
            Ok(user) => Ok(PasswordChangePayload { user: Some(User(user)), user_errors: Vec::new() }),
            Err(e) => failed(e, None),
        }
    }

    /// Accepts a staff invitation by setting a password; signs in.
    #[graphql(guard = "allow(\"Mutation.staffInviteAccept\")")]
    async fn staff_invite_accept(&self, ctx: &Context<'_>, token: String, password: String) -> Result<AuthPayload> {
        limit(ctx, Tier::Auth, None).await?;
        match accounts(ctx).accept_invite(&token, &password, &client(ctx)).await {
            Ok(signed_in) => Ok(signed_in.into()),
            Err(e) => failed(e, None),
        }
    }

    /// Creates a staff (or admin) account with a password (admins).
    #[graphql(guard = "allow(\"Mutation.staffCreate\")")]
    async fn staff_create(&self, ctx: &Context<'_>, input: StaffCreateInput) -> Result<UserPayload> {
        if input.role == Role::Customer {
            return failed(Error::invalid("role", "staff accounts need the STAFF or ADMIN role"), Some("input"));
        }
        match accounts(ctx).create_user(&input.email, &input.password, &input.name, input.role.into()).await {
            Ok(user) => Ok(UserPayload { user: Some(User(user)), user_errors: Vec::new() }),
            Err(e) => failed(e, Some("input")),
        }
    }

    /// Invites staff: returns a one-time token the invitee accepts with
    /// `staffInviteAccept` (admins).
    #[graphql(guard = "allow(\"Mutation.staffInvite\")")]
    async fn staff_invite(&self, ctx: &Context<'_>, input: StaffInviteInput) -> Result<StaffInvitePayload> {
        if input.role == Role::Customer {
            return failed(Error::invalid("role", "staff accounts need the STAFF or ADMIN role"), Some("input"));
        }
        match accounts(ctx).invite(&input.email, &input.name, input.role.into()).await {
            Ok((user, token, expires)) => Ok(StaffInvitePayload {
                user: Some(User(user)),
                invite_token: Some(token),
                invite_expires_at: Some(expires),
                user_errors: Vec::new(),
            }),
            Err(e) => failed(e, Some("input")),
        }
    }

    /// Changes someone's role (admins). The last admin cannot be demoted.
    #[graphql(guard = "allow(\"Mutation.userRoleSet\")")]
    async fn user_role_set(&self, ctx: &Context<'_>, user_id: ID, role: Role, expected_version: i32) -> Result<UserPayload> {
        let id = match decode_as(&user_id, NodeType::User, "userId") {
            Ok(id) => id,
            Err(ApiError(e)) => return failed(e, None),
        };
        match accounts(ctx).set_role(id, role.into(), i64::from(expected_version)).await {
            Ok(user) => Ok(UserPayload { user: Some(User(user)), user_errors: Vec::new() }),
            Err(e) => {
                let current = accounts(ctx).users_by_ids(&[id]).await.gql()?.remove(&id).map(User);
                let mut payload: UserPayload = failed(e, None)?;
                payload.user = current;
                Ok(payload)
            }
        }
    }
}
