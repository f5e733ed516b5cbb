//! Full-text search behind one interface: Postgres `tsvector` + GIN, SQLite FTS5.
//!
//! Shopper input is reduced to word tokens (letters and digits only) before it reaches
//! either engine, so no query syntax of either can be injected, and every token is a
//! prefix match (type-ahead: "jack" finds "jacket").

use sea_orm::DbBackend;
use sea_orm::sea_query::{Expr, ExprTrait, SelectStatement};

use crate::error::{Error, Result};

const MAX_QUERY_CHARS: usize = 200;
const MAX_TOKENS: usize = 12;
const MAX_TOKEN_CHARS: usize = 40;

/// A sanitised search: at least one word token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchQuery {
    tokens: Vec<String>,
}

impl SearchQuery {
    /// `Ok(None)` when the input holds no searchable word (e.g. only punctuation).
    pub fn parse(input: &str) -> Result<Option<Self>> {
        if input.chars().count() > MAX_QUERY_CHARS {
            return Err(Error::invalid("search", format!("search text is too long (at most {MAX_QUERY_CHARS} characters)")));
        }
        let tokens: Vec<String> = input
            .split(|c: char| !c.is_alphanumeric())
            // Lower-casing can yield combining marks (e.g. for 'İ'), so filter afterwards.
            .map(|t| t.to_lowercase().chars().filter(|c| c.is_alphanumeric()).take(MAX_TOKEN_CHARS).collect::<String>())
            .filter(|t| !t.is_empty())
            .take(MAX_TOKENS)
            .collect();
        Ok((!tokens.is_empty()).then_some(SearchQuery { tokens }))
    }

    /// `to_tsquery` text: every token a prefix, all required.
    fn pg_tsquery(&self) -> String {
        self.tokens.iter().map(|t| format!("{t}:*")).collect::<Vec<_>>().join(" & ")
    }

    /// FTS5 MATCH text: every token quoted and a prefix, all required.
    fn fts5_match(&self) -> String {
        self.tokens.iter().map(|t| format!("\"{t}\"*")).collect::<Vec<_>>().join(" ")
    }

    /// Restricts `select` (which reads from `products`) to matching products.
    pub fn apply(&self, backend: DbBackend, select: &mut SelectStatement) {
        match backend {
            DbBackend::Postgres => {
                select.and_where(Expr::cust_with_values("products.search @@ to_tsquery('english', $1)", [self.pg_tsquery()]));
            }
            _ => {
                select
                    .join(
                        sea_orm::JoinType::InnerJoin,
                        sea_orm::sea_query::Alias::new("products_fts"),
                        Expr::cust("products_fts.rowid = products.id"),
                    )
                    .and_where(Expr::cust_with_values("products_fts MATCH ?", [self.fts5_match()]));
            }
        }
    }

    /// The relevance of a matching product, higher is better. Only valid on a select
    /// that [`apply`](Self::apply) was called on.
    pub fn rank(&self, backend: DbBackend) -> Expr {
        match backend {
            DbBackend::Postgres => {
                Expr::cust_with_values("CAST(ts_rank(products.search, to_tsquery('english', $1)) AS DOUBLE PRECISION)", [self.pg_tsquery()])
            }
            // bm25 is lower-is-better; column weights: name, brand, tags, description.
            _ => Expr::cust("bm25(products_fts, 10.0, 4.0, 4.0, 1.0)").mul(-1.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn strips_query_syntax() {
        let q = SearchQuery::parse("blue \"jacket\" OR -wool* & (x)").unwrap().unwrap();
        assert_eq!(q.tokens, ["blue", "jacket", "or", "wool", "x"]);
        assert_eq!(q.fts5_match(), "\"blue\"* \"jacket\"* \"or\"* \"wool\"* \"x\"*");
        assert_eq!(q.pg_tsquery(), "blue:* & jacket:* & or:* & wool:* & x:*");
    }

    #[test]
    fn punctuation_only_is_no_search() {
        assert_eq!(SearchQuery::parse(" -- !! ").unwrap(), None);
    }

    #[test]
    fn too_long_is_an_error() {
        assert!(SearchQuery::parse(&"a".repeat(201)).is_err());
    }

    proptest! {
        #[test]
        fn tokens_are_plain_words(input in ".{0,200}") {
            if let Some(q) = SearchQuery::parse(&input).unwrap() {
                for t in &q.tokens {
                    prop_assert!(!t.is_empty() && t.chars().all(char::is_alphanumeric));
                }
            }
        }
    }
}
