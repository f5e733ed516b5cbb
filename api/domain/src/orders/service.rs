//! Orders: moving them through the one-way table, reading them, expiring unpaid ones.
//!
//! A transition is one guarded statement (`... WHERE id = ? AND status = <from>`, plus
//! `AND version = ?` when the caller names the version it saw), then a timeline entry
//! and an outbox event (sequence = the order's new version) on the same transaction,
//! together with the stock consequence (cancelled or expired orders release their
//! holds). A late or repeated request therefore changes nothing.

use std::collections::HashMap;

use base64::Engine;
use chrono::{DateTime, Utc};
use hmac::{KeyInit, Mac};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Value,
};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::model::{Order, OrderEvent, OrderLine};
use super::status::OrderStatus;
use super::status_events::{StatusChange, status_event};
use crate::accounts::Viewer;
use crate::actor::Actor;
use crate::db::{Database, statement};
use crate::entity::{order, order_event, order_line};
use crate::error::{Error, Result};
use crate::events::{OutboxNotify, append};
use crate::inventory::{InventoryService, Owner, OwnerKind, ReleaseTarget, retry_transaction};
use crate::money::Currency;
use crate::pagination::{Page, PageRequest, encode_cursor};

/// The reservation owner of an order's holds.
pub fn order_owner(order_id: i64) -> Owner {
    Owner::numbered(OwnerKind::Order, order_id)
}

/// Secret tokens that let a guest see their order, derived from the order's checkout
/// idempotency key with a server key (HMAC-SHA256): known before the order exists, and
/// the same however often the checkout is repeated.
#[derive(Clone)]
pub struct OrderTokens {
    key: Vec<u8>,
}

impl OrderTokens {
    pub fn new(key: Vec<u8>) -> Self {
        OrderTokens { key }
    }

    pub fn token(&self, idempotency_key: &str) -> String {
        let Ok(mut mac) = hmac::Hmac::<Sha256>::new_from_slice(&self.key) else { return String::new() };
        mac.update(format!("order-token:{idempotency_key}").as_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    pub fn verify(&self, order: &Order, token: &str) -> bool {
        !token.is_empty() && self.token(&order.idempotency_key).as_bytes().ct_eq(token.as_bytes()).into()
    }
}

/// Who is changing an order, for the timeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Change<'a> {
    pub actor: Actor,
    /// Why, in words ("paid", "cancelled by staff", "payment deadline passed").
    pub cause: &'a str,
}

/// Narrows the staff order list.
#[derive(Clone, Debug, Default)]
pub struct OrderFilter {
    pub statuses: Vec<OrderStatus>,
    pub customer_id: Option<i64>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_until: Option<DateTime<Utc>>,
    /// An order number or part of the buyer's email.
    pub search: Option<String>,
}

#[derive(Clone)]
pub struct OrderService {
    pub(super) db: Database,
    pub(super) inventory: InventoryService,
    pub(super) notify: OutboxNotify,
    pub(super) tokens: OrderTokens,
    pub(super) currency: Currency,
    /// How long an unpaid order waits before its payment counts as stuck.
    pub(super) stuck_after: std::time::Duration,
}

impl OrderService {
    pub fn new(
        db: Database,
        inventory: InventoryService,
        notify: OutboxNotify,
        tokens: OrderTokens,
        currency: Currency,
        stuck_after: std::time::Duration,
    ) -> Self {
        OrderService { db, inventory, notify, tokens, currency, stuck_after }
    }

    pub fn tokens(&self) -> &OrderTokens {
        &self.tokens
    }

    /// Moves the order to `to`, if the table allows it from where it is (and, with
    /// `expected_version`, if nobody changed it since). Cancelled or expired orders give
    /// their stock back in the same transaction.
    #[tracing::instrument(skip(self, change), fields(cause = change.cause))]
    pub async fn transition(
        &self,
        order_id: i64,
        to: OrderStatus,
        expected_version: Option<i64>,
        change: Change<'_>,
        data: Option<serde_json::Value>,
    ) -> Result<Order> {
        let order = retry_transaction("order transition", || {
            let data = data.clone();
            async move {
                let txn = self.db.begin_write().await?;
                let order = self.transition_in(&*txn, order_id, to, expected_version, change, data).await?;
                txn.commit().await?;
                Ok(order)
            }
        })
        .await?;
        self.notify.notify();
        Ok(order)
    }

    /// [`transition`](Self::transition) inside the caller's transaction.
    pub async fn transition_in<C: ConnectionTrait>(
        &self,
        txn: &C,
        order_id: i64,
        to: OrderStatus,
        expected_version: Option<i64>,
        change: Change<'_>,
        data: Option<serde_json::Value>,
    ) -> Result<Order> {
        let current = order::Entity::find_by_id(order_id).one(txn).await?.ok_or_else(|| Error::not_found("order", "orderId"))?;
        let from = OrderStatus::parse(&current.status)?;
        if let Some(v) = expected_version
            && v != i64::from(current.version)
        {
            return Err(Error::stale("order", v, i64::from(current.version)));
        }
        self.transition_from_in(txn, order_id, (from, current.version), to, expected_version, change, data).await
    }

    /// [`transition_in`](OrderService::transition_in) of an order the caller has just
    /// read in `txn` as `(status, version)` (under its row lock): the move is still
    /// guarded by that status (and `expected_version`), so a stale read is a conflict.
    #[allow(clippy::too_many_arguments)]
    pub async fn transition_from_in<C: ConnectionTrait>(
        &self,
        txn: &C,
        order_id: i64,
        (from, version): (OrderStatus, i32),
        to: OrderStatus,
        expected_version: Option<i64>,
        change: Change<'_>,
        data: Option<serde_json::Value>,
    ) -> Result<Order> {
        from.check(to)?;
        let now = Utc::now();
        let mut sql = String::from("UPDATE orders SET status = ?, version = version + 1, updated_at = ? WHERE id = ? AND status = ?");
        let mut values: Vec<sea_orm::Value> = vec![to.as_str().into(), now.into(), order_id.into(), from.as_str().into()];
        if let Some(v) = expected_version {
            sql.push_str(" AND version = ?");
            values.push(v.into());
        }
        sql.push_str(" RETURNING *");
        let stmt = crate::db::statement(txn.get_database_backend(), &sql, values);
        let Some(updated) = order::Entity::find().from_raw_sql(stmt).one(txn).await? else {
            // Someone moved it first: the caller retries and sees the new state.
            return Err(Error::Conflict);
        };
        if matches!(to, OrderStatus::Cancelled | OrderStatus::Expired) {
            self.inventory.release_in(txn, &ReleaseTarget::Owner(order_owner(order_id)), change.actor).await?;
        }
        let version = i64::from(version) + 1;
        record_in(txn, order_id, "status_changed", Some(from), Some(to), change, data, now).await?;
        publish_status(txn, order_id, Some(from), to, version, change.cause, now).await?;
        let updated = match self.refresh_issue_in(txn, order_id).await? {
            // Its payment issue changed too: read it as it now is.
            Some(_) => order::Entity::find_by_id(order_id).one(txn).await?.ok_or_else(|| Error::not_found("order", "orderId"))?,
            None => updated,
        };
        Order::try_from(updated)
    }

    /// Adds a timeline entry that changes no state (a note, an ignored late event).
    pub async fn note_in<C: ConnectionTrait>(
        &self,
        txn: &C,
        order_id: i64,
        kind: &str,
        change: Change<'_>,
        data: Option<serde_json::Value>,
    ) -> Result<()> {
        record_in(txn, order_id, kind, None, None, change, data, Utc::now()).await?;
        // What a note records (a payment attempt's outcome, a refund, a resolution) may
        // move the order in or out of the payment review queue.
        self.refresh_issue_in(txn, order_id).await?;
        Ok(())
    }

    pub async fn fulfill(&self, order_id: i64, expected_version: i64, actor: Actor) -> Result<Order> {
        self.transition(order_id, OrderStatus::Fulfilled, Some(expected_version), Change { actor, cause: "fulfilled by staff" }, None).await
    }

    pub async fn ship(&self, order_id: i64, expected_version: i64, tracking_number: &str, carrier: &str, actor: Actor) -> Result<Order> {
        let tracking = tracking_number.trim();
        let carrier = carrier.trim();
        if tracking.is_empty() || tracking.len() > 100 {
            return Err(Error::invalid("trackingNumber", "a tracking number of 1 to 100 characters is required"));
        }
        if carrier.is_empty() || carrier.len() > 100 {
            return Err(Error::invalid("carrier", "a carrier of 1 to 100 characters is required"));
        }
        let data = serde_json::json!({ "trackingNumber": tracking, "carrier": carrier });
        self.transition(order_id, OrderStatus::Shipped, Some(expected_version), Change { actor, cause: "shipped" }, Some(data)).await
    }

    pub async fn mark_delivered(&self, order_id: i64, expected_version: i64, actor: Actor) -> Result<Order> {
        self.transition(order_id, OrderStatus::Delivered, Some(expected_version), Change { actor, cause: "delivered" }, None).await
    }

    /// Cancels an unpaid order and gives its stock back.
    pub async fn cancel(&self, order_id: i64, expected_version: i64, actor: Actor, reason: &str) -> Result<Order> {
        let reason = reason.trim();
        let cause =
            if reason.is_empty() { "cancelled".to_owned() } else { format!("cancelled: {}", reason.chars().take(500).collect::<String>()) };
        self.transition(order_id, OrderStatus::Cancelled, Some(expected_version), Change { actor, cause: &cause }, None).await
    }

    /// Unpaid orders whose payment deadline has passed (oldest first), except those
    /// with a payment the gateway is still processing.
    pub async fn due_for_expiry(&self, batch: u64) -> Result<Vec<i64>> {
        let now = Utc::now();
        Ok(order::Entity::find()
            .select_only()
            .column(order::Column::Id)
            .filter(order::Column::Status.is_in([OrderStatus::PendingPayment.as_str(), OrderStatus::PaymentFailed.as_str()]))
            .filter(order::Column::PaymentDeadline.lt(now))
            .filter(Expr::cust("NOT EXISTS (SELECT 1 FROM payments p WHERE p.order_id = orders.id AND p.status = 'processing')"))
            .order_by_asc(order::Column::PaymentDeadline)
            .limit(batch)
            .into_tuple()
            .all(self.db.conn())
            .await?)
    }

    /// Expires one unpaid order (its stock is released); false if it was paid,
    /// cancelled or expired meanwhile (another instance, a webhook).
    pub async fn expire(&self, id: i64) -> Result<bool> {
        let change = Change { actor: Actor::System, cause: "payment deadline passed" };
        match self.transition(id, OrderStatus::Expired, None, change, None).await {
            Ok(_) => Ok(true),
            Err(Error::IllegalTransition { .. } | Error::Conflict) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Bumps the order's version if it is still `expected_version` (a staff action that
    /// changes no state still invalidates what others saw); returns the new version.
    pub async fn touch_in<C: ConnectionTrait>(&self, txn: &C, order_id: i64, expected_version: i64) -> Result<i32> {
        let done = order::Entity::update_many()
            .col_expr(order::Column::Version, Expr::col(order::Column::Version).add(1))
            .col_expr(order::Column::UpdatedAt, Expr::val(Utc::now()))
            .filter(order::Column::Id.eq(order_id))
            .filter(order::Column::Version.eq(expected_version))
            .exec(txn)
            .await?;
        let current = order::Entity::find_by_id(order_id).one(txn).await?.ok_or_else(|| Error::not_found("order", "orderId"))?;
        if done.rows_affected != 1 {
            return Err(Error::stale("order", expected_version, i64::from(current.version)));
        }
        Ok(current.version)
    }

    pub async fn by_id(&self, id: i64) -> Result<Option<Order>> {
        order::Entity::find_by_id(id).one(self.db.conn()).await?.map(Order::try_from).transpose()
    }

    /// The order if `viewer` may see it: staff any, a customer their own, anyone with
    /// the order's token. Others get `NotFound` (an order's existence is not disclosed).
    pub async fn visible(&self, id: i64, viewer: &Viewer, token: Option<&str>) -> Result<Order> {
        let order = self.by_id(id).await?.ok_or_else(|| Error::not_found("order", "id"))?;
        let own = viewer.signed_in().is_some_and(|s| Some(s.user_id) == order.customer_id);
        let by_token = token.is_some_and(|t| self.tokens.verify(&order, t));
        if viewer.is_staff() || own || by_token { Ok(order) } else { Err(Error::not_found("order", "id")) }
    }

    pub async fn by_ids(&self, ids: &[i64]) -> Result<HashMap<i64, Order>> {
        let models = order::Entity::find().filter(order::Column::Id.is_in(ids.iter().copied())).all(self.db.conn()).await?;
        models.into_iter().map(|m| Order::try_from(m).map(|o| (o.id, o))).collect()
    }

    /// Orders newest first, narrowed by `filter` (a customer's own list sets
    /// `customer_id`).
    pub async fn list(&self, filter: &OrderFilter, page: &PageRequest) -> Result<Page<Order>> {
        let q = orders_matching(filter)?;
        let rows = crate::pagination::newest_first(q, order::Column::Id, page)?.all(self.db.conn()).await?;
        let items = rows.into_iter().map(|m| Order::try_from(m).map(|o| (encode_cursor(&o.id), o))).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_rows(page, items))
    }

    /// How many orders match `filter` in all.
    pub async fn count(&self, filter: &OrderFilter) -> Result<u64> {
        Ok(orders_matching(filter)?.count(self.db.conn()).await?)
    }

    pub async fn lines_by_order_ids(&self, ids: &[i64]) -> Result<HashMap<i64, Vec<OrderLine>>> {
        let rows = order_line::Entity::find()
            .filter(order_line::Column::OrderId.is_in(ids.iter().copied()))
            .order_by_asc(order_line::Column::Id)
            .all(self.db.conn())
            .await?;
        let mut out: HashMap<i64, Vec<OrderLine>> = HashMap::new();
        for m in rows {
            out.entry(m.order_id).or_default().push(OrderLine::from_model(m, self.currency));
        }
        Ok(out)
    }

    pub async fn events_by_order_ids(&self, ids: &[i64]) -> Result<HashMap<i64, Vec<OrderEvent>>> {
        let rows = order_event::Entity::find()
            .filter(order_event::Column::OrderId.is_in(ids.iter().copied()))
            .order_by_asc(order_event::Column::Id)
            .all(self.db.conn())
            .await?;
        let mut out: HashMap<i64, Vec<OrderEvent>> = HashMap::new();
        for m in rows {
            let e = OrderEvent::try_from(m)?;
            out.entry(e.order_id).or_default().push(e);
        }
        Ok(out)
    }
}

/// Writes a timeline entry.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn record_in<C: ConnectionTrait>(
    txn: &C,
    order_id: i64,
    kind: &str,
    from: Option<OrderStatus>,
    to: Option<OrderStatus>,
    change: Change<'_>,
    data: Option<serde_json::Value>,
    at: DateTime<Utc>,
) -> Result<()> {
    let (actor_type, actor_id) = change.actor.parts();
    order_event::Entity::insert(order_event::ActiveModel {
        order_id: Set(order_id),
        kind: Set(kind.to_owned()),
        from_status: Set(from.map(|s| s.as_str().to_owned())),
        to_status: Set(to.map(|s| s.as_str().to_owned())),
        actor_type: Set(actor_type.to_owned()),
        actor_id: Set(actor_id),
        cause: Set(change.cause.chars().take(1000).collect()),
        data: Set(data),
        created_at: Set(at),
        ..Default::default()
    })
    .exec_without_returning(txn)
    .await?;
    Ok(())
}

/// The outbox event every status change publishes (`orderStatusChanged`; the payload
/// is defined in `status_events`).
pub(crate) async fn publish_status<C: ConnectionTrait>(
    txn: &C,
    order_id: i64,
    from: Option<OrderStatus>,
    to: OrderStatus,
    version: i64,
    cause: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    let change = StatusChange { order_id, status: to, previous: from, version, cause: cause.to_owned(), at };
    append(txn, &status_event(&change)?).await
}

#[derive(FromQueryResult)]
struct StatusRow {
    status: String,
    version: i32,
    created_at: DateTime<Utc>,
    previous: Option<String>,
    cause: Option<String>,
    changed_at: Option<DateTime<Utc>>,
}

/// The order with its latest status change from the timeline. One statement, so the
/// status, version and change always agree (also on Postgres, where separate reads in
/// one read-committed transaction could straddle a transition).
const CURRENT_STATUS: &str = "SELECT o.status AS status, o.version AS version, o.created_at AS created_at, \
     e.from_status AS previous, e.cause AS cause, e.created_at AS changed_at \
     FROM orders o LEFT JOIN order_events e ON e.id = \
     (SELECT MAX(x.id) FROM order_events x WHERE x.order_id = o.id AND x.to_status IS NOT NULL) \
     WHERE o.id = ?";

impl OrderService {
    /// The order's status now, with the change that led to it; `None` if there is no
    /// such order. `version` is the order's version now.
    pub async fn current_status(&self, order_id: i64) -> Result<Option<StatusChange>> {
        let conn = self.db.conn();
        let stmt = statement(conn.get_database_backend(), CURRENT_STATUS, vec![Value::from(order_id)]);
        let Some(row) = StatusRow::find_by_statement(stmt).one(conn).await? else { return Ok(None) };
        Ok(Some(StatusChange {
            order_id,
            status: OrderStatus::parse(&row.status)?,
            previous: row.previous.as_deref().map(OrderStatus::parse).transpose()?,
            version: i64::from(row.version),
            cause: row.cause.unwrap_or_default(),
            at: row.changed_at.unwrap_or(row.created_at),
        }))
    }
}

/// The orders `filter` selects, unordered and unpaged.
fn orders_matching(filter: &OrderFilter) -> Result<sea_orm::Select<order::Entity>> {
    let mut q = order::Entity::find();
    if !filter.statuses.is_empty() {
        q = q.filter(order::Column::Status.is_in(filter.statuses.iter().map(|s| s.as_str())));
    }
    if let Some(customer) = filter.customer_id {
        q = q.filter(order::Column::CustomerId.eq(customer));
    }
    if let Some(from) = filter.created_from {
        q = q.filter(order::Column::CreatedAt.gte(from));
    }
    if let Some(until) = filter.created_until {
        q = q.filter(order::Column::CreatedAt.lt(until));
    }
    if let Some(search) = filter.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        if search.chars().count() > 100 {
            return Err(Error::invalid("search", "search text is too long (at most 100 characters)"));
        }
        let number = search.trim_start_matches('#').parse::<i64>().ok();
        let pattern = format!("%{}%", search.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
        let mut any =
            sea_orm::Condition::any().add(Expr::col(order::Column::Email).like(sea_orm::sea_query::LikeExpr::new(pattern).escape('\\')));
        if let Some(n) = number {
            any = any.add(order::Column::Id.eq(n));
        }
        q = q.filter(any);
    }
    Ok(q)
}
