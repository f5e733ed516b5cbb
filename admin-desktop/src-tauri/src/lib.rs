//! The Stockade admin desktop app: a Tauri 2 shell around the web UI in `../src`.
//!
//! The native surface is deliberately small: three commands that keep the refresh
//! token out of the web view's storage (see [`token_store`]). The access token lives
//! only in the web view's memory. `capabilities/main.json` allows exactly these
//! commands and nothing else.

pub mod commands;
pub mod token_store;

/// Builds and runs the app until its window closes.
pub fn run() {
    let result = tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![
            commands::refresh_token_store,
            commands::refresh_token_load,
            commands::refresh_token_clear,
        ])
        .run(tauri::generate_context!());
    if let Err(err) = result {
        eprintln!("stockade-admin: {err}");
        std::process::exit(1);
    }
}
