//! CPU time from `/proc`: the api processes, the Postgres backends serving this
//! benchmark's database, the whole Postgres server, this client and the machine.

use std::collections::HashMap;

use stockade_bench_probe::{machine_ticks as machine, process_ticks as ticks};

/// Every process named `postgres` (postmaster, backends, walwriter, checkpointer, ...).
fn postgres_pids() -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else { return Vec::new() };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "postgres"))
        .collect()
}

/// The backends connected to `database_url`'s database (the api pools), via psql.
fn backends(database_url: &str) -> Vec<u32> {
    let out = std::process::Command::new("psql")
        .args(["-At", database_url, "-c"])
        .arg("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
        .output();
    out.map(|o| String::from_utf8_lossy(&o.stdout).lines().filter_map(|l| l.trim().parse().ok()).collect()).unwrap_or_default()
}

pub struct Probe {
    pub api_pids: Vec<u32>,
    pub database_url: Option<String>,
    pub hz: f64,
}

pub struct Snapshot {
    api: u64,
    ours: HashMap<u32, u64>,
    all_postgres: u64,
    client: u64,
    machine: (u64, u64),
}

/// CPU seconds spent between two snapshots.
pub struct Spent {
    pub api: f64,
    /// Backends of this benchmark's database (those that exited meanwhile are missed).
    pub postgres_ours: f64,
    /// Every postgres process, background writers included, and other databases' load
    /// on a shared server.
    pub postgres_all: f64,
    pub client: f64,
    pub machine_busy: f64,
    pub machine_total: f64,
}

impl Probe {
    pub fn snapshot(&self) -> Snapshot {
        let ours = match &self.database_url {
            Some(url) => backends(url).into_iter().filter_map(|p| Some((p, ticks(p, false)?))).collect(),
            None => HashMap::new(),
        };
        Snapshot {
            api: self.api_pids.iter().filter_map(|p| ticks(*p, false)).sum(),
            ours,
            all_postgres: postgres_pids().into_iter().filter_map(|p| ticks(p, true)).sum(),
            client: ticks(std::process::id(), false).unwrap_or(0),
            machine: machine(),
        }
    }

    pub fn since(&self, before: &Snapshot) -> Spent {
        let after = self.snapshot();
        let ours: u64 = after.ours.iter().map(|(pid, t)| t.saturating_sub(before.ours.get(pid).copied().unwrap_or(0))).sum();
        let s = |t: u64| t as f64 / self.hz;
        Spent {
            api: s(after.api.saturating_sub(before.api)),
            postgres_ours: s(ours),
            postgres_all: s(after.all_postgres.saturating_sub(before.all_postgres)),
            client: s(after.client.saturating_sub(before.client)),
            machine_busy: s(after.machine.0.saturating_sub(before.machine.0)),
            machine_total: s(after.machine.1.saturating_sub(before.machine.1)),
        }
    }
}

impl Spent {
    /// CPU seconds per `unit` (e.g. per checkout) and per wall second, one line.
    pub fn report(&self, per: f64, unit: &str, wall: f64) -> String {
        let ms = |s: f64| s * 1000.0 / per.max(1.0);
        let cores = |s: f64| s / wall.max(1e-9);
        format!(
            "CPU per {unit}: api {:.2} ms, postgres (this database's backends) {:.2} ms, postgres (whole server) {:.2} ms, client {:.2} ms\n   \
             cores busy on average: api {:.2}, postgres ours {:.2}, postgres all {:.2}, client {:.2}; machine {:.0}% busy ({:.2} of {:.0} cores)",
            ms(self.api),
            ms(self.postgres_ours),
            ms(self.postgres_all),
            ms(self.client),
            cores(self.api),
            cores(self.postgres_ours),
            cores(self.postgres_all),
            cores(self.client),
            100.0 * self.machine_busy / self.machine_total.max(1e-9),
            cores(self.machine_busy),
            self.machine_total / wall.max(1e-9),
        )
    }
}
