//! The catalog's vocabulary (`search_words`): every word of every product's searchable
//! text with the number of products using it, kept in step with product writes inside
//! their transaction, and the nearest words to a misspelt one.
//!
//! Nearest words come from trigrams (Postgres: `pg_trgm`'s `<->` distance over a GiST
//! index, nearest first; SQLite: an FTS5 trigram table, best bm25 first), a few dozen
//! candidates of about the right length; the edit distance computed here then decides,
//! the same way on both backends.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, PaginatorTrait, QuerySelect, Value};

use super::words::{distance_within, product_words};
use crate::db::{Database, statement};
use crate::entity::{product, search_word};
use crate::error::Result;

/// Candidates fetched by trigram similarity before the edit distance decides.
const CANDIDATES: u64 = 64;
/// Rows per multi-row statement.
const CHUNK: usize = 200;

/// A word of the vocabulary near a query word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NearWord {
    pub word: String,
    /// How many products use it.
    pub products: i64,
    /// Edit distance from the query word.
    pub distance: usize,
}

/// The vocabulary words of a stored product.
pub(crate) fn words_of(model: &product::Model) -> BTreeSet<String> {
    let tags: Vec<String> = serde_json::from_value(model.tags.clone()).unwrap_or_default();
    product_words(&model.name, &model.brand, &tags, &model.description)
}

/// Counts the words of a product that was added, or whose text changed from `old`
/// to `new` (an added product has no old words).
pub(crate) async fn record_change<C: ConnectionTrait>(conn: &C, old: &BTreeSet<String>, new: &BTreeSet<String>) -> Result<()> {
    let added: Vec<&String> = new.difference(old).collect();
    let removed: Vec<&String> = old.difference(new).collect();
    add_counts(conn, added.into_iter().map(|w| (w.as_str(), 1))).await?;
    let backend = conn.get_database_backend();
    for chunk in removed.chunks(CHUNK) {
        let marks = vec!["?"; chunk.len()].join(", ");
        let values: Vec<Value> = chunk.iter().map(|w| (*w).clone().into()).collect();
        conn.execute_raw(statement(
            backend,
            &format!("UPDATE search_words SET products = products - 1 WHERE word IN ({marks})"),
            values.clone(),
        ))
        .await?;
        conn.execute_raw(statement(backend, &format!("DELETE FROM search_words WHERE products <= 0 AND word IN ({marks})"), values))
            .await?;
    }
    Ok(())
}

/// Adds `n` products to each word's count, creating words as needed.
async fn add_counts<'a, C: ConnectionTrait>(conn: &C, counts: impl Iterator<Item = (&'a str, i64)>) -> Result<()> {
    let backend = conn.get_database_backend();
    let counts: Vec<(&str, i64)> = counts.collect();
    for chunk in counts.chunks(CHUNK) {
        let rows = vec!["(?, ?)"; chunk.len()].join(", ");
        let values: Vec<Value> = chunk.iter().flat_map(|(w, n)| [Value::from((*w).to_owned()), Value::from(*n)]).collect();
        let sql = format!(
            "INSERT INTO search_words (word, products) VALUES {rows} \
             ON CONFLICT (word) DO UPDATE SET products = search_words.products + excluded.products"
        );
        conn.execute_raw(statement(backend, &sql, values)).await?;
    }
    Ok(())
}

/// Recounts the whole vocabulary from the products (after a bulk load).
pub async fn rebuild<C: ConnectionTrait>(conn: &C) -> Result<usize> {
    let mut counts: BTreeMap<String, i64> = BTreeMap::new();
    let mut pages = product::Entity::find().paginate(conn, 1_000);
    while let Some(models) = pages.fetch_and_next().await? {
        for model in &models {
            for word in words_of(model) {
                *counts.entry(word).or_default() += 1;
            }
        }
    }
    search_word::Entity::delete_many().exec(conn).await?;
    add_counts(conn, counts.iter().map(|(w, n)| (w.as_str(), *n))).await?;
    Ok(counts.len())
}

/// Builds the vocabulary of a catalog that predates it (products but no words yet),
/// under the start-up lock so instances starting together do it once. Returns how
/// many words it found, if it ran.
pub async fn ensure(db: &Database) -> Result<Option<usize>> {
    db.with_startup_lock(|| async {
        let run = async {
            let txn = db.begin_write().await?;
            if search_word::Entity::find().limit(1).count(&*txn).await? > 0 || product::Entity::find().limit(1).count(&*txn).await? == 0 {
                return Ok(None);
            }
            let words = rebuild(&*txn).await?;
            txn.commit().await?;
            Ok::<_, crate::error::Error>(Some(words))
        };
        Ok(run.await)
    })
    .await?
}

/// Which of `words` the vocabulary holds as whole words.
pub async fn known<C: ConnectionTrait>(conn: &C, words: &[&str]) -> Result<HashSet<String>> {
    if words.is_empty() {
        return Ok(HashSet::new());
    }
    let marks = vec!["?"; words.len()].join(", ");
    let values: Vec<Value> = words.iter().map(|w| Value::from((*w).to_owned())).collect();
    let sql = format!("SELECT word FROM search_words WHERE word IN ({marks})");
    let rows = conn.query_all_raw(statement(conn.get_database_backend(), &sql, values)).await?;
    rows.iter().map(|r| r.try_get::<String>("", "word").map_err(Into::into)).collect()
}

#[derive(FromQueryResult)]
struct Candidate {
    word: String,
    products: i64,
}

/// Vocabulary words within `max` typos of `word`, nearest first, then the most used,
/// leaving out words `word` is a prefix of (the typed word already finds those).
pub async fn near<C: ConnectionTrait>(conn: &C, word: &str, max: usize) -> Result<Vec<NearWord>> {
    if max == 0 {
        return Ok(Vec::new());
    }
    let chars = word.chars().count();
    let (shortest, longest) = (chars.saturating_sub(max) as i64, (chars + max) as i64);
    let backend = conn.get_database_backend();
    let stmt = match backend {
        // Nearest first straight from the GiST index; the length window is applied
        // after, as a condition inside would make the planner sort the whole table.
        DbBackend::Postgres => statement(
            backend,
            &format!(
                "SELECT word, products FROM (SELECT word, CAST(products AS BIGINT) AS products FROM search_words \
                 ORDER BY word <-> ? LIMIT {}) nearest WHERE length(word) BETWEEN ? AND ?",
                CANDIDATES * 2
            ),
            vec![word.to_owned().into(), shortest.into(), longest.into()],
        ),
        _ => statement(
            backend,
            &format!(
                "SELECT w.word AS word, w.products AS products FROM search_words_trgm \
                 JOIN search_words w ON w.id = search_words_trgm.rowid \
                 WHERE search_words_trgm MATCH ? AND length(w.word) BETWEEN ? AND ? \
                 ORDER BY search_words_trgm.rank LIMIT {CANDIDATES}"
            ),
            vec![trigram_match(word).into(), shortest.into(), longest.into()],
        ),
    };
    let rows = Candidate::find_by_statement(stmt).all(conn).await?;
    let mut near: Vec<NearWord> = rows
        .into_iter()
        .filter(|c| !c.word.starts_with(word))
        .filter_map(|c| distance_within(word, &c.word, max).map(|distance| NearWord { word: c.word, products: c.products, distance }))
        .collect();
    near.sort_by(|a, b| a.distance.cmp(&b.distance).then(b.products.cmp(&a.products)).then(a.word.cmp(&b.word)));
    Ok(near)
}

/// FTS5 MATCH text for words sharing a trigram with `word`, padded like the indexed
/// words ("  wool "). `word` is letters and digits only, so quoting is enough.
fn trigram_match(word: &str) -> String {
    let padded: Vec<char> = format!("  {word} ").chars().collect();
    let mut seen = BTreeSet::new();
    padded
        .windows(3)
        .map(|w| w.iter().collect::<String>())
        .filter(|t| seen.insert(t.clone()))
        .map(|t| format!("\"{t}\""))
        .collect::<Vec<_>>()
        .join(" OR ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigrams_are_padded_and_distinct() {
        assert_eq!(trigram_match("wool"), "\"  w\" OR \" wo\" OR \"woo\" OR \"ool\" OR \"ol \"");
        assert_eq!(trigram_match("aaaa"), "\"  a\" OR \" aa\" OR \"aaa\" OR \"aa \"");
    }
}
