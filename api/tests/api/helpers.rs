//! Test harness: the real server on port 0 with a fresh database per test.
//!
//! SQLite (default): a per-process template file is migrated and seeded once, then
//! copied for each test. Postgres (`TEST_DATABASE_URL` set): a template database is
//! built once per test binary (under an advisory lock, so parallel test processes
//! share it) and each test gets `CREATE DATABASE ... TEMPLATE`, dropped afterwards.

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use serde_json::{Value, json};
use stockade::config::{Config, Env};
use stockade::startup::Application;
use stockade_domain::accounts::Role;
use stockade_domain::events::{EventBus, OutboxNotify};
use stockade_domain::metrics::Metrics;

pub const TEST_DATABASE_URL: &str = "TEST_DATABASE_URL";

/// Which database the tests run against.
pub fn postgres_admin_url() -> Option<String> {
    std::env::var(TEST_DATABASE_URL).ok().filter(|s| !s.is_empty())
}

/// A throwaway database for one test; removed on drop.
pub enum TestDb {
    Sqlite {
        _dir: tempfile::TempDir,
        path: PathBuf,
    },
    Postgres {
        admin_url: String,
        name: String,
        url: String,
    },
    /// A database the test runs itself (e.g. on its own Postgres cluster); left alone.
    External {
        url: String,
    },
}

impl TestDb {
    /// A fresh database holding the migrated schema and the demo catalog.
    pub fn seeded() -> TestDb {
        Self::from_template(true)
    }

    /// A fresh database holding only the migrated schema.
    pub fn empty() -> TestDb {
        Self::from_template(false)
    }

    fn from_template(seeded: bool) -> TestDb {
        match postgres_admin_url() {
            None => {
                let template = sqlite_template(seeded);
                let dir = tempfile::tempdir().expect("temp dir");
                let path = dir.path().join("stockade.db");
                std::fs::copy(template, &path).expect("copy template");
                TestDb::Sqlite { _dir: dir, path }
            }
            Some(admin_url) => {
                let name = format!("stockade_test_{}", uuid::Uuid::new_v4().simple());
                // Test binaries of other checkouts sharing this server may drop our
                // template while cleaning up theirs: rebuild it once if it went away.
                for attempt in 0.. {
                    let template = postgres_template(&admin_url, seeded);
                    let created = run_blocking({
                        let (admin_url, name) = (admin_url.clone(), name.clone());
                        async move {
                            let pool = admin_pool(&admin_url).await;
                            let result = sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\" TEMPLATE \"{template}\"")))
                                .execute(&pool)
                                .await;
                            pool.close().await;
                            result.map(|_| ()).map_err(|e| e.to_string())
                        }
                    });
                    match created {
                        Ok(()) => break,
                        Err(e) if attempt == 0 && e.contains("does not exist") => forget_postgres_template(seeded),
                        Err(e) => panic!("create test database: {e}"),
                    }
                }
                let url = with_database(&admin_url, &name);
                TestDb::Postgres { admin_url, name, url }
            }
        }
    }

    /// The `DATABASE_URL` for this database.
    pub fn url(&self) -> String {
        match self {
            TestDb::Sqlite { path, .. } => format!("sqlite:{}", path.display()),
            TestDb::Postgres { url, .. } | TestDb::External { url } => url.clone(),
        }
    }

    pub fn is_postgres(&self) -> bool {
        match self {
            TestDb::Sqlite { .. } => false,
            TestDb::Postgres { .. } => true,
            TestDb::External { url } => url.starts_with("postgres"),
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let TestDb::Postgres { admin_url, name, .. } = self {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            run_blocking(async move {
                let pool = admin_pool(&admin_url).await;
                let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))).execute(&pool).await;
                pool.close().await;
            });
        }
    }
}

/// Runs a future to completion on its own runtime in its own thread (usable from
/// `Drop` and from inside a test's runtime).
fn run_blocking<T: Send + 'static, F: Future<Output = T> + Send + 'static>(fut: F) -> T {
    std::thread::spawn(move || tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime").block_on(fut))
        .join()
        .expect("blocking helper thread panicked")
}

async fn admin_pool(url: &str) -> sqlx::PgPool {
    sqlx::postgres::PgPoolOptions::new().max_connections(1).connect(url).await.expect("connect to TEST_DATABASE_URL")
}

fn with_database(url: &str, name: &str) -> String {
    let mut parsed = url::Url::parse(url).expect("TEST_DATABASE_URL is a URL");
    parsed.set_path(&format!("/{name}"));
    parsed.to_string()
}

/// Builds a database at `url`: migrations, and the demo catalog if `seeded`.
async fn build_schema_at(url: &str, seeded: bool) {
    let config = config_for(url, Path::new("."), &[]);
    let db = stockade::startup::open_database(&config, None).await.expect("migrate template");
    if seeded {
        stockade_domain::catalog::seed::seed_demo_catalog(&db, config.shop_currency).await.expect("seed template");
        // Tests start from a quiet outbox: the seed's stock events are not theirs to see.
        use sea_orm::sea_query::Expr;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        stockade_domain::entity::outbox::Entity::update_many()
            .col_expr(stockade_domain::entity::outbox::Column::DeliveredAt, Expr::val(chrono::Utc::now()))
            .filter(stockade_domain::entity::outbox::Column::DeliveredAt.is_null())
            .exec(db.conn())
            .await
            .expect("quiet the template's outbox");
    }
    db.close().await;
}

fn sqlite_template(seeded: bool) -> &'static Path {
    static SEEDED: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    static EMPTY: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let cell = if seeded { &SEEDED } else { &EMPTY };
    &cell
        .get_or_init(|| {
            let dir = tempfile::tempdir().expect("temp dir");
            let path = dir.path().join("template.db");
            let url = format!("sqlite:{}", path.display());
            run_blocking(async move { build_schema_at(&url, seeded).await });
            (dir, path)
        })
        .1
}

/// Template names per kind (seeded or empty), once built by this process.
fn postgres_template_names() -> &'static std::sync::Mutex<HashMap<bool, String>> {
    static NAMES: OnceLock<std::sync::Mutex<HashMap<bool, String>>> = OnceLock::new();
    NAMES.get_or_init(Default::default)
}

fn forget_postgres_template(seeded: bool) {
    postgres_template_names().lock().unwrap_or_else(|e| e.into_inner()).remove(&seeded);
}

/// The template's name changes whenever the test binary is rebuilt, so a template never
/// outlives the migrations and seed data it was made with. It names the binary's path
/// too: only templates of earlier builds of this same binary are removed, never those
/// of other checkouts (or of the other kind) that may be in use right now.
fn postgres_template(admin_url: &str, seeded: bool) -> String {
    let mut names = postgres_template_names().lock().unwrap_or_else(|e| e.into_inner());
    if let Some(name) = names.get(&seeded) {
        return name.clone();
    }
    let exe = std::env::current_exe().expect("test binary path");
    let stamp = std::fs::metadata(&exe).and_then(|m| m.modified()).map(|t| format!("{t:?}")).unwrap_or_default();
    let (binary, build) = (short_hash(&exe), short_hash((&exe, &stamp)));
    let name = format!("stockade_tpl_{}_{binary:08x}_{build:08x}", if seeded { "seeded" } else { "empty" });
    let stale_pattern = format!("stockade\\_tpl\\_%\\_{binary:08x}\\_%");
    let current_suffix = format!("%\\_{build:08x}");
    let (admin, template) = (admin_url.to_owned(), name.clone());
    run_blocking(async move {
        let pool = admin_pool(&admin).await;
        let mut conn = pool.acquire().await.expect("admin connection");
        // Serialise template creation across test processes.
        sqlx::query("SELECT pg_advisory_lock(7342001)").execute(&mut *conn).await.expect("lock");
        let exists: Option<i32> = sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1")
            .bind(&template)
            .fetch_optional(&mut *conn)
            .await
            .expect("query");
        if exists.is_none() {
            // Remove templates left by earlier builds of this test binary.
            let stale: Vec<String> = sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE $1 AND datname NOT LIKE $2")
                .bind(&stale_pattern)
                .bind(&current_suffix)
                .fetch_all(&mut *conn)
                .await
                .expect("list templates");
            for old in stale {
                let _ =
                    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS \"{old}\" WITH (FORCE)"))).execute(&mut *conn).await;
            }
            let building = format!("{template}_wip");
            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS \"{building}\" WITH (FORCE)")))
                .execute(&mut *conn)
                .await;
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{building}\"")))
                .execute(&mut *conn)
                .await
                .expect("create template");
            build_schema_at(&with_database(&admin, &building), seeded).await;
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("ALTER DATABASE \"{building}\" RENAME TO \"{template}\"")))
                .execute(&mut *conn)
                .await
                .expect("publish template");
        }
        sqlx::query("SELECT pg_advisory_unlock(7342001)").execute(&mut *conn).await.expect("unlock");
    });
    names.insert(seeded, name.clone());
    name
}

fn short_hash(value: impl std::hash::Hash) -> u32 {
    use std::hash::Hasher;
    let mut h = std::collections::hash_map::DefaultHasher::new();
    value.hash(&mut h);
    h.finish() as u32
}

/// Configuration for a test server on `database_url`, with overrides.
///
/// The outbox publisher is off unless a test asks for it (`("EVENTS_PUBLISHER", "on")`):
/// a background task polling the database would make statement counts (and anything
/// else timing-sensitive) depend on luck. Each config gets its own Redis channel, so
/// tests sharing one Redis never see each other's events; instances that must talk
/// to each other pass the same `REDIS_EVENTS_CHANNEL`.
pub fn config_for(database_url: &str, data_dir: &Path, overrides: &[(&str, &str)]) -> Config {
    let mut vars: HashMap<String, String> = HashMap::from([
        ("LISTEN_ADDR".into(), "127.0.0.1:0".into()),
        ("DATA_DIR".into(), data_dir.display().to_string()),
        ("DATABASE_URL".into(), database_url.into()),
        ("DATABASE_MAX_CONNECTIONS".into(), "8".into()),
        ("SEED_DEMO".into(), "false".into()),
        // Tests may share one Redis: never share rate-limit budgets between servers.
        ("RATE_LIMIT_PREFIX".into(), format!("test:{}", uuid::Uuid::new_v4().simple())),
        ("EVENTS_PUBLISHER".into(), "off".into()),
        ("REDIS_EVENTS_CHANNEL".into(), format!("stockade:test:{}", uuid::Uuid::new_v4().simple())),
        // No background sweeper: statement counts stay deterministic; tests that need
        // one sweep directly or turn it on with an override.
        ("RESERVATION_SWEEP_INTERVAL_SECS".into(), "0".into()),
        ("COMMERCE_SWEEP_INTERVAL_SECS".into(), "0".into()),
        // Nor background reconciliation (its first pass would land at a random point
        // of the test): tests that need it call `reconcile` directly.
        ("PAYMENT_RECONCILE_INTERVAL_SECS".into(), "0".into()),
    ]);
    for (k, v) in overrides {
        vars.insert((*k).into(), (*v).into());
    }
    Config::read(&Env::from_lookup("the test's values", move |k| vars.get(k).cloned())).expect("test config")
}

/// A running server and an HTTP client for it.
pub struct TestApp {
    pub addr: std::net::SocketAddr,
    pub client: reqwest::Client,
    pub metrics: Arc<Metrics>,
    pub services: stockade_graphql::Services,
    /// The server's event bus.
    pub bus: EventBus,
    /// Wakes the server's outbox publisher (if it runs one).
    pub outbox_notify: OutboxNotify,
    /// This instance's inventory service and database pool.
    pub inventory: stockade_domain::inventory::InventoryService,
    pub database: stockade_domain::db::Database,
    /// Shared with other instances started by [`TestApp::spawn_on`].
    pub db: Arc<TestDb>,
    _data_dir: tempfile::TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
}

impl TestApp {
    /// A server on a fresh database with the demo catalog.
    pub async fn spawn() -> TestApp {
        Self::spawn_with(TestDb::seeded(), &[]).await
    }

    /// A server on `db` with configuration overrides.
    pub async fn spawn_with(db: TestDb, overrides: &[(&str, &str)]) -> TestApp {
        Self::spawn_on(Arc::new(db), overrides).await
    }

    /// Another instance on a database that other instances may share (it is dropped
    /// with the last of them).
    pub async fn spawn_on(db: Arc<TestDb>, overrides: &[(&str, &str)]) -> TestApp {
        // `TEST_LOG=1` shows the servers' logs (filtered by RUST_LOG) while debugging.
        if std::env::var_os("TEST_LOG").is_some() {
            stockade::telemetry::init(stockade::config::LogFormat::Pretty);
        }
        let data_dir = tempfile::tempdir().expect("temp dir");
        let config = config_for(&db.url(), data_dir.path(), overrides);
        let app = Application::build(config).await.expect("server starts");
        let addr = app.local_addr();
        let metrics = app.metrics();
        let services = app.services();
        let (bus, outbox_notify) = (app.bus(), app.outbox_notify());
        let (inventory, database) = (app.inventory(), app.database());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            let _ = app
                .run_until(async {
                    let _ = rx.await;
                })
                .await;
        });
        TestApp {
            addr,
            client: reqwest::Client::builder().build().expect("http client"),
            metrics,
            services,
            bus,
            outbox_notify,
            inventory,
            database,
            db,
            _data_dir: data_dir,
            shutdown: Some(tx),
            server: Some(server),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// POSTs a GraphQL request and returns the whole JSON response.
    pub async fn gql(&self, query: &str, variables: Value) -> Value {
        let response = self
            .client
            .post(self.url("/graphql"))
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("request sent");
        assert_eq!(response.status(), 200, "GraphQL over HTTP answers 200 for application/json");
        response.json().await.expect("JSON body")
    }

    /// POSTs a GraphQL request that must succeed; returns `data`.
    pub async fn gql_ok(&self, query: &str, variables: Value) -> Value {
        let body = self.gql(query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
        body["data"].clone()
    }

    /// POSTs a GraphQL request that must fail; returns the first error.
    pub async fn gql_err(&self, query: &str, variables: Value) -> Value {
        let body = self.gql(query, variables).await;
        body["errors"].get(0).cloned().unwrap_or_else(|| panic!("expected an error, got {body:#}"))
    }

    /// POSTs a GraphQL request with `Authorization: Bearer <token>`.
    pub async fn gql_as(&self, token: &str, query: &str, variables: Value) -> Value {
        let response = self
            .client
            .post(self.url("/graphql"))
            .bearer_auth(token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("request sent");
        assert_eq!(response.status(), 200, "signed-in request answered 200");
        response.json().await.expect("JSON body")
    }

    /// A new active account with `role`, signed in through the API.
    pub async fn user(&self, role: Role) -> TestUser {
        let email = format!("{}-{}@example.com", role.as_str(), uuid::Uuid::new_v4().simple());
        let password = "correct horse battery staple".to_owned();
        let user = self.services.accounts.create_user(&email, &password, "Test User", role).await.expect("create user");
        let data = self
            .gql_ok(
                "mutation($e: String!, $p: String!) { tokenCreate(email: $e, password: $p) { accessToken refreshToken user { id } userErrors { code } } }",
                json!({ "e": email, "p": password }),
            )
            .await;
        let auth = &data["tokenCreate"];
        TestUser {
            id: auth["user"]["id"].as_str().expect("user id").to_owned(),
            db_id: user.id,
            email,
            password,
            access_token: auth["accessToken"].as_str().expect("access token").to_owned(),
            refresh_token: auth["refreshToken"].as_str().expect("refresh token").to_owned(),
        }
    }

    /// Stops the server and waits for it to finish.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}

/// A signed-in test account.
#[derive(Clone, Debug)]
pub struct TestUser {
    /// Global id.
    pub id: String,
    pub db_id: i64,
    pub email: String,
    pub password: String,
    pub access_token: String,
    pub refresh_token: String,
}

/// The error code of a GraphQL error object.
pub fn code(error: &Value) -> &str {
    error["extensions"]["code"].as_str().unwrap_or_default()
}

/// Reports that a test cannot run in this setting (e.g. it needs Redis) and returns,
/// visibly: the line goes straight to the terminal, past the test harness's output
/// capture, so a skip is never a silent pass. With `STOCKADE_REQUIRE_ALL_TESTS=1`
/// (set by CI for its Postgres + Redis run) a skip fails the test instead.
pub fn skip(test: &str, reason: &str) {
    use std::io::Write;
    if std::env::var_os("STOCKADE_REQUIRE_ALL_TESTS").is_some_and(|v| v == "1") {
        panic!("{test} was skipped ({reason}), but STOCKADE_REQUIRE_ALL_TESTS=1 requires every test to run");
    }
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {reason}");
}
