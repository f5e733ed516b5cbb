//! Automatic persisted queries: the convention Apollo Client and urql speak. A client
//! sends `extensions.persistedQuery { version: 1, sha256Hash }` without the document;
//! the server answers from the documents it has seen, or `PERSISTED_QUERY_NOT_FOUND`,
//! and the client sends the document once with its hash to register it. Queries then
//! fit in a short GET URL that a CDN can cache.
//!
//! A document is registered only with the hash it really has (SHA-256 of its text), and
//! only once it has passed the request's admission (parse and limits), so the store
//! holds nothing a client could not run. It is bounded (least recently used first out)
//! and per instance: a client that reaches an instance which has not seen the document
//! is told so and sends it again.

use std::sync::Arc;

use sha2::{Digest, Sha256};

pub use crate::error::code::{PERSISTED_QUERY_NOT_FOUND, PERSISTED_QUERY_NOT_SUPPORTED};

/// What the `persistedQuery` extension of a request asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Persisted {
    /// No extension: a plain request.
    Absent,
    /// Run the document with this hash (the request has no `query`).
    Lookup(String),
    /// The request carries the document and its hash: register it once admitted.
    Register(String),
}

/// Why the extension cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PersistedError {
    /// Persisted queries are switched off on this server.
    NotSupported,
    /// Not `{ version: 1, sha256Hash: <64 hex digits> }`.
    Malformed(&'static str),
    /// The document's SHA-256 is not the hash sent with it.
    HashMismatch,
}

impl Persisted {
    /// Reads the extension (`extensions.persistedQuery`) of a request that has `query`
    /// (or none).
    pub fn of(extensions: Option<&serde_json::Value>, query: Option<&str>) -> Result<Persisted, PersistedError> {
        let Some(ext) = extensions.and_then(|e| e.get("persistedQuery")) else { return Ok(Persisted::Absent) };
        if ext.get("version").and_then(serde_json::Value::as_i64) != Some(1) {
            return Err(PersistedError::Malformed("unsupported persisted query version (only 1 is known)"));
        }
        let hash = ext.get("sha256Hash").and_then(serde_json::Value::as_str).unwrap_or_default();
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(PersistedError::Malformed("`sha256Hash` must be 64 hexadecimal digits"));
        }
        let hash = hash.to_ascii_lowercase();
        match query {
            None | Some("") => Ok(Persisted::Lookup(hash)),
            Some(query) if sha256_hex(query) == hash => Ok(Persisted::Register(hash)),
            Some(_) => Err(PersistedError::HashMismatch),
        }
    }
}

/// The lowercase hexadecimal SHA-256 of `text`.
pub fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// The documents this instance has seen, by hash.
pub struct PersistedQueries {
    documents: Option<moka::future::Cache<String, Arc<str>>>,
}

impl PersistedQueries {
    /// A store of at most `capacity` documents; 0 switches persisted queries off.
    pub fn new(capacity: u64) -> Self {
        PersistedQueries { documents: (capacity > 0).then(|| moka::future::Cache::builder().max_capacity(capacity).build()) }
    }

    pub fn enabled(&self) -> bool {
        self.documents.is_some()
    }

    /// The document registered under `hash`.
    pub async fn get(&self, hash: &str) -> Option<Arc<str>> {
        self.documents.as_ref()?.get(hash).await
    }

    /// Registers `document` under `hash` (its checked SHA-256).
    pub async fn register(&self, hash: String, document: &str) {
        if let Some(documents) = &self.documents {
            documents.insert(hash, Arc::from(document)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const DOC: &str = "{ __typename }";
    // `printf %s "{ __typename }" | sha256sum`.
    const HASH: &str = "7f56e67dd21ab3f30d1ff8b7bed08893f0a0db86449836189b361dd1e56ddb4b";

    #[test]
    fn reads_the_extension_as_apollo_client_sends_it() {
        assert_eq!(sha256_hex(DOC), HASH);
        let ext = json!({ "persistedQuery": { "version": 1, "sha256Hash": HASH } });
        assert_eq!(Persisted::of(Some(&ext), None), Ok(Persisted::Lookup(HASH.into())));
        assert_eq!(Persisted::of(Some(&ext), Some(DOC)), Ok(Persisted::Register(HASH.into())));
        assert_eq!(Persisted::of(Some(&ext), Some("{ products { totalCount } }")), Err(PersistedError::HashMismatch));
        assert_eq!(Persisted::of(None, Some(DOC)), Ok(Persisted::Absent));
        assert_eq!(Persisted::of(Some(&json!({})), Some(DOC)), Ok(Persisted::Absent));
        for bad in [json!({ "version": 2, "sha256Hash": HASH }), json!({ "version": 1, "sha256Hash": "abc" }), json!({ "version": 1 })] {
            assert!(matches!(Persisted::of(Some(&json!({ "persistedQuery": bad })), None), Err(PersistedError::Malformed(_))), "{bad}");
        }
    }
}
