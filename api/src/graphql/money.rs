//! The `Money` type every price and total in the API uses.

use async_graphql::Object;

use crate::graphql::error::ApiError;

/// An amount of money: integer minor units (cents for USD) and an ISO 4217 currency.
/// Never a float: do arithmetic on `amount`, show `formatted`.
pub struct Money(pub crate::money::Money);

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
            async_graphql::ErrorExtensions::extend(&ApiError(crate::error::Error::Internal(anyhow::anyhow!(
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
