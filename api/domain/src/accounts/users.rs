//! Accounts staff manage: creating users, invitations, roles, the user listing, and
//! what operators do from the command line (ending a lockout, resetting a password).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect};

use super::model::{ClientInfo, Email, Role, User, UserStatus, parse_name};
use super::password;
use super::throttle::LoginThrottle;
use super::tokens::{random_token, token_hash};
use crate::db::OnUniqueViolation;
use crate::entity::{session, user};
use crate::error::{Error, Result};
use crate::pagination::{Page, PageRequest, encode_cursor};

use super::service::{AccountService, PasswordReset, SignIn, Unlocked, UserFilter, chrono_duration, taken_email};

impl AccountService {
    /// Creates an active account with a password (first admin, staff created by an admin).
    #[tracing::instrument(skip_all)]
    pub async fn create_user(&self, email: &str, password: &str, name: &str, role: Role) -> Result<User> {
        let email = Email::parse(email)?;
        let name = parse_name(name, "name")?;
        password::check_rules(password, Some(&email))?;
        let hash = password::hash(password.to_owned()).await?;
        self.insert_user(email, Some(hash), name, role, UserStatus::Active, None).await
    }

    /// Invites staff: the account exists (so the email is reserved) but can only be
    /// used once the invitee sets a password with the returned one-time token.
    #[tracing::instrument(skip_all)]
    pub async fn invite(&self, email: &str, name: &str, role: Role) -> Result<(User, String, DateTime<Utc>)> {
        let email = Email::parse(email)?;
        let name = parse_name(name, "name")?;
        let token = random_token(32)?;
        let expires = Utc::now() + chrono_duration(self.policy.invite_ttl);
        let user = self.insert_user(email, None, name, role, UserStatus::Invited, Some((token_hash(&token), expires))).await?;
        Ok((user, token, expires))
    }

    async fn insert_user(
        &self,
        email: Email,
        hash: Option<String>,
        name: String,
        role: Role,
        status: UserStatus,
        invite: Option<(String, DateTime<Utc>)>,
    ) -> Result<User> {
        let now = Utc::now();
        let txn = self.db.begin_write().await?;
        let inserted = user::Entity::insert(user::ActiveModel {
            email: Set(email.to_string()),
            password_hash: Set(hash),
            name: Set(name),
            role: Set(role.as_str().into()),
            status: Set(status.as_str().into()),
            invite_token_hash: Set(invite.as_ref().map(|(h, _)| h.clone())),
            invite_expires_at: Set(invite.map(|(_, e)| e)),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .exec_with_returning(&*txn)
        .await
        .on_unique_violation("users.email", taken_email)?;
        txn.commit().await?;
        User::try_from(inserted)
    }

    /// Accepts an invitation: sets the password, activates the account, signs in.
    #[tracing::instrument(skip_all)]
    pub async fn accept_invite(&self, token: &str, password: &str, client: &ClientInfo) -> Result<SignIn> {
        let hash = token_hash(token);
        let now = Utc::now();
        let invalid = || Error::invalid("token", "this invitation is not valid or has expired; ask an admin for a new one");
        let model =
            user::Entity::find().filter(user::Column::InviteTokenHash.eq(hash.as_str())).one(self.db.conn()).await?.ok_or_else(invalid)?;
        if model.status != UserStatus::Invited.as_str() || model.invite_expires_at.is_none_or(|e| e <= now) {
            return Err(invalid());
        }
        let email = Email::parse(&model.email)?;
        password::check_rules(password, Some(&email))?;
        let phc = password::hash(password.to_owned()).await?;
        let txn = self.db.begin_write().await?;
        let accepted = user::Entity::update_many()
            .col_expr(user::Column::PasswordHash, Expr::val(phc))
            .col_expr(user::Column::Status, Expr::val(UserStatus::Active.as_str()))
            .col_expr(user::Column::InviteTokenHash, Expr::val(Option::<String>::None))
            .col_expr(user::Column::InviteExpiresAt, Expr::val(Option::<DateTime<Utc>>::None))
            .col_expr(user::Column::Version, Expr::col(user::Column::Version).add(1))
            .col_expr(user::Column::UpdatedAt, Expr::val(now))
            .filter(user::Column::Id.eq(model.id))
            .filter(user::Column::InviteTokenHash.eq(hash.as_str()))
            .filter(user::Column::Status.eq(UserStatus::Invited.as_str()))
            .exec(&*txn)
            .await?
            .rows_affected
            == 1;
        if !accepted {
            return Err(invalid());
        }
        let user = User::try_from(user::Entity::find_by_id(model.id).one(&*txn).await?.ok_or_else(invalid)?)?;
        let tokens = self.open_session(&txn, &user, client).await?;
        txn.commit().await?;
        Ok(SignIn { user, tokens })
    }

    /// Changes a user's role, if `expected_version` is current. The last active admin
    /// cannot be demoted.
    #[tracing::instrument(skip(self))]
    pub async fn set_role(&self, user_id: i64, role: Role, expected_version: i64) -> Result<User> {
        let txn = self.db.begin_write().await?;
        let current = user::Entity::find_by_id(user_id).one(&*txn).await?.ok_or_else(|| Error::not_found("user", "userId"))?;
        if current.role == Role::Admin.as_str() && role != Role::Admin {
            // Lock the admin rows so two admins cannot demote each other at once.
            let mut admins = user::Entity::find()
                .filter(user::Column::Role.eq(Role::Admin.as_str()))
                .filter(user::Column::Status.eq(UserStatus::Active.as_str()));
            if self.db.is_postgres() {
                admins = admins.lock_exclusive();
            }
            if admins.all(&*txn).await?.len() <= 1 {
                return Err(Error::invalid("role", "this is the last admin; make someone else admin first"));
            }
        }
        let changed = user::Entity::update_many()
            .col_expr(user::Column::Role, Expr::val(role.as_str()))
            .col_expr(user::Column::Version, Expr::col(user::Column::Version).add(1))
            .col_expr(user::Column::UpdatedAt, Expr::val(Utc::now()))
            .filter(user::Column::Id.eq(user_id))
            .filter(user::Column::Version.eq(expected_version))
            .exec(&*txn)
            .await?
            .rows_affected
            == 1;
        let now = user::Entity::find_by_id(user_id).one(&*txn).await?.ok_or_else(|| Error::not_found("user", "userId"))?;
        if !changed {
            return Err(Error::stale("user", expected_version, i64::from(now.version)));
        }
        txn.commit().await?;
        User::try_from(now)
    }

    /// Ends the sign-in lockout of the account with `email` and forgets its failed
    /// sign-ins (an operator's command, e.g. for a locked-out admin). An unknown email
    /// is `NotFound`; failures counted against an IP stay.
    #[tracing::instrument(skip_all)]
    pub async fn unlock(&self, email: &str) -> Result<Unlocked> {
        let email = Email::parse(email)?;
        let txn = self.db.begin_write().await?;
        let user = User::try_from(find_by_email(&*txn, &email).await?)?;
        let was_locked = LoginThrottle::clear_account(&*txn, &email).await?;
        txn.commit().await?;
        tracing::info!(user_id = user.id, was_locked, "sign-in lockout cleared by an operator");
        Ok(Unlocked { user, was_locked })
    }

    /// Sets a new password for the account with `email` without asking for the current
    /// one (an operator's reset), signs out every session of the account so its refresh
    /// and access tokens stop working, and ends its sign-in lockout, in one transaction.
    /// The password must meet the rules. An unknown email is `NotFound`; an invited
    /// account has no password to reset (accepting the invitation sets it). On any
    /// error nothing changes.
    #[tracing::instrument(skip_all)]
    pub async fn reset_password(&self, email: &str, new: &str) -> Result<PasswordReset> {
        let email = Email::parse(email)?;
        let model = find_by_email(self.db.conn(), &email).await?;
        if model.status == UserStatus::Invited.as_str() {
            return Err(Error::invalid(
                "email",
                "this account has not accepted its invitation yet, so it has no password to reset; the invitee sets one with staffInviteAccept",
            ));
        }
        password::check_rules(new, Some(&email))?;
        let hash = password::hash(new.to_owned()).await?;
        let now = Utc::now();
        let txn = self.db.begin_write().await?;
        let changed = user::Entity::update_many()
            .col_expr(user::Column::PasswordHash, Expr::val(hash))
            .col_expr(user::Column::Version, Expr::col(user::Column::Version).add(1))
            .col_expr(user::Column::UpdatedAt, Expr::val(now))
            .filter(user::Column::Id.eq(model.id))
            .filter(user::Column::Status.ne(UserStatus::Invited.as_str()))
            .exec(&*txn)
            .await?
            .rows_affected
            == 1;
        if !changed {
            return Err(Error::not_found("user", "email"));
        }
        let sessions_revoked = session::Entity::update_many()
            .col_expr(session::Column::RevokedAt, Expr::val(now))
            .col_expr(session::Column::RevokedReason, Expr::val("password_reset"))
            .filter(session::Column::UserId.eq(model.id))
            .filter(session::Column::RevokedAt.is_null())
            .exec(&*txn)
            .await?
            .rows_affected;
        let was_locked = LoginThrottle::clear_account(&*txn, &email).await?;
        let user = User::try_from(user::Entity::find_by_id(model.id).one(&*txn).await?.ok_or_else(|| Error::not_found("user", "email"))?)?;
        txn.commit().await?;
        tracing::info!(user_id = user.id, sessions_revoked, was_locked, "password reset by an operator");
        Ok(PasswordReset { user, sessions_revoked, was_locked })
    }

    pub async fn users_by_ids(&self, ids: &[i64]) -> Result<HashMap<i64, User>> {
        let models = user::Entity::find().filter(user::Column::Id.is_in(ids.iter().copied())).all(self.db.conn()).await?;
        models.into_iter().map(|m| User::try_from(m).map(|u| (u.id, u))).collect()
    }

    /// Users, newest first.
    pub async fn list_users(&self, filter: &UserFilter, page: &PageRequest) -> Result<Page<User>> {
        let q = users_matching(filter)?;
        let rows = crate::pagination::newest_first(q, user::Column::Id, page)?.all(self.db.conn()).await?;
        let items = rows.into_iter().map(|m| User::try_from(m).map(|u| (encode_cursor(&u.id), u))).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_rows(page, items))
    }

    /// How many accounts match `filter` in all.
    pub async fn count_users(&self, filter: &UserFilter) -> Result<u64> {
        Ok(users_matching(filter)?.count(self.db.conn()).await?)
    }

    /// How many active admins exist (the CLI refuses to create a second first admin by accident).
    pub async fn admin_count(&self) -> Result<u64> {
        Ok(user::Entity::find()
            .filter(user::Column::Role.eq(Role::Admin.as_str()))
            .filter(user::Column::Status.eq(UserStatus::Active.as_str()))
            .count(self.db.conn())
            .await?)
    }
}

/// The account with `email` (stored normalised, as `Email` is), or `NotFound`.
async fn find_by_email(conn: &impl sea_orm::ConnectionTrait, email: &Email) -> Result<user::Model> {
    user::Entity::find().filter(user::Column::Email.eq(email.as_str())).one(conn).await?.ok_or_else(|| Error::not_found("user", "email"))
}

/// The accounts `filter` selects, unordered and unpaged.
fn users_matching(filter: &UserFilter) -> Result<sea_orm::Select<user::Entity>> {
    let mut q = user::Entity::find();
    if !filter.roles.is_empty() {
        q = q.filter(user::Column::Role.is_in(filter.roles.iter().map(|r| r.as_str())));
    }
    if let Some(search) = filter.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        if search.chars().count() > 100 {
            return Err(Error::invalid("search", "search text is too long (at most 100 characters)"));
        }
        let pattern = format!("%{}%", search.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
        q = q.filter(
            sea_orm::Condition::any()
                .add(Expr::col(user::Column::Email).like(sea_orm::sea_query::LikeExpr::new(pattern.clone()).escape('\\')))
                .add(
                    Expr::expr(sea_orm::sea_query::Func::lower(Expr::col(user::Column::Name)))
                        .like(sea_orm::sea_query::LikeExpr::new(pattern).escape('\\')),
                ),
        );
    }
    Ok(q)
}
