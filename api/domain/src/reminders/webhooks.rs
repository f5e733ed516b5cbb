//! Outgoing webhooks: rows of `webhook_deliveries`, written in the transaction of what
//! they report and posted by a background pass, signed, retried with backoff until
//! answered 2xx or given up; the rows are the delivery log.
//!
//! Several instances may run the pass: a row is claimed with a guarded update that
//! moves its next attempt a lease ahead, so one instance posts it at a time; a post
//! whose outcome is lost (the instance died) is posted again when the lease ends.
//! Receivers get the row id in `Stockade-Delivery` to drop repeats.

use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::db::Database;
use crate::entity::webhook_delivery;
use crate::error::{Error, Result};
use crate::pagination::{Page, PageRequest, encode_cursor};
use crate::settings::Secret;

/// A post is given this long to be answered.
const POST_TIMEOUT: Duration = Duration::from_secs(10);
/// A claimed row is not claimed again before this (longer than a post can take).
const LEASE: Duration = Duration::from_secs(60);
/// Retries wait 30 s, 1 min, 2 min... doubling up to this.
const MAX_BACKOFF: Duration = Duration::from_secs(6 * 3600);
/// Posts under way at once in one pass.
const CONCURRENT_POSTS: usize = 8;
/// What is kept of a failure's description.
const MAX_ERROR_CHARS: usize = 300;

/// Where a delivery stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeliveryStatus {
    /// Not answered 2xx yet; tried again at `next_attempt_at`.
    Pending,
    Delivered,
    /// Given up after the most attempts.
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "pending" => DeliveryStatus::Pending,
            "delivered" => DeliveryStatus::Delivered,
            "failed" => DeliveryStatus::Failed,
            other => return Err(Error::Internal(anyhow::anyhow!("unknown webhook delivery status in database: {other}"))),
        })
    }
}

/// One outgoing webhook as the delivery log shows it (the body is not shown: it names
/// a shopper).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    pub id: i64,
    pub topic: String,
    pub reference: String,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<webhook_delivery::Model> for Delivery {
    type Error = Error;

    fn try_from(row: webhook_delivery::Model) -> Result<Self> {
        let status = DeliveryStatus::parse(&row.status)?;
        Ok(Delivery {
            id: row.id,
            topic: row.topic,
            reference: row.reference,
            status,
            attempts: row.attempts,
            next_attempt_at: (status == DeliveryStatus::Pending).then_some(row.next_attempt_at),
            last_attempt_at: row.last_attempt_at,
            last_status: row.last_status,
            last_error: row.last_error,
            delivered_at: row.delivered_at,
            created_at: row.created_at,
        })
    }
}

/// What one delivery pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    pub delivered: usize,
    pub retrying: usize,
    pub failed: usize,
}

impl std::fmt::Display for DeliveryReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} delivered, {} to retry, {} given up", self.delivered, self.retrying, self.failed)
    }
}

impl crate::periodic::PassOutcome for DeliveryReport {
    fn is_nothing(&self) -> bool {
        *self == DeliveryReport::default()
    }
}

/// How a post went.
enum Posted {
    Answered(u16),
    NotAnswered(String),
}

type HttpsClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>;

/// Posts pending deliveries. `finish` turns a stored payload into the body sent (it
/// adds what must not be stored, such as a recovery link).
#[derive(Clone)]
pub(super) struct Sender {
    db: Database,
    client: HttpsClient,
    secret: Secret<String>,
    max_attempts: u32,
}

impl Sender {
    pub fn new(db: Database, secret: Secret<String>, max_attempts: u32) -> Result<Self> {
        let https = hyper_rustls::HttpsConnectorBuilder::new().with_webpki_roots().https_or_http().enable_http1().build();
        let client = Client::builder(TokioExecutor::new()).pool_idle_timeout(Duration::from_secs(30)).build(https);
        Ok(Sender { db, client, secret, max_attempts })
    }

    /// Posts up to `batch` deliveries due at `now`, each at most once.
    pub async fn deliver_due(
        &self,
        now: DateTime<Utc>,
        batch: u64,
        finish: impl Fn(&webhook_delivery::Model) -> Result<String>,
    ) -> Result<DeliveryReport> {
        let due = webhook_delivery::Entity::find()
            .filter(webhook_delivery::Column::Status.eq(DeliveryStatus::Pending.as_str()))
            .filter(webhook_delivery::Column::NextAttemptAt.lte(now))
            .order_by_asc(webhook_delivery::Column::NextAttemptAt)
            .limit(batch)
            .all(self.db.conn())
            .await?;
        let finish = &finish;
        // Posted a few at a time: a receiver that answers slowly (or not at all, until
        // the timeout) holds up one slot, not the whole pass.
        let outcomes: Vec<Result<Option<DeliveryStatus>>> =
            futures::stream::iter(due).map(|row| self.attempt(row, now, finish)).buffer_unordered(CONCURRENT_POSTS).collect().await;
        let mut report = DeliveryReport::default();
        for outcome in outcomes {
            match outcome? {
                Some(DeliveryStatus::Delivered) => report.delivered += 1,
                Some(DeliveryStatus::Pending) => report.retrying += 1,
                Some(DeliveryStatus::Failed) => report.failed += 1,
                None => {}
            }
        }
        Ok(report)
    }

    /// Claims `row` (unless another instance did), posts it and records how it went;
    /// returns where it now stands, or `None` if it was not ours to post.
    async fn attempt(
        &self,
        row: webhook_delivery::Model,
        now: DateTime<Utc>,
        finish: &impl Fn(&webhook_delivery::Model) -> Result<String>,
    ) -> Result<Option<DeliveryStatus>> {
        let lease_until = now + chrono::Duration::from_std(LEASE).unwrap_or_default();
        let claimed = webhook_delivery::Entity::update_many()
            .col_expr(webhook_delivery::Column::NextAttemptAt, Expr::val(lease_until))
            .col_expr(webhook_delivery::Column::Attempts, Expr::col(webhook_delivery::Column::Attempts).add(1))
            .col_expr(webhook_delivery::Column::LastAttemptAt, Expr::val(now))
            .filter(webhook_delivery::Column::Id.eq(row.id))
            .filter(webhook_delivery::Column::Status.eq(DeliveryStatus::Pending.as_str()))
            .filter(webhook_delivery::Column::NextAttemptAt.eq(row.next_attempt_at))
            .exec(self.db.conn())
            .await?
            .rows_affected
            == 1;
        if !claimed {
            return Ok(None); // another instance has it
        }
        let attempts = row.attempts + 1;
        let posted = match finish(&row) {
            Ok(body) => self.post(&row, body).await,
            Err(e) => Posted::NotAnswered(format!("the body could not be made: {e}")),
        };
        let (status, last_status, error) = match posted {
            Posted::Answered(code) if (200..300).contains(&code) => (DeliveryStatus::Delivered, Some(code), None),
            Posted::Answered(code) => (self.after_failure(attempts), Some(code), Some(format!("answered HTTP {code}"))),
            Posted::NotAnswered(why) => (self.after_failure(attempts), None, Some(why)),
        };
        let mut update = webhook_delivery::Entity::update_many()
            .col_expr(webhook_delivery::Column::Status, Expr::val(status.as_str()))
            .col_expr(webhook_delivery::Column::LastStatus, Expr::val(last_status.map(i32::from)))
            .col_expr(webhook_delivery::Column::LastError, Expr::val(error.map(|e| e.chars().take(MAX_ERROR_CHARS).collect::<String>())))
            .filter(webhook_delivery::Column::Id.eq(row.id))
            .filter(webhook_delivery::Column::Status.eq(DeliveryStatus::Pending.as_str()));
        update = match status {
            DeliveryStatus::Delivered => update.col_expr(webhook_delivery::Column::DeliveredAt, Expr::val(Utc::now())),
            DeliveryStatus::Pending => update.col_expr(webhook_delivery::Column::NextAttemptAt, Expr::val(Utc::now() + backoff(attempts))),
            DeliveryStatus::Failed => update,
        };
        update.exec(self.db.conn()).await?;
        Ok(Some(status))
    }

    fn after_failure(&self, attempts: i32) -> DeliveryStatus {
        if attempts >= i32::try_from(self.max_attempts).unwrap_or(i32::MAX) { DeliveryStatus::Failed } else { DeliveryStatus::Pending }
    }

    async fn post(&self, row: &webhook_delivery::Model, body: String) -> Posted {
        let signature = crate::signing::sign(body.as_bytes(), self.secret.expose(), Utc::now().timestamp());
        let request = hyper::Request::post(row.url.as_str())
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .header(hyper::header::USER_AGENT, concat!("Stockade-Webhooks/", env!("CARGO_PKG_VERSION")))
            .header("Stockade-Signature", signature)
            .header("Stockade-Delivery", row.id.to_string())
            .header("Stockade-Topic", row.topic.as_str())
            .body(Full::new(Bytes::from(body)));
        let request = match request {
            Ok(r) => r,
            Err(e) => return Posted::NotAnswered(format!("the request could not be made: {e}")),
        };
        match tokio::time::timeout(POST_TIMEOUT, self.client.request(request)).await {
            Ok(Ok(response)) => Posted::Answered(response.status().as_u16()),
            // The error names the failure (refused, TLS, DNS); never the URL's credentials.
            Ok(Err(e)) => Posted::NotAnswered(describe(&e)),
            Err(_) => Posted::NotAnswered(format!("no answer within {} s", POST_TIMEOUT.as_secs())),
        }
    }
}

fn describe(e: &hyper_util::client::legacy::Error) -> String {
    let mut out = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// The wait after `attempts` failed attempts: 30 s doubling, at most [`MAX_BACKOFF`].
pub(super) fn backoff(attempts: i32) -> chrono::Duration {
    let exp = Ord::min(u32::try_from(attempts.saturating_sub(1)).unwrap_or(0), 20);
    let secs = Ord::min(30u64.saturating_mul(1 << exp), MAX_BACKOFF.as_secs());
    chrono::Duration::seconds(i64::try_from(secs).unwrap_or(i64::MAX))
}

/// The delivery log, newest first, optionally of one status.
pub(super) async fn list(db: &Database, status: Option<DeliveryStatus>, page: &PageRequest) -> Result<Page<Delivery>> {
    let mut q = webhook_delivery::Entity::find();
    if let Some(s) = status {
        q = q.filter(webhook_delivery::Column::Status.eq(s.as_str()));
    }
    let rows = crate::pagination::newest_first(q, webhook_delivery::Column::Id, page)?.all(db.read_conn()).await?;
    let items = rows.into_iter().map(|r| Ok((encode_cursor(&r.id), Delivery::try_from(r)?))).collect::<Result<Vec<_>>>()?;
    Ok(Page::from_rows(page, items))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff(1), chrono::Duration::seconds(30));
        assert_eq!(backoff(2), chrono::Duration::seconds(60));
        assert_eq!(backoff(5), chrono::Duration::seconds(480));
        assert_eq!(backoff(40), chrono::Duration::hours(6));
    }
}
