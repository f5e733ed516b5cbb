//! Abandoned-cart reminders: when they are sent, where, and how long their links work.

use std::time::Duration;

use url::Url;

use crate::settings::{ConfigError, Env, Secret, every};

/// The shortest signing secret accepted (Stripe's are 32 bytes of base64 and more).
const MIN_SECRET_CHARS: usize = 24;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemindersConfig {
    /// How long a cart must sit untouched before each reminder
    /// (`CART_REMINDER_STEPS`, e.g. `1h,24h,72h`), strictly increasing.
    pub steps: Vec<Duration>,
    /// Seconds between reminder and delivery passes (`CART_REMINDER_INTERVAL_SECS`,
    /// 0 = off in this instance).
    pub interval_secs: u64,
    /// Where reminders are posted (`CART_REMINDER_WEBHOOK_URL`). Unset: no reminders.
    pub webhook_url: Option<Url>,
    /// Signs each post and the recovery links (`CART_REMINDER_WEBHOOK_SECRET`).
    pub webhook_secret: Option<Secret<String>>,
    /// The storefront page a recovery link opens, with `{token}` where the token goes
    /// (`CART_RECOVERY_URL`, e.g. `https://shop.example/recover/{token}`).
    pub recovery_url: Option<String>,
    /// How long a reminder's recovery link works (`CART_RECOVERY_LINK_HOURS`).
    pub link_lifetime: Duration,
    /// Attempts before a delivery is given up (`CART_REMINDER_WEBHOOK_MAX_ATTEMPTS`).
    pub max_attempts: u32,
}

impl RemindersConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let steps = match env.get("CART_REMINDER_STEPS") {
            None => vec![Duration::from_secs(3600), Duration::from_secs(24 * 3600), Duration::from_secs(72 * 3600)],
            Some(raw) => parse_steps(&raw).map_err(|e| env.error("CART_REMINDER_STEPS", e))?,
        };
        let webhook_url = match env.get("CART_REMINDER_WEBHOOK_URL") {
            None => None,
            Some(_) => Some(env.http_url("CART_REMINDER_WEBHOOK_URL", "")?),
        };
        let webhook_secret = env.get("CART_REMINDER_WEBHOOK_SECRET").map(Secret::new);
        match (&webhook_url, &webhook_secret) {
            (Some(_), None) => {
                return Err(env.error("CART_REMINDER_WEBHOOK_SECRET", "is required with CART_REMINDER_WEBHOOK_URL (it signs every post)"));
            }
            (_, Some(s)) if s.expose().chars().count() < MIN_SECRET_CHARS => {
                return Err(env.error("CART_REMINDER_WEBHOOK_SECRET", format!("must be at least {MIN_SECRET_CHARS} characters")));
            }
            _ => {}
        }
        let recovery_url = env.get("CART_RECOVERY_URL");
        if let Some(raw) = &recovery_url {
            let example = raw.replace("{token}", "t");
            let valid =
                raw.contains("{token}") && Url::parse(&example).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
            if !valid {
                return Err(env.error("CART_RECOVERY_URL", format!("'{raw}' is not an http(s) URL with {{token}} in it")));
            }
        }
        Ok(RemindersConfig {
            steps,
            interval_secs: env.number("CART_REMINDER_INTERVAL_SECS", 60, 0..=86_400)?,
            webhook_url,
            webhook_secret,
            recovery_url,
            link_lifetime: Duration::from_secs(3600 * env.number("CART_RECOVERY_LINK_HOURS", 24 * 7, 1..=24 * 90)?),
            max_attempts: env.number("CART_REMINDER_WEBHOOK_MAX_ATTEMPTS", 12, 1..=50)?,
        })
    }

    /// Reminders are sent only where they can be delivered.
    pub fn enabled(&self) -> bool {
        self.webhook_url.is_some() && self.webhook_secret.is_some()
    }

    /// For the start-up summary.
    pub fn summary(&self) -> String {
        if !self.enabled() {
            return "reminders(off: no CART_REMINDER_WEBHOOK_URL)".to_owned();
        }
        let steps: Vec<String> = self.steps.iter().map(|d| short(*d)).collect();
        format!("reminders(steps={}, pass={})", steps.join(","), every(self.interval_secs))
    }
}

/// `30m`, `1h`, `3d` or plain seconds, comma separated, 1 to 10 of them, each from ten
/// seconds (for demos and end-to-end tests) to 90 days and longer than the one before.
fn parse_steps(raw: &str) -> Result<Vec<Duration>, String> {
    let mut steps = Vec::new();
    for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (digits, unit) = match part.find(|c: char| !c.is_ascii_digit()) {
            Some(i) => part.split_at(i),
            None => (part, "s"),
        };
        let n: u64 = digits.parse().map_err(|_| format!("'{part}' is not a duration like 30m, 1h or 3d"))?;
        let secs = match unit {
            "s" => n,
            "m" => n.saturating_mul(60),
            "h" => n.saturating_mul(3600),
            "d" => n.saturating_mul(86_400),
            _ => return Err(format!("'{part}' has an unknown unit (use s, m, h or d)")),
        };
        if !(10..=90 * 86_400).contains(&secs) {
            return Err(format!("'{part}' is out of range (10s..=90d)"));
        }
        if steps.last().is_some_and(|last: &Duration| last.as_secs() >= secs) {
            return Err(format!("'{part}' must be longer than the step before it"));
        }
        steps.push(Duration::from_secs(secs));
    }
    if steps.is_empty() || steps.len() > 10 {
        return Err("give 1 to 10 steps, e.g. 1h,24h,72h".to_owned());
    }
    Ok(steps)
}

fn short(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_parse_and_bad_ones_name_the_problem() {
        let h = |n: u64| Duration::from_secs(n * 3600);
        assert_eq!(parse_steps("1h, 24h,3d").unwrap(), [h(1), h(24), h(72)]);
        assert_eq!(parse_steps("90m").unwrap(), [Duration::from_secs(5400)]);
        assert!(parse_steps("2h,1h").unwrap_err().contains("longer"));
        assert!(parse_steps("1w").unwrap_err().contains("unit"));
        assert!(parse_steps("5s").unwrap_err().contains("range"));
        assert_eq!(parse_steps("10s").unwrap(), [Duration::from_secs(10)]);
        assert!(parse_steps("").is_err());
    }

    #[test]
    fn a_webhook_needs_a_long_enough_secret_and_the_link_a_token_slot() {
        let read = |pairs: &[(&str, &str)]| RemindersConfig::from_env(&Env::from_pairs(pairs));
        let url = ("CART_REMINDER_WEBHOOK_URL", "https://hooks.example/cart");
        assert_eq!(read(&[url]).unwrap_err().var, "CART_REMINDER_WEBHOOK_SECRET");
        assert_eq!(read(&[url, ("CART_REMINDER_WEBHOOK_SECRET", "short")]).unwrap_err().var, "CART_REMINDER_WEBHOOK_SECRET");
        let secret = ("CART_REMINDER_WEBHOOK_SECRET", "a-secret-of-twenty-four-chars");
        assert_eq!(read(&[url, secret, ("CART_RECOVERY_URL", "https://shop.example/recover")]).unwrap_err().var, "CART_RECOVERY_URL");
        let ok = read(&[url, secret, ("CART_RECOVERY_URL", "https://shop.example/recover/{token}")]).unwrap();
        assert!(ok.enabled());
        assert_eq!(ok.summary(), "reminders(steps=1h,1d,3d, pass=every 60s)");
        assert!(!format!("{ok:?}").contains("twenty-four"), "the secret is never printed");
        assert!(!read(&[]).unwrap().enabled());
    }
}
