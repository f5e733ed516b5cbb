//! Opaque global object ids (`Product:42` as base64url), the Relay convention.
//!
//! Clients must treat ids as opaque strings; decoding checks the type so a `Variant`
//! id passed where a `Product` is expected is a clear error, not a silent miss.

use async_graphql::ID;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::error::ApiError;

/// Every type that has a global id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NodeType {
    Product,
    Variant,
    Category,
    User,
    Cart,
    CartLine,
    Order,
    Coupon,
    Payment,
    Refund,
    PaymentIssue,
    StockLocation,
    StockMovement,
    SearchSynonym,
}

impl NodeType {
    pub fn name(self) -> &'static str {
        match self {
            NodeType::Product => "Product",
            NodeType::Variant => "Variant",
            NodeType::Category => "Category",
            NodeType::User => "User",
            NodeType::Cart => "Cart",
            NodeType::CartLine => "CartLine",
            NodeType::Order => "Order",
            NodeType::Coupon => "Coupon",
            NodeType::Payment => "Payment",
            NodeType::Refund => "Refund",
            NodeType::PaymentIssue => "PaymentIssue",
            NodeType::StockLocation => "StockLocation",
            NodeType::StockMovement => "StockMovement",
            NodeType::SearchSynonym => "SearchSynonym",
        }
    }

    const ALL: [NodeType; 14] = [
        NodeType::Product,
        NodeType::Variant,
        NodeType::Category,
        NodeType::User,
        NodeType::Cart,
        NodeType::CartLine,
        NodeType::Order,
        NodeType::Coupon,
        NodeType::Payment,
        NodeType::Refund,
        NodeType::PaymentIssue,
        NodeType::StockLocation,
        NodeType::StockMovement,
        NodeType::SearchSynonym,
    ];

    pub fn id(self, raw: i64) -> ID {
        // `Name:raw` on the stack (a listing makes hundreds of ids): the longest name has
        // 13 bytes, an i64 at most 20.
        let (name, mut digits) = (self.name().as_bytes(), itoa::Buffer::new());
        let digits = digits.format(raw).as_bytes();
        let mut plain = [0u8; 40];
        let len = name.len() + 1 + digits.len();
        plain[..name.len()].copy_from_slice(name);
        plain[name.len()] = b':';
        plain[name.len() + 1..len].copy_from_slice(digits);
        ID(URL_SAFE_NO_PAD.encode(&plain[..len]))
    }
}

/// The types whose global id is made of several row ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CompositeType {
    /// `StockLevel:<variant>:<location>`.
    StockLevel,
    /// `InventoryItem:<variant>` (all locations) or `InventoryItem:<variant>:<location>`.
    InventoryItem,
    /// `Reservation:<id>`: a key that ledger rows share, not an object of the API.
    Reservation,
}

impl CompositeType {
    fn name(self) -> &'static str {
        match self {
            CompositeType::StockLevel => "StockLevel",
            CompositeType::InventoryItem => "InventoryItem",
            CompositeType::Reservation => "Reservation",
        }
    }

    const ALL: [CompositeType; 3] = [CompositeType::StockLevel, CompositeType::InventoryItem, CompositeType::Reservation];

    /// The global id of the object keyed by `parts`, opaque like the others.
    pub fn id(self, parts: &[i64]) -> ID {
        let parts: Vec<String> = parts.iter().map(i64::to_string).collect();
        ID(URL_SAFE_NO_PAD.encode(format!("{}:{}", self.name(), parts.join(":"))))
    }
}

/// What a global id names, for `node`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NodeKey {
    Row(NodeType, i64),
    Composite(CompositeType, Vec<i64>),
}

/// Decodes any global id, single or composite.
pub fn decode_key(id: &ID, field: &str) -> Result<NodeKey, ApiError> {
    if let Ok((kind, raw)) = decode(id, field) {
        return Ok(NodeKey::Row(kind, raw));
    }
    let invalid = || ApiError::bad_input(field, format!("`{field}` is not a valid id"));
    let bytes = URL_SAFE_NO_PAD.decode(id.as_str()).map_err(|_| invalid())?;
    let text = std::str::from_utf8(&bytes).map_err(|_| invalid())?;
    let mut parts = text.split(':');
    let kind = parts.next().ok_or_else(invalid)?;
    let kind = CompositeType::ALL.into_iter().find(|t| t.name() == kind).ok_or_else(invalid)?;
    let rows = parts.map(|p| p.parse::<i64>().ok().filter(|n| *n > 0)).collect::<Option<Vec<_>>>().ok_or_else(invalid)?;
    if rows.is_empty() || rows.len() > 2 {
        return Err(invalid());
    }
    Ok(NodeKey::Composite(kind, rows))
}

/// Decodes any global id into its type and row id.
pub fn decode(id: &ID, field: &str) -> Result<(NodeType, i64), ApiError> {
    let invalid = || ApiError::bad_input(field, format!("`{field}` is not a valid id"));
    let bytes = URL_SAFE_NO_PAD.decode(id.as_str()).map_err(|_| invalid())?;
    let text = std::str::from_utf8(&bytes).map_err(|_| invalid())?;
    let (kind, raw) = text.split_once(':').ok_or_else(invalid)?;
    let kind = NodeType::ALL.into_iter().find(|t| t.name() == kind).ok_or_else(invalid)?;
    let raw: i64 = raw.parse().ok().filter(|n| *n > 0).ok_or_else(invalid)?;
    Ok((kind, raw))
}

/// `a Variant`, `an Order`.
fn article(name: &str) -> String {
    let vowel = name.starts_with(['A', 'E', 'I', 'O', 'U']);
    format!("{} {name}", if vowel { "an" } else { "a" })
}

/// Decodes a global id that must be of type `expected`.
pub fn decode_as(id: &ID, expected: NodeType, field: &str) -> Result<i64, ApiError> {
    match decode(id, field)? {
        (kind, raw) if kind == expected => Ok(raw),
        (kind, _) => {
            Err(ApiError::bad_input(field, format!("`{field}` is {} id, expected {} id", article(kind.name()), article(expected.name()))))
        }
    }
}

/// [`decode_as`] for mutations, whose refusals are domain errors reported in
/// `userErrors` (the field named) rather than top-level errors.
pub fn row_id(id: &ID, expected: NodeType, field: &str) -> Result<i64, stockade_domain::error::Error> {
    decode_as(id, expected, field).map_err(|ApiError(e)| e)
}

/// [`row_id`] for a list: the first id that is not one of `expected` fails the lot,
/// naming its place (`variantIds.2`).
pub fn row_ids(ids: &[ID], expected: NodeType, field: &str) -> Result<Vec<i64>, stockade_domain::error::Error> {
    ids.iter().enumerate().map(|(i, id)| row_id(id, expected, &format!("{field}.{i}"))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn round_trips(raw in 1i64..i64::MAX) {
            for kind in NodeType::ALL {
                prop_assert_eq!(decode(&kind.id(raw), "id").unwrap(), (kind, raw));
            }
        }

        #[test]
        fn garbage_never_panics(text in ".{0,64}") {
            let _ = decode(&ID(text), "id");
        }
    }

    #[test]
    fn ids_keep_their_text() {
        // Clients keep ids: their text must never change.
        assert_eq!(NodeType::Product.id(42).0, URL_SAFE_NO_PAD.encode("Product:42"));
        for raw in [i64::MIN, -1, 0, i64::MAX] {
            assert_eq!(NodeType::SearchSynonym.id(raw).0, URL_SAFE_NO_PAD.encode(format!("SearchSynonym:{raw}")));
        }
    }

    #[test]
    fn wrong_type_is_named() {
        let err = decode_as(&NodeType::Variant.id(3), NodeType::Product, "productId").unwrap_err();
        assert!(err.to_string().contains("is a Variant id, expected a Product id"));
        let err = decode_as(&NodeType::Cart.id(3), NodeType::Order, "orderId").unwrap_err();
        assert!(err.to_string().contains("is a Cart id, expected an Order id"), "{err}");
    }
}
