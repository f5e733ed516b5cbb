//! Payments settings: the gateway, Stripe's keys, webhook verification, reconciliation.

use std::time::Duration;

use url::Url;

use crate::settings::{ConfigError, Env, Secret};

/// Which payment gateway takes the money.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GatewayChoice {
    Stripe,
    /// The built-in test gateway (Stripe's test-card conventions, no network).
    Test,
}

#[derive(Clone, Debug)]
pub struct PaymentsConfig {
    /// `PAYMENT_GATEWAY` (`stripe` or `test`); unset: Stripe when `STRIPE_SECRET_KEY`
    /// is set, the test gateway otherwise.
    pub gateway: GatewayChoice,
    pub stripe_secret_key: Option<Secret<String>>,
    /// Webhook signing secrets (`STRIPE_WEBHOOK_SECRET`, comma-separated while rotating:
    /// a signature by any of them is accepted).
    pub stripe_webhook_secrets: Vec<Secret<String>>,
    /// Stripe's API base URL (`STRIPE_API_BASE`; tests point it at a local stand-in).
    pub stripe_api_base: Url,
    /// Handed to storefronts for Stripe.js (`STRIPE_PUBLISHABLE_KEY`).
    pub stripe_publishable_key: Option<String>,
    /// Per-call timeout of gateway requests (`PAYMENT_GATEWAY_TIMEOUT_SECS`).
    pub gateway_timeout: Duration,
    /// Orders waiting for payment this long are checked against the gateway
    /// (`PAYMENT_RECONCILE_AFTER_SECS`).
    pub reconcile_after: Duration,
    /// Seconds between reconciliation passes (`PAYMENT_RECONCILE_INTERVAL_SECS`, 0 = off
    /// in this instance).
    pub reconcile_interval_secs: u64,
    /// A pending order older than this is listed as stuck (`PAYMENT_STUCK_AFTER_SECS`).
    pub stuck_after: Duration,
    /// After a failed payment the order (holding no stock) waits this long for a retry
    /// or staff, then expires (`PAYMENT_RETRY_WINDOW_SECS`).
    pub retry_window: Duration,
    /// Where buyers pay an order (`STOREFRONT_URL`): payment links point there.
    pub storefront_url: Url,
}

impl PaymentsConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let stripe_secret_key = env.get("STRIPE_SECRET_KEY");
        if let Some(key) = &stripe_secret_key
            && !(key.starts_with("sk_") || key.starts_with("rk_"))
        {
            return Err(env.error("STRIPE_SECRET_KEY", "expected a secret or restricted key (sk_... or rk_...)"));
        }
        let gateway = match env.get("PAYMENT_GATEWAY").as_deref() {
            None if stripe_secret_key.is_some() => GatewayChoice::Stripe,
            None => GatewayChoice::Test,
            Some("stripe") => GatewayChoice::Stripe,
            Some("test") => GatewayChoice::Test,
            Some(other) => return Err(env.error("PAYMENT_GATEWAY", format!("'{other}' is not a gateway (stripe or test)"))),
        };
        let stripe_webhook_secrets: Vec<Secret<String>> = env.list("STRIPE_WEBHOOK_SECRET").into_iter().map(Secret::new).collect();
        if stripe_webhook_secrets.iter().any(|s| !s.expose().starts_with("whsec_")) {
            return Err(env.error("STRIPE_WEBHOOK_SECRET", "expected signing secrets starting with whsec_ (comma-separated)"));
        }
        if gateway == GatewayChoice::Stripe {
            if stripe_secret_key.is_none() {
                return Err(env.error("STRIPE_SECRET_KEY", "PAYMENT_GATEWAY=stripe needs a secret key"));
            }
            if stripe_webhook_secrets.is_empty() {
                return Err(env.error(
                    "STRIPE_WEBHOOK_SECRET",
                    "the Stripe gateway needs the webhook signing secret: orders are only marked paid by verified events",
                ));
            }
        }
        Ok(PaymentsConfig {
            gateway,
            stripe_secret_key: stripe_secret_key.map(Secret::new),
            stripe_webhook_secrets,
            stripe_api_base: env.http_url("STRIPE_API_BASE", "https://api.stripe.com/")?,
            stripe_publishable_key: env.get("STRIPE_PUBLISHABLE_KEY"),
            gateway_timeout: env.secs("PAYMENT_GATEWAY_TIMEOUT_SECS", 20, 1..=120)?,
            reconcile_after: env.secs("PAYMENT_RECONCILE_AFTER_SECS", 300, 10..=86_400)?,
            reconcile_interval_secs: env.number("PAYMENT_RECONCILE_INTERVAL_SECS", 60, 0..=86_400)?,
            stuck_after: env.secs("PAYMENT_STUCK_AFTER_SECS", 1800, 60..=7 * 86_400)?,
            retry_window: env.secs("PAYMENT_RETRY_WINDOW_SECS", 86_400, 60..=30 * 86_400)?,
            storefront_url: env.http_url("STOREFRONT_URL", "http://localhost:5173/")?,
        })
    }

    /// For the start-up summary: no key, no secret, only how many secrets there are.
    pub fn summary(&self) -> String {
        format!(
            "payments(gateway={}, webhook_secrets={}, reconcile={}, api={})",
            match self.gateway {
                GatewayChoice::Stripe => "stripe",
                GatewayChoice::Test => "test (no real money)",
            },
            self.stripe_webhook_secrets.len(),
            match self.reconcile_interval_secs {
                0 => "off".to_owned(),
                n => format!("every {n}s after {}s", self.reconcile_after.as_secs()),
            },
            self.stripe_api_base,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Result<PaymentsConfig, ConfigError> {
        PaymentsConfig::from_env(&Env::from_pairs(pairs))
    }

    #[test]
    fn the_test_gateway_by_default_and_stripe_needs_its_webhook_secret() {
        let c = config(&[]).unwrap();
        assert_eq!(c.gateway, GatewayChoice::Test);
        assert!(c.summary().starts_with("payments(gateway=test (no real money), webhook_secrets=0"), "{}", c.summary());

        let err = config(&[("STRIPE_SECRET_KEY", "sk_test_123")]).unwrap_err();
        assert_eq!(err.var, "STRIPE_WEBHOOK_SECRET", "Stripe without a way to verify webhooks would never mark orders paid");
        assert_eq!(
            config(&[("STRIPE_SECRET_KEY", "pk_test_123")]).unwrap_err().var,
            "STRIPE_SECRET_KEY",
            "a publishable key is not a secret key"
        );
        assert_eq!(config(&[("STRIPE_WEBHOOK_SECRET", "nope")]).unwrap_err().var, "STRIPE_WEBHOOK_SECRET");
        assert_eq!(config(&[("PAYMENT_GATEWAY", "paypal")]).unwrap_err().var, "PAYMENT_GATEWAY");
        assert_eq!(config(&[("PAYMENT_GATEWAY", "stripe")]).unwrap_err().var, "STRIPE_SECRET_KEY");
        assert_eq!(config(&[("STRIPE_API_BASE", "ftp://x")]).unwrap_err().var, "STRIPE_API_BASE");

        let c = config(&[
            ("STRIPE_SECRET_KEY", "sk_live_very_secret_key"),
            ("STRIPE_WEBHOOK_SECRET", " whsec_new , whsec_old "),
            ("PAYMENT_RECONCILE_INTERVAL_SECS", "0"),
        ])
        .unwrap();
        assert_eq!(c.gateway, GatewayChoice::Stripe);
        let secrets: Vec<&str> = c.stripe_webhook_secrets.iter().map(|s| s.expose().as_str()).collect();
        assert_eq!(secrets, ["whsec_new", "whsec_old"], "rotating: both accepted");
        let (summary, debug) = (c.summary(), format!("{c:?}"));
        for leak in ["sk_live_very_secret_key", "whsec_new", "whsec_old"] {
            assert!(!summary.contains(leak) && !debug.contains(leak), "{leak} leaked");
        }
        assert!(summary.starts_with("payments(gateway=stripe, webhook_secrets=2, reconcile=off"), "{summary}");
        let test_anyway =
            config(&[("STRIPE_SECRET_KEY", "sk_test_1"), ("STRIPE_WEBHOOK_SECRET", "whsec_1"), ("PAYMENT_GATEWAY", "test")]).unwrap();
        assert_eq!(test_anyway.gateway, GatewayChoice::Test);
    }
}
