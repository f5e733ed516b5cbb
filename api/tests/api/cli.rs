//! The `stockade` binary: subcommands, and one clear line for bad configuration.

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use stockade_domain::accounts::Role;

use crate::helpers::{TestApp, TestDb, code};

const BIN: &str = env!("CARGO_BIN_EXE_stockade");

/// Runs the binary to its end; if it is still running after a minute (a bad value was
/// accepted and the server started), it is killed and the test fails instead of hanging.
fn run(args: &[&str], env: &[(&str, &str)], data_dir: &std::path::Path) -> Output {
    run_with_stdin(args, env, data_dir, None)
}

/// [`run`], with `stdin` (and a newline) as standard input.
fn run_with_stdin(args: &[&str], env: &[(&str, &str)], data_dir: &std::path::Path, stdin: Option<&str>) -> Output {
    use std::io::Write;
    let mut cmd = Command::new(BIN);
    cmd.args(args).env_clear().env("PATH", std::env::var("PATH").unwrap_or_default()).env("DATA_DIR", data_dir).env("RUST_LOG", "warn");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let input = if stdin.is_some() { Stdio::piped() } else { Stdio::null() };
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).stdin(input).spawn().expect("binary runs");
    if let Some(text) = stdin {
        writeln!(child.stdin.take().expect("stdin"), "{text}").expect("write stdin");
    }
    // Output is read while the program runs (a schema longer than a pipe's buffer would
    // otherwise block it forever), on a thread the test waits for with a deadline.
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(out) => out.expect("binary output"),
        Err(_) => {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            let out = rx.recv().expect("the killed binary's output").expect("binary output");
            panic!("stockade {args:?} with {env:?} was still running after 60 s:\n{}", stderr(&out));
        }
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
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
fn refused_postgres_is_named_with_its_address_and_without_the_password() {
    let dir = tempfile::tempdir().unwrap();
    // A port that was free a moment ago: nothing listens there now.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("postgres://u:sekret@127.0.0.1:{port}/x");
    let started = Instant::now();
    let out = run(&["serve"], &[("DATABASE_URL", &url), ("LISTEN_ADDR", "127.0.0.1:0"), ("SEED_DEMO", "false")], dir.path());
    assert_config_error(&out, "DATABASE_URL");
    let err = stderr(&out);
    assert!(err.contains("refused"), "says the connection was refused: {err}");
    assert!(err.contains(&format!("127.0.0.1:{port}")), "names host:port: {err}");
    assert!(!err.contains("sekret") && !stdout(&out).contains("sekret"), "the password must not be printed: {err}");
    assert!(started.elapsed() < Duration::from_secs(30), "gives up within the acquire timeout, not a minute: {:?}", started.elapsed());
}

const SIGN_IN: &str =
    "mutation($e: String!, $p: String!) { tokenCreate(email: $e, password: $p) { accessToken refreshToken userErrors { code message } } }";
const REFRESH: &str = "mutation($t: String!) { tokenRefresh(refreshToken: $t) { accessToken } }";

/// Sign-ins may be locked out quickly (at the third failure) and never rate limited.
const QUICK_LOCKOUT: [(&str, &str); 4] = [
    ("LOGIN_SLOWDOWN_AFTER", "3"),
    ("LOGIN_LOCKOUT_AFTER", "3"),
    ("RATE_LIMIT_AUTH_PER_MINUTE", "0"),
    ("RATE_LIMIT_AUTH_ACCOUNT_PER_MINUTE", "0"),
];

/// The first user error of a sign-in, or "" when it signed in.
async fn sign_in(app: &TestApp, email: &str, password: &str) -> String {
    let data = app.gql_ok(SIGN_IN, json!({ "e": email, "p": password })).await;
    let auth = &data["tokenCreate"];
    match auth["userErrors"][0]["code"].as_str() {
        Some(code) => code.to_owned(),
        None => {
            assert!(auth["accessToken"].is_string(), "{data}");
            String::new()
        }
    }
}

/// Runs the binary on the test server's database (as an operator would on a running
/// shop), off the test's runtime.
async fn operator(app: &TestApp, args: &[&str], stdin: Option<&str>) -> Output {
    let url = app.db.url();
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let stdin = stdin.map(str::to_owned);
    tokio::task::spawn_blocking(move || {
        let dir = tempfile::tempdir().unwrap();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run_with_stdin(&args, &[("DATABASE_URL", &url)], dir.path(), stdin.as_deref())
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn user_unlock_lets_a_locked_out_account_sign_in_again() {
    let app = TestApp::spawn_with(TestDb::empty(), &QUICK_LOCKOUT).await;
    let admin = app.user(Role::Admin).await;
    for attempt in 1..=3 {
        assert_eq!(sign_in(&app, &admin.email, "not the password at all").await, "INVALID_CREDENTIALS", "attempt {attempt}");
    }
    assert_eq!(sign_in(&app, &admin.email, &admin.password).await, "TOO_MANY_ATTEMPTS", "locked out");

    let out = operator(&app, &["user", "unlock", &admin.email.to_uppercase()], None).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains(&format!("unlocked: {} can sign in again", admin.email)), "{}", stdout(&out));
    assert_eq!(sign_in(&app, &admin.email, &admin.password).await, "", "signs in again at once");

    let again = operator(&app, &["user", "unlock", &admin.email], None).await;
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(stdout(&again).contains("was not locked out"), "{}", stdout(&again));

    let unknown = operator(&app, &["user", "unlock", "nobody@example.com"], None).await;
    assert_eq!(unknown.status.code(), Some(2), "{}", stderr(&unknown));
    assert!(stderr(&unknown).contains("no account has the email nobody@example.com"), "{}", stderr(&unknown));
    assert!(!stderr(&unknown).contains("panicked"), "{}", stderr(&unknown));
}

#[tokio::test(flavor = "multi_thread")]
async fn user_reset_password_replaces_it_and_signs_every_session_out() {
    let app = TestApp::spawn_with(TestDb::empty(), &QUICK_LOCKOUT).await;
    let admin = app.user(Role::Admin).await;
    let reset = ["user", "reset-password", admin.email.as_str(), "--password-stdin"];
    let me = |token: String| {
        let app = &app;
        async move {
            let res = app.client.post(app.url("/graphql")).bearer_auth(token).json(&json!({ "query": "{ me { email } }" })).send().await;
            let res = res.unwrap();
            (res.status().as_u16(), res.json::<Value>().await.unwrap())
        }
    };

    // A password that breaks the rules is refused and changes nothing.
    for (weak, rule) in [("too short", "at least 10 characters"), ("abababababab", "at least 4 different characters")] {
        let out = operator(&app, &reset, Some(weak)).await;
        assert_eq!(out.status.code(), Some(2), "{weak}: {}", stderr(&out));
        assert!(stderr(&out).contains(rule), "{}", stderr(&out));
        assert!(!stderr(&out).contains(weak) && !stdout(&out).contains(weak), "passwords are never printed");
    }
    assert_eq!(me(admin.access_token.clone()).await.0, 200, "the session survived the refused reset");
    assert_eq!(sign_in(&app, &admin.email, &admin.password).await, "", "the old password still works");

    // Locked out, then reset: the new password works at once, nothing old does.
    for _ in 0..3 {
        sign_in(&app, &admin.email, "not the password at all").await;
    }
    assert_eq!(sign_in(&app, &admin.email, &admin.password).await, "TOO_MANY_ATTEMPTS");
    let new_password = "a fresh start for the shop";
    let out = operator(&app, &reset, Some(new_password)).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains(&format!("password reset: {}", admin.email)), "{text}");
    assert!(text.contains("2 session(s) signed out") && text.contains("lockout is over"), "{text}");
    assert!(!text.contains(new_password) && !stderr(&out).contains(new_password), "passwords are never printed");

    assert_eq!(sign_in(&app, &admin.email, &admin.password).await, "INVALID_CREDENTIALS", "the old password fails");
    assert_eq!(sign_in(&app, &admin.email, new_password).await, "", "the new one works");
    let refused = app.gql_err(REFRESH, json!({ "t": admin.refresh_token })).await;
    assert_eq!(code(&refused), "UNAUTHENTICATED", "an old refresh token is refused: {refused}");
    let (status, body) = me(admin.access_token.clone()).await;
    assert_eq!(status, 401, "an old access token is refused: {body}");

    let unknown = operator(&app, &["user", "reset-password", "nobody@example.com", "--password-stdin"], Some(new_password)).await;
    assert_eq!(unknown.status.code(), Some(2), "{}", stderr(&unknown));
    assert!(stderr(&unknown).contains("no account has the email nobody@example.com"), "{}", stderr(&unknown));
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
