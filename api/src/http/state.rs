//! What every handler sees: the configuration, the services, the executor, and the
//! server's lifecycle (shutdown, open WebSockets).

use std::sync::Arc;

use stockade_domain::db::Database;
use stockade_graphql::{Executor, Services};

use crate::config::Config;

/// Shared by every handler and middleware; cloning it (axum does, dozens of times per
/// request through the router's layers) is one reference count.
#[derive(Clone)]
pub struct AppState(Arc<AppParts>);

impl AppState {
    pub fn new(parts: AppParts) -> Self {
        AppState(Arc::new(parts))
    }
}

impl std::ops::Deref for AppState {
    type Target = AppParts;
    fn deref(&self) -> &AppParts {
        &self.0
    }
}

pub struct AppParts {
    pub config: Arc<Config>,
    pub services: Services,
    pub executor: Executor,
    /// Documents of automatic persisted queries, by hash.
    pub persisted: Arc<stockade_graphql::persisted::PersistedQueries>,
    pub db: Database,
    /// Cancelled when the server starts shutting down: WebSockets close with 1001.
    pub shutdown: tokio_util::sync::CancellationToken,
    /// Open WebSocket connections, which shutdown waits for (bounded).
    pub connections: tokio_util::task::TaskTracker,
}
