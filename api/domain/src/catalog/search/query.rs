//! What a shopper typed, reduced to word tokens.
//!
//! Input is reduced to words (letters and digits only) before it reaches either engine,
//! so no query syntax of either can be injected.

use super::words::{MAX_WORD_CHARS, words};
use crate::error::{Error, Result};

const MAX_QUERY_CHARS: usize = 200;
const MAX_TOKENS: usize = 12;

/// A sanitised search: one to 12 word tokens of at most 40 characters.
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
        let tokens: Vec<String> = words(input).map(|t| t.chars().take(MAX_WORD_CHARS).collect()).take(MAX_TOKENS).collect();
        Ok((!tokens.is_empty()).then_some(SearchQuery { tokens }))
    }

    /// The words, in the order typed.
    pub fn tokens(&self) -> &[String] {
        &self.tokens
    }

    /// The words joined by spaces: the query as it was understood.
    pub fn text(&self) -> String {
        self.tokens.join(" ")
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
        assert_eq!(q.text(), "blue jacket or wool x");
    }

    #[test]
    fn punctuation_only_is_no_search() {
        assert_eq!(SearchQuery::parse(" -- !! ").unwrap(), None);
    }

    #[test]
    fn too_long_is_an_error() {
        assert!(SearchQuery::parse(&"a".repeat(201)).is_err());
    }

    #[test]
    fn long_words_and_many_words_are_cut() {
        let q = SearchQuery::parse(&format!("{} {}", "x".repeat(60), "a b c d e f g h i j k l m n")).unwrap().unwrap();
        assert_eq!(q.tokens.len(), 12);
        assert_eq!(q.tokens[0].chars().count(), 40);
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
