//! Fan-out benchmark of live stock subscriptions against a running server (see
//! `run.sh`, which starts the release server on a fresh Postgres database).
//!
//! 1. One stock change (staff `inventoryAdjust` over HTTP) fanned out to SUBSCRIBERS
//!    WebSocket `stockChanged` subscribers of one SKU: time from sending the change
//!    until each subscriber has it (p50/p99/max), ROUNDS times, next to the same with
//!    one subscriber; and the server's resident memory per subscriber.
//! 2. SUSTAIN_SUBSCRIBERS subscribers watching SUSTAIN_SKUS SKUs while one writer per
//!    stock level changes stock continuously for SUSTAIN_SECS: changes/s and messages
//!    delivered/s, next to the writers alone.
//!
//! Client and server share the machine: the client's CPU use is part of the figures.

mod api;
mod phases;
mod subscriber;

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;

use api::Api;
use phases::{Group, drain, fan_out, summary, write_continuously};

fn env_number(name: &str, default: u64) -> anyhow::Result<u64> {
    match std::env::var(name) {
        Ok(v) => v.parse().with_context(|| format!("{name}={v} is not a number")),
        Err(_) => Ok(default),
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let base = std::env::var("BASE_URL").context("BASE_URL (the server, e.g. http://127.0.0.1:8092) is required")?;
    let ws_url = format!("{}/graphql", base.replacen("http", "ws", 1));
    let pid: u32 = env_number("SERVER_PID", 0)?.try_into()?;
    let email = std::env::var("STAFF_EMAIL").context("STAFF_EMAIL is required")?;
    let password = std::env::var("STAFF_PASSWORD").context("STAFF_PASSWORD is required")?;
    let subscribers = env_number("SUBSCRIBERS", 1000)? as usize;
    let rounds = env_number("ROUNDS", 5)? as usize;
    let sustain_subscribers = env_number("SUSTAIN_SUBSCRIBERS", 100)? as usize;
    let sustain_skus = env_number("SUSTAIN_SKUS", 4)?.max(1) as usize;
    let sustain = Duration::from_secs(env_number("SUSTAIN_SECS", 10)?);
    let hz = env_number("CLK_TCK", 100)? as f64;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("machine: {cores} cores shared by Postgres, the server and this client (loopback); figures include the client's own CPU use");

    let api = Arc::new(Api::sign_in(&base, &email, &password).await?);
    let skus = api.skus(sustain_skus).await?;
    let mut hot = skus[0].levels[0].clone();
    let hot_variant = vec![skus[0].variant.clone()];

    println!("== fan-out: one stock change at a time to the subscribers of one SKU ({rounds} changes)");
    let mut one = Group::connect(&ws_url, 1, &hot_variant, true).await?;
    let mut base_run = fan_out(&api, &mut hot, &mut one, rounds).await?;
    one.stop().await?;
    println!(
        "   {:>5} subscriber (baseline): {}  (the mutation's own round trip: {})",
        1,
        summary(&mut base_run.latencies),
        summary(&mut base_run.mutations)
    );

    let rss_before = stockade_bench_probe::rss_kib(pid);
    let connecting = Instant::now();
    let mut many = Group::connect(&ws_url, subscribers, &hot_variant, true).await?;
    let connected_in = connecting.elapsed();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_after = stockade_bench_probe::rss_kib(pid);
    let mut run = fan_out(&api, &mut hot, &mut many, rounds).await?;
    println!(
        "   {subscribers:>5} subscribers: every subscriber's update {}; last subscriber per change {}",
        summary(&mut run.latencies),
        summary(&mut run.all_have_it)
    );
    if let (Some(before), Some(after)) = (rss_before, rss_after) {
        let per = after.saturating_sub(before) as f64 / subscribers.max(1) as f64;
        println!(
            "   server memory: {:.1} MiB before, {:.1} MiB with {subscribers} subscribers = {per:.1} KiB per subscriber ({} connected in {:.1} s)",
            before as f64 / 1024.0,
            after as f64 / 1024.0,
            subscribers,
            connected_in.as_secs_f64()
        );
    }
    many.stop().await?;

    // Writers start from the versions as they are now.
    let levels: Vec<_> = api.skus(sustain_skus).await?.into_iter().flat_map(|s| s.levels).collect();
    println!(
        "== sustained: {} writers (one per stock level of {sustain_skus} SKUs) changing stock for {} s",
        levels.len(),
        sustain.as_secs()
    );
    let alone = write_continuously(api.clone(), &levels, sustain).await;
    let mut alone_writes = alone.writes.clone();
    println!(
        "   no subscribers (baseline): {:.0} changes/s (write {}, {} refused)",
        alone.changes as f64 / alone.elapsed.as_secs_f64(),
        summary(&mut alone_writes),
        alone.failed
    );
    let levels = api.skus(sustain_skus).await?.into_iter().flat_map(|s| s.levels).collect::<Vec<_>>();
    let variants: Vec<String> = skus.iter().map(|s| s.variant.clone()).collect();
    let group = Group::connect(&ws_url, sustain_subscribers, &variants, false).await?;
    let cpu_before = stockade_bench_probe::process_ticks(pid, false);
    let busy = write_continuously(api.clone(), &levels, sustain).await;
    let received = drain(&group, busy.changes * sustain_subscribers as u64).await;
    let cpu_after = stockade_bench_probe::process_ticks(pid, false);
    let resyncs: u64 = group.counters.iter().map(|c| c.resyncs.load(std::sync::atomic::Ordering::Relaxed)).sum();
    let secs = busy.elapsed.as_secs_f64();
    let mut busy_writes = busy.writes.clone();
    println!(
        "   {sustain_subscribers} subscribers: {:.0} changes/s (write {}, {} refused), {:.0} messages/s delivered ({received} of {} expected, {resyncs} resyncs)",
        busy.changes as f64 / secs,
        summary(&mut busy_writes),
        busy.failed,
        received as f64 / secs,
        busy.changes * sustain_subscribers as u64
    );
    if let (Some(a), Some(b)) = (cpu_before, cpu_after) {
        println!("   server CPU during the sustained run: {:.0}% of one core", (b - a) as f64 / hz / secs * 100.0);
    }
    group.stop().await?;
    Ok(())
}
