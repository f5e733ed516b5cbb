//! Event delivery settings: the outbox publisher and the event bus.

use std::time::Duration;

use crate::settings::{ConfigError, Env};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventsConfig {
    /// Run the outbox publisher in this instance (`EVENTS_PUBLISHER`, default on). Any
    /// number of instances may run one; turn it off only where another instance does.
    pub publisher: bool,
    /// How often the publisher looks for undelivered rows written by other instances
    /// (`OUTBOX_POLL_INTERVAL_MS`). Writes in this instance wake it at once.
    pub poll_interval: Duration,
    /// Most rows published per transaction (`OUTBOX_BATCH_SIZE`).
    pub batch_size: u32,
    /// How long delivered rows are kept before pruning (`OUTBOX_RETENTION_HOURS`).
    pub retention: Duration,
    /// Events a subscriber may fall behind by before it is told to resync
    /// (`EVENTS_SUBSCRIBER_BUFFER`).
    pub subscriber_buffer: usize,
    /// The Redis pub/sub channel instances share (`REDIS_EVENTS_CHANNEL`).
    pub redis_channel: String,
}

impl Default for EventsConfig {
    fn default() -> Self {
        Self {
            publisher: true,
            poll_interval: Duration::from_millis(500),
            batch_size: 256,
            retention: Duration::from_secs(24 * 3600),
            subscriber_buffer: 1024,
            redis_channel: "stockade:events".into(),
        }
    }
}

impl EventsConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let defaults = Self::default();
        let redis_channel = match env.get("REDIS_EVENTS_CHANNEL") {
            None => defaults.redis_channel,
            Some(v) if v.len() > 128 || v.chars().any(|c| c.is_whitespace() || c.is_control()) => {
                return Err(env.error("REDIS_EVENTS_CHANNEL", "must be at most 128 characters, without spaces"));
            }
            Some(v) => v,
        };
        let events = Self {
            publisher: env.flag("EVENTS_PUBLISHER", defaults.publisher)?,
            poll_interval: Duration::from_millis(env.number(
                "OUTBOX_POLL_INTERVAL_MS",
                defaults.poll_interval.as_millis() as u64,
                10..=60_000,
            )?),
            batch_size: env.number("OUTBOX_BATCH_SIZE", defaults.batch_size, 1..=10_000)?,
            retention: Duration::from_secs(3600 * env.number("OUTBOX_RETENTION_HOURS", defaults.retention.as_secs() / 3600, 0..=24 * 366)?),
            subscriber_buffer: env.number("EVENTS_SUBSCRIBER_BUFFER", defaults.subscriber_buffer, 4..=1_000_000)?,
            redis_channel,
        };
        // A batch is handed to subscribers at once: a smaller buffer would make even a
        // subscriber that keeps up miss events.
        if events.subscriber_buffer < events.batch_size as usize {
            return Err(env.error(
                "EVENTS_SUBSCRIBER_BUFFER",
                format!("{} is smaller than OUTBOX_BATCH_SIZE ({})", events.subscriber_buffer, events.batch_size),
            ));
        }
        Ok(events)
    }

    /// For the start-up summary.
    pub fn summary(&self) -> String {
        format!(
            "events(publisher={}, poll={}ms, batch={}, retention={}h, buffer={})",
            if self.publisher { "on" } else { "off" },
            self.poll_interval.as_millis(),
            self.batch_size,
            self.retention.as_secs() / 3600,
            self.subscriber_buffer,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_overrides_and_bad_values() {
        assert_eq!(EventsConfig::from_env(&Env::from_pairs(&[])).unwrap(), EventsConfig::default());
        let c = EventsConfig::from_env(&Env::from_pairs(&[
            ("EVENTS_PUBLISHER", "off"),
            ("OUTBOX_POLL_INTERVAL_MS", "50"),
            ("OUTBOX_BATCH_SIZE", "10"),
            ("OUTBOX_RETENTION_HOURS", "48"),
            ("EVENTS_SUBSCRIBER_BUFFER", "64"),
            ("REDIS_EVENTS_CHANNEL", "shop:events"),
        ]))
        .unwrap();
        assert!(!c.publisher);
        assert_eq!(c.poll_interval, Duration::from_millis(50));
        assert_eq!(c.batch_size, 10);
        assert_eq!(c.retention, Duration::from_secs(48 * 3600));
        assert_eq!(c.subscriber_buffer, 64);
        assert_eq!(c.redis_channel, "shop:events");

        let bad = |k: &str, v: &str| EventsConfig::from_env(&Env::from_pairs(&[(k, v)])).unwrap_err();
        for (k, v) in [
            ("EVENTS_PUBLISHER", "maybe"),
            ("OUTBOX_POLL_INTERVAL_MS", "1"),
            ("OUTBOX_BATCH_SIZE", "0"),
            ("OUTBOX_RETENTION_HOURS", "-1"),
            ("EVENTS_SUBSCRIBER_BUFFER", "1"),
            ("REDIS_EVENTS_CHANNEL", "a b"),
        ] {
            assert_eq!(bad(k, v).var, k);
        }
        let small_buffer = bad("EVENTS_SUBSCRIBER_BUFFER", "100");
        assert_eq!(small_buffer.var, "EVENTS_SUBSCRIBER_BUFFER");
        assert!(small_buffer.problem.contains("OUTBOX_BATCH_SIZE"), "{small_buffer}");
    }
}
