//! Money: integer minor units plus an ISO 4217 currency. Never floats.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

/// An ISO 4217 currency code, upper case, known to the ISO table. Copying it copies a
/// pointer into a table built once, so code, exponent and symbol cost nothing per use.
#[derive(Clone, Copy)]
pub struct Currency(&'static CurrencyInfo);

struct CurrencyInfo {
    code: &'static str,
    exponent: u32,
    symbol: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not an ISO 4217 currency code (e.g. USD, EUR)")]
pub struct CurrencyError(pub String);

fn table() -> &'static HashMap<&'static str, CurrencyInfo> {
    static TABLE: OnceLock<HashMap<&'static str, CurrencyInfo>> = OnceLock::new();
    TABLE.get_or_init(|| {
        <iso_currency::Currency as iso_currency::IntoEnumIterator>::iter()
            .map(|c| {
                let info =
                    CurrencyInfo { code: c.code(), exponent: c.exponent().map(u32::from).unwrap_or(0), symbol: c.symbol().to_string() };
                (c.code(), info)
            })
            .collect()
    })
}

impl Currency {
    /// US dollars, the default shop currency.
    pub fn usd() -> Currency {
        Currency(&table()["USD"])
    }

    pub fn code(&self) -> &'static str {
        self.0.code
    }

    /// Digits after the decimal point in the currency's minor unit (2 for USD, 0 for JPY).
    pub fn exponent(&self) -> u32 {
        self.0.exponent
    }

    fn symbol(&self) -> &'static str {
        &self.0.symbol
    }
}

impl PartialEq for Currency {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.0, other.0)
    }
}

impl Eq for Currency {}

impl std::hash::Hash for Currency {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.code.hash(state);
    }
}

impl Currency {
    /// The shop's currency (`SHOP_CURRENCY`, default USD).
    pub fn from_env(env: &crate::settings::Env) -> Result<Currency, crate::settings::ConfigError> {
        match env.get("SHOP_CURRENCY") {
            None => Ok(Currency::usd()),
            Some(code) => code.parse().map_err(|e: CurrencyError| env.error("SHOP_CURRENCY", e.to_string())),
        }
    }
}

impl FromStr for Currency {
    type Err = CurrencyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        table().get(s).map(Currency).ok_or_else(|| CurrencyError(s.to_owned()))
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// An amount in the currency's minor units (cents for USD).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Money {
    pub amount: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(amount: i64, currency: Currency) -> Self {
        Self { amount, currency }
    }

    /// Human-readable form with the currency symbol and grouping, e.g. `$1,249.00`,
    /// `-€3.50`, `¥1,200`. Formatting is en-US style regardless of currency.
    pub fn formatted(&self) -> String {
        // Written into one buffer: listings format two prices per variant, hundreds a page.
        let exp = self.currency.exponent() as usize;
        let abs = self.amount.unsigned_abs();
        let scale = 10u64.pow(exp as u32);
        let (major, minor) = (abs / scale, abs % scale);
        let mut digits = itoa::Buffer::new();
        let digits = digits.format(major).as_bytes();
        let symbol = self.currency.symbol();
        let mut out = String::with_capacity(1 + symbol.len() + digits.len() * 4 / 3 + 1 + exp);
        if self.amount < 0 {
            out.push('-');
        }
        out.push_str(symbol);
        for (i, &digit) in digits.iter().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(char::from(digit));
        }
        if exp > 0 {
            let mut cents = itoa::Buffer::new();
            let cents = cents.format(minor);
            out.push('.');
            out.extend(std::iter::repeat_n('0', exp.saturating_sub(cents.len())));
            out.push_str(cents);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cur(code: &str) -> Currency {
        code.parse().unwrap()
    }

    #[test]
    fn formats_common_currencies() {
        assert_eq!(Money::new(124_900, Currency::usd()).formatted(), "$1,249.00");
        assert_eq!(Money::new(5, Currency::usd()).formatted(), "$0.05");
        assert_eq!(Money::new(-350, cur("EUR")).formatted(), "-€3.50");
        assert_eq!(Money::new(1200, cur("JPY")).formatted(), "¥1,200");
        assert_eq!(Money::new(0, Currency::usd()).formatted(), "$0.00");
    }

    #[test]
    fn rejects_unknown_or_lowercase_codes() {
        assert!("usd".parse::<Currency>().is_err());
        assert!("XXQ".parse::<Currency>().is_err());
        assert!("".parse::<Currency>().is_err());
        assert!("EURO".parse::<Currency>().is_err());
    }

    proptest! {
        #[test]
        fn formatting_round_trips_the_amount(amount in -10_000_000_000i64..10_000_000_000i64) {
            let text = Money::new(amount, Currency::usd()).formatted();
            let digits: String = text.chars().filter(|c| c.is_ascii_digit()).collect();
            prop_assert_eq!(digits.parse::<i64>().unwrap(), amount.abs());
            prop_assert_eq!(text.starts_with('-'), amount < 0);
        }
    }
}
