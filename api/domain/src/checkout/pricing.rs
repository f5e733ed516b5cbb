//! Totals, computed on the server in minor units: subtotal, discount, shipping, tax,
//! total. Never taken from the client.
//!
//! Shipping is a flat rate per destination country, free above a threshold. Tax is a
//! deliberately simple model: one rate per destination country, applied to the
//! discounted subtotal plus shipping and rounded half up to the minor unit (no tax
//! included in prices, no product tax classes, no regional rates).

use std::collections::HashMap;

use crate::error::{Error, Result};
use crate::money::{Currency, Money};

/// A rate table: country (ISO 3166-1 alpha-2) -> value, with an optional `*` default.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct CountryTable<T> {
    pub by_country: HashMap<String, T>,
    pub default: Option<T>,
}

impl<T: Copy> CountryTable<T> {
    pub fn get(&self, country: &str) -> Option<T> {
        self.by_country.get(country).copied().or(self.default)
    }
}

/// Parses `US=599,CA=1299,*=1999`; `parse_value` turns each value into `T`.
pub fn parse_table<T>(raw: &str, parse_value: impl Fn(&str) -> Option<T>) -> std::result::Result<CountryTable<T>, String> {
    let mut table = CountryTable { by_country: HashMap::new(), default: None };
    for entry in raw.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let (country, value) = entry.split_once('=').ok_or_else(|| format!("'{entry}' is not COUNTRY=VALUE"))?;
        let value = parse_value(value.trim()).ok_or_else(|| format!("'{entry}' has an invalid value"))?;
        match country.trim() {
            "*" => table.default = Some(value),
            c if c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase()) => {
                table.by_country.insert(c.to_owned(), value);
            }
            c => return Err(format!("'{c}' is not a country code (two capital letters) or *")),
        }
    }
    Ok(table)
}

/// A tax rate in parts per million of the taxed amount (20% = 200_000).
pub type TaxPpm = u32;

/// Parses a percentage such as `20` or `8.875` into parts per million.
pub fn percent_to_ppm(raw: &str) -> Option<TaxPpm> {
    let value: f64 = raw.parse().ok()?;
    (0.0..=100.0).contains(&value).then(|| (value * 10_000.0).round() as TaxPpm)
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PricingConfig {
    pub currency: Currency,
    /// Flat shipping per country, minor units. A country without a rate (and no `*`)
    /// is not shipped to.
    pub shipping: CountryTable<i64>,
    /// Orders whose discounted subtotal reaches this ship free (0: never free).
    pub free_shipping_over: i64,
    pub tax: CountryTable<TaxPpm>,
    /// Smallest discounted subtotal accepted at checkout.
    pub min_order_value: i64,
}

impl PricingConfig {
    pub fn demo(currency: Currency) -> Self {
        let shipping = parse_table("US=599,CA=1299,GB=1499,DE=1499,FR=1499,NL=1499,*=2499", |v| v.parse().ok()).unwrap_or_default();
        let tax = parse_table("US=0,CA=5,GB=20,DE=19,FR=20,NL=21,*=0", percent_to_ppm).unwrap_or_default();
        PricingConfig { currency, shipping, free_shipping_over: 10_000, tax, min_order_value: 0 }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Totals {
    pub subtotal: Money,
    pub discount: Money,
    pub shipping: Money,
    pub tax: Money,
    pub total: Money,
}

/// `amount * ppm / 1e6`, rounded half up.
fn apply_ppm(amount: i64, ppm: u32) -> i64 {
    let scaled = i128::from(amount) * i128::from(ppm);
    ((scaled + 500_000) / 1_000_000) as i64
}

/// Totals for a subtotal after discount, shipping to `country` (if known yet).
pub fn totals(config: &PricingConfig, subtotal: i64, discount: i64, country: Option<&str>) -> Result<Totals> {
    let money = |amount| Money::new(amount, config.currency);
    let discount = discount.clamp(0, subtotal);
    let discounted = subtotal - discount;
    let (shipping, tax) = match country {
        None => (0, 0),
        Some(country) => {
            let rate = config
                .shipping
                .get(country)
                .ok_or_else(|| Error::invalid("shippingAddress.country", format!("we do not ship to {country}")))?;
            let free = config.free_shipping_over > 0 && discounted >= config.free_shipping_over;
            let shipping = if free || subtotal == 0 { 0 } else { rate };
            let tax = apply_ppm(discounted + shipping, config.tax.get(country).unwrap_or(0));
            (shipping, tax)
        }
    };
    Ok(Totals {
        subtotal: money(subtotal),
        discount: money(discount),
        shipping: money(shipping),
        tax: money(tax),
        total: money(discounted + shipping + tax),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn config() -> PricingConfig {
        PricingConfig::demo(Currency::usd())
    }

    #[test]
    fn shipping_is_flat_per_country_and_free_over_the_threshold() {
        let t = totals(&config(), 5_000, 0, Some("US")).unwrap();
        assert_eq!((t.shipping.amount, t.tax.amount, t.total.amount), (599, 0, 5_599));
        let free = totals(&config(), 12_000, 1_000, Some("US")).unwrap();
        assert_eq!(free.shipping.amount, 0, "11,000 after discount is over 10,000");
        let de = totals(&config(), 5_000, 0, Some("DE")).unwrap();
        assert_eq!((de.shipping.amount, de.tax.amount), (1_499, 1_235), "19% of 6,499 = 1,234.81 -> 1,235");
        assert_eq!(totals(&config(), 5_000, 0, None).unwrap().total.amount, 5_000, "no address yet: no shipping or tax");
    }

    #[test]
    fn parses_rate_tables_and_refuses_garbage() {
        let table = parse_table("US=599, *=1999", |v| v.parse::<i64>().ok()).unwrap();
        assert_eq!((table.get("US"), table.get("JP")), (Some(599), Some(1999)));
        assert!(parse_table("usa=1", |v| v.parse::<i64>().ok()).is_err());
        assert!(parse_table("US:1", |v| v.parse::<i64>().ok()).is_err());
        assert_eq!(percent_to_ppm("8.875"), Some(88_750));
        assert_eq!(percent_to_ppm("101"), None);
        let no_default = PricingConfig { shipping: table_without_default(), ..config() };
        assert!(totals(&no_default, 100, 0, Some("JP")).is_err());
    }

    fn table_without_default() -> CountryTable<i64> {
        parse_table("US=599", |v| v.parse().ok()).unwrap()
    }

    proptest! {
        #[test]
        fn totals_add_up(subtotal in 0i64..10_000_000, discount in 0i64..10_000_000, c in prop::sample::select(vec!["US", "DE", "CA", "JP"])) {
            let t = totals(&config(), subtotal, discount, Some(c)).unwrap();
            prop_assert!(t.discount.amount <= t.subtotal.amount);
            prop_assert_eq!(t.total.amount, t.subtotal.amount - t.discount.amount + t.shipping.amount + t.tax.amount);
            prop_assert!(t.total.amount >= 0);
        }
    }
}
