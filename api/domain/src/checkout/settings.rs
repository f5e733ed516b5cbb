//! Carts, checkout and orders: hold times, limits, the sweep and the price rules.

use std::time::Duration;

use super::pricing::{PricingConfig, parse_table, percent_to_ppm};
use crate::money::Currency;
use crate::settings::{ConfigError, Env, every};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommerceConfig {
    /// How long adding a line holds its stock (`CART_HOLD_SECS`).
    pub cart_hold: Duration,
    /// From checkout until payment, the order holds its stock this long
    /// (`PAYMENT_WINDOW_SECS`); unpaid orders then expire.
    pub payment_window: Duration,
    /// Idle guest carts expire after this (`GUEST_CART_IDLE_HOURS`).
    pub guest_cart_idle: Duration,
    /// Idle customer carts expire after this (`CUSTOMER_CART_IDLE_HOURS`).
    pub customer_cart_idle: Duration,
    /// Most units of one variant in a cart (`CART_MAX_LINE_QUANTITY`).
    pub max_line_quantity: i64,
    /// Most lines in a cart (`CART_MAX_LINES`).
    pub max_lines: usize,
    /// Seconds between sweeps of expired carts and unpaid orders
    /// (`COMMERCE_SWEEP_INTERVAL_SECS`, 0 = off in this instance).
    pub sweep_interval_secs: u64,
    /// Shipping and tax (`SHIPPING_RATES`, `TAX_RATES`, `FREE_SHIPPING_OVER`,
    /// `MIN_ORDER_VALUE`), in the shop's currency.
    pub pricing: PricingConfig,
}

impl CommerceConfig {
    pub fn from_env(env: &Env, currency: Currency) -> Result<Self, ConfigError> {
        let hours = |var: &'static str, default: u64| -> Result<Duration, ConfigError> {
            Ok(Duration::from_secs(3600 * env.number(var, default, 1..=24 * 365)?))
        };
        let mut pricing = PricingConfig::demo(currency);
        if let Some(raw) = env.get("SHIPPING_RATES") {
            pricing.shipping =
                parse_table(&raw, |v| v.parse::<i64>().ok().filter(|n| *n >= 0)).map_err(|e| env.error("SHIPPING_RATES", e))?;
        }
        if let Some(raw) = env.get("TAX_RATES") {
            pricing.tax = parse_table(&raw, percent_to_ppm).map_err(|e| env.error("TAX_RATES", e))?;
        }
        pricing.free_shipping_over = env.number("FREE_SHIPPING_OVER", pricing.free_shipping_over, 0..=1_000_000_000)?;
        pricing.min_order_value = env.number("MIN_ORDER_VALUE", pricing.min_order_value, 0..=1_000_000_000)?;
        Ok(CommerceConfig {
            cart_hold: env.secs("CART_HOLD_SECS", 600, 30..=86_400)?,
            payment_window: env.secs("PAYMENT_WINDOW_SECS", 120, 30..=86_400)?,
            guest_cart_idle: hours("GUEST_CART_IDLE_HOURS", 24)?,
            customer_cart_idle: hours("CUSTOMER_CART_IDLE_HOURS", 24 * 30)?,
            max_line_quantity: env.number("CART_MAX_LINE_QUANTITY", 10, 1..=10_000)?,
            max_lines: env.number("CART_MAX_LINES", 50, 1..=500)?,
            sweep_interval_secs: env.number("COMMERCE_SWEEP_INTERVAL_SECS", 10, 0..=86_400)?,
            pricing,
        })
    }

    /// For the start-up summary.
    pub fn summary(&self) -> String {
        format!(
            "commerce(cart_hold={}s, payment_window={}s, sweep={})",
            self.cart_hold.as_secs(),
            self.payment_window.as_secs(),
            every(self.sweep_interval_secs)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_values_name_the_variable() {
        let bad = |k: &str, v: &str| CommerceConfig::from_env(&Env::from_pairs(&[(k, v)]), Currency::usd()).unwrap_err().var;
        assert_eq!(bad("SHIPPING_RATES", "usa=5"), "SHIPPING_RATES");
        assert_eq!(bad("TAX_RATES", "DE=150"), "TAX_RATES");
        assert_eq!(bad("PAYMENT_WINDOW_SECS", "5"), "PAYMENT_WINDOW_SECS");
        let c = CommerceConfig::from_env(&Env::from_pairs(&[("SHIPPING_RATES", "US=0,*=999"), ("CART_HOLD_SECS", "60")]), Currency::usd())
            .unwrap();
        assert_eq!(c.pricing.shipping.get("FR"), Some(999));
        assert_eq!(c.cart_hold, Duration::from_secs(60));
    }
}
