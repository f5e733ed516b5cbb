//! Restoring a cart from a list of lines (a recovery link): what can be had is held,
//! what cannot is reported, never an error for the whole.

use super::Cart;
use super::carts::{CartService, LineChange};
use super::variants;
use crate::actor::Actor;
use crate::error::{Error, Result};

/// A line that could not be restored in full.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shortfall {
    pub variant_id: i64,
    /// What the cart had.
    pub requested: i64,
    /// What the restored cart holds (0: the line is gone).
    pub restored: i64,
    pub reason: ShortfallReason,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShortfallReason {
    /// Not enough in stock now.
    OutOfStock,
    /// The variant or its product is no longer sold.
    NoLongerSold,
}

/// A cart restored from lines: the cart (with its token if it is a new guest cart) and
/// what fell short.
#[derive(Clone, Debug)]
pub struct Restored {
    pub cart: Cart,
    pub token: Option<String>,
    pub shortfalls: Vec<Shortfall>,
}

/// Reading stock and then holding it can lose a race to another buyer: plan again
/// with what is there now, this many times, before reporting the race as a conflict.
const ATTEMPTS: usize = 4;

impl CartService {
    /// A new guest cart (or the signed-in customer's cart, added to) holding as much of
    /// `lines` (variant, quantity) as is sold and in stock now, each capped at the per-line
    /// maximum; the rest is reported as shortfalls.
    pub async fn restore(&self, lines: &[(i64, i64)], customer_id: Option<i64>, actor: Actor) -> Result<Restored> {
        let ids: Vec<i64> = lines.iter().map(|l| l.0).collect();
        let mut last = None;
        for _ in 0..ATTEMPTS {
            let info = variants::load(self.db.conn(), &ids).await?;
            let available = self.inventory.available_by_variant_ids(&ids).await?;
            let mut shortfalls = Vec::new();
            let mut wanted = Vec::new();
            for &(variant_id, requested) in lines {
                let sold = info.get(&variant_id).is_some_and(variants::VariantInfo::purchasable);
                let can = if sold {
                    requested.min(available.get(&variant_id).copied().unwrap_or(0)).min(self.config.max_line_quantity)
                } else {
                    0
                };
                if can < requested {
                    let reason = if sold { ShortfallReason::OutOfStock } else { ShortfallReason::NoLongerSold };
                    shortfalls.push(Shortfall { variant_id, requested, restored: can.max(0), reason });
                }
                if can > 0 {
                    wanted.push(LineChange { variant_id, quantity: can });
                }
            }
            match self.create(customer_id, &wanted, actor).await {
                Ok((cart, token)) => return Ok(Restored { cart, token, shortfalls }),
                Err(e @ (Error::OutOfStock { .. } | Error::Conflict)) => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or(Error::Conflict))
    }
}
