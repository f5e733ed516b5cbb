//! The measured phases: one change fanned out to many subscribers, and continuous
//! changes delivered to fewer.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::api::{Api, Level};
use crate::subscriber::{Arrival, Counters, Subscriber};
use stockade_bench_probe::percentile_ms;

/// Subscribers connected at once while a group is built (the rest wait their turn).
const CONNECT_BATCH: usize = 100;
/// Longest wait for a batch of subscribers to be ready, or for a change to arrive.
const PATIENCE: Duration = Duration::from_secs(30);

/// Subscribers sharing one stop signal.
pub struct Group {
    pub counters: Vec<Arc<Counters>>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<anyhow::Result<()>>>,
    pub arrivals: Option<mpsc::UnboundedReceiver<Arrival>>,
}

impl Group {
    /// `n` subscribers to `variants`, each past its snapshot when this returns.
    pub async fn connect(ws_url: &str, n: usize, variants: &[String], with_arrivals: bool) -> anyhow::Result<Group> {
        let (stop, stopped) = watch::channel(false);
        let (tx, arrivals) = mpsc::unbounded_channel();
        let (ready_tx, mut ready) = mpsc::channel(n.max(1));
        let mut group = Group { counters: Vec::new(), stop, tasks: Vec::new(), arrivals: with_arrivals.then_some(arrivals) };
        for start in (0..n).step_by(CONNECT_BATCH) {
            let end = (start + CONNECT_BATCH).min(n);
            for index in start..end {
                let counters = Arc::new(Counters::default());
                group.counters.push(counters.clone());
                let subscriber = Subscriber { index, counters, arrivals: with_arrivals.then(|| tx.clone()) };
                let run = subscriber.run(ws_url.to_owned(), variants.to_vec(), ready_tx.clone(), stopped.clone());
                group.tasks.push(tokio::spawn(run));
            }
            for _ in start..end {
                tokio::time::timeout(PATIENCE, ready.recv())
                    .await
                    .context("subscribers took too long to start")?
                    .context("a subscriber failed before its snapshot")?;
            }
        }
        Ok(group)
    }

    /// Stops every subscriber; the first error any of them met, if one did.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop.send(true);
        let mut first = None;
        for task in self.tasks {
            match tokio::time::timeout(PATIENCE, task).await {
                Ok(Ok(Ok(()))) => {}
                Ok(Ok(Err(e))) => first = first.or(Some(e)),
                Ok(Err(e)) => first = first.or(Some(e.into())),
                Err(_) => first = first.or(Some(anyhow::anyhow!("a subscriber did not stop"))),
            }
        }
        first.map_or(Ok(()), Err)
    }
}

/// What `rounds` single changes took to reach every subscriber of a group.
pub struct Fanout {
    /// Change sent -> update received, one sample per subscriber per round.
    pub latencies: Vec<Duration>,
    /// Per round: change sent -> the last subscriber has it.
    pub all_have_it: Vec<Duration>,
    /// The mutation's own round trips.
    pub mutations: Vec<Duration>,
}

/// Sends `rounds` changes to `level` one at a time (alternately -1 and +1) and waits
/// for each to reach all of `group`.
pub async fn fan_out(api: &Api, level: &mut Level, group: &mut Group, rounds: usize) -> anyhow::Result<Fanout> {
    let n = group.counters.len();
    let arrivals = group.arrivals.as_mut().context("group without arrival reports")?;
    let mut out = Fanout { latencies: Vec::new(), all_have_it: Vec::new(), mutations: Vec::new() };
    for round in 0..rounds {
        let sent = Instant::now();
        out.mutations.push(api.adjust(level, if round % 2 == 0 { -1 } else { 1 }).await?);
        let mut last = Duration::ZERO;
        for _ in 0..n {
            let Ok(Some((_, _, at))) = tokio::time::timeout(PATIENCE, arrivals.recv()).await else {
                bail!("round {round}: not every subscriber got the change within {PATIENCE:?}");
            };
            let latency = at.saturating_duration_since(sent);
            last = last.max(latency);
            out.latencies.push(latency);
        }
        out.all_have_it.push(last);
        // Let the system settle between rounds.
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Ok(out)
}

/// What continuous writing achieved.
pub struct Sustained {
    pub elapsed: Duration,
    pub changes: u64,
    pub failed: u64,
    pub writes: Vec<Duration>,
}

/// One writer per level, each adjusting its level back and forth as fast as the API
/// answers, for `duration`.
pub async fn write_continuously(api: Arc<Api>, levels: &[Level], duration: Duration) -> Sustained {
    let started = Instant::now();
    let deadline = started + duration;
    let writers = levels.iter().cloned().map(|mut level| {
        let api = api.clone();
        tokio::spawn(async move {
            let (mut ok, mut failed, mut writes) = (0u64, 0u64, Vec::new());
            let mut delta = -1;
            while Instant::now() < deadline {
                match api.adjust(&mut level, delta).await {
                    Ok(took) => {
                        ok += 1;
                        writes.push(took);
                        delta = -delta;
                    }
                    Err(_) => failed += 1,
                }
            }
            (ok, failed, writes)
        })
    });
    let mut out = Sustained { elapsed: Duration::ZERO, changes: 0, failed: 0, writes: Vec::new() };
    for (ok, failed, writes) in futures::future::join_all(writers).await.into_iter().flatten() {
        out.changes += ok;
        out.failed += failed;
        out.writes.extend(writes);
    }
    out.elapsed = started.elapsed();
    out
}

/// Waits until the group has received `expected` updates in all (or `PATIENCE` passes);
/// returns how many it has.
pub async fn drain(group: &Group, expected: u64) -> u64 {
    let received = || group.counters.iter().map(|c| c.changes.load(Ordering::Relaxed) + c.resyncs.load(Ordering::Relaxed)).sum::<u64>();
    let deadline = Instant::now() + PATIENCE;
    while received() < expected && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    received()
}

pub fn summary(samples: &mut [Duration]) -> String {
    format!(
        "p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        percentile_ms(samples, 50.0),
        percentile_ms(samples, 99.0),
        percentile_ms(samples, 100.0)
    )
}
