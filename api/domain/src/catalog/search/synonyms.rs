//! Synonym sets staff manage (`tee`, `t-shirt`): any term of a set found in a search
//! also matches the others. A term belongs to at most one set.
//!
//! Searches read the sets from a per-instance cache ([`SynonymCache`]): a change made
//! on this instance clears it at once; changes made on other instances are picked up
//! when the cache is older than its time to live (5 s), which is shorter than the
//! response cache's 30 s, so no instance serves stale synonyms for longer than it
//! would serve a stale listing anyway.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use super::words::{MAX_WORD_CHARS, words};
use crate::entity::{search_synonym, search_synonym_term};
use crate::error::{Error, ErrorCode, Result};

/// Terms in one set.
pub const MIN_TERMS: usize = 2;
pub const MAX_TERMS: usize = 10;
/// Words in one term ("long sleeve tee" is three).
pub const MAX_TERM_WORDS: usize = 4;
/// Characters in one normalised term.
pub const MAX_TERM_CHARS: usize = 60;
/// How long a search may use synonyms read from the database before reading them again.
pub const CACHE_TTL: Duration = Duration::from_secs(5);

/// A set of terms that mean the same to a shopper.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SynonymSet {
    pub id: i64,
    /// Normalised: lower case, words joined by one space or one hyphen.
    pub terms: Vec<String>,
    pub created_at: DateTime<Utc>,
}

/// `raw` as a term: its words in lower case, joined by a hyphen where only hyphens
/// separated them ("T-Shirt" is `t-shirt`) and by a space otherwise.
pub fn normalise_term(raw: &str, field: &str) -> Result<String> {
    let mut term = String::new();
    let mut count = 0;
    let mut rest = raw.trim();
    while !rest.is_empty() {
        let start = rest.find(|c: char| c.is_alphanumeric()).unwrap_or(rest.len());
        let gap = &rest[..start];
        rest = &rest[start..];
        let end = rest.find(|c: char| !c.is_alphanumeric()).unwrap_or(rest.len());
        let Some(word) = words(&rest[..end]).next() else { break };
        if count > 0 {
            term.push(if !gap.is_empty() && gap.chars().all(|c| c == '-') { '-' } else { ' ' });
        }
        if word.chars().count() > MAX_WORD_CHARS {
            return Err(Error::invalid(field, format!("a word may have at most {MAX_WORD_CHARS} characters")));
        }
        term.push_str(&word);
        count += 1;
        rest = &rest[end..];
    }
    if count == 0 {
        return Err(Error::invalid(field, "a term needs at least one word (letters or digits)"));
    }
    if count > MAX_TERM_WORDS {
        return Err(Error::invalid(field, format!("a term may have at most {MAX_TERM_WORDS} words")));
    }
    if term.chars().count() > MAX_TERM_CHARS {
        return Err(Error::invalid(field, format!("a term may have at most {MAX_TERM_CHARS} characters")));
    }
    Ok(term)
}

/// The words of a normalised term, which is what a query must contain to use it
/// (`t-shirt` and `t shirt` are the same words).
pub fn term_words(term: &str) -> Vec<String> {
    words(term).collect()
}

/// Checks and normalises the terms of a new set. Errors name the term (`terms.2`).
pub fn normalise_terms(raw: &[String]) -> Result<Vec<String>> {
    if !(MIN_TERMS..=MAX_TERMS).contains(&raw.len()) {
        return Err(Error::invalid("terms", format!("a synonym set has {MIN_TERMS} to {MAX_TERMS} terms")));
    }
    let mut terms: Vec<String> = Vec::with_capacity(raw.len());
    for (i, r) in raw.iter().enumerate() {
        let field = format!("terms.{i}");
        // Cut hostile input short before looking at it.
        if r.chars().count() > 4 * MAX_TERM_CHARS {
            return Err(Error::invalid(field, format!("a term may have at most {MAX_TERM_CHARS} characters")));
        }
        let term = normalise_term(r, &field)?;
        if terms.iter().any(|t| term_words(t) == term_words(&term)) {
            return Err(Error::invalid(field, format!("'{term}' is in the set twice")));
        }
        terms.push(term);
    }
    Ok(terms)
}

/// Every set, indexed by the words of its terms, as searches use them.
#[derive(Debug, Default)]
pub struct SynonymIndex {
    sets: Vec<SynonymSet>,
    by_words: HashMap<Vec<String>, usize>,
    longest: usize,
}

impl SynonymIndex {
    pub fn new(sets: Vec<SynonymSet>) -> SynonymIndex {
        let mut by_words = HashMap::new();
        let mut longest = 0;
        // Oldest first, so if two sets ever claim the same words the older one wins.
        for (i, set) in sets.iter().enumerate().rev() {
            for term in &set.terms {
                let key = term_words(term);
                longest = longest.max(key.len());
                by_words.insert(key, i);
            }
        }
        SynonymIndex { sets, by_words, longest }
    }

    /// The longest term at the start of `tokens`: how many tokens it covers, the term
    /// and its set.
    pub fn longest_match(&self, tokens: &[String]) -> Option<(usize, &str, &SynonymSet)> {
        (1..=self.longest.min(tokens.len())).rev().find_map(|n| {
            let set = &self.sets[*self.by_words.get(&tokens[..n])?];
            let term = set.terms.iter().find(|t| term_words(t) == tokens[..n])?;
            Some((n, term.as_str(), set))
        })
    }

    /// One-word terms, for correcting misspelt synonyms that no product uses.
    pub fn single_words(&self) -> impl Iterator<Item = &str> {
        self.sets.iter().flat_map(|s| s.terms.iter()).filter(|t| !t.contains([' ', '-'])).map(String::as_str)
    }

    /// The set holding the one-word term `word`.
    pub fn set_of(&self, word: &str) -> Option<&SynonymSet> {
        self.by_words.get(std::slice::from_ref(&word.to_owned())).map(|i| &self.sets[*i])
    }
}

/// Loads every set with its terms in order, newest first.
pub async fn load_all<C: ConnectionTrait>(conn: &C) -> Result<Vec<SynonymSet>> {
    let sets = search_synonym::Entity::find().order_by_desc(search_synonym::Column::Id).all(conn).await?;
    with_terms(conn, sets).await
}

/// The sets of `models` with their terms, in the order given.
pub async fn with_terms<C: ConnectionTrait>(conn: &C, models: Vec<search_synonym::Model>) -> Result<Vec<SynonymSet>> {
    let ids: Vec<i64> = models.iter().map(|m| m.id).collect();
    let terms = search_synonym_term::Entity::find()
        .filter(search_synonym_term::Column::SynonymId.is_in(ids))
        .order_by_asc(search_synonym_term::Column::SynonymId)
        .order_by_asc(search_synonym_term::Column::Position)
        .all(conn)
        .await?;
    let mut by_set: HashMap<i64, Vec<String>> = HashMap::new();
    for t in terms {
        by_set.entry(t.synonym_id).or_default().push(t.term);
    }
    Ok(models
        .into_iter()
        .map(|m| SynonymSet { id: m.id, terms: by_set.remove(&m.id).unwrap_or_default(), created_at: m.created_at })
        .collect())
}

/// The error for a term already in another set.
pub fn taken(field: String, term: &str) -> Error {
    Error::Taken { code: ErrorCode::SynonymTaken, field, message: format!("'{term}' is already in another synonym set") }
}

/// The synonym sets of this instance, re-read after [`CACHE_TTL`] or a local change.
#[derive(Default)]
pub struct SynonymCache {
    loaded: Mutex<Option<(Instant, Arc<SynonymIndex>)>>,
}

impl SynonymCache {
    /// The index, from memory while fresh.
    pub async fn get<C: ConnectionTrait>(&self, conn: &C) -> Result<Arc<SynonymIndex>> {
        if let Some((at, index)) = &*self.loaded.lock().unwrap_or_else(|e| e.into_inner())
            && at.elapsed() < CACHE_TTL
        {
            return Ok(index.clone());
        }
        let started = Instant::now();
        let index = Arc::new(SynonymIndex::new(load_all(conn).await?));
        let mut loaded = self.loaded.lock().unwrap_or_else(|e| e.into_inner());
        // A change that cleared the cache while this load ran may not be in it: keep it
        // only if nothing was cleared meanwhile.
        if loaded.as_ref().is_none_or(|(at, _)| *at <= started) {
            *loaded = Some((started, index.clone()));
        }
        Ok(index)
    }

    /// Forgets the sets (after a change), so the next search reads them again.
    pub fn clear(&self) {
        *self.loaded.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(id: i64, terms: &[&str]) -> SynonymSet {
        SynonymSet { id, terms: terms.iter().map(|t| (*t).to_owned()).collect(), created_at: Utc::now() }
    }

    #[test]
    fn normalises_terms() {
        assert_eq!(normalise_term("  T-Shirt ", "t").unwrap(), "t-shirt");
        assert_eq!(normalise_term("Long  Sleeve, Tee", "t").unwrap(), "long sleeve tee");
        assert_eq!(normalise_term("t - shirt", "t").unwrap(), "t shirt");
        assert_eq!(normalise_term("Sneakers!", "t").unwrap(), "sneakers");
        assert!(normalise_term(" -- ", "t").is_err());
        assert!(normalise_term("a b c d e", "t").is_err());
        assert!(normalise_term(&"x".repeat(41), "t").is_err());
    }

    #[test]
    fn checks_sets() {
        assert_eq!(normalise_terms(&["Tee".into(), "T-Shirt".into()]).unwrap(), ["tee", "t-shirt"]);
        let dup = normalise_terms(&["t-shirt".into(), "T Shirt".into()]).unwrap_err();
        assert_eq!(dup.field(), Some("terms.1"));
        assert!(normalise_terms(&["tee".into()]).is_err());
        assert!(normalise_terms(&vec!["a".to_owned(); 11]).is_err());
        let huge = normalise_terms(&["tee".into(), "x".repeat(100_000)]).unwrap_err();
        assert_eq!(huge.field(), Some("terms.1"));
    }

    #[test]
    fn finds_the_longest_term_first() {
        let index = SynonymIndex::new(vec![set(2, &["tee", "t-shirt"]), set(1, &["long sleeve tee", "longsleeve"])]);
        let tokens: Vec<String> = ["long", "sleeve", "tee", "navy"].iter().map(|s| (*s).to_owned()).collect();
        let (n, term, found) = index.longest_match(&tokens).unwrap();
        assert_eq!((n, term, found.id), (3, "long sleeve tee", 1));
        let (n, term, found) = index.longest_match(&tokens[2..]).unwrap();
        assert_eq!((n, term, found.id), (1, "tee", 2));
        let t_shirt: Vec<String> = vec!["t".into(), "shirt".into()];
        assert_eq!(index.longest_match(&t_shirt).map(|(n, t, _)| (n, t)), Some((2, "t-shirt")));
        assert!(index.longest_match(&tokens[3..]).is_none());
        assert_eq!(index.single_words().collect::<Vec<_>>(), ["tee", "longsleeve"]);
        assert_eq!(index.set_of("longsleeve").map(|s| s.id), Some(1));
    }
}
