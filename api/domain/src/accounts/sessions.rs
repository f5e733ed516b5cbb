//! Signing in and staying signed in: registration, sign-in, token refresh with rotation
//! and reuse detection, sign-out, password changes, per-request authentication.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

use super::model::{ClientInfo, Email, Role, SignedIn, User, UserStatus, parse_name};
use super::password;
use super::tokens::{random_token, token_hash};
use crate::db::OnUniqueViolation;
use crate::entity::{refresh_token, session, user};
use crate::error::{Error, Result};

use super::service::{AccountService, SignIn, TokenPair, chrono_duration, taken_email};

/// What authenticating a request reads: session owner, revoked at, expires at, the
/// owner's role and status.
type SessionCheck = (i64, Option<DateTime<Utc>>, DateTime<Utc>, String, String);

impl AccountService {
    /// Creates a customer account and signs it in.
    #[tracing::instrument(skip_all)]
    pub async fn register(&self, email: &str, password: &str, name: &str, client: &ClientInfo) -> Result<SignIn> {
        let email = Email::parse(email)?;
        let name = parse_name(name, "name")?;
        password::check_rules(password, Some(&email))?;
        let hash = password::hash(password.to_owned()).await?;
        let now = Utc::now();
        let txn = self.db.begin_write().await?;
        let inserted = user::Entity::insert(user::ActiveModel {
            email: Set(email.to_string()),
            password_hash: Set(Some(hash)),
            name: Set(name),
            role: Set(Role::Customer.as_str().into()),
            status: Set(UserStatus::Active.as_str().into()),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .exec_with_returning(&*txn)
        .await
        .on_unique_violation("users.email", taken_email)?;
        let user = User::try_from(inserted)?;
        let tokens = self.open_session(&txn, &user, client).await?;
        txn.commit().await?;
        tracing::info!(user_id = user.id, "account registered");
        Ok(SignIn { user, tokens })
    }

    /// Signs in with email and password. Repeated failures slow the answers, then
    /// refuse the account or IP for a while.
    #[tracing::instrument(skip_all)]
    pub async fn sign_in(&self, email: &str, password: &str, client: &ClientInfo) -> Result<SignIn> {
        let email = Email::parse(email).map_err(|_| Error::InvalidCredentials)?;
        let delay = self.throttle.before_attempt(&email, client.ip.as_deref()).await?;
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        let found = user::Entity::find().filter(user::Column::Email.eq(email.as_str())).one(self.db.conn()).await?;
        let verified = match found.as_ref().filter(|u| u.status == UserStatus::Active.as_str()).and_then(|u| u.password_hash.clone()) {
            Some(phc) => password::verify(password.to_owned(), phc).await?,
            None => {
                password::burn_time(password.to_owned()).await;
                false
            }
        };
        let (true, Some(model)) = (verified, found) else {
            self.throttle.record_failure(&email, client.ip.as_deref()).await?;
            tracing::info!("sign-in refused: wrong email or password");
            return Err(Error::InvalidCredentials);
        };
        self.throttle.record_success(&email).await?;
        let user = User::try_from(model)?;
        let txn = self.db.begin_write().await?;
        let tokens = self.open_session(&txn, &user, client).await?;
        txn.commit().await?;
        Ok(SignIn { user, tokens })
    }

    /// Starts a session with its first refresh token, inside `txn`.
    pub(super) async fn open_session(&self, txn: &crate::db::WriteTxn, user: &User, client: &ClientInfo) -> Result<TokenPair> {
        let now = Utc::now();
        let session_id = uuid::Uuid::new_v4().to_string();
        session::Entity::insert(session::ActiveModel {
            id: Set(session_id.clone()),
            user_id: Set(user.id),
            created_at: Set(now),
            last_used_at: Set(now),
            expires_at: Set(now + chrono_duration(self.policy.session_ttl)),
            revoked_at: Set(None),
            revoked_reason: Set(None),
            user_agent: Set(client.user_agent.as_ref().map(|s| s.chars().take(255).collect())),
            ip: Set(client.ip.clone()),
        })
        .exec_without_returning(&**txn)
        .await?;
        self.issue_tokens(txn, user, &session_id, now + chrono_duration(self.policy.session_ttl)).await
    }

    /// A new refresh token in the session (expiring no later than the session) and a
    /// new access token.
    async fn issue_tokens(
        &self,
        txn: &crate::db::WriteTxn,
        user: &User,
        session_id: &str,
        session_expires: DateTime<Utc>,
    ) -> Result<TokenPair> {
        let now = Utc::now();
        let refresh = random_token(32)?;
        let refresh_expires_at = Ord::min(now + chrono_duration(self.policy.refresh_ttl), session_expires);
        refresh_token::Entity::insert(refresh_token::ActiveModel {
            session_id: Set(session_id.to_owned()),
            token_hash: Set(token_hash(&refresh)),
            created_at: Set(now),
            expires_at: Set(refresh_expires_at),
            used_at: Set(None),
            ..Default::default()
        })
        .exec_without_returning(&**txn)
        .await?;
        let (access_token, access_expires_at) = self.keys.issue(user.id, session_id, user.role, self.policy.access_ttl)?;
        Ok(TokenPair { access_token, access_expires_at, refresh_token: refresh, refresh_expires_at })
    }

    /// Exchanges a refresh token for new tokens. Each refresh token works once: using
    /// one again (a stolen copy, or a replay) signs out the whole session.
    #[tracing::instrument(skip_all)]
    pub async fn refresh(&self, token: &str) -> Result<SignIn> {
        let hash = token_hash(token);
        let now = Utc::now();
        let txn = self.db.begin_write().await?;
        // The guarded claim: only one caller can use a given token.
        let claimed = refresh_token::Entity::update_many()
            .col_expr(refresh_token::Column::UsedAt, Expr::val(now))
            .filter(refresh_token::Column::TokenHash.eq(hash.as_str()))
            .filter(refresh_token::Column::UsedAt.is_null())
            .filter(refresh_token::Column::ExpiresAt.gt(now))
            .exec(&*txn)
            .await?
            .rows_affected
            == 1;
        let Some(row) = refresh_token::Entity::find().filter(refresh_token::Column::TokenHash.eq(hash.as_str())).one(&*txn).await? else {
            return Err(Error::unauthenticated("the refresh token is not valid"));
        };
        if !claimed {
            if row.used_at.is_some() {
                drop(txn);
                self.revoke_session(&row.session_id, "refresh_token_reuse").await?;
                tracing::warn!(session = %row.session_id, "refresh token reused: session revoked");
                return Err(Error::unauthenticated(
                    "this refresh token was already used, so the session has been signed out; sign in again",
                ));
            }
            return Err(Error::unauthenticated("the refresh token has expired; sign in again"));
        }
        let sess = session::Entity::find_by_id(row.session_id.clone()).one(&*txn).await?;
        let Some(sess) = sess.filter(|s| s.revoked_at.is_none() && s.expires_at > now) else {
            return Err(Error::unauthenticated("the session has been signed out; sign in again"));
        };
        let Some(model) = user::Entity::find_by_id(sess.user_id).one(&*txn).await?.filter(|u| u.status == UserStatus::Active.as_str())
        else {
            return Err(Error::unauthenticated("the account is no longer active"));
        };
        let user = User::try_from(model)?;
        session::Entity::update_many()
            .col_expr(session::Column::LastUsedAt, Expr::val(now))
            .filter(session::Column::Id.eq(sess.id.as_str()))
            .exec(&*txn)
            .await?;
        let tokens = self.issue_tokens(&txn, &user, &sess.id, sess.expires_at).await?;
        txn.commit().await?;
        Ok(SignIn { user, tokens })
    }

    /// Signs out the session a refresh token belongs to. Unknown tokens are ignored
    /// (signing out twice is not an error).
    pub async fn revoke_refresh_token(&self, token: &str) -> Result<bool> {
        let row = refresh_token::Entity::find().filter(refresh_token::Column::TokenHash.eq(token_hash(token))).one(self.db.conn()).await?;
        match row {
            Some(row) => self.revoke_session(&row.session_id, "sign_out").await,
            None => Ok(false),
        }
    }

    /// Revokes a session (and with it its access and refresh tokens). Returns whether
    /// it was active.
    pub async fn revoke_session(&self, session_id: &str, reason: &str) -> Result<bool> {
        let txn = self.db.begin_write().await?;
        let revoked = session::Entity::update_many()
            .col_expr(session::Column::RevokedAt, Expr::val(Utc::now()))
            .col_expr(session::Column::RevokedReason, Expr::val(reason))
            .filter(session::Column::Id.eq(session_id))
            .filter(session::Column::RevokedAt.is_null())
            .exec(&*txn)
            .await?
            .rows_affected
            == 1;
        txn.commit().await?;
        Ok(revoked)
    }

    /// Changes the signed-in user's password and signs out their other sessions.
    #[tracing::instrument(skip_all, fields(user_id = who.user_id))]
    pub async fn change_password(&self, who: &SignedIn, current: &str, new: &str) -> Result<User> {
        let model =
            user::Entity::find_by_id(who.user_id).one(self.db.conn()).await?.ok_or_else(|| Error::unauthenticated("account not found"))?;
        let phc = model.password_hash.clone().ok_or(Error::InvalidCredentials)?;
        if !password::verify(current.to_owned(), phc).await? {
            return Err(Error::Invalid { field: Some("currentPassword".into()), message: "the current password is wrong".into() });
        }
        let email = Email::parse(&model.email)?;
        password::check_rules(new, Some(&email)).map_err(|e| match e {
            Error::WeakPassword { message } => Error::Invalid { field: Some("newPassword".into()), message },
            other => other,
        })?;
        if current == new {
            return Err(Error::invalid("newPassword", "the new password is the same as the current one"));
        }
        let hash = password::hash(new.to_owned()).await?;
        let now = Utc::now();
        let txn = self.db.begin_write().await?;
        user::Entity::update_many()
            .col_expr(user::Column::PasswordHash, Expr::val(hash))
            .col_expr(user::Column::Version, Expr::col(user::Column::Version).add(1))
            .col_expr(user::Column::UpdatedAt, Expr::val(now))
            .filter(user::Column::Id.eq(who.user_id))
            .exec(&*txn)
            .await?;
        session::Entity::update_many()
            .col_expr(session::Column::RevokedAt, Expr::val(now))
            .col_expr(session::Column::RevokedReason, Expr::val("password_changed"))
            .filter(session::Column::UserId.eq(who.user_id))
            .filter(session::Column::Id.ne(who.session_id.as_str()))
            .filter(session::Column::RevokedAt.is_null())
            .exec(&*txn)
            .await?;
        let updated = user::Entity::find_by_id(who.user_id).one(&*txn).await?.ok_or_else(|| Error::unauthenticated("account not found"))?;
        txn.commit().await?;
        User::try_from(updated)
    }

    /// Who an access token belongs to. Expired, forged or revoked tokens, and tokens
    /// of disabled accounts, are `Unauthenticated`. The role is read now, so role
    /// changes apply at once.
    pub async fn authenticate(&self, access_token: &str) -> Result<SignedIn> {
        let claims = self.keys.verify(access_token)?;
        let user_id: i64 = claims.sub.parse().map_err(|_| Error::unauthenticated("the access token is not valid"))?;
        let row: Option<SessionCheck> = session::Entity::find()
            .select_only()
            .column(session::Column::UserId)
            .column(session::Column::RevokedAt)
            .column(session::Column::ExpiresAt)
            .column_as(Expr::col((user::Entity, user::Column::Role)), "role")
            .column_as(Expr::col((user::Entity, user::Column::Status)), "status")
            .join(
                sea_orm::JoinType::InnerJoin,
                session::Entity::belongs_to(user::Entity).from(session::Column::UserId).to(user::Column::Id).into(),
            )
            .filter(session::Column::Id.eq(claims.sid.as_str()))
            .into_tuple()
            .one(self.db.conn())
            .await?;
        let Some((owner, revoked_at, expires_at, role, status)) = row else {
            return Err(Error::unauthenticated("the session no longer exists; sign in again"));
        };
        if owner != user_id || revoked_at.is_some() || expires_at <= Utc::now() {
            return Err(Error::unauthenticated("the session has been signed out; sign in again"));
        }
        if status != UserStatus::Active.as_str() {
            return Err(Error::unauthenticated("the account is no longer active"));
        }
        Ok(SignedIn { user_id, role: Role::parse(&role)?, session_id: claims.sid })
    }
}
