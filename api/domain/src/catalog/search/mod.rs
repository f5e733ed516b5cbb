//! Search behind one interface on both backends: full text (Postgres `tsvector` + GIN,
//! SQLite FTS5) with prefix matching, typo correction from the catalog's vocabulary,
//! and synonyms staff manage.
//!
//! - [`query`]: what was typed, reduced to word tokens (no engine syntax gets through).
//! - [`words`]: the tokenizer and the edit distance.
//! - [`vocabulary`]: the words of the catalog and the nearest ones to a misspelt word.
//! - [`synonyms`]: synonym sets, their validation and their cache.
//! - [`plan`]: the clauses and alternatives a listing runs, and their relevance.
//!
//! The service that puts them together is `catalog::SearchService`.

pub mod plan;
pub mod query;
pub mod synonyms;
pub mod vocabulary;
pub mod words;
