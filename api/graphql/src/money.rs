//! The `Money` type every price and total in the API uses.

use async_graphql::Object;

use crate::immediate::{Immediate, Out, Selected};

use crate::error::ApiError;

/// An amount of money: integer minor units (cents for USD) and an ISO 4217 currency.
/// Never a float: do arithmetic on `amount`, show `formatted`.
pub struct Money(pub stockade_domain::money::Money);

/// An amount of money: integer minor units (cents for USD) and an ISO 4217 currency.
/// Never a float: do arithmetic on `amount`, show `formatted`.
///
/// A value, not an entity: it has no id, and a client cache keeps it inside the object
/// that holds it (see `schema.cache-config.json`).
#[Object]
impl Money {
    /// The amount in the currency's minor units, e.g. `4999` for $49.99.
    async fn amount(&self) -> async_graphql::Result<i32> {
        i32::try_from(self.0.amount).map_err(|_| {
            async_graphql::ErrorExtensions::extend(&ApiError(stockade_domain::error::Error::Internal(anyhow::anyhow!(
                "amount {} exceeds Int",
                self.0.amount
            ))))
        })
    }

    /// ISO 4217 currency code, e.g. `USD`.
    async fn currency_code(&self) -> &'static str {
        self.0.currency.code()
    }

    /// The amount for display, e.g. `$49.99` (en-US style).
    async fn formatted(&self) -> String {
        self.0.formatted()
    }
}

/// Every field is at hand; an amount too large for `Int` goes the derived way, which
/// answers the error.
impl Immediate for Money {
    const TYPE: &'static str = "Money";

    fn write_field<'q>(&self, name: &str, _: &Selected<'q>, out: &mut Out<'q>) -> Option<()> {
        match name {
            "amount" => out.int(i32::try_from(self.0.amount).ok()?.into()),
            "currencyCode" => out.str(self.0.currency.code()),
            "formatted" => out.str(&self.0.formatted()),
            _ => return None,
        }
        Some(())
    }
}

/// A calendar day (`2026-12-01`), in the shop's reporting time zone (UTC).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Date(pub chrono::NaiveDate);

/// A calendar day, `YYYY-MM-DD` (RFC 3339 `full-date`).
#[async_graphql::Scalar(name = "Date", specified_by_url = "https://datatracker.ietf.org/doc/html/rfc3339#section-5.6")]
impl async_graphql::ScalarType for Date {
    fn parse(value: async_graphql::Value) -> async_graphql::InputValueResult<Self> {
        match &value {
            async_graphql::Value::String(s) => Ok(Date(chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")?)),
            _ => Err(async_graphql::InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> async_graphql::Value {
        async_graphql::Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}
