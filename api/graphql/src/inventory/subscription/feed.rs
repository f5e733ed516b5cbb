//! `inventoryEvents`: every ledger movement as it happens, for staff.
//!
//! Movements come from the stock events on the bus (each carries its ledger row). A
//! repeat of a movement already sent (at-least-once delivery) is dropped by the stock
//! level's version. When the subscriber fell behind its bounded buffer, or events from
//! other instances may have been lost, the movements it missed are read from the ledger
//! (in bounded pages) before it carries on with the bus.

use std::collections::{HashMap, VecDeque};

use chrono::{DateTime, Utc};

use crate::error::ApiError;
use crate::inventory::StockMovement;
use stockade_domain::events::{BusMessage, Subscription};
use stockade_domain::inventory::{InventoryService, Movement, decode_stock_event};

/// Ledger rows read per catch-up statement.
const CATCH_UP_PAGE: u64 = 500;
/// Catch-up statements per resync at most; a subscriber further behind than this
/// should reload the ledger (`stockMovements`).
const CATCH_UP_PAGES: u32 = 10;
/// Levels remembered for dropping repeats; beyond this the memory is reset (a repeat
/// then gets through, which at-least-once delivery allows).
const MAX_REMEMBERED_LEVELS: usize = 10_000;

/// The live state of one `inventoryEvents` subscription.
pub(super) struct Feed {
    pub sub: Subscription,
    pub inventory: InventoryService,
    pub location: Option<i64>,
    /// When the subscription started: catch-up never reaches further back.
    pub since: DateTime<Utc>,
    /// The highest ledger row id sent.
    pub last_id: i64,
    /// Per (variant, location): the version of the last movement sent.
    pub sent: HashMap<(i64, i64), i64>,
    pub pending: VecDeque<Movement>,
    /// Catch-up pages still allowed in the current resync.
    pub catch_up: u32,
    pub done: bool,
}

impl Feed {
    pub(super) fn new(sub: Subscription, inventory: InventoryService, location: Option<i64>) -> Self {
        Feed {
            sub,
            inventory,
            location,
            since: Utc::now(),
            last_id: 0,
            sent: HashMap::new(),
            pending: VecDeque::new(),
            catch_up: 0,
            done: false,
        }
    }

    /// Whether `m` is news to this subscriber (and if so, remembers it as sent).
    fn fresh(&mut self, m: &Movement) -> bool {
        if self.location.is_some_and(|l| l != m.location_id) {
            return false;
        }
        let key = (m.variant_id, m.location_id);
        if self.sent.get(&key).is_some_and(|&v| v >= m.version_after) {
            return false;
        }
        if self.sent.len() >= MAX_REMEMBERED_LEVELS {
            self.sent.clear();
        }
        self.sent.insert(key, m.version_after);
        self.last_id = self.last_id.max(m.id);
        true
    }

    /// The next movement to send; `None` ends the subscription.
    pub(super) async fn next(mut self) -> Option<(async_graphql::Result<StockMovement>, Self)> {
        loop {
            if let Some(m) = self.pending.pop_front() {
                return Some((Ok(StockMovement(m)), self));
            }
            if self.done {
                return None;
            }
            if self.catch_up > 0 {
                self.catch_up -= 1;
                match self.inventory.movements_since(self.last_id, self.since, self.location, CATCH_UP_PAGE).await {
                    Ok(rows) => {
                        if (rows.len() as u64) < CATCH_UP_PAGE {
                            self.catch_up = 0;
                        }
                        // Rows come in id order: advance past every one, sent or not.
                        let high = rows.last().map_or(self.last_id, |m| m.id);
                        self.pending = rows.into_iter().filter(|m| self.fresh(m)).collect();
                        self.last_id = self.last_id.max(high);
                    }
                    Err(e) => {
                        self.done = true;
                        return Some((Err(async_graphql::ErrorExtensions::extend(&ApiError(e))), self));
                    }
                }
                continue;
            }
            match self.sub.recv().await? {
                BusMessage::Event(event) => match decode_stock_event(&event) {
                    Some(Ok(changed)) if self.fresh(&changed.movement) => self.pending.push_back(changed.movement),
                    Some(Err(e)) => tracing::warn!(error = %e, "skipping a stock event that does not decode"),
                    _ => {}
                },
                BusMessage::Resync(reason) => {
                    tracing::debug!(?reason, "inventoryEvents subscriber catches up from the ledger");
                    self.catch_up = CATCH_UP_PAGES;
                }
            }
        }
    }
}
