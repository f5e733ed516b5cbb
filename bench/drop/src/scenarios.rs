//! The three runs: holds, a whole drop, and the rush of buyers released at once.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::Settings;
use crate::gql::{self, Gql, user_error};
use crate::stats::summary;

const ADDRESS: &str =
    r#"{ "name": "Marta Silva", "line1": "1 Main St", "city": "Springfield", "region": "IL", "postalCode": "62701", "country": "US" }"#;

fn counters_line(gql: &Gql) -> String {
    let c = &gql.counters;
    format!(
        "requests sent {}, retried after SERVICE_UNAVAILABLE {}, after GATEWAY_UNAVAILABLE {}",
        c.requests.load(Ordering::Relaxed),
        c.unavailable.load(Ordering::Relaxed),
        c.gateway_unavailable.load(Ordering::Relaxed)
    )
}

/// A new guest cart (no lines): (id, token, version).
async fn new_cart(gql: &Gql, instance: usize) -> anyhow::Result<(Value, Value, i64, Duration)> {
    let a = gql.call(instance, gql::CART_CREATE, json!({ "l": null })).await?;
    let c = &a.data["cartCreate"];
    let version = c["cart"]["version"].as_i64().with_context(|| format!("cartCreate: {c}"))?;
    Ok((c["cart"]["id"].clone(), c["cartToken"].clone(), version, a.took))
}

#[derive(Default)]
struct Guest {
    holds: Vec<Duration>,
    creates: Vec<Duration>,
    refused: BTreeMap<String, u64>,
    failure: Option<String>,
}

/// Guests adding 1 unit at a time to their carts for `duration`.
pub async fn holds(s: &Settings, guests: usize, duration: Duration, service_rps: Option<f64>) -> anyhow::Result<()> {
    let gql = &s.gql;
    let max_line = crate::env_number("CART_MAX_LINE_QUANTITY", 10)?.max(1);
    gql.warm_up(guests.div_ceil(gql.instances())).await;
    println!(
        "   {guests} guests on {} instance(s), {}s: cartCreate, then cartLinesAdd of 1 unit until the line holds {max_line} (the most one cart may hold), then a new cart",
        gql.instances(),
        duration.as_secs()
    );
    let before = s.probe.snapshot();
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = JoinSet::new();
    for g in 0..guests {
        let (gql, variant) = (gql.clone(), s.variant.clone());
        tasks.spawn(async move {
            let mut me = Guest::default();
            let run = async {
                'carts: while Instant::now() < deadline {
                    let (cart, token, mut version, took) = new_cart(&gql, g).await?;
                    me.creates.push(took);
                    for _ in 0..max_line {
                        if Instant::now() >= deadline {
                            break 'carts;
                        }
                        let lines = json!([{ "variantId": variant, "quantity": 1 }]);
                        let a = gql.call(g, gql::LINES_ADD, json!({ "c": cart, "t": token, "v": version, "l": lines })).await?;
                        if let Some(code) = user_error(&a.data, "cartLinesAdd") {
                            *me.refused.entry(code).or_default() += 1;
                            continue 'carts;
                        }
                        version = a.data["cartLinesAdd"]["cart"]["version"].as_i64().context("cartLinesAdd: no version")?;
                        me.holds.push(a.took);
                    }
                }
                anyhow::Ok(())
            };
            if let Err(e) = run.await {
                me.failure = Some(format!("{e:#}"));
            }
            me
        });
    }
    let mut all = Guest::default();
    let mut failures = Vec::new();
    while let Some(guest) = tasks.join_next().await {
        let guest = guest?;
        all.holds.extend(guest.holds);
        all.creates.extend(guest.creates);
        for (code, n) in guest.refused {
            *all.refused.entry(code).or_default() += n;
        }
        failures.extend(guest.failure);
    }
    let wall = started.elapsed().as_secs_f64();
    let spent = s.probe.since(&before);
    let held = all.holds.len() as f64;
    println!("   holds: {:.0}/s ({} in {wall:.2} s)  cartLinesAdd {}", held / wall, all.holds.len(), summary(&mut all.holds));
    println!("   carts: {:.0}/s  cartCreate {}", all.creates.len() as f64 / wall, summary(&mut all.creates));
    if let Some(service) = service_rps {
        println!("   against the inventory service's {service:.0} reservations/s: {:.3} of it", held / wall / service);
    }
    println!("   refused with a user error: {:?}; {}", all.refused, counters_line(gql));
    println!("   {}", spent.report(held, "hold", wall));
    println!("SUMMARY holds holds_per_s={:.0} wall_s={wall:.2} failed_guests={}", held / wall, failures.len());
    report_failures(&failures)
}

fn report_failures(failures: &[String]) -> anyhow::Result<()> {
    if failures.is_empty() {
        return Ok(());
    }
    for f in failures.iter().take(5) {
        println!("   FAILED: {f}");
    }
    anyhow::bail!("{} clients failed", failures.len())
}

const STEPS: [&str; 6] = ["cartCreate", "cartLinesAdd", "checkoutStart", "checkoutComplete", "paymentIntentCreate", "testPaymentConfirm"];

enum Outcome {
    Paid,
    /// Told OUT_OF_STOCK at this step.
    OutOfStock(usize),
    Failed(String),
}

/// One shopper of a drop, through every step; `times[k]` is step k's time, and
/// `after(k)` is called once step k has been answered.
async fn shop(
    gql: &Gql,
    instance: usize,
    variant: &str,
    n: usize,
    times: &mut [Option<Duration>; 6],
    after: &mut (dyn FnMut(usize) + Send),
) -> anyhow::Result<Outcome> {
    let (cart, token, version, took) = new_cart(gql, instance).await?;
    times[0] = Some(took);
    after(0);
    let lines = json!([{ "variantId": variant, "quantity": 1 }]);
    let a = gql.call(instance, gql::LINES_ADD, json!({ "c": cart, "t": token, "v": version, "l": lines })).await?;
    times[1] = Some(a.took);
    after(1);
    match user_error(&a.data, "cartLinesAdd").as_deref() {
        None => {}
        Some("OUT_OF_STOCK") => return Ok(Outcome::OutOfStock(1)),
        Some(_) => return Ok(Outcome::Failed(format!("cartLinesAdd: {}", a.data))),
    }
    let address: Value = serde_json::from_str(ADDRESS)?;
    let email = format!("shopper{n}@example.com");
    let a = gql.call(instance, gql::CHECKOUT_START, json!({ "c": cart, "t": token, "e": email, "a": address })).await?;
    times[2] = Some(a.took);
    after(2);
    let start = &a.data["checkoutStart"];
    if start["review"]["problems"][0]["code"] == "OUT_OF_STOCK" {
        return Ok(Outcome::OutOfStock(2));
    }
    if user_error(&a.data, "checkoutStart").is_some() || start["review"]["ready"] != true {
        return Ok(Outcome::Failed(format!("checkoutStart: {start}")));
    }
    let key = format!("drop-{n}-{}", std::process::id());
    let a = gql.call(instance, gql::CHECKOUT_COMPLETE, json!({ "c": cart, "t": token, "k": key })).await?;
    times[3] = Some(a.took);
    after(3);
    let done = &a.data["checkoutComplete"];
    if done["problems"][0]["code"] == "OUT_OF_STOCK" {
        return Ok(Outcome::OutOfStock(3));
    }
    let Some(order) = done["order"]["id"].as_str() else { return Ok(Outcome::Failed(format!("checkoutComplete: {done}"))) };
    let a = gql.call(instance, gql::INTENT_CREATE, json!({ "o": order, "t": done["orderToken"] })).await?;
    times[4] = Some(a.took);
    after(4);
    let Some(secret) = a.data["paymentIntentCreate"]["clientSecret"].as_str() else {
        return Ok(Outcome::Failed(format!("paymentIntentCreate: {}", a.data)));
    };
    let a = gql.call(instance, gql::PAYMENT_CONFIRM, json!({ "s": secret })).await?;
    times[5] = Some(a.took);
    after(5);
    match a.data["testPaymentConfirm"]["order"]["status"].as_str() {
        Some("PAID") => Ok(Outcome::Paid),
        _ => Ok(Outcome::Failed(format!("testPaymentConfirm: {}", a.data))),
    }
}

/// A whole drop: `shoppers` released at once, round-robin over the instances.
pub async fn whole_drop(s: &Settings, shoppers: usize) -> anyhow::Result<()> {
    let gql = &s.gql;
    gql.warm_up(64).await;
    let (go, ready) = watch::channel(false);
    let mut tasks = JoinSet::new();
    for n in 0..shoppers {
        let (gql, variant, mut ready) = (gql.clone(), s.variant.clone(), ready.clone());
        tasks.spawn(async move {
            let _ = ready.wait_for(|go| *go).await;
            let mut times = [None; 6];
            let outcome = shop(&gql, n, &variant, n, &mut times, &mut |_| {}).await.unwrap_or_else(|e| Outcome::Failed(format!("{e:#}")));
            (outcome, times)
        });
    }
    let before = s.probe.snapshot();
    let started = release(go, ready).await;
    let mut step_times: Vec<Vec<Duration>> = vec![Vec::new(); STEPS.len()];
    let (mut paid, mut out_of_stock, mut failures) = (0usize, [0usize; 6], Vec::new());
    while let Some(joined) = tasks.join_next().await {
        let (outcome, times) = joined?;
        for (k, t) in times.iter().enumerate() {
            step_times[k].extend(*t);
        }
        match outcome {
            Outcome::Paid => paid += 1,
            Outcome::OutOfStock(step) => out_of_stock[step] += 1,
            Outcome::Failed(why) => failures.push(why),
        }
    }
    let wall = started.elapsed().as_secs_f64();
    let spent = s.probe.since(&before);
    println!(
        "   {shoppers} shoppers on {} instance(s): {paid} paid in {wall:.2} s = {:.1} complete checkouts/s on one SKU",
        gql.instances(),
        paid as f64 / wall
    );
    let told: Vec<String> = out_of_stock.iter().enumerate().filter(|(_, n)| **n > 0).map(|(k, n)| format!("{n} at {}", STEPS[k])).collect();
    println!(
        "   told OUT_OF_STOCK: {}; failed: {}; {}",
        if told.is_empty() { "none".into() } else { told.join(", ") },
        failures.len(),
        counters_line(gql)
    );
    for (k, times) in step_times.iter_mut().enumerate() {
        println!("   {:>20}: {}", STEPS[k], summary(times));
    }
    println!("   {}", spent.report(paid as f64, "paid checkout", wall));
    println!("SUMMARY drop paid={paid} wall_s={wall:.2} checkouts_per_s={:.1} failed={}", paid as f64 / wall, failures.len());
    report_failures(&failures)
}

/// One shopper alone, step by step, for counting what each step costs the database:
/// after each step (and a pause for the work it set off, such as publishing its events)
/// `mark` runs with the step's name, e.g. a statement that shows in Postgres's log.
pub async fn one_shopper(s: &Settings, pause: Duration, mark: impl Fn(&str) -> anyhow::Result<()> + Send + Sync) -> anyhow::Result<()> {
    let mut times = [None; 6];
    let mut failed = None;
    let mut after = |k: usize| {
        std::thread::sleep(pause);
        if let Err(e) = mark(STEPS[k]) {
            failed.get_or_insert(e);
        }
    };
    // What was set off before the first step (stocking the SKU) is marked off first.
    std::thread::sleep(pause);
    mark("begin")?;
    let outcome = shop(&s.gql, 0, &s.variant, 0, &mut times, &mut after).await?;
    if let Some(e) = failed {
        return Err(e.context("marking a step"));
    }
    match outcome {
        Outcome::Paid => {
            let took: Vec<String> = times
                .iter()
                .enumerate()
                .map(|(k, t)| format!("{} {:.1} ms", STEPS[k], t.unwrap_or_default().as_secs_f64() * 1e3))
                .collect();
            println!("   one shopper paid: {}", took.join(", "));
            Ok(())
        }
        Outcome::OutOfStock(k) => anyhow::bail!("told OUT_OF_STOCK at {}", STEPS[k]),
        Outcome::Failed(why) => anyhow::bail!(why),
    }
}

/// Releases every waiting task at once; when.
async fn release(go: watch::Sender<bool>, ready: watch::Receiver<bool>) -> Instant {
    std::mem::drop(ready);
    // Let every task reach its wait first.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let _ = go.send(true);
    Instant::now()
}

/// `buyers` released at once (a barrier), each `cartCreate` with 1 unit once.
pub async fn rush(s: &Settings, buyers: usize) -> anyhow::Result<()> {
    let gql = &s.gql;
    let units = crate::env_number("UNITS", 500)? as usize;
    gql.warm_up(256usize.div_ceil(gql.instances())).await;
    let (go, ready) = watch::channel(false);
    let arrivals = Arc::new(AtomicUsize::new(0));
    let mut tasks = JoinSet::new();
    let origin = Instant::now();
    for n in 0..buyers {
        let (gql, variant, mut ready, arrivals) = (gql.clone(), s.variant.clone(), ready.clone(), arrivals.clone());
        tasks.spawn(async move {
            let _ = ready.wait_for(|go| *go).await;
            let rank = Arc::new(AtomicUsize::new(usize::MAX));
            let r = rank.clone();
            let lines = json!([{ "variantId": variant, "quantity": 1 }]);
            let answer = gql
                .call_observed(n, gql::CART_CREATE, json!({ "l": lines }), move || {
                    r.store(arrivals.fetch_add(1, Ordering::Relaxed), Ordering::Relaxed);
                })
                .await;
            let answered = origin.elapsed();
            let outcome = match answer {
                Ok(a) => match user_error(&a.data, "cartCreate").as_deref() {
                    None if a.data["cartCreate"]["cart"]["lines"][0]["quantity"] == 1 => Ok(true),
                    Some("OUT_OF_STOCK") => Ok(false),
                    _ => Err(format!("cartCreate: {}", a.data)),
                },
                Err(e) => Err(format!("{e:#}")),
            };
            (rank.load(Ordering::Relaxed), answered, outcome)
        });
    }
    let before = s.probe.snapshot();
    let released = release(go, ready).await.duration_since(origin);
    let (mut winners, mut out_of_stock, mut failures, mut answers) = (Vec::new(), 0usize, Vec::new(), Vec::new());
    while let Some(joined) = tasks.join_next().await {
        let (rank, answered, outcome) = joined?;
        answers.push(answered.saturating_sub(released));
        match outcome {
            Ok(true) => winners.push(rank),
            Ok(false) => out_of_stock += 1,
            Err(why) => failures.push(why),
        }
    }
    let spent = s.probe.since(&before);
    let wall = answers.iter().max().copied().unwrap_or_default().as_secs_f64();
    winners.sort_unstable();
    let early = winners.iter().filter(|r| **r < units).count();
    let median = winners.get(winners.len() / 2).copied().unwrap_or(0);
    println!(
        "   {buyers} buyers for {units} units on {} instance(s), released at once: every buyer answered after {wall:.2} s",
        gql.instances()
    );
    println!(
        "   holds taken: {} ({}), told OUT_OF_STOCK: {out_of_stock}, failed: {}; {}",
        winners.len(),
        if winners.len() == units { "exactly the units" } else { "NOT the units" },
        failures.len(),
        counters_line(gql)
    );
    println!(
        "   winners against arrival order (rank of the request when sent, 0-based): {early} of {} winners among the first {units} sent ({:.1}%), median rank {median}, last winner's rank {}",
        winners.len(),
        100.0 * early as f64 / winners.len().max(1) as f64,
        winners.last().copied().unwrap_or(0)
    );
    println!("   time to answer after the release: {}", summary(&mut answers));
    println!("   {}", spent.report(buyers as f64, "buyer", wall));
    println!(
        "SUMMARY rush holds={} wall_s={wall:.2} winners_in_first={early} median_rank={median} failed={}",
        winners.len(),
        failures.len()
    );
    report_failures(&failures)
}
