//! Background passes: the reservation sweeper, the commerce sweeper, reconciliation and
//! housekeeping all run the same way.

use std::future::Future;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Runs `work` now and then every `interval` (a pass that overruns delays the next one)
/// until `stop` changes or its sender is dropped; a pass under way finishes first.
pub fn spawn_periodic<F, Fut>(interval: Duration, mut stop: watch::Receiver<bool>, mut work: F) -> JoinHandle<()>
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                biased;
                _ = stop.changed() => return,
                _ = tick.tick() => {}
            }
            work().await;
        }
    })
}

/// What one background pass did, as it should read in the log.
pub trait PassOutcome: std::fmt::Display {
    /// True when the pass found nothing to do (such passes are not logged).
    fn is_nothing(&self) -> bool;
}

impl PassOutcome for usize {
    fn is_nothing(&self) -> bool {
        *self == 0
    }
}

/// Logs one background pass, unless it did nothing. A failure is logged; the next
/// pass retries.
pub fn log_pass<T: PassOutcome>(result: crate::error::Result<T>, what: &'static str) {
    match result {
        Ok(outcome) if outcome.is_nothing() => {}
        Ok(outcome) => tracing::info!(%outcome, "{what}"),
        Err(e) => tracing::warn!(error = %e, "{what}: failed; will retry"),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn runs_each_interval_and_not_after_stop() {
        let passes = Arc::new(AtomicUsize::new(0));
        let (stop, stopped) = watch::channel(false);
        let counter = passes.clone();
        let task = spawn_periodic(Duration::from_secs(10), stopped, move || {
            counter.fetch_add(1, Ordering::SeqCst);
            std::future::ready(())
        });
        tokio::time::sleep(Duration::from_secs(25)).await;
        assert_eq!(passes.load(Ordering::SeqCst), 3, "at 0, 10 and 20 s");
        stop.send(true).unwrap();
        task.await.unwrap();
        tokio::time::sleep(Duration::from_secs(60)).await;
        assert_eq!(passes.load(Ordering::SeqCst), 3, "no pass after stop");
    }
}
