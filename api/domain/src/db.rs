//! Database access shared by every domain service.
//!
//! [`Database`] wraps a SeaORM connection over a pool we configure ourselves:
//! - SQLite (embedded default): WAL journal, `synchronous=NORMAL`, a busy timeout, foreign
//!   keys on. Write transactions start with `BEGIN IMMEDIATE` so they take the write lock
//!   up front, and within one process they queue on an async gate first, so racing
//!   writers wait their turn instead of spinning on "database is locked".
//! - Postgres: a pool with a short acquire timeout, so an unreachable server is reported
//!   at start instead of hanging, saying how it failed (refused, timed out, host not
//!   resolved) and where (host:port, never the URL's password).
//!
//! Every statement is reported to a hook (metrics, statement counts in tests).

use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sea_orm::{
    AccessMode, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, SqliteTransactionMode, SqlxPostgresConnector,
    SqlxSqliteConnector, TransactionOptions, TransactionTrait,
};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use url::Url;

use crate::settings::{ConfigError, Env, Secret, mask_url};

/// Where the data lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseTarget {
    /// The embedded default: a SQLite file.
    Sqlite { path: PathBuf },
    /// Production: a Postgres server. The URL may carry a password.
    Postgres { url: Secret<Url> },
}

impl DatabaseTarget {
    /// A printable description with any password masked.
    pub fn describe(&self) -> String {
        match self {
            DatabaseTarget::Sqlite { path } => format!("sqlite:{}", path.display()),
            DatabaseTarget::Postgres { url } => mask_url(url.expose()),
        }
    }

    /// The variable an operator changes when this database cannot be used.
    pub fn variable(&self) -> &'static str {
        match self {
            DatabaseTarget::Sqlite { .. } => "DATA_DIR",
            DatabaseTarget::Postgres { .. } => "DATABASE_URL",
        }
    }

    fn parse(env: &Env, raw: &str) -> Result<Self, ConfigError> {
        Self::parse_as(env, "DATABASE_URL", raw)
    }

    fn parse_as(env: &Env, var: &'static str, raw: &str) -> Result<Self, ConfigError> {
        if let Some(path) = raw.strip_prefix("sqlite://").or_else(|| raw.strip_prefix("sqlite:")) {
            let path = path.split('?').next().unwrap_or_default();
            if path.is_empty() {
                return Err(env.error(var, "sqlite URL has no file path (e.g. sqlite:./data/stockade.db)"));
            }
            return Ok(DatabaseTarget::Sqlite { path: PathBuf::from(path) });
        }
        let url = Url::parse(raw).map_err(|e| env.error(var, format!("not a valid URL: {e}")))?;
        match url.scheme() {
            "postgres" | "postgresql" => {
                if url.host_str().is_none_or(str::is_empty) {
                    return Err(env.error(var, "postgres URL has no host"));
                }
                Ok(DatabaseTarget::Postgres { url: Secret::new(url) })
            }
            other => Err(env.error(var, format!("scheme '{other}' is not supported (use postgres:// or sqlite:)"))),
        }
    }
}

/// The database and its pool.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatabaseConfig {
    /// `DATABASE_URL`; unset: SQLite at `DATA_DIR/stockade.db`.
    pub target: DatabaseTarget,
    /// Connections in the pool (Postgres; SQLite readers) (`DATABASE_MAX_CONNECTIONS`).
    pub max_connections: u32,
    /// How long a request waits for a database connection
    /// (`DATABASE_ACQUIRE_TIMEOUT_MS`; unset: 30 s on SQLite, 3 s on Postgres).
    pub acquire_timeout: Option<Duration>,
    /// Read replicas for catalog reads (`DATABASE_READ_URL`, comma separated); each
    /// gets a pool like the primary's.
    pub read_targets: Vec<DatabaseTarget>,
}

impl DatabaseConfig {
    pub fn from_env(env: &Env, data_dir: &Path) -> Result<Self, ConfigError> {
        let target = match env.get("DATABASE_URL") {
            None => DatabaseTarget::Sqlite { path: data_dir.join("stockade.db") },
            Some(raw) => DatabaseTarget::parse(env, &raw)?,
        };
        let acquire_timeout = match env.get("DATABASE_ACQUIRE_TIMEOUT_MS") {
            None => None,
            Some(_) => Some(Duration::from_millis(env.number("DATABASE_ACQUIRE_TIMEOUT_MS", 3_000u64, 100..=600_000)?)),
        };
        let read_targets = env
            .list("DATABASE_READ_URL")
            .iter()
            .map(|raw| DatabaseTarget::parse_as(env, "DATABASE_READ_URL", raw))
            .collect::<Result<Vec<_>, _>>()?;
        if read_targets.iter().any(|r| std::mem::discriminant(r) != std::mem::discriminant(&target)) {
            return Err(env.error("DATABASE_READ_URL", "replicas must be of the same kind as DATABASE_URL (all Postgres or all SQLite)"));
        }
        Ok(DatabaseConfig {
            target,
            max_connections: env.number("DATABASE_MAX_CONNECTIONS", 16u32, 1..=1000)?,
            acquire_timeout,
            read_targets,
        })
    }
}

/// Called after every statement with its duration and whether it failed.
pub type StatementHook = Arc<dyn Fn(Duration, bool) + Send + Sync>;

#[derive(Clone)]
enum Pool {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

/// The shared handle to the database. Cheap to clone.
#[derive(Clone)]
pub struct Database {
    conn: DatabaseConnection,
    pool: Pool,
    /// SQLite only: one writer at a time within this process.
    write_gate: Option<Arc<Semaphore>>,
    /// Read replicas, if configured and not turned off for this handle.
    replicas: Option<Arc<Replicas>>,
}

/// Read replicas, taken in turn.
struct Replicas {
    members: Vec<Database>,
    next: std::sync::atomic::AtomicUsize,
}

/// Why the database could not be opened at start.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("cannot create the data directory {path}: {source}")]
    DataDir { path: String, source: std::io::Error },
    #[error("cannot open {target}: {source}")]
    Open { target: String, source: sqlx::Error },
    /// The server was not reached; `reason` says how, naming host:port.
    #[error("cannot open {target}: {reason}")]
    Unreachable { target: String, reason: String },
}

/// What a plain TCP connection to a Postgres server's host and port shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reachability {
    /// The port accepts connections (`address` is host:port): the trouble lies beyond TCP.
    Reachable { address: String },
    /// Refused, timed out, or the host does not resolve: one sentence naming host:port.
    Unreachable(String),
    /// Not probed (a Unix socket).
    Unknown,
}

/// Connects to the host and port of `options` over plain TCP, within `timeout`, to say
/// why Postgres cannot be reached. Names host:port only, never the URL (it may hold a
/// password).
pub async fn probe_postgres(options: &PgConnectOptions, timeout: Duration) -> Reachability {
    let (host, port) = (options.get_host(), options.get_port());
    if options.get_socket().is_some() || host.starts_with('/') {
        return Reachability::Unknown;
    }
    let address = if host.contains(':') { format!("[{host}]:{port}") } else { format!("{host}:{port}") };
    let within = format!("{:.1} s", timeout.as_secs_f64());
    let attempt = async {
        let addrs: Vec<std::net::SocketAddr> = match tokio::net::lookup_host((host, port)).await {
            Ok(addrs) => addrs.collect(),
            Err(e) => return Reachability::Unreachable(format!("cannot resolve the host '{host}' (port {port}): {e}")),
        };
        if addrs.is_empty() {
            return Reachability::Unreachable(format!("cannot resolve the host '{host}' (port {port}): it has no address"));
        }
        // A name may resolve to several addresses (localhost: ::1 and 127.0.0.1); one
        // that accepts is enough, else the first refusal says the most.
        let mut failure: Option<std::io::Error> = None;
        for addr in addrs {
            match tokio::net::TcpStream::connect(addr).await {
                Ok(_) => return Reachability::Reachable { address: address.clone() },
                Err(e) => {
                    if failure.as_ref().is_none_or(|f| f.kind() != std::io::ErrorKind::ConnectionRefused) {
                        failure = Some(e);
                    }
                }
            }
        }
        Reachability::Unreachable(match failure {
            Some(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                format!("connection to {address} refused: nothing listens there (is Postgres running, on this host and port?)")
            }
            Some(e) => format!("connection to {address} failed: {e}"),
            None => format!("connection to {address} failed"),
        })
    };
    match tokio::time::timeout(timeout, attempt).await {
        Ok(reachability) => reachability,
        Err(_) => Reachability::Unreachable(format!(
            "connection to {address} timed out: no answer within {within} (check the host, the port and any firewall in between)"
        )),
    }
}

/// Pool statistics for `/metrics`.
#[derive(Clone, Copy, Debug)]
pub struct PoolStats {
    pub size: u32,
    pub idle: u32,
    pub max: u32,
}

impl Database {
    /// Opens the pool and checks the server answers, with the default acquire timeouts.
    pub async fn connect(target: &DatabaseTarget, max_connections: u32, hook: Option<StatementHook>) -> Result<Self, ConnectError> {
        Self::connect_with(target, max_connections, None, hook).await
    }

    /// Opens the pool. `acquire_timeout` bounds how long a request waits for a
    /// connection (default: 30 s on SQLite, where writers queue; 3 s on Postgres, so an
    /// outage answers SERVICE_UNAVAILABLE quickly instead of holding requests).
    pub async fn connect_with(
        target: &DatabaseTarget,
        max_connections: u32,
        acquire_timeout: Option<Duration>,
        hook: Option<StatementHook>,
    ) -> Result<Self, ConnectError> {
        let describe = target.describe();
        let open_err = |source| ConnectError::Open { target: describe.clone(), source };
        let (mut conn, pool, write_gate) = match target {
            DatabaseTarget::Sqlite { path } => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|source| ConnectError::DataDir { path: dir.display().to_string(), source })?;
                }
                let pool = SqlitePoolOptions::new()
                    .max_connections(max_connections.max(2))
                    .min_connections(1)
                    .acquire_timeout(acquire_timeout.unwrap_or(Duration::from_secs(30)))
                    .connect_with(sqlite_options(path))
                    .await
                    .map_err(open_err)?;
                let conn = SqlxSqliteConnector::from_sqlx_sqlite_pool(pool.clone());
                (conn, Pool::Sqlite(pool), Some(Arc::new(Semaphore::new(1))))
            }
            DatabaseTarget::Postgres { url } => {
                let options = PgConnectOptions::from_str(url.expose().as_str()).map_err(open_err)?;
                let timeout = acquire_timeout.unwrap_or(Duration::from_secs(3));
                let pool = match PgPoolOptions::new()
                    .max_connections(max_connections)
                    .acquire_timeout(timeout)
                    .connect_with(options.clone())
                    .await
                {
                    Ok(pool) => pool,
                    // The pool retries refused connections until its timeout and then
                    // says only that it timed out: find out what happened.
                    Err(source @ (sqlx::Error::PoolTimedOut | sqlx::Error::Io(_))) => {
                        let timed_out = matches!(source, sqlx::Error::PoolTimedOut);
                        return Err(match probe_postgres(&options, timeout).await {
                            Reachability::Unreachable(reason) => ConnectError::Unreachable { target: describe, reason },
                            Reachability::Reachable { address } if timed_out => ConnectError::Unreachable {
                                target: describe,
                                reason: format!(
                                    "{address} accepts connections, but no Postgres session was established within {:.1} s \
                                     (is the server overloaded, or is this port not Postgres?)",
                                    timeout.as_secs_f64()
                                ),
                            },
                            _ => open_err(source),
                        });
                    }
                    Err(source) => return Err(open_err(source)),
                };
                let conn = SqlxPostgresConnector::from_sqlx_postgres_pool(pool.clone());
                (conn, Pool::Postgres(pool), None)
            }
        };
        if let Some(hook) = hook {
            conn.set_metric_callback(move |info| hook(info.elapsed, info.failed));
        }
        Ok(Self { conn, pool, write_gate, replicas: None })
    }

    /// This database with read replicas at `targets` (pools opened like the primary's).
    pub async fn with_replicas(
        mut self,
        targets: &[DatabaseTarget],
        max_connections: u32,
        acquire_timeout: Option<Duration>,
        hook: Option<StatementHook>,
    ) -> Result<Self, ConnectError> {
        if targets.is_empty() {
            return Ok(self);
        }
        let mut members = Vec::with_capacity(targets.len());
        for target in targets {
            members.push(Self::connect_with(target, max_connections, acquire_timeout, hook.clone()).await?);
        }
        self.replicas = Some(Arc::new(Replicas { members, next: std::sync::atomic::AtomicUsize::new(0) }));
        Ok(self)
    }

    /// The primary: every write, and every read that must see the writes before it.
    pub fn conn(&self) -> &DatabaseConnection {
        &self.conn
    }

    /// Where reads that may lag the primary a little go (catalog pages, staff
    /// listings): the next read replica in turn, or the primary when there is none.
    pub fn read_conn(&self) -> &DatabaseConnection {
        match &self.replicas {
            Some(r) => {
                let i = r.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % r.members.len();
                &r.members[i].conn
            }
            None => &self.conn,
        }
    }

    /// This database with its reads on the primary too (read-your-writes: a mutation's
    /// answer, anything read after a write in the same request).
    pub fn primary_only(&self) -> Database {
        Database { replicas: None, ..self.clone() }
    }

    /// How many read replicas reads are spread over.
    pub fn replica_count(&self) -> usize {
        self.replicas.as_ref().map_or(0, |r| r.members.len())
    }

    pub fn backend(&self) -> DbBackend {
        self.conn.get_database_backend()
    }

    pub fn is_postgres(&self) -> bool {
        self.backend() == DbBackend::Postgres
    }

    /// Starts a transaction that will write. On SQLite it waits for this process's write
    /// gate and then takes the database write lock up front (`BEGIN IMMEDIATE`).
    pub async fn begin_write(&self) -> Result<WriteTxn, DbErr> {
        let permit = self.write_permit().await?;
        let txn = self
            .conn
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: permit.as_ref().map(|_| SqliteTransactionMode::Immediate),
                ..Default::default()
            })
            .await?;
        Ok(WriteTxn { txn, _permit: permit })
    }

    /// Leave to write one statement outside a transaction (on [`Database::conn`]): on
    /// SQLite this process's write gate, held until the returned guard is dropped, so
    /// that the statement never meets another writer of this process.
    pub async fn write_permit(&self) -> Result<Option<OwnedSemaphorePermit>, DbErr> {
        match &self.write_gate {
            Some(gate) => Ok(Some(gate.clone().acquire_owned().await.map_err(|_| DbErr::Custom("write gate closed".into()))?)),
            None => Ok(None),
        }
    }

    /// Starts a read-only transaction: one consistent snapshot for several reads.
    pub async fn begin_read(&self) -> Result<DatabaseTransaction, DbErr> {
        let access_mode = self.is_postgres().then_some(AccessMode::ReadOnly);
        self.conn.begin_with_options(TransactionOptions { access_mode, ..Default::default() }).await
    }

    /// Checks the database answers (readiness probe).
    pub async fn ping(&self) -> Result<(), DbErr> {
        self.conn.execute_unprepared("SELECT 1").await.map(|_| ())
    }

    /// Why the server cannot be reached, when a plain connection to it shows why
    /// (Postgres refused, timed out, or its host did not resolve; host:port named, no
    /// password). `None` on SQLite, or when its port accepts connections.
    pub async fn unreachable_reason(&self, timeout: Duration) -> Option<String> {
        let Pool::Postgres(pool) = &self.pool else { return None };
        match probe_postgres(&pool.connect_options(), timeout).await {
            Reachability::Unreachable(reason) => Some(reason),
            Reachability::Reachable { .. } | Reachability::Unknown => None,
        }
    }

    pub fn pool_stats(&self) -> PoolStats {
        match &self.pool {
            Pool::Sqlite(p) => PoolStats { size: p.size(), idle: p.num_idle() as u32, max: p.options().get_max_connections() },
            Pool::Postgres(p) => PoolStats { size: p.size(), idle: p.num_idle() as u32, max: p.options().get_max_connections() },
        }
    }

    /// Applies pending migrations. On Postgres an advisory lock makes instances that start
    /// together take turns, so each migration runs once.
    pub async fn migrate(&self) -> Result<(), DbErr> {
        use migration::MigratorTrait;
        self.with_startup_lock(|| async { migration::Migrator::up(&self.conn, None).await }).await
    }

    /// How many migrations this binary knows that the database has not applied
    /// (read-only: creates nothing, not even the migrations table).
    pub async fn pending_migrations(&self) -> Result<usize, DbErr> {
        use migration::MigratorTrait;
        Ok(migration::Migrator::get_pending_migrations_read_only(&self.conn).await?.len())
    }

    /// Runs `f` while holding the cluster-wide start-up lock (Postgres advisory lock;
    /// a no-op on SQLite, which has one process by design).
    pub async fn with_startup_lock<F, Fut, T>(&self, f: F) -> Result<T, DbErr>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, DbErr>>,
    {
        const STARTUP_LOCK_KEY: i64 = 0x5354_4f43_4b41_4445; // "STOCKADE"
        let Pool::Postgres(pool) = &self.pool else { return f().await };
        let mut lock_conn = pool.acquire().await.map_err(|e| DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e.into())))?;
        sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(STARTUP_LOCK_KEY)
            .execute(&mut *lock_conn)
            .await
            .map_err(|e| DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e.into())))?;
        let result = f().await;
        let unlock = sqlx::query("SELECT pg_advisory_unlock($1)").bind(STARTUP_LOCK_KEY).execute(&mut *lock_conn).await;
        if unlock.is_err() {
            // Closing the session releases the lock.
            lock_conn.detach();
        }
        result
    }

    pub async fn close(&self) {
        match &self.pool {
            Pool::Sqlite(p) => p.close().await,
            Pool::Postgres(p) => p.close().await,
        }
        if let Some(r) = &self.replicas {
            for member in &r.members {
                Box::pin(member.close()).await;
            }
        }
    }
}

fn sqlite_options(path: &Path) -> SqliteConnectOptions {
    SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(30))
        .foreign_keys(true)
        .statement_cache_capacity(256)
}

/// A write transaction. Holds the SQLite write gate until it commits or rolls back
/// (dropping it rolls back).
/// Most rows per multi-row insert. Measured on Postgres (the flash-sale benchmark,
/// 64 clients on one SKU): statements of 64 reservation, ledger and outbox rows took
/// about 50 ms per batch, with the machine nearly idle, where 32 rows took about 4 ms:
/// a stall in sending the larger messages (the driver leaves Nagle's algorithm on).
pub const MULTI_ROW_CHUNK: usize = 32;

pub struct WriteTxn {
    txn: DatabaseTransaction,
    _permit: Option<OwnedSemaphorePermit>,
}

impl WriteTxn {
    /// The transaction and its leave to write, apart: for work that takes the
    /// transaction as an owned handle. Put them back with [`WriteTxn::from_parts`].
    pub fn into_parts(self) -> (DatabaseTransaction, Option<OwnedSemaphorePermit>) {
        (self.txn, self._permit)
    }

    pub fn from_parts(txn: DatabaseTransaction, permit: Option<OwnedSemaphorePermit>) -> Self {
        WriteTxn { txn, _permit: permit }
    }

    pub async fn commit(self) -> Result<(), DbErr> {
        self.txn.commit().await
    }

    pub async fn rollback(self) -> Result<(), DbErr> {
        self.txn.rollback().await
    }
}

impl Deref for WriteTxn {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}

/// Which unique constraint a database error violated, if any, named `table.column`
/// (e.g. `users.email`). Postgres reports the constraint's name, SQLite the columns,
/// so both are mapped here; services turn the answer into a typed user error instead
/// of checking with a prior read (which would race).
pub fn unique_violation(err: &DbErr) -> Option<&'static str> {
    /// (Postgres constraint name, SQLite `table.column`).
    const KNOWN: &[(&str, &str)] = &[
        ("uq_users_email", "users.email"),
        ("products_slug_key", "products.slug"),
        ("categories_slug_key", "categories.slug"),
        ("variants_sku_key", "variants.sku"),
        ("uq_coupons_code", "coupons.code"),
        ("uq_orders_idempotency_key", "orders.idempotency_key"),
        ("uq_carts_active_customer", "carts.customer_id"),
        ("uq_payments_attempt", "payments.attempt"),
        ("uq_refunds_key", "refunds.idempotency_key"),
        ("uq_search_synonym_terms_term", "search_synonym_terms.term"),
        ("uq_cart_reminders_cart_step", "cart_reminders.step"),
        ("uq_cart_recoveries_reminder_device", "cart_recoveries.device_hash"),
    ];
    let sea_orm::SqlErr::UniqueConstraintViolation(message) = err.sql_err()? else { return None };
    KNOWN.iter().find(|(pg, lite)| message.contains(&format!("\"{pg}\"")) || message.ends_with(lite)).map(|(_, lite)| *lite)
}

/// Database results whose unique violations mean something to the caller.
pub trait OnUniqueViolation<T> {
    /// A violation of `constraint` (`table.column`, as [`unique_violation`] names it)
    /// becomes `error()`; any other failure is a database error as usual.
    fn on_unique_violation(self, constraint: &'static str, error: impl FnOnce() -> crate::error::Error) -> crate::error::Result<T>;
}

impl<T> OnUniqueViolation<T> for Result<T, DbErr> {
    fn on_unique_violation(self, constraint: &'static str, error: impl FnOnce() -> crate::error::Error) -> crate::error::Result<T> {
        self.map_err(|e| if unique_violation(&e) == Some(constraint) { error() } else { e.into() })
    }
}

/// A statement written with `?` placeholders, numbered `$1, $2, ...` for Postgres.
/// For the few statements the query builder cannot express portably (upserts with
/// conditional updates); the SQL must not contain `?` anywhere else.
pub fn statement(backend: DbBackend, sql: &str, values: Vec<sea_orm::Value>) -> sea_orm::Statement {
    let sql = match backend {
        DbBackend::Postgres => {
            let mut out = String::with_capacity(sql.len() + 8);
            let mut n = 0;
            for ch in sql.chars() {
                if ch == '?' {
                    n += 1;
                    out.push('$');
                    out.push_str(&n.to_string());
                } else {
                    out.push(ch);
                }
            }
            out
        }
        _ => sql.to_owned(),
    };
    sea_orm::Statement::from_sql_and_values(backend, sql, values)
}

/// Column `idx` (0-based, in the statement's select order) of a row read through
/// SeaORM, decoded by sqlx directly.
///
/// For rows read by the thousand (a storefront listing reads 265 variants per page)
/// SeaORM's own decoding costs more than the query: it finds each column by name and
/// formats an error message for every NULL it meets before turning it into `None`.
/// Decoding by position with sqlx's types does neither; a `None` is an `Option` type.
///
/// The statements read this way are ours, over our own migrations, so a column's type
/// is fixed: debug builds (every test, on both backends) check it against `T`, release
/// builds skip that check, which was half the cost of decoding a listing's variants.
pub fn column<T>(row: &sea_orm::QueryResult, idx: usize) -> Result<T, DbErr>
where
    T: for<'r> sqlx::Decode<'r, sqlx::Postgres>
        + sqlx::Type<sqlx::Postgres>
        + for<'r> sqlx::Decode<'r, sqlx::Sqlite>
        + sqlx::Type<sqlx::Sqlite>,
{
    use sqlx::Row;
    let decoded = if let Some(row) = row.try_as_pg_row() {
        if cfg!(debug_assertions) { row.try_get(idx) } else { row.try_get_unchecked(idx) }
    } else if let Some(row) = row.try_as_sqlite_row() {
        if cfg!(debug_assertions) { row.try_get(idx) } else { row.try_get_unchecked(idx) }
    } else {
        return Err(DbErr::Type(format!("column {idx}: not a Postgres or SQLite row")));
    };
    decoded.map_err(|e| DbErr::Type(format!("column {idx}: {e}")))
}
