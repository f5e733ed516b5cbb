//! Input limits of the inventory operations, checked before anything is written. Each
//! failure is an [`Error::Invalid`] naming the field to fix.

use std::time::Duration;

use crate::error::{Error, Result};

/// Most units one reservation line may ask for (after merging duplicate lines).
pub const MAX_LINE_QUANTITY: i64 = 10_000;
/// Most lines in one reservation request.
pub const MAX_LINES: usize = 100;
/// Most units one restock, transfer or adjustment may move.
pub const MAX_MOVE_QUANTITY: i64 = 1_000_000;
/// Highest count `SetOnHand` accepts.
pub const MAX_ON_HAND: i64 = 100_000_000;
/// Shortest and longest reservation lifetime.
pub const MIN_TTL: Duration = Duration::from_secs(30);
pub const MAX_TTL: Duration = Duration::from_secs(24 * 60 * 60);
/// Longest free-text note on a movement.
pub const MAX_NOTE_CHARS: usize = 500;
pub const MAX_OWNER_ID_CHARS: usize = 64;
/// Longest order reference given to `commit`.
pub const MAX_ORDER_REF_CHARS: usize = 64;
/// Most reservation ids one `release` call may name.
pub const MAX_RELEASE_IDS: usize = 1_000;
/// Highest low-stock threshold.
pub const MAX_LOW_STOCK_THRESHOLD: i32 = 1_000_000;

pub(crate) fn quantity(field: &str, n: i64, max: i64) -> Result<i64> {
    if (1..=max).contains(&n) { Ok(n) } else { Err(Error::invalid(field, format!("`{field}` must be between 1 and {max} (got {n})"))) }
}

pub(crate) fn delta(n: i64) -> Result<i64> {
    if n == 0 {
        return Err(Error::invalid("delta", "`delta` must not be 0"));
    }
    if n.abs() > MAX_MOVE_QUANTITY {
        return Err(Error::invalid("delta", format!("`delta` must be between -{MAX_MOVE_QUANTITY} and {MAX_MOVE_QUANTITY} (got {n})")));
    }
    Ok(n)
}

pub(crate) fn set_on_hand(n: i64) -> Result<i64> {
    if (0..=MAX_ON_HAND).contains(&n) {
        Ok(n)
    } else {
        Err(Error::invalid("setOnHand", format!("`setOnHand` must be between 0 and {MAX_ON_HAND} (got {n})")))
    }
}

pub(crate) fn ttl(ttl: Duration) -> Result<chrono::Duration> {
    if ttl < MIN_TTL || ttl > MAX_TTL {
        return Err(Error::invalid(
            "ttl",
            format!("reservation lifetime must be between {} s and {} s (got {} s)", MIN_TTL.as_secs(), MAX_TTL.as_secs(), ttl.as_secs()),
        ));
    }
    chrono::Duration::from_std(ttl).map_err(|_| Error::invalid("ttl", "reservation lifetime is out of range"))
}

pub(crate) fn note(note: &str) -> Result<&str> {
    if note.chars().count() > MAX_NOTE_CHARS {
        return Err(Error::invalid("note", format!("`note` is too long (at most {MAX_NOTE_CHARS} characters)")));
    }
    Ok(note.trim())
}

pub(crate) fn order_ref(order: &str) -> Result<&str> {
    let len = order.chars().count();
    if len == 0 || len > MAX_ORDER_REF_CHARS || order.chars().any(char::is_control) {
        return Err(Error::invalid("order", format!("order reference must be 1 to {MAX_ORDER_REF_CHARS} printable characters")));
    }
    Ok(order)
}

pub(crate) fn id(field: &str, id: i64) -> Result<i64> {
    if id > 0 { Ok(id) } else { Err(Error::invalid(field, format!("`{field}` is not a valid id"))) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_name_their_field() {
        assert_eq!(quantity("quantity", 0, 10).unwrap_err().field(), Some("quantity"));
        assert!(quantity("quantity", -1, 10).is_err());
        assert!(quantity("quantity", 11, 10).is_err());
        assert_eq!(quantity("quantity", 10, 10).unwrap(), 10);
        assert_eq!(delta(0).unwrap_err().field(), Some("delta"));
        assert!(delta(-MAX_MOVE_QUANTITY - 1).is_err());
        assert_eq!(delta(-5).unwrap(), -5);
        assert_eq!(set_on_hand(-1).unwrap_err().field(), Some("setOnHand"));
        assert_eq!(ttl(Duration::from_secs(29)).unwrap_err().field(), Some("ttl"));
        assert!(ttl(Duration::from_secs(24 * 3600 + 1)).is_err());
        assert_eq!(ttl(Duration::from_secs(900)).unwrap(), chrono::Duration::minutes(15));
        assert_eq!(note(&"x".repeat(501)).unwrap_err().field(), Some("note"));
        assert_eq!(order_ref("").unwrap_err().field(), Some("order"));
        assert_eq!(id("variantId", 0).unwrap_err().field(), Some("variantId"));
    }
}
