//! Slowing, then refusing, repeated failed sign-ins, per account and per IP.
//!
//! Counters live in the database (`login_throttle`), so every instance sees the same
//! failures and a restart does not reset a lockout. Within a window, each failure past
//! `slow_after` delays the next answer a little more; at `lock_after` the key is
//! refused until the lockout ends, with an error saying when to retry. A successful
//! sign-in clears the account's counter (not the IP's).

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::model::Email;
use crate::db::{Database, statement};
use crate::entity::login_throttle;
use crate::error::{Error, Result};

/// Thresholds for one kind of key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Failures in a window before answers are slowed.
    pub slow_after: i32,
    /// Failures in a window that lock the key.
    pub lock_after: i32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThrottlePolicy {
    pub account: Limits,
    pub ip: Limits,
    /// How long failures are counted for, and how long a lockout lasts.
    pub window: Duration,
    /// Added delay per failure past `slow_after`, capped at `max_delay`.
    pub step: Duration,
    pub max_delay: Duration,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        ThrottlePolicy {
            account: Limits { slow_after: 3, lock_after: 10 },
            ip: Limits { slow_after: 20, lock_after: 50 },
            window: Duration::from_secs(15 * 60),
            step: Duration::from_millis(250),
            max_delay: Duration::from_secs(2),
        }
    }
}

#[derive(Clone)]
pub struct LoginThrottle {
    db: Database,
    policy: ThrottlePolicy,
}

/// The throttle keys of an attempt and their kind.
fn keys(email: &Email, ip: Option<&str>) -> Vec<(String, &'static str)> {
    let mut keys = vec![(format!("account:{email}"), "account")];
    if let Some(ip) = ip {
        keys.push((format!("ip:{ip}"), "ip"));
    }
    keys
}

impl LoginThrottle {
    pub fn new(db: Database, policy: ThrottlePolicy) -> Self {
        LoginThrottle { db, policy }
    }

    fn limits(&self, kind: &str) -> Limits {
        if kind == "ip" { self.policy.ip } else { self.policy.account }
    }

    fn window_start(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - chrono::Duration::from_std(self.policy.window).unwrap_or_else(|_| chrono::Duration::minutes(15))
    }

    /// Before checking a password: refuses a locked account or IP, else says how long
    /// to delay the answer.
    pub async fn before_attempt(&self, email: &Email, ip: Option<&str>) -> Result<Duration> {
        let now = Utc::now();
        let keys = keys(email, ip);
        let rows = login_throttle::Entity::find()
            .filter(login_throttle::Column::Key.is_in(keys.iter().map(|(k, _)| k.clone())))
            .all(self.db.conn())
            .await?;
        let mut delay = Duration::ZERO;
        for row in rows {
            if let Some(until) = row.locked_until.filter(|u| *u > now) {
                let retry_after = (until - now).to_std().unwrap_or(Duration::from_secs(1));
                return Err(Error::TooManyAttempts { retry_after });
            }
            if row.window_started_at < self.window_start(now) {
                continue;
            }
            let kind = if row.key.starts_with("ip:") { "ip" } else { "account" };
            let over = row.failures - self.limits(kind).slow_after;
            if over > 0 {
                delay = delay.max((self.policy.step * over as u32).min(self.policy.max_delay));
            }
        }
        Ok(delay)
    }

    /// Counts a failed attempt against the account and the IP, locking whichever
    /// reaches its limit.
    pub async fn record_failure(&self, email: &Email, ip: Option<&str>) -> Result<()> {
        let now = Utc::now();
        let window_start = self.window_start(now);
        let locked_until = now + chrono::Duration::from_std(self.policy.window).unwrap_or_else(|_| chrono::Duration::minutes(15));
        let txn = self.db.begin_write().await?;
        for (key, kind) in keys(email, ip) {
            let lock_after = self.limits(kind).lock_after;
            // Count within the current window (or start a new one), lock at the limit.
            let sql = "INSERT INTO login_throttle (key, failures, window_started_at, locked_until) \
                       VALUES (?, 1, ?, CASE WHEN 1 >= ? THEN ? ELSE NULL END) \
                       ON CONFLICT (key) DO UPDATE SET \
                         failures = CASE WHEN login_throttle.window_started_at < ? THEN 1 ELSE login_throttle.failures + 1 END, \
                         locked_until = CASE WHEN (CASE WHEN login_throttle.window_started_at < ? THEN 1 ELSE login_throttle.failures + 1 END) >= ? \
                                             THEN ? ELSE login_throttle.locked_until END, \
                         window_started_at = CASE WHEN login_throttle.window_started_at < ? THEN excluded.window_started_at \
                                                  ELSE login_throttle.window_started_at END";
            let values = vec![
                key.into(),
                now.into(),
                lock_after.into(),
                locked_until.into(),
                window_start.into(),
                window_start.into(),
                lock_after.into(),
                locked_until.into(),
                window_start.into(),
            ];
            txn.execute_raw(statement(self.db.backend(), sql, values)).await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// Clears the account's failures after a successful sign-in.
    pub async fn record_success(&self, email: &Email) -> Result<()> {
        login_throttle::Entity::delete_many()
            .filter(login_throttle::Column::Key.eq(format!("account:{email}")))
            .exec(self.db.conn())
            .await?;
        Ok(())
    }

    /// Forgets the account's failures and ends its lockout, on `conn` (a transaction
    /// of the caller's, or the pool). Returns whether the account was locked out. The
    /// failures counted against an IP stay: they are not the account's.
    pub async fn clear_account(conn: &impl ConnectionTrait, email: &Email) -> Result<bool> {
        let key = format!("account:{email}");
        let row = login_throttle::Entity::find_by_id(key.clone()).one(conn).await?;
        if row.is_some() {
            login_throttle::Entity::delete_many().filter(login_throttle::Column::Key.eq(key)).exec(conn).await?;
        }
        Ok(row.and_then(|r| r.locked_until).is_some_and(|until| until > Utc::now()))
    }
}
