//! The commands the web view may call (listed in `capabilities/main.json`).
//!
//! Each returns a typed [`TokenStoreError`] the UI can tell apart by its `kind`.

use tauri::{AppHandle, Manager, Runtime};

use crate::token_store::{TokenStore, TokenStoreError};

fn store<R: Runtime>(app: &AppHandle<R>) -> Result<TokenStore, TokenStoreError> {
    let dir = match std::env::var_os("STOCKADE_ADMIN_DATA_DIR") {
        Some(dir) => dir.into(),
        None => app.path().app_data_dir().map_err(|e| TokenStoreError::NoDataDir(e.to_string()))?,
    };
    let keyring = std::env::var("STOCKADE_ADMIN_TOKEN_STORE").as_deref() != Ok("file");
    Ok(TokenStore::new(dir, keyring))
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, TokenStoreError> + Send + 'static) -> Result<T, TokenStoreError> {
    tauri::async_runtime::spawn_blocking(f).await.map_err(|e| TokenStoreError::Io(e.to_string()))?
}

/// Keeps the refresh token of `server` (replacing the one kept before).
#[tauri::command]
pub async fn refresh_token_store<R: Runtime>(app: AppHandle<R>, server: String, token: String) -> Result<(), TokenStoreError> {
    let store = store(&app)?;
    blocking(move || store.save(&server, &token)).await
}

/// The refresh token kept for `server`, if any.
#[tauri::command]
pub async fn refresh_token_load<R: Runtime>(app: AppHandle<R>, server: String) -> Result<Option<String>, TokenStoreError> {
    let store = store(&app)?;
    blocking(move || store.load(&server)).await
}

/// Forgets the refresh token of `server` (signing out).
#[tauri::command]
pub async fn refresh_token_clear<R: Runtime>(app: AppHandle<R>, server: String) -> Result<(), TokenStoreError> {
    let store = store(&app)?;
    blocking(move || store.clear(&server)).await
}
