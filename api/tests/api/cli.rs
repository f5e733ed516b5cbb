//! The `stockade` binary: subcommands, and one clear line for bad configuration.

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_stockade");

/// Runs the binary to its end; if it is still running after a minute (a bad value was
/// accepted and the server started), it is killed and the test fails instead of hanging.
fn run(args: &[&str], env: &[(&str, &str)], data_dir: &std::path::Path) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args).env_clear().env("PATH", std::env::var("PATH").unwrap_or_default()).env("DATA_DIR", data_dir).env("RUST_LOG", "warn");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).stdin(Stdio::null()).spawn().expect("binary runs");
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().expect("waiting for the binary").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!("stockade {args:?} with {env:?} was still running after 60 s:\n{}", stderr(&out));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("binary output")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The process failed with exit code 2 and one line naming `var`.
fn assert_config_error(out: &Output, var: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    let line = err.lines().last().unwrap_or_default();
    assert!(line.starts_with(&format!("stockade: {var}: ")), "one line naming {var}, got:\n{err}");
    assert!(!err.contains("panicked") && !err.contains("backtrace"), "{err}");
}

#[test]
fn bad_values_stop_it_with_one_line_naming_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    for (var, value) in [
        ("LISTEN_ADDR", "not-an-address"),
        ("DATABASE_URL", "mysql://localhost/x"),
        ("DATABASE_URL", "postgres://"),
        ("REDIS_URL", "http://nope"),
        ("LOG_FORMAT", "xml"),
        ("GRAPHQL_MAX_DEPTH", "-3"),
    ] {
        let out = run(&[], &[(var, value)], dir.path());
        assert_config_error(&out, var);
    }
}

#[test]
fn a_port_in_use_is_reported_against_listen_addr() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = run(&["serve"], &[("LISTEN_ADDR", &addr), ("SEED_DEMO", "false")], dir.path());
    assert_config_error(&out, "LISTEN_ADDR");
    assert!(stderr(&out).contains("in use"), "{}", stderr(&out));
}

#[test]
fn unreachable_postgres_is_reported_against_database_url_without_the_password() {
    let dir = tempfile::tempdir().unwrap();
    // Port 1 on loopback: nothing listens there.
    let out = run(&["migrate"], &[("DATABASE_URL", "postgres://app:hunter2@127.0.0.1:1/shop")], dir.path());
    assert_config_error(&out, "DATABASE_URL");
    assert!(!stderr(&out).contains("hunter2"), "the password must not be printed: {}", stderr(&out));
}

#[test]
fn migrate_seed_and_print_schema() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["migrate"], &[], dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(dir.path().join("stockade.db").exists(), "SQLite file under DATA_DIR");

    let out = run(&["seed"], &[], dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("49 products, 650 variants, 2 stock locations, 993 stock levels added (0 products already present)"), "{text}");

    let out = run(&["seed"], &[], dir.path());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("0 products, 0 variants, 0 stock locations, 0 stock levels added (49 products already present)"),
        "seeding twice adds nothing: {text}"
    );

    let out = run(&["inventory", "verify"], &[], dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("inventory reconciles: 993 stock levels, 993 ledger rows"), "{text}");

    // A stock level changed behind the ledger's back is listed, with exit code 1.
    let db = dir.path().join("stockade.db");
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
        let pool = sqlx::SqlitePool::connect(&format!("sqlite:{}", db.display())).await.unwrap();
        sqlx::query("UPDATE stock_levels SET on_hand = on_hand + 1 WHERE id = 3").execute(&pool).await.unwrap();
        pool.close().await;
    });
    let out = run(&["inventory", "verify"], &[], dir.path());
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.contains("on_hand=") && text.contains("ledger on_hand="), "{text}");
    assert!(stderr(&out).contains("does not reconcile: 993 stock levels, 993 ledger rows, 1 not reconciling"), "{}", stderr(&out));

    let out = run(&["print-schema"], &[], dir.path());
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), stockade_graphql::sdl());
}

#[test]
fn create_admin_reads_the_password_from_stdin() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let spawn = |password: &str| {
        let mut child = Command::new(BIN)
            .args(["create-admin", "--email", "Boss@Example.com", "--password-stdin"])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATA_DIR", dir.path())
            .env("RUST_LOG", "warn")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
        child.wait_with_output().unwrap()
    };
    let out = spawn("keys to the shop 2026");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("admin created: boss@example.com"));
    let again = spawn("keys to the shop 2026");
    assert_eq!(again.status.code(), Some(2));
    assert!(stderr(&again).contains("already exists"), "{}", stderr(&again));
    let weak = Command::new(BIN)
        .args(["create-admin", "--email", "other@example.com", "--password-stdin"])
        .env_clear()
        .env("DATA_DIR", dir.path())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(stderr(&weak).contains("at least 10 characters"), "{}", stderr(&weak));
    assert!(!stderr(&weak).contains("keys to the shop"), "passwords never printed");
}

#[test]
fn inventory_verify_refuses_pending_migrations_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["migrate"], &[], dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let db = dir.path().join("stockade.db");
    let applied = |pool_url: String| async move {
        let pool = sqlx::SqlitePool::connect(&pool_url).await.unwrap();
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM seaql_migrations").fetch_one(&pool).await.unwrap();
        pool.close().await;
        n
    };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let url = format!("sqlite:{}", db.display());
    // Pretend the last migration has not run yet.
    rt.block_on(async {
        let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
        sqlx::query("DELETE FROM seaql_migrations WHERE version = (SELECT MAX(version) FROM seaql_migrations)")
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    });
    let before = rt.block_on(applied(url.clone()));
    let out = run(&["inventory", "verify"], &[], dir.path());
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("1 pending migration"), "{}", stderr(&out));
    assert!(stderr(&out).contains("stockade migrate"), "{}", stderr(&out));
    assert_eq!(rt.block_on(applied(url)), before, "verify applied no migration");
}
