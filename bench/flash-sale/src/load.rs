//! The load: `clients` tasks reserving one unit at a time through the inventory service
//! for a fixed time, with per-reservation latencies and CPU use.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use stockade_bench_probe::{machine_ticks, process_ticks};
use stockade_domain::actor::Actor;
use stockade_domain::error::Error;
use stockade_domain::inventory::{InventoryService, Owner, OwnerKind, ReserveLine};

const TTL: Duration = Duration::from_secs(15 * 60);

/// What one phase measured.
#[derive(Default)]
pub struct Outcome {
    pub elapsed: Duration,
    pub reserved: u64,
    pub out_of_stock: u64,
    pub errors: u64,
    pub first_error: Option<String>,
    /// Microseconds per successful reservation, sorted.
    pub latencies_us: Vec<u64>,
    /// Successful reservations per variant.
    pub per_variant: HashMap<i64, i64>,
    /// Share of the machine's CPU time that was busy (all processes), and this
    /// process's CPU seconds.
    pub machine_busy: f64,
    pub own_cpu_secs: f64,
}

impl Outcome {
    pub fn per_second(&self) -> f64 {
        self.reserved as f64 / self.elapsed.as_secs_f64()
    }

    pub fn percentile_ms(&self, p: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return 0.0;
        }
        let i = ((self.latencies_us.len() as f64 - 1.0) * p).round() as usize;
        self.latencies_us[i] as f64 / 1000.0
    }
}

/// Runs `clients` tasks for `duration`; each reserves 1 unit of `variants[pick]`.
pub async fn run(inv: &InventoryService, clients: usize, duration: Duration, variants: Arc<Vec<i64>>, label: &str) -> Outcome {
    let (busy0, total0) = machine_ticks();
    let cpu0 = own_cpu_secs();
    let start = Instant::now();
    let deadline = start + duration;
    let tasks: Vec<_> = (0..clients)
        .map(|client| {
            let inv = inv.clone();
            let variants = variants.clone();
            let label = label.to_owned();
            tokio::spawn(async move {
                let mut rng = 0x9E37_79B9_7F4A_7C15u64 ^ (client as u64 + 1).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                let mut out = Outcome::default();
                let mut n = 0u64;
                while Instant::now() < deadline {
                    rng ^= rng << 13;
                    rng ^= rng >> 7;
                    rng ^= rng << 17;
                    let variant = variants[(rng % variants.len() as u64) as usize];
                    n += 1;
                    let Ok(owner) = Owner::new(OwnerKind::Cart, format!("{label}-{client}-{n}")) else { continue };
                    let t = Instant::now();
                    match inv.reserve(&[ReserveLine::new(variant, 1)], &owner, TTL, Actor::Guest).await {
                        Ok(_) => {
                            out.latencies_us.push(t.elapsed().as_micros() as u64);
                            out.reserved += 1;
                            *out.per_variant.entry(variant).or_default() += 1;
                        }
                        Err(Error::OutOfStock { .. }) => out.out_of_stock += 1,
                        Err(e) => {
                            out.errors += 1;
                            out.first_error.get_or_insert_with(|| format!("{e:?}"));
                        }
                    }
                }
                out
            })
        })
        .collect();
    let mut total = Outcome::default();
    for task in tasks {
        let Ok(o) = task.await else {
            total.errors += 1;
            continue;
        };
        total.reserved += o.reserved;
        total.out_of_stock += o.out_of_stock;
        total.errors += o.errors;
        total.first_error = total.first_error.or(o.first_error);
        total.latencies_us.extend(o.latencies_us);
        for (v, n) in o.per_variant {
            *total.per_variant.entry(v).or_default() += n;
        }
    }
    total.elapsed = start.elapsed();
    total.latencies_us.sort_unstable();
    let (busy1, total1) = machine_ticks();
    total.machine_busy = (busy1 - busy0) as f64 / ((total1 - total0).max(1)) as f64;
    total.own_cpu_secs = own_cpu_secs() - cpu0;
    total
}

/// CPU seconds (user + system) this process has used.
fn own_cpu_secs() -> f64 {
    process_ticks(std::process::id(), false).unwrap_or(0) as f64 / 100.0
}
