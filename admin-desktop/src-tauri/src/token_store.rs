//! Where the refresh token lives: the OS keyring (Secret Service) when there is one,
//! otherwise `refresh-tokens.json` in the app data dir, readable only by the user
//! (0600 in a 0700 directory). Tokens are kept per server URL.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

const SERVICE: &str = "app.stockade.admin";
const FILE: &str = "refresh-tokens.json";

/// Why the token could not be stored, loaded or cleared. Serialised for the web
/// view as `{ "kind": "...", "message": "..." }`.
#[derive(Debug, thiserror::Error, Serialize)]
#[serde(tag = "kind", content = "message")]
pub enum TokenStoreError {
    #[error("the app data directory is unknown: {0}")]
    NoDataDir(String),
    #[error("the token file could not be read or written: {0}")]
    Io(String),
    #[error("the token file is damaged: {0}")]
    Corrupt(String),
    #[error("the server URL or token is empty")]
    Invalid,
}

/// A token store rooted at the app data dir.
pub struct TokenStore {
    dir: PathBuf,
    keyring: bool,
}

impl TokenStore {
    /// `keyring: false` skips the OS keyring (tests, or `STOCKADE_ADMIN_TOKEN_STORE=file`).
    pub fn new(dir: PathBuf, keyring: bool) -> Self {
        Self { dir, keyring }
    }

    fn entry(&self, server: &str) -> Option<keyring::Entry> {
        if !self.keyring {
            return None;
        }
        keyring::Entry::new(SERVICE, server).ok()
    }

    /// Keeps `token` for `server`: in the keyring if it takes it, else in the file.
    pub fn save(&self, server: &str, token: &str) -> Result<(), TokenStoreError> {
        if server.is_empty() || token.is_empty() {
            return Err(TokenStoreError::Invalid);
        }
        if let Some(entry) = self.entry(server)
            && entry.set_password(token).is_ok()
        {
            // A file copy from an earlier run without a keyring must not linger.
            return self.file_remove(server);
        }
        let mut all = self.file_read()?;
        all.insert(server.to_owned(), token.to_owned());
        self.file_write(&all)
    }

    /// The token kept for `server`, from the keyring or else the file.
    pub fn load(&self, server: &str) -> Result<Option<String>, TokenStoreError> {
        if let Some(entry) = self.entry(server)
            && let Ok(token) = entry.get_password()
        {
            return Ok(Some(token));
        }
        Ok(self.file_read()?.remove(server))
    }

    /// Forgets the token of `server` everywhere it may be.
    pub fn clear(&self, server: &str) -> Result<(), TokenStoreError> {
        if let Some(entry) = self.entry(server) {
            // NoEntry or no keyring at all: nothing to forget there.
            let _ = entry.delete_credential();
        }
        self.file_remove(server)
    }

    fn path(&self) -> PathBuf {
        self.dir.join(FILE)
    }

    fn file_remove(&self, server: &str) -> Result<(), TokenStoreError> {
        let mut all = self.file_read()?;
        if all.remove(server).is_some() {
            self.file_write(&all)?;
        }
        Ok(())
    }

    fn file_read(&self) -> Result<BTreeMap<String, String>, TokenStoreError> {
        match fs::read(self.path()) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| TokenStoreError::Corrupt(e.to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
            Err(e) => Err(TokenStoreError::Io(e.to_string())),
        }
    }

    fn file_write(&self, all: &BTreeMap<String, String>) -> Result<(), TokenStoreError> {
        let io = |e: std::io::Error| TokenStoreError::Io(e.to_string());
        create_private_dir(&self.dir).map_err(io)?;
        let body = serde_json::to_vec(all).map_err(|e| TokenStoreError::Io(e.to_string()))?;
        // Write a private temporary file, then rename: never a half-written token file.
        let tmp = self.dir.join(format!("{FILE}.tmp"));
        let mut file = private_file(&tmp).map_err(io)?;
        file.write_all(&body).map_err(io)?;
        file.sync_all().map_err(io)?;
        fs::rename(&tmp, self.path()).map_err(io)
    }
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    fs::create_dir_all(dir)
}

#[cfg(unix)]
fn private_file(path: &Path) -> std::io::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    let _ = fs::remove_file(path);
    fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)
}

#[cfg(not(unix))]
fn private_file(path: &Path) -> std::io::Result<fs::File> {
    fs::File::create(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_store_round_trip_per_server() {
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::new(dir.path().join("app"), false);
        assert_eq!(store.load("http://a").unwrap(), None);
        store.save("http://a", "ta").unwrap();
        store.save("http://b", "tb").unwrap();
        assert_eq!(store.load("http://a").unwrap().as_deref(), Some("ta"));
        store.clear("http://a").unwrap();
        assert_eq!(store.load("http://a").unwrap(), None);
        assert_eq!(store.load("http://b").unwrap().as_deref(), Some("tb"));
    }

    #[cfg(unix)]
    #[test]
    fn file_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::new(dir.path().join("app"), false);
        store.save("http://a", "t").unwrap();
        let mode = fs::metadata(dir.path().join("app").join(FILE)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let dmode = fs::metadata(dir.path().join("app")).unwrap().permissions().mode();
        assert_eq!(dmode & 0o777, 0o700);
    }

    #[test]
    fn empty_values_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = TokenStore::new(dir.path().to_path_buf(), false);
        assert!(matches!(store.save("", "t"), Err(TokenStoreError::Invalid)));
    }
}
