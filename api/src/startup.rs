//! Building and running the application. `main` and the integration tests start the
//! server the same way: [`Application::build`], then [`Application::run_until_stopped`].

use std::sync::Arc;

use tokio::net::TcpListener;

use crate::config::{Config, ConfigError};
use crate::http::{AppParts, AppState, router};
use stockade_domain::accounts::throttle::{Limits, ThrottlePolicy};
use stockade_domain::accounts::tokens::{JwtKeys, KeySource};
use stockade_domain::accounts::{AccountService, AccountsPolicy};
use stockade_domain::catalog::seed::seed_if_empty;
use stockade_domain::catalog::{CatalogEditor, CatalogService, SearchService};
use stockade_domain::checkout::CartService;
use stockade_domain::coupons::CouponService;
use stockade_domain::db::{Database, DatabaseTarget};
use stockade_domain::events::{BusHealth, EventBus, OutboxNotify, Publisher, PublisherSettings, RedisSettings};
use stockade_domain::inventory::{InventoryService, InventorySettings, spawn_sweeper};
use stockade_domain::metrics::Metrics;
use stockade_domain::orders::{OrderService, OrderTokens};
use stockade_domain::payments::{GatewayKind, PaymentParts, PaymentService};
use stockade_domain::periodic::{log_pass, spawn_periodic};
use stockade_domain::ratelimit::RateLimiter;
use stockade_domain::reminders::ReminderService;
use stockade_graphql::cache::{CATALOG_LIFETIME, ResponseCache};
use stockade_graphql::{Executor, Services, build_prevalidated_schema, build_schema};

/// Why the server could not start: always names the setting to fix.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] ConfigError),
}

pub struct Application {
    listener: TcpListener,
    state: AppState,
}

impl Application {
    /// Connects to the database, migrates it, seeds the demo catalog if it is empty and
    /// configured to, and binds the listener. Nothing is served until
    /// [`run_until_stopped`](Self::run_until_stopped).
    pub async fn build(config: Config) -> Result<Self, StartupError> {
        for warning in config.warnings() {
            tracing::warn!("{warning}");
        }
        let config = Arc::new(config);
        let metrics = Arc::new(Metrics::new());
        let db = open_database(&config, Some(metrics.clone())).await?;
        if config.seed_demo
            && let Some(report) = seed_if_empty(&db, config.shop_currency)
                .await
                .map_err(|e| ConfigError::new("DATABASE_URL", format!("seeding the demo catalog failed: {e:#}")))?
        {
            tracing::info!(%report, "empty database: demo catalog seeded");
        }
        // A catalog from before the search vocabulary existed gets it now.
        let words = stockade_domain::catalog::search::vocabulary::ensure(&db)
            .await
            .map_err(|e| ConfigError::new("DATABASE_URL", format!("building the search vocabulary failed: {e:#}")))?;
        if let Some(words) = words {
            tracing::info!(words, "search vocabulary built from the existing catalog");
        }

        let listener = TcpListener::bind(config.listen_addr)
            .await
            .map_err(|e| ConfigError::new("LISTEN_ADDR", format!("cannot listen on {}: {e}", config.listen_addr)))?;

        let (keys, key_source) = JwtKeys::load(config.auth.jwt_secret.as_ref(), &config.data_dir).map_err(|e| {
            ConfigError::new("DATA_DIR", format!("cannot keep the token signing key in {}: {e}", config.data_dir.display()))
        })?;
        if key_source != KeySource::Configured && matches!(config.database.target, DatabaseTarget::Postgres { .. }) {
            tracing::warn!("JWT_SECRET is not set: tokens are signed with a key kept in DATA_DIR, valid on this instance only");
        }
        let accounts_policy = accounts_policy(&config);
        let rate_limiter = Arc::new(RateLimiter::new(
            config.rate_limits.limits,
            config.redis_url.as_ref().map(|u| u.expose()),
            &config.rate_limits.redis_prefix,
        ));
        let redis = config.redis_url.clone().map(|url| RedisSettings { url, channel: config.events.redis_channel.clone() });
        let bus = EventBus::new(config.events.subscriber_buffer, redis, metrics.clone())
            .map_err(|e| ConfigError::new("REDIS_URL", e.to_string()))?;

        let outbox_notify = OutboxNotify::new();
        let inventory = InventoryService::new(db.clone(), InventorySettings::from_config(&config.inventory));
        let coupons = CouponService::new(db.clone());
        let order_tokens = OrderTokens::new(keys.derive_key("order-tokens"));
        let payment_key = keys.derive_key("payments");
        let orders = OrderService::new(
            db.clone(),
            inventory.clone(),
            outbox_notify.clone(),
            order_tokens,
            config.shop_currency,
            config.payments.stuck_after,
        );
        let carts = CartService::new(
            db.clone(),
            inventory.clone(),
            coupons.clone(),
            config.commerce.clone(),
            outbox_notify.clone(),
            config.shop_currency,
        );
        let payments = PaymentService::new(PaymentParts {
            db: db.clone(),
            inventory: inventory.clone(),
            orders: orders.clone(),
            carts: carts.clone(),
            config: config.payments.clone(),
            payment_window: config.commerce.payment_window,
            key: payment_key,
            notify: outbox_notify.clone(),
            currency: config.shop_currency,
        })
        .map_err(|e| ConfigError::new("STRIPE_SECRET_KEY", e))?;
        if payments.gateway_kind() == GatewayKind::Test && matches!(config.database.target, DatabaseTarget::Postgres { .. }) {
            tracing::warn!("PAYMENT_GATEWAY is the built-in test gateway: no real money is taken (set STRIPE_SECRET_KEY for Stripe)");
        }
        let reminders =
            ReminderService::new(db.clone(), carts.clone(), config.reminders.clone(), outbox_notify.clone(), config.shop_currency)
                .map_err(|e| ConfigError::new("CART_REMINDER_WEBHOOK_URL", format!("the webhook client could not be made: {e}")))?;
        let services = Services {
            catalog: CatalogService::new(db.clone(), config.shop_currency),
            catalog_editor: CatalogEditor::new(db.clone(), config.shop_currency),
            search: SearchService::new(db.clone()),
            accounts: AccountService::new(db.clone(), Arc::new(keys), accounts_policy),
            carts,
            orders: orders.clone(),
            payments,
            coupons,
            reminders,
            inventory,
            rate_limiter,
            response_cache: Arc::new(ResponseCache::new(config.graphql.response_cache_entries, CATALOG_LIFETIME, {
                // Stock events arrive: through Redis from every instance, or (embedded,
                // one instance) from this instance's own publisher.
                let (bus, publisher) = (bus.clone(), config.events.publisher);
                Box::new(move || match bus.health() {
                    BusHealth::Connected => true,
                    BusHealth::InProcess => publisher,
                    BusHealth::Connecting | BusHealth::Degraded => false,
                })
            })),
            limits: Arc::new(config.graphql.clone()),
            currency: config.shop_currency,
            metrics,
            bus,
            outbox_notify,
        };
        let executor = Executor::new(
            build_schema(&services),
            build_prevalidated_schema(&services),
            services.metrics.clone(),
            stockade_graphql::document_limits(&config.graphql),
            services.rate_limiter.clone(),
        );
        let persisted = Arc::new(stockade_graphql::persisted::PersistedQueries::new(config.graphql.persisted_queries_entries));
        Ok(Application {
            listener,
            state: AppState::new(AppParts {
                config,
                services,
                executor,
                persisted,
                db,
                shutdown: tokio_util::sync::CancellationToken::new(),
                connections: tokio_util::task::TaskTracker::new(),
            }),
        })
    }

    /// The port actually bound (useful with `LISTEN_ADDR=127.0.0.1:0`).
    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or_default()
    }

    pub fn local_addr(&self) -> std::net::SocketAddr {
        self.listener.local_addr().unwrap_or(self.state.config.listen_addr)
    }

    pub fn metrics(&self) -> Arc<Metrics> {
        self.state.services.metrics.clone()
    }

    /// The services the server runs with (tests use them to set up data).
    pub fn services(&self) -> Services {
        self.state.services.clone()
    }

    /// The event bus (subscribe to published events).
    pub fn bus(&self) -> EventBus {
        self.state.services.bus.clone()
    }

    /// Wakes this instance's outbox publisher.
    pub fn outbox_notify(&self) -> OutboxNotify {
        self.state.services.outbox_notify.clone()
    }

    /// The inventory service of this instance.
    pub fn inventory(&self) -> InventoryService {
        self.state.services.inventory.clone()
    }

    /// The database pool of this instance (tests check invariants through it).
    pub fn database(&self) -> Database {
        self.state.db.clone()
    }

    /// Serves until SIGINT/SIGTERM, then finishes in-flight requests.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `shutdown` completes. Background work (the outbox publisher unless
    /// `EVENTS_PUBLISHER=off`, the reservation sweeper unless its interval is 0, rate
    /// limit housekeeping) runs alongside and stops with the server.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let db = self.state.db.clone();
        let limiter = self.state.services.rate_limiter.clone();
        // Dropping `stop` (also when this future is dropped) stops the background work.
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let housekeeping = spawn_periodic(std::time::Duration::from_secs(60), stop.subscribe(), move || {
            limiter.housekeeping();
            std::future::ready(())
        });
        let services = self.state.services.clone();
        let config = self.state.config.clone();
        let publisher = config.events.publisher.then(|| {
            Publisher::new(
                db.clone(),
                services.bus.clone(),
                services.outbox_notify.clone(),
                PublisherSettings::from_config(&config.events),
                services.metrics.clone(),
            )
            .spawn()
        });
        // Cached answers that show stock stay true: stock events make them stale.
        let cache_follower = {
            let (cache, events, mut stopping) = (services.response_cache.clone(), services.bus.subscribe_internal(), stop.subscribe());
            tokio::spawn(async move {
                tokio::select! {
                    () = stockade_graphql::cache::follow_stock_events(cache, events) => {}
                    _ = stopping.changed() => {}
                }
            })
        };
        let inventory_config = config.inventory;
        let sweeper = (inventory_config.sweep_interval_secs > 0).then(|| {
            let interval = std::time::Duration::from_secs(inventory_config.sweep_interval_secs);
            spawn_sweeper(services.inventory.clone(), interval, inventory_config.sweep_batch, stopped)
        });
        let commerce = (config.commerce.sweep_interval_secs > 0).then(|| {
            let interval = std::time::Duration::from_secs(config.commerce.sweep_interval_secs);
            spawn_commerce_sweeper(services.carts.clone(), services.payments.clone(), interval, stop.subscribe())
        });
        let reminders = (config.reminders.enabled() && config.reminders.interval_secs > 0).then(|| {
            let interval = std::time::Duration::from_secs(config.reminders.interval_secs);
            let reminders = services.reminders.clone();
            spawn_periodic(interval, stop.subscribe(), move || {
                let reminders = reminders.clone();
                async move { log_pass(reminders.run_pass(chrono::Utc::now(), 200).await, "cart reminders") }
            })
        });
        let reconciler = (config.payments.reconcile_interval_secs > 0).then(|| {
            let interval = std::time::Duration::from_secs(config.payments.reconcile_interval_secs);
            spawn_reconciler(services.payments.clone(), interval, stop.subscribe())
        });
        let (closing, connections) = (self.state.shutdown.clone(), self.state.connections.clone());
        let app = router(self.state).into_make_service_with_connect_info::<std::net::SocketAddr>();
        // On shutdown: stop accepting, tell WebSockets to close (1001, "going away": their
        // clients reconnect elsewhere), finish in-flight requests, then wait a bounded
        // time for the sockets' close handshakes.
        let signal = {
            let closing = closing.clone();
            async move {
                shutdown.await;
                closing.cancel();
            }
        };
        let result = axum::serve(self.listener, app).with_graceful_shutdown(signal).await;
        closing.cancel();
        connections.close();
        if tokio::time::timeout(SOCKET_CLOSE_GRACE, connections.wait()).await.is_err() {
            tracing::warn!(open = connections.len(), "WebSockets still open after the shutdown grace period");
        }
        let _ = stop.send(true);
        let _ = housekeeping.await;
        let _ = cache_follower.await;
        if let Some(sweeper) = sweeper {
            let _ = sweeper.await;
        }
        if let Some(commerce) = commerce {
            let _ = commerce.await;
        }
        if let Some(reconciler) = reconciler {
            let _ = reconciler.await;
        }
        if let Some(reminders) = reminders {
            let _ = reminders.await;
        }
        if let Some(publisher) = publisher {
            publisher.stop().await;
        }
        services.bus.shutdown();
        db.close().await;
        result
    }
}

/// The accounts policy the configuration asks for (token lifetimes, sign-in throttling).
pub fn accounts_policy(config: &Config) -> AccountsPolicy {
    AccountsPolicy {
        access_ttl: config.auth.access_token_ttl,
        refresh_ttl: config.auth.refresh_token_ttl,
        throttle: ThrottlePolicy {
            account: Limits { slow_after: config.auth.login_slowdown_after, lock_after: config.auth.login_lockout_after },
            window: config.auth.login_window,
            ..ThrottlePolicy::default()
        },
        ..AccountsPolicy::default()
    }
}

/// How long shutdown waits for WebSockets to finish their close handshake.
const SOCKET_CLOSE_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// Opens the configured database and applies migrations.
pub async fn open_database(config: &Config, metrics: Option<Arc<Metrics>>) -> Result<Database, ConfigError> {
    let hook: Option<stockade_domain::db::StatementHook> =
        metrics.map(|m| Arc::new(move |elapsed, failed| m.record_statement(elapsed, failed)) as _);
    let db =
        Database::connect_with(&config.database.target, config.database.max_connections, config.database.acquire_timeout, hook.clone())
            .await
            .map_err(|e| ConfigError::new(config.database.target.variable(), format!("{e}")))?
            .with_replicas(&config.database.read_targets, config.database.max_connections, config.database.acquire_timeout, hook)
            .await
            .map_err(|e| ConfigError::new("DATABASE_READ_URL", format!("{e}")))?;
    db.migrate().await.map_err(|e| ConfigError::new(config.database.target.variable(), format!("migrating the database failed: {e}")))?;
    Ok(db)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}

/// Checks payments that have waited too long against the gateway.
fn spawn_reconciler(
    payments: PaymentService,
    interval: std::time::Duration,
    stop: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    spawn_periodic(interval, stop, move || {
        let payments = payments.clone();
        async move { log_pass(payments.reconcile(100).await, "payments reconciled") }
    })
}

/// Expires idle carts and unpaid orders past their deadline (both give their stock
/// back) and brings the payment review queue up to date (orders become stuck by
/// waiting). Errors are logged and retried on the next pass.
fn spawn_commerce_sweeper(
    carts: CartService,
    payments: PaymentService,
    interval: std::time::Duration,
    stop: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    spawn_periodic(interval, stop, move || {
        let (carts, payments) = (carts.clone(), payments.clone());
        async move {
            log_pass(payments.expire_unpaid(200).await, "unpaid orders expired");
            log_pass(payments.refresh_issues().await, "payment review queue brought up to date");
            log_pass(carts.sweep_expired(200).await, "idle carts expired");
        }
    })
}
