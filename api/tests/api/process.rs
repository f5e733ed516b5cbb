//! The `stockade` binary as a child process on a free port, for tests that signal it or
//! kill it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

pub struct ServerProcess {
    pub addr: SocketAddr,
    pub base: String,
    pub child: tokio::process::Child,
    log_path: PathBuf,
    _data: tempfile::TempDir,
}

impl ServerProcess {
    /// Starts `stockade serve` with a clean environment, its own `DATA_DIR`, a free port
    /// and JSON logs, plus `env`; returns once it is ready. The log goes to a file: a
    /// pipe nobody reads while it runs could fill and stall it.
    pub async fn start(env: &[(&str, &str)]) -> ServerProcess {
        let data = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let log_path = data.path().join("server.log");
        let log = std::fs::File::create(&log_path).unwrap();
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_stockade"))
            .arg("serve")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATA_DIR", data.path())
            .env("LISTEN_ADDR", addr.to_string())
            .env("LOG_FORMAT", "json")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .kill_on_drop(true)
            .spawn()
            .expect("the binary starts");
        let base = format!("http://{addr}");
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(120);
        while !client.get(format!("{base}/readyz")).send().await.is_ok_and(|r| r.status() == 200) {
            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
            assert!(Instant::now() < deadline, "not ready in 120 s:\n{log}");
            assert!(child.try_wait().unwrap().is_none(), "the server exited while starting:\n{log}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        ServerProcess { addr, base, child, log_path, _data: data }
    }

    /// An instance on `database_url` for a sale the test drives itself: no rate limits
    /// (every buyer comes from 127.0.0.1), no background sweeps or reconciliation (the
    /// test expires holds itself, as if their time had passed), plus `extra`.
    pub async fn for_sale(database_url: &str, extra: &[(&str, &str)]) -> ServerProcess {
        let mut env = vec![
            ("DATABASE_URL", database_url),
            ("SEED_DEMO", "false"),
            ("RUST_LOG", "warn"),
            ("RATE_LIMIT_BROWSE_PER_MINUTE", "0"),
            ("RATE_LIMIT_CHECKOUT_PER_MINUTE", "0"),
            ("RATE_LIMIT_CHECKOUT_ACCOUNT_PER_MINUTE", "0"),
            ("RESERVATION_SWEEP_INTERVAL_SECS", "0"),
            ("COMMERCE_SWEEP_INTERVAL_SECS", "0"),
            ("PAYMENT_RECONCILE_INTERVAL_SECS", "0"),
        ];
        env.extend_from_slice(extra);
        ServerProcess::start(&env).await
    }

    /// What it has logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }
}
