//! The reminder pass, the staff's view of abandoned carts, opt-outs and recovery.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder};
use serde_json::json;

use super::links::{LinkKey, device_hash};
use super::settings::RemindersConfig;
use super::webhooks::{self, Delivery, DeliveryReport, DeliveryStatus, Sender};
use crate::accounts::Email;
use crate::actor::Actor;
use crate::checkout::{CartService, CartStatus, Restored};
use crate::db::{Database, OnUniqueViolation, statement};
use crate::entity::{cart as cart_entity, cart_line, cart_recovery, cart_reminder, reminder_opt_out, webhook_delivery};
use crate::error::{Error, Result};
use crate::events::{self, Event, OutboxNotify};
use crate::money::{Currency, Money};
use crate::pagination::{Page, PageRequest, encode_cursor};

/// The topic of reminder webhooks.
pub const TOPIC: &str = "cart.reminder";
/// The outbox event of a reminder (aggregate `cart_reminder`, the cart's id, sequence =
/// the step): the unique sequence makes a second event for one step impossible.
pub const EVENT_TYPE: &str = "cart.reminder_sent";

/// Order statuses that count a cart as recovered: the order was paid.
const PAID: &str = "'paid', 'needs_attention', 'fulfilled', 'shipped', 'delivered', 'refunded'";

/// Which abandoned carts to list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AbandonedFilter {
    /// Idle past the first step with lines, or reminded.
    All,
    /// Idle past the first step, no reminder yet (no address, opted out, or not due).
    NotReminded,
    Reminded,
    /// Reminded, then paid for (itself or a cart its recovery link made).
    Recovered,
}

/// An abandoned cart as staff see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AbandonedCart {
    pub cart_id: i64,
    pub customer_id: Option<i64>,
    pub email: Option<String>,
    pub status: String,
    /// Last touched by the shopper.
    pub idle_since: DateTime<Utc>,
    pub lines: i64,
    pub units: i64,
    pub subtotal: Money,
    pub reminders_sent: i32,
    pub last_reminded_at: Option<DateTime<Utc>>,
    /// The paid order it became, if it did.
    pub recovered_order_id: Option<i64>,
}

/// Counts for the staff's overview, over reminders sent since a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AbandonedSummary {
    /// Carts idle past the first step with lines right now.
    pub abandoned_now: i64,
    /// Carts reminded in the window.
    pub reminded: i64,
    /// Of those, carts that became paid orders.
    pub recovered: i64,
    pub reminders_sent: i64,
}

impl AbandonedSummary {
    /// Recovered over reminded, 0 when nothing was reminded.
    pub fn recovery_rate(&self) -> f64 {
        if self.reminded == 0 { 0.0 } else { self.recovered as f64 / self.reminded as f64 }
    }
}

/// What one reminder pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReminderReport {
    pub reminders: usize,
    pub deliveries: DeliveryReport,
}

impl std::fmt::Display for ReminderReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} reminders written; webhooks: {}", self.reminders, self.deliveries)
    }
}

impl crate::periodic::PassOutcome for ReminderReport {
    fn is_nothing(&self) -> bool {
        *self == ReminderReport::default()
    }
}

#[derive(Clone)]
pub struct ReminderService {
    inner: Arc<Inner>,
}

struct Inner {
    db: Database,
    carts: CartService,
    config: RemindersConfig,
    notify: OutboxNotify,
    currency: Currency,
    /// Present when reminders are on (a webhook and its secret are configured).
    delivery: Option<(Sender, LinkKey)>,
}

#[derive(FromQueryResult)]
struct DueRow {
    id: i64,
    reminders_sent: i32,
    updated_at: DateTime<Utc>,
    email: String,
}

impl ReminderService {
    pub fn new(db: Database, carts: CartService, config: RemindersConfig, notify: OutboxNotify, currency: Currency) -> Result<Self> {
        let delivery = match (&config.webhook_url, &config.webhook_secret) {
            (Some(_), Some(secret)) => {
                Some((Sender::new(db.clone(), secret.clone(), config.max_attempts)?, LinkKey::derive(secret.expose())))
            }
            _ => None,
        };
        Ok(ReminderService { inner: Arc::new(Inner { db, carts, config, notify, currency, delivery }) })
    }

    pub fn config(&self) -> &RemindersConfig {
        &self.inner.config
    }

    /// Writes the reminders due at `now` (up to `batch` carts), then posts the webhooks
    /// due. A cart is due for step k once untouched for the k-th delay with fewer than k
    /// reminders sent, if it is active, has lines, has an address (its checkout email or
    /// its customer's) that did not opt out, and no recovery link of it was used. A cart
    /// due for several steps (the pass was off) gets only the latest: one message, never
    /// a burst. Each reminder is one transaction: the cart's step moves by a guarded
    /// update (so instances racing never send a step twice, and a cart touched
    /// meanwhile is left alone), with its reminder row, its outbox event and its webhook.
    pub async fn run_pass(&self, now: DateTime<Utc>, batch: u64) -> Result<ReminderReport> {
        let Some((sender, key)) = &self.inner.delivery else { return Ok(ReminderReport::default()) };
        let reminders = self.remind_due(now, batch).await?;
        if reminders > 0 {
            self.inner.notify.notify();
        }
        let deliveries = sender.deliver_due(Ord::max(now, Utc::now()), batch, |row| self.finish(key, row)).await?;
        Ok(ReminderReport { reminders, deliveries })
    }

    async fn remind_due(&self, now: DateTime<Utc>, batch: u64) -> Result<usize> {
        let steps = &self.inner.config.steps;
        let cutoff = |i: usize| now - chrono::Duration::from_std(steps[i]).unwrap_or_default();
        let mut values: Vec<sea_orm::Value> = vec![now.into()];
        let mut due_clauses = Vec::with_capacity(steps.len());
        for i in 0..steps.len() {
            due_clauses.push("(c.reminders_sent < ? AND c.updated_at <= ?)");
            values.push(((i + 1) as i32).into());
            values.push(cutoff(i).into());
        }
        values.push((batch as i64).into());
        let sql = format!(
            "SELECT c.id AS id, c.reminders_sent AS reminders_sent, c.updated_at AS updated_at, COALESCE(c.email, u.email) AS email \
             FROM carts c LEFT JOIN users u ON u.id = c.customer_id \
             WHERE c.status = 'active' AND c.expires_at > ? AND ({}) \
             AND COALESCE(c.email, u.email) IS NOT NULL \
             AND EXISTS (SELECT 1 FROM cart_lines l WHERE l.cart_id = c.id) \
             AND NOT EXISTS (SELECT 1 FROM reminder_opt_outs o WHERE o.email = COALESCE(c.email, u.email)) \
             AND NOT EXISTS (SELECT 1 FROM cart_reminders r JOIN cart_recoveries rc ON rc.reminder_id = r.id WHERE r.cart_id = c.id) \
             ORDER BY c.updated_at, c.id LIMIT ?",
            due_clauses.join(" OR ")
        );
        let db = &self.inner.db;
        let rows = DueRow::find_by_statement(statement(db.backend(), &sql, values)).all(db.conn()).await?;
        let mut written = 0;
        for row in rows {
            let Some(step) = (1..=steps.len()).rev().find(|&k| row.updated_at <= cutoff(k - 1)) else { continue };
            let step = step as i32;
            if step <= row.reminders_sent {
                continue;
            }
            if self.remind(&row, step, now).await? {
                written += 1;
            }
        }
        Ok(written)
    }

    /// Writes reminder `step` of the cart in `row`, unless the cart changed since it was
    /// read; returns whether it did.
    async fn remind(&self, row: &DueRow, step: i32, now: DateTime<Utc>) -> Result<bool> {
        let inner = &self.inner;
        let Some(url) = inner.config.webhook_url.as_ref() else { return Ok(false) };
        let txn = inner.db.begin_write().await?;
        let moved = cart_entity::Entity::update_many()
            .col_expr(cart_entity::Column::RemindersSent, Expr::val(step))
            .filter(cart_entity::Column::Id.eq(row.id))
            .filter(cart_entity::Column::Status.eq(CartStatus::Active.as_str()))
            .filter(cart_entity::Column::RemindersSent.eq(row.reminders_sent))
            .filter(cart_entity::Column::UpdatedAt.eq(row.updated_at))
            .exec(&*txn)
            .await?
            .rows_affected
            == 1;
        if !moved {
            txn.rollback().await?;
            return Ok(false);
        }
        let link_expires_at = now + chrono::Duration::from_std(inner.config.link_lifetime).unwrap_or_default();
        let reminder = cart_reminder::Entity::insert(cart_reminder::ActiveModel {
            cart_id: Set(row.id),
            step: Set(step),
            email: Set(row.email.clone()),
            created_at: Set(now),
            link_expires_at: Set(link_expires_at),
            ..Default::default()
        })
        .exec_with_returning(&*txn)
        .await
        .on_unique_violation("cart_reminders.step", || Error::Conflict)?;
        let cart_row = cart_entity::Entity::find_by_id(row.id).one(&*txn).await?.ok_or_else(|| Error::not_found("cart", "cartId"))?;
        let cart = crate::checkout::cart::load(&*txn, cart_row, inner.currency).await?;
        let info = crate::checkout::variants::load(&*txn, &cart.lines.iter().map(|l| l.variant_id).collect::<Vec<_>>()).await?;
        let subtotal: i64 = cart.lines.iter().map(|l| l.unit_price.amount.saturating_mul(l.quantity)).sum();
        let lines: Vec<serde_json::Value> = cart
            .lines
            .iter()
            .map(|l| {
                let info = info.get(&l.variant_id);
                json!({
                    "variantId": l.variant_id, "sku": info.map(|v| v.sku.as_str()),
                    "productName": info.map(|v| v.product_name.as_str()), "variantTitle": info.map(|v| v.variant_title.as_str()),
                    "quantity": l.quantity, "unitPrice": l.unit_price.amount,
                })
            })
            .collect();
        let payload = json!({
            "topic": TOPIC,
            "createdAt": now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "reminder": { "id": reminder.id, "step": step, "steps": inner.config.steps.len(),
                          "linkExpiresAt": link_expires_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true) },
            "cart": {
                "id": cart.id, "customerId": cart.customer_id, "email": row.email,
                "idleSince": row.updated_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                "currency": inner.currency.code(), "subtotal": subtotal, "lines": lines,
            },
        });
        webhook_delivery::Entity::insert(webhook_delivery::ActiveModel {
            topic: Set(TOPIC.to_owned()),
            reference: Set(format!("cart_reminder:{}", reminder.id)),
            url: Set(url.to_string()),
            payload: Set(payload.to_string()),
            status: Set(DeliveryStatus::Pending.as_str().to_owned()),
            attempts: Set(0),
            next_attempt_at: Set(now),
            created_at: Set(now),
            ..Default::default()
        })
        .exec(&*txn)
        .await?;
        events::append(
            &*txn,
            &Event {
                aggregate_type: "cart_reminder".to_owned(),
                aggregate_id: row.id.to_string(),
                sequence: i64::from(step),
                event_type: EVENT_TYPE.to_owned(),
                payload: json!({ "cartId": row.id, "reminderId": reminder.id, "step": step }),
            },
        )
        .await?;
        txn.commit().await?;
        Ok(true)
    }

    /// The body posted for a stored reminder payload: the payload with its recovery link.
    fn finish(&self, key: &LinkKey, row: &webhook_delivery::Model) -> Result<String> {
        let mut body: serde_json::Value = serde_json::from_str(&row.payload).map_err(|e| Error::Internal(e.into()))?;
        let reminder_id = body
            .pointer("/reminder/id")
            .and_then(serde_json::Value::as_i64)
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("webhook delivery {} has no reminder id", row.id)))?;
        let token = key.token(reminder_id);
        let url = self.inner.config.recovery_url.as_ref().map(|template| template.replace("{token}", &token));
        body["id"] = json!(row.id.to_string());
        body["recovery"] = json!({ "token": token, "url": url });
        Ok(body.to_string())
    }

    /// The carts `filter` selects at `now`.
    fn abandoned_query(&self, filter: AbandonedFilter, now: DateTime<Utc>) -> sea_orm::Select<cart_entity::Entity> {
        let idle_cutoff = now - chrono::Duration::from_std(self.inner.config.steps[0]).unwrap_or_default();
        let idle = Expr::col((cart_entity::Entity, cart_entity::Column::Status))
            .eq(CartStatus::Active.as_str())
            .and(Expr::col((cart_entity::Entity, cart_entity::Column::UpdatedAt)).lte(idle_cutoff))
            .and(Expr::cust("EXISTS (SELECT 1 FROM cart_lines l WHERE l.cart_id = carts.id)"));
        let reminded = Expr::col((cart_entity::Entity, cart_entity::Column::RemindersSent)).gt(0);
        let recovered = Expr::cust(recovered_sql("carts.id"));
        let q = cart_entity::Entity::find();
        match filter {
            AbandonedFilter::All => q.filter(idle.or(reminded)),
            AbandonedFilter::NotReminded => q.filter(idle.and(Expr::col((cart_entity::Entity, cart_entity::Column::RemindersSent)).eq(0))),
            AbandonedFilter::Reminded => q.filter(reminded),
            AbandonedFilter::Recovered => q.filter(reminded.and(recovered)),
        }
    }

    /// How many carts `filter` selects at `now`.
    pub async fn count_abandoned(&self, filter: AbandonedFilter, now: DateTime<Utc>) -> Result<u64> {
        Ok(sea_orm::PaginatorTrait::count(self.abandoned_query(filter, now), self.inner.db.read_conn()).await?)
    }

    /// Abandoned carts, newest first.
    pub async fn abandoned(&self, filter: AbandonedFilter, now: DateTime<Utc>, page: &PageRequest) -> Result<Page<AbandonedCart>> {
        let db = &self.inner.db;
        let q = self.abandoned_query(filter, now);
        let rows = crate::pagination::newest_first(q, cart_entity::Column::Id, page)?.all(db.read_conn()).await?;
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let sums = self.line_sums(&ids).await?;
        let last = self.last_reminders(&ids).await?;
        let orders = self.recovered_orders(&ids).await?;
        let emails = self.customer_emails(&rows).await?;
        let items = rows
            .into_iter()
            .map(|r| {
                let (lines, units, subtotal) = sums.get(&r.id).copied().unwrap_or_default();
                let email = r.email.clone().or_else(|| r.customer_id.and_then(|c| emails.get(&c).cloned()));
                let cart = AbandonedCart {
                    cart_id: r.id,
                    customer_id: r.customer_id,
                    email,
                    status: r.status,
                    idle_since: r.updated_at,
                    lines,
                    units,
                    subtotal: Money::new(subtotal, self.inner.currency),
                    reminders_sent: r.reminders_sent,
                    last_reminded_at: last.get(&r.id).copied(),
                    recovered_order_id: orders.get(&r.id).copied(),
                };
                (encode_cursor(&r.id), cart)
            })
            .collect();
        Ok(Page::from_rows(page, items))
    }

    async fn line_sums(&self, ids: &[i64]) -> Result<HashMap<i64, (i64, i64, i64)>> {
        #[derive(FromQueryResult)]
        struct Row {
            cart_id: i64,
            lines: i64,
            units: i64,
            subtotal: i64,
        }
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let sql = format!(
            "SELECT cart_id, CAST(COUNT(*) AS BIGINT) AS lines, CAST(SUM(quantity) AS BIGINT) AS units, \
             CAST(SUM(quantity * unit_price) AS BIGINT) AS subtotal FROM cart_lines WHERE cart_id IN ({}) GROUP BY cart_id",
            vec!["?"; ids.len()].join(", ")
        );
        let db = &self.inner.db;
        let rows =
            Row::find_by_statement(statement(db.backend(), &sql, ids.iter().map(|&i| i.into()).collect())).all(db.read_conn()).await?;
        Ok(rows.into_iter().map(|r| (r.cart_id, (r.lines, r.units, r.subtotal))).collect())
    }

    async fn last_reminders(&self, ids: &[i64]) -> Result<HashMap<i64, DateTime<Utc>>> {
        let rows = cart_reminder::Entity::find()
            .filter(cart_reminder::Column::CartId.is_in(ids.iter().copied()))
            .order_by_asc(cart_reminder::Column::Id)
            .all(self.inner.db.read_conn())
            .await?;
        Ok(rows.into_iter().map(|r| (r.cart_id, r.created_at)).collect())
    }

    /// The first paid order each reminded cart became (itself, or through its link).
    async fn recovered_orders(&self, ids: &[i64]) -> Result<HashMap<i64, i64>> {
        #[derive(FromQueryResult)]
        struct Row {
            cart_id: i64,
            order_id: i64,
        }
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let sql = format!(
            "SELECT src.cart_id AS cart_id, MIN(o.id) AS order_id FROM ( \
               SELECT c.id AS cart_id, c.id AS via FROM carts c WHERE c.id IN ({marks}) AND c.reminders_sent > 0 \
               UNION SELECT r.cart_id AS cart_id, rc.id AS via FROM cart_reminders r JOIN carts rc ON rc.recovered_from = r.id WHERE r.cart_id IN ({marks}) \
             ) src JOIN orders o ON o.cart_id = src.via AND o.status IN ({PAID}) GROUP BY src.cart_id",
            marks = vec!["?"; ids.len()].join(", ")
        );
        let values: Vec<sea_orm::Value> = ids.iter().chain(ids.iter()).map(|&i| i.into()).collect();
        let db = &self.inner.db;
        let rows = Row::find_by_statement(statement(db.backend(), &sql, values)).all(db.read_conn()).await?;
        Ok(rows.into_iter().map(|r| (r.cart_id, r.order_id)).collect())
    }

    async fn customer_emails(&self, rows: &[cart_entity::Model]) -> Result<HashMap<i64, String>> {
        let ids: Vec<i64> = rows.iter().filter(|r| r.email.is_none()).filter_map(|r| r.customer_id).collect();
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let users =
            crate::entity::user::Entity::find().filter(crate::entity::user::Column::Id.is_in(ids)).all(self.inner.db.read_conn()).await?;
        Ok(users.into_iter().map(|u| (u.id, u.email)).collect())
    }

    /// Counts for reminders sent since `since`, and carts abandoned at `now`.
    pub async fn summary(&self, since: DateTime<Utc>, now: DateTime<Utc>) -> Result<AbandonedSummary> {
        #[derive(FromQueryResult)]
        struct Row {
            abandoned_now: i64,
            reminded: i64,
            recovered: i64,
            reminders_sent: i64,
        }
        let idle_cutoff = now - chrono::Duration::from_std(self.inner.config.steps[0]).unwrap_or_default();
        let sql = format!(
            "SELECT \
               (SELECT CAST(COUNT(*) AS BIGINT) FROM carts WHERE status = 'active' AND updated_at <= ? \
                  AND EXISTS (SELECT 1 FROM cart_lines l WHERE l.cart_id = carts.id)) AS abandoned_now, \
               (SELECT CAST(COUNT(DISTINCT cart_id) AS BIGINT) FROM cart_reminders WHERE created_at >= ?) AS reminded, \
               (SELECT CAST(COUNT(*) AS BIGINT) FROM carts WHERE id IN (SELECT cart_id FROM cart_reminders WHERE created_at >= ?) \
                  AND {}) AS recovered, \
               (SELECT CAST(COUNT(*) AS BIGINT) FROM cart_reminders WHERE created_at >= ?) AS reminders_sent",
            recovered_sql("carts.id")
        );
        let db = &self.inner.db;
        let values = vec![idle_cutoff.into(), since.into(), since.into(), since.into()];
        let row = Row::find_by_statement(statement(db.backend(), &sql, values))
            .one(db.read_conn())
            .await?
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("the summary query returned no row")))?;
        Ok(AbandonedSummary {
            abandoned_now: row.abandoned_now,
            reminded: row.reminded,
            recovered: row.recovered,
            reminders_sent: row.reminders_sent,
        })
    }

    /// How many deliveries have `status` (all of them for `None`).
    pub async fn count_deliveries(&self, status: Option<DeliveryStatus>) -> Result<u64> {
        let mut q = webhook_delivery::Entity::find();
        if let Some(s) = status {
            q = q.filter(webhook_delivery::Column::Status.eq(s.as_str()));
        }
        Ok(sea_orm::PaginatorTrait::count(q, self.inner.db.read_conn()).await?)
    }

    /// The webhook delivery log, newest first.
    pub async fn deliveries(&self, status: Option<DeliveryStatus>, page: &PageRequest) -> Result<Page<Delivery>> {
        webhooks::list(&self.inner.db, status, page).await
    }

    /// Whether `email` asked for no reminders.
    pub async fn opted_out(&self, email: &str) -> Result<bool> {
        let email = Email::parse(email)?;
        Ok(reminder_opt_out::Entity::find_by_id(email.as_str().to_owned()).one(self.inner.db.conn()).await?.is_some())
    }

    /// Records that `email` wants (`opt_out = false`) or does not want reminders.
    pub async fn set_opt_out(&self, email: &str, opt_out: bool) -> Result<()> {
        let email = Email::parse(email)?;
        let conn = self.inner.db.conn();
        if opt_out {
            let row = reminder_opt_out::ActiveModel { email: Set(email.as_str().to_owned()), created_at: Set(Utc::now()) };
            reminder_opt_out::Entity::insert(row)
                .on_conflict(sea_orm::sea_query::OnConflict::column(reminder_opt_out::Column::Email).do_nothing().to_owned())
                .exec_without_returning(conn)
                .await?;
        } else {
            reminder_opt_out::Entity::delete_by_id(email.as_str().to_owned()).exec(conn).await?;
        }
        Ok(())
    }

    /// [`set_opt_out`](Self::set_opt_out) for the address of customer `user_id`.
    pub async fn set_customer_opt_out(&self, user_id: i64, opt_out: bool) -> Result<()> {
        let user = crate::entity::user::Entity::find_by_id(user_id)
            .one(self.inner.db.conn())
            .await?
            .ok_or_else(|| Error::not_found("user", "userId"))?;
        self.set_opt_out(&user.email, opt_out).await
    }

    /// Opts out the address a recovery link was sent to (the link's "unsubscribe").
    pub async fn unsubscribe(&self, token: &str) -> Result<()> {
        let reminder = self.reminder_of(token, false).await?;
        self.set_opt_out(&reminder.email, true).await
    }

    /// The reminder a recovery token names; `Invalid` on `token` if it is not genuine
    /// (or, with `live`, has expired).
    async fn reminder_of(&self, token: &str, live: bool) -> Result<cart_reminder::Model> {
        let invalid = || Error::invalid("token", "this link is not valid");
        let (_, key) = self.inner.delivery.as_ref().ok_or_else(invalid)?;
        let id = key.verify(token).ok_or_else(invalid)?;
        let reminder = cart_reminder::Entity::find_by_id(id).one(self.inner.db.conn()).await?.ok_or_else(invalid)?;
        if live && reminder.link_expires_at <= Utc::now() {
            return Err(Error::invalid("token", "this link has expired"));
        }
        Ok(reminder)
    }

    /// Restores the cart a reminder's link names on this device (`device_id`, a random
    /// id the storefront keeps): a new guest cart, or the signed-in customer's cart,
    /// holding what is still sold and in stock, and what fell short. A link works once
    /// per device; a cart that was since paid for is not restored.
    pub async fn recover(&self, token: &str, device_id: &str, customer_id: Option<i64>, actor: Actor) -> Result<Restored> {
        let device_id = device_id.trim();
        if !(8..=200).contains(&device_id.chars().count()) {
            return Err(Error::invalid("deviceId", "a device id is 8 to 200 characters"));
        }
        let reminder = self.reminder_of(token, true).await?;
        let db = &self.inner.db;
        let source =
            cart_entity::Entity::find_by_id(reminder.cart_id).one(db.conn()).await?.ok_or_else(|| Error::not_found("cart", "token"))?;
        if source.status == CartStatus::Converted.as_str() {
            return Err(Error::invalid("token", "this cart has already been ordered"));
        }
        // Claim the link for this device first, so two taps at once restore one cart.
        let claim = cart_recovery::Entity::insert(cart_recovery::ActiveModel {
            reminder_id: Set(reminder.id),
            device_hash: Set(device_hash(device_id)),
            cart_id: Set(source.id),
            created_at: Set(Utc::now()),
            ..Default::default()
        })
        .exec(db.conn())
        .await
        .on_unique_violation("cart_recoveries.device_hash", || Error::invalid("token", "this link was already used on this device"))?
        .last_insert_id;
        let lines: Vec<(i64, i64)> = cart_line::Entity::find()
            .filter(cart_line::Column::CartId.eq(source.id))
            .order_by_asc(cart_line::Column::VariantId)
            .all(db.conn())
            .await?
            .into_iter()
            .map(|l| (l.variant_id, i64::from(l.quantity)))
            .collect();
        let restored = match self.inner.carts.restore(&lines, customer_id, actor).await {
            Ok(r) => r,
            Err(e) => {
                cart_recovery::Entity::delete_by_id(claim).exec(db.conn()).await?;
                return Err(e);
            }
        };
        cart_entity::Entity::update_many()
            .col_expr(cart_entity::Column::RecoveredFrom, Expr::val(reminder.id))
            .filter(cart_entity::Column::Id.eq(restored.cart.id))
            .filter(cart_entity::Column::RecoveredFrom.is_null())
            .exec(db.conn())
            .await?;
        cart_recovery::Entity::update_many()
            .col_expr(cart_recovery::Column::CartId, Expr::val(restored.cart.id))
            .filter(cart_recovery::Column::Id.eq(claim))
            .exec(db.conn())
            .await?;
        Ok(restored)
    }
}

/// SQL: the cart `cart` (a column expression) was reminded and then paid for, itself or
/// through a cart its recovery link made.
fn recovered_sql(cart: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM orders o WHERE o.status IN ({PAID}) AND (o.cart_id = {cart} OR o.cart_id IN \
         (SELECT rc.id FROM cart_reminders r JOIN carts rc ON rc.recovered_from = r.id WHERE r.cart_id = {cart})))"
    )
}
