//! Turns what a shopper typed into the search a listing runs, and manages synonyms.
//!
//! For each word, in order:
//! 1. Words that form a synonym term (the longest first: "long sleeve tee" before
//!    "tee") also match every other term of its set, ranked below the words as typed.
//! 2. A word of four or more letters that matches no product the viewer may see (as a
//!    prefix, stemmed, as the engines match) is misspelt: it is corrected to the nearest
//!    words of the catalog's vocabulary (one typo up to 8 letters, two from 9; the
//!    most used word first on a tie) and matches those, ranked below anything matched
//!    as typed. Words that match something are never corrected, so "shirt" never brings
//!    skirts and type-ahead stays precise.
//!
//! What was done is reported ([`SearchInfo`]) so a storefront can say "Showing results
//! for ...".

use std::collections::HashSet;
use std::sync::Arc;

use chrono::Utc;
use sea_orm::sea_query::{Alias, Expr, Query};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};

use super::listing::{ProductFilter, Visibility};
use super::search::plan::{Clause, SearchPlan, Source};
use super::search::query::SearchQuery;
use super::search::synonyms::{self, SynonymCache, SynonymIndex, SynonymSet, term_words};
use super::search::vocabulary::{self, NearWord};
use super::search::words::{distance_within, typo_budget};
use crate::db::{Database, OnUniqueViolation};
use crate::entity::{search_synonym, search_synonym_term};
use crate::error::{Error, Result};
use crate::pagination::{Page, PageRequest, encode_cursor, newest_first};

/// Most corrections tried for one misspelt word (the nearest, equally near ones).
const MAX_CORRECTIONS: usize = 3;

/// What a search did with the words it was given.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SearchInfo {
    /// The words searched for, as understood (lower case, punctuation dropped).
    pub query: String,
    /// `query` with each misspelt word replaced by its best correction; `None` when no
    /// word was corrected.
    pub corrected_query: Option<String>,
    /// Each misspelt word and what it was corrected to.
    pub corrections: Vec<Correction>,
    /// Each synonym term found and the terms it also matched.
    pub synonyms: Vec<SynonymUse>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Correction {
    /// The word as typed.
    pub word: String,
    /// The nearest word of the catalog.
    pub replacement: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SynonymUse {
    /// The term found in the query (or its correction).
    pub term: String,
    /// The other terms of its set, which also matched.
    pub synonyms: Vec<String>,
}

/// A run of query words: a synonym term, or a single word.
enum Span {
    Synonym { words: Vec<String>, term: String, set: SynonymSet },
    Word(String),
}

#[derive(Clone)]
pub struct SearchService {
    db: Database,
    synonyms: Arc<SynonymCache>,
}

impl SearchService {
    pub fn new(db: Database) -> Self {
        SearchService { db, synonyms: Arc::new(SynonymCache::default()) }
    }

    /// The search to run for `query` as `visibility` sees the catalog, and what it did.
    #[tracing::instrument(skip(self), err(level = "debug"))]
    pub async fn plan(&self, query: &SearchQuery, visibility: &Visibility) -> Result<(SearchPlan, SearchInfo)> {
        let index = self.synonyms.get(self.db.conn()).await?;
        let spans = spans(query.tokens(), &index);
        let checkable: Vec<&str> = spans
            .iter()
            .filter_map(|s| match s {
                Span::Word(w) if typo_budget(w.chars().count()) > 0 => Some(w.as_str()),
                _ => None,
            })
            .collect();
        let found = self.matching_words(&checkable, visibility).await?;

        let mut info = SearchInfo { query: query.text(), ..SearchInfo::default() };
        let mut clauses = Vec::with_capacity(spans.len());
        let mut corrected: Vec<String> = Vec::with_capacity(query.tokens().len());
        for span in spans {
            match span {
                Span::Synonym { words, term, set } => {
                    let mut clause = Clause::typed(&words);
                    for t in &set.terms {
                        clause.or_term(t, Source::Synonym);
                    }
                    info.synonyms.push(SynonymUse { synonyms: set.terms.iter().filter(|t| **t != term).cloned().collect(), term });
                    corrected.extend(words);
                    clauses.push(clause);
                }
                Span::Word(word) => {
                    let mut clause = Clause::typed(std::slice::from_ref(&word));
                    let budget = typo_budget(word.chars().count());
                    let near =
                        if budget > 0 && !found.contains(&word) { self.corrections(&word, budget, &index).await? } else { Vec::new() };
                    for n in &near {
                        clause.or_word(&n.word, Source::Typo);
                        if let Some(set) = index.set_of(&n.word) {
                            for t in &set.terms {
                                clause.or_term(t, Source::Typo);
                            }
                            let synonyms = set.terms.iter().filter(|t| **t != n.word).cloned().collect();
                            info.synonyms.push(SynonymUse { term: n.word.clone(), synonyms });
                        }
                    }
                    match near.into_iter().next() {
                        Some(best) => {
                            info.corrections.push(Correction { word, replacement: best.word.clone() });
                            corrected.push(best.word);
                        }
                        None => corrected.push(word),
                    }
                    clauses.push(clause);
                }
            }
        }
        if !info.corrections.is_empty() {
            info.corrected_query = Some(corrected.join(" "));
        }
        Ok((SearchPlan::new(clauses), info))
    }

    /// Which of `words` match some product `visibility` sees, each on its own (one
    /// statement: an EXISTS per word).
    async fn matching_words(&self, words: &[&str], visibility: &Visibility) -> Result<HashSet<String>> {
        if words.is_empty() {
            return Ok(HashSet::new());
        }
        let backend = self.db.backend();
        let mut select = Query::select();
        for (i, word) in words.iter().enumerate() {
            let filter = ProductFilter {
                visibility: visibility.clone(),
                search: Some(SearchPlan::new(vec![Clause::typed(&[(*word).to_owned()])])),
                ..ProductFilter::default()
            };
            select.expr_as(Expr::exists(filter.resolve(Vec::new()).select(backend, None)), Alias::new(format!("w{i}")));
        }
        let Some(row) = self.db.conn().query_one(&select).await? else { return Ok(HashSet::new()) };
        let mut found = HashSet::new();
        for (i, word) in words.iter().enumerate() {
            if row.try_get::<bool>("", &format!("w{i}"))? {
                found.insert((*word).to_owned());
            }
        }
        Ok(found)
    }

    /// The nearest words to the misspelt `word`: from the vocabulary, and one-word
    /// synonym terms (a shopper may misspell a synonym no product uses), all at the
    /// smallest distance found.
    async fn corrections(&self, word: &str, budget: usize, index: &SynonymIndex) -> Result<Vec<NearWord>> {
        let mut near = vocabulary::near(self.db.conn(), word, budget).await?;
        for term in index.single_words() {
            if term.starts_with(word) || near.iter().any(|n| n.word == term) {
                continue;
            }
            if let Some(distance) = distance_within(word, term, budget) {
                near.push(NearWord { word: term.to_owned(), products: 0, distance });
            }
        }
        near.sort_by(|a, b| a.distance.cmp(&b.distance).then(b.products.cmp(&a.products)).then(a.word.cmp(&b.word)));
        let best = near.first().map(|n| n.distance);
        near.retain(|n| Some(n.distance) == best);
        near.truncate(MAX_CORRECTIONS);
        Ok(near)
    }

    /// One page of synonym sets, newest first.
    pub async fn synonym_sets(&self, page: &PageRequest) -> Result<Page<SynonymSet>> {
        let models = newest_first(search_synonym::Entity::find(), search_synonym::Column::Id, page)?.all(self.db.conn()).await?;
        let sets = synonyms::with_terms(self.db.conn(), models).await?;
        Ok(Page::from_rows(page, sets.into_iter().map(|s| (encode_cursor(&s.id), s)).collect()))
    }

    /// How many synonym sets there are.
    pub async fn count_synonym_sets(&self) -> Result<u64> {
        Ok(search_synonym::Entity::find().count(self.db.conn()).await?)
    }

    pub async fn synonym_set(&self, id: i64) -> Result<Option<SynonymSet>> {
        let Some(model) = search_synonym::Entity::find_by_id(id).one(self.db.conn()).await? else { return Ok(None) };
        Ok(synonyms::with_terms(self.db.conn(), vec![model]).await?.pop())
    }

    /// Adds a set of terms that mean the same. A term already in another set (with the
    /// same words: `t shirt` and `t-shirt` are one term) is SYNONYM_TAKEN.
    #[tracing::instrument(skip(self), err(level = "debug"))]
    pub async fn add_synonym_set(&self, raw_terms: &[String]) -> Result<SynonymSet> {
        let terms = synonyms::normalise_terms(raw_terms)?;
        let txn = self.db.begin_write().await?;
        let existing = search_synonym_term::Entity::find().all(&*txn).await?;
        for (i, term) in terms.iter().enumerate() {
            let words = term_words(term);
            if let Some(other) = existing.iter().find(|e| term_words(&e.term) == words) {
                return Err(synonyms::taken(format!("terms.{i}"), &other.term));
            }
        }
        let created_at = Utc::now();
        let set = search_synonym::Entity::insert(search_synonym::ActiveModel { created_at: Set(created_at), ..Default::default() })
            .exec_with_returning(&*txn)
            .await?;
        let rows = terms.iter().enumerate().map(|(position, term)| search_synonym_term::ActiveModel {
            synonym_id: Set(set.id),
            position: Set(position as i32),
            term: Set(term.clone()),
        });
        // A concurrent addition of the same term loses here.
        search_synonym_term::Entity::insert_many(rows)
            .exec_without_returning(&*txn)
            .await
            .on_unique_violation("search_synonym_terms.term", || synonyms::taken("terms".into(), "a term"))?;
        txn.commit().await?;
        self.synonyms.clear();
        Ok(SynonymSet { id: set.id, terms, created_at })
    }

    /// Removes a synonym set; answers it as it was.
    #[tracing::instrument(skip(self), err(level = "debug"))]
    pub async fn remove_synonym_set(&self, id: i64) -> Result<SynonymSet> {
        let txn = self.db.begin_write().await?;
        let model = search_synonym::Entity::find_by_id(id).one(&*txn).await?.ok_or_else(|| Error::not_found("synonym set", "id"))?;
        let set = synonyms::with_terms(&*txn, vec![model]).await?.pop().ok_or_else(|| Error::not_found("synonym set", "id"))?;
        search_synonym_term::Entity::delete_many().filter(search_synonym_term::Column::SynonymId.eq(id)).exec(&*txn).await?;
        let deleted = search_synonym::Entity::delete_by_id(id).exec(&*txn).await?;
        if deleted.rows_affected == 0 {
            return Err(Error::not_found("synonym set", "id"));
        }
        txn.commit().await?;
        self.synonyms.clear();
        Ok(set)
    }
}

/// Splits the query words into synonym terms (longest first) and single words.
fn spans(tokens: &[String], index: &SynonymIndex) -> Vec<Span> {
    let mut spans = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        match index.longest_match(&tokens[i..]) {
            Some((n, term, set)) => {
                spans.push(Span::Synonym { words: tokens[i..i + n].to_vec(), term: term.to_owned(), set: set.clone() });
                i += n;
            }
            None => {
                spans.push(Span::Word(tokens[i].clone()));
                i += 1;
            }
        }
    }
    spans
}
