fn main() {
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(&[
        "refresh_token_store",
        "refresh_token_load",
        "refresh_token_clear",
    ])))
    .expect("tauri build script failed");
}
