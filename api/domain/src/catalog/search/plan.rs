//! A search as the engines run it: every clause must match, a clause matches through
//! any of its alternatives (the words as typed, a synonym, a typo correction).
//!
//! Rendered for Postgres as a `to_tsquery` text over the generated `tsvector` (GIN) and
//! for SQLite as an FTS5 MATCH text. Every word in here comes from the tokenizer
//! (letters and digits) and synonym terms add only single spaces and hyphens, so
//! neither engine's query syntax can be injected.
//!
//! Relevance ranks what matched as typed above what needed a synonym, and that above
//! what needed a typo correction; within a tier, the engine's text rank decides.

use sea_orm::DbBackend;
use sea_orm::sea_query::{Alias, Expr, Query, SelectStatement};

use super::query::SearchQuery;

/// How an alternative came about; the better the source, the higher the rank.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    /// A correction of a misspelt word (or a synonym of one).
    Typo,
    /// A term from the synonym set of what was typed.
    Synonym,
    /// The words as typed.
    Typed,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Form {
    /// Every word, each as a prefix (type-ahead: "jack" finds "jacket").
    Prefixes(Vec<String>),
    /// One whole word (a correction from the vocabulary).
    Word(String),
    /// A synonym term: its words adjacent, in order. Words joined by a hyphen
    /// (`t-shirt`) stay joined for Postgres, which indexes such compounds as a word.
    Term(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Alternative {
    form: Form,
    source: Source,
}

/// One clause: the typed words it stands for, and what else matches in their place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Clause {
    alternatives: Vec<Alternative>,
}

impl Clause {
    /// The words as typed, each a prefix.
    pub fn typed(words: &[String]) -> Clause {
        Clause { alternatives: vec![Alternative { form: Form::Prefixes(words.to_vec()), source: Source::Typed }] }
    }

    /// Also matches the whole word `word` (a correction).
    pub fn or_word(&mut self, word: &str, source: Source) {
        self.push(Alternative { form: Form::Word(word.to_owned()), source });
    }

    /// Also matches the synonym term `term` (normalised: words joined by one space or
    /// hyphen).
    pub fn or_term(&mut self, term: &str, source: Source) {
        // Terms are normalised when stored; keeping only what a normalised term may
        // hold means no row can ever put engine syntax into a query.
        let kept: String = term.chars().filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-').collect();
        let groups: Vec<String> = kept
            .split(' ')
            .map(|g| g.split('-').filter(|w| !w.is_empty()).collect::<Vec<_>>().join("-"))
            .filter(|g| !g.is_empty())
            .collect();
        if !groups.is_empty() {
            self.push(Alternative { form: Form::Term(groups.join(" ")), source });
        }
    }

    fn push(&mut self, alternative: Alternative) {
        if !self.alternatives.iter().any(|a| a.form == alternative.form) {
            self.alternatives.push(alternative);
        }
    }
}

/// The search a listing runs; see the module docs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchPlan {
    clauses: Vec<Clause>,
}

impl SearchPlan {
    /// Every word of `query` as typed, each a prefix, all required.
    pub fn typed(query: &SearchQuery) -> SearchPlan {
        SearchPlan { clauses: query.tokens().iter().map(|t| Clause::typed(std::slice::from_ref(t))).collect() }
    }

    pub fn new(clauses: Vec<Clause>) -> SearchPlan {
        SearchPlan { clauses }
    }

    /// Whether anything besides the typed words can match.
    fn expanded(&self) -> bool {
        self.clauses.iter().any(|c| c.alternatives.iter().any(|a| a.source != Source::Typed))
    }

    /// The engine's query text for the alternatives from sources `at_least` or better.
    fn render(&self, backend: DbBackend, at_least: Source) -> String {
        let (or, and) = match backend {
            DbBackend::Postgres => (" | ", " & "),
            _ => (" OR ", " AND "),
        };
        let clause = |c: &Clause| {
            let alts: Vec<String> = c.alternatives.iter().filter(|a| a.source >= at_least).map(|a| render_form(backend, &a.form)).collect();
            if alts.len() == 1 { alts.into_iter().collect() } else { format!("({})", alts.join(or)) }
        };
        self.clauses.iter().map(clause).collect::<Vec<_>>().join(and)
    }

    /// Restricts `select` (which reads from `products`) to matching products.
    pub fn apply(&self, backend: DbBackend, select: &mut SelectStatement) {
        let text = self.render(backend, Source::Typo);
        match backend {
            DbBackend::Postgres => {
                select.and_where(Expr::cust_with_values("products.search @@ to_tsquery('english', $1)", [text]));
            }
            _ => {
                // The matches (with their bm25) are found once, in a subquery the join
                // then reads. Joined directly, SQLite may walk the products and run the
                // full-text match per row (0.4 s per count at 10,000 products without
                // statistics); any LIMIT keeps the subquery from being flattened into
                // such a join.
                let matches = Query::select()
                    .expr_as(Expr::cust("rowid"), Alias::new("id"))
                    .expr_as(Expr::cust("bm25(products_fts, 10.0, 4.0, 4.0, 1.0)"), Alias::new("bm25"))
                    .from(Alias::new("products_fts"))
                    .and_where(Expr::cust_with_values("products_fts MATCH ?", [text]))
                    .limit(i64::MAX as u64)
                    .to_owned();
                select.join_subquery(sea_orm::JoinType::InnerJoin, matches, Alias::new("fts"), Expr::cust("fts.id = products.id"));
            }
        }
    }

    /// The relevance of a matching product, higher is better: the tier of its best
    /// match (2 as typed, 1 through a synonym, 0 through a correction) plus the
    /// engine's rank squashed into [0, 1). Only valid on a select that
    /// [`apply`](Self::apply) was called on.
    pub fn rank(&self, backend: DbBackend) -> Expr {
        let full = self.render(backend, Source::Typo);
        let expanded = self.expanded();
        match backend {
            DbBackend::Postgres => {
                // Normalisation 32 is rank / (rank + 1).
                let rank = "CAST(ts_rank(products.search, to_tsquery('english', $1), 32) AS DOUBLE PRECISION)";
                if !expanded {
                    return Expr::cust_with_values(rank, [full]);
                }
                Expr::cust_with_values(
                    format!(
                        "(CASE WHEN products.search @@ to_tsquery('english', $2) THEN 2.0 \
                         WHEN products.search @@ to_tsquery('english', $3) THEN 1.0 ELSE 0.0 END + {rank})"
                    ),
                    [full, self.render(backend, Source::Typed), self.render(backend, Source::Synonym)],
                )
            }
            _ => {
                // bm25 is lower-is-better and negative; column weights: name, brand, tags, description.
                let rank = "(MAX(-fts.bm25, 0.0) / (MAX(-fts.bm25, 0.0) + 1.0))";
                if !expanded {
                    return Expr::cust(rank);
                }
                let hits = "products.id IN (SELECT rowid FROM products_fts WHERE products_fts MATCH ?)";
                Expr::cust_with_values(
                    format!("(CASE WHEN {hits} THEN 2.0 WHEN {hits} THEN 1.0 ELSE 0.0 END + {rank})"),
                    [self.render(backend, Source::Typed), self.render(backend, Source::Synonym)],
                )
            }
        }
    }
}

fn render_form(backend: DbBackend, form: &Form) -> String {
    let group = |parts: Vec<String>, sep: &str| if parts.len() == 1 { parts.concat() } else { format!("({})", parts.join(sep)) };
    match (backend, form) {
        (DbBackend::Postgres, Form::Prefixes(words)) => group(words.iter().map(|w| format!("{w}:*")).collect(), " & "),
        (DbBackend::Postgres, Form::Word(word)) => word.clone(),
        (DbBackend::Postgres, Form::Term(term)) => group(term.split(' ').map(str::to_owned).collect(), " <-> "),
        (_, Form::Prefixes(words)) => group(words.iter().map(|w| format!("\"{w}\"*")).collect(), " AND "),
        (_, Form::Word(word)) => format!("\"{word}\""),
        (_, Form::Term(term)) => format!("\"{}\"", term.replace('-', " ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> SearchPlan {
        let mut marino = Clause::typed(&["marino".into()]);
        marino.or_word("merino", Source::Typo);
        let mut tee = Clause::typed(&["tee".into()]);
        tee.or_term("tee", Source::Synonym);
        tee.or_term("t-shirt", Source::Synonym);
        tee.or_term("long sleeve", Source::Synonym);
        SearchPlan::new(vec![marino, tee, Clause::typed(&["t".into(), "shirt".into()])])
    }

    #[test]
    fn renders_for_postgres() {
        let p = plan();
        assert_eq!(
            p.render(DbBackend::Postgres, Source::Typo),
            "(marino:* | merino) & (tee:* | tee | t-shirt | (long <-> sleeve)) & (t:* & shirt:*)"
        );
        assert_eq!(
            p.render(DbBackend::Postgres, Source::Synonym),
            "marino:* & (tee:* | tee | t-shirt | (long <-> sleeve)) & (t:* & shirt:*)"
        );
        assert_eq!(p.render(DbBackend::Postgres, Source::Typed), "marino:* & tee:* & (t:* & shirt:*)");
    }

    #[test]
    fn renders_for_sqlite() {
        assert_eq!(
            plan().render(DbBackend::Sqlite, Source::Typo),
            "(\"marino\"* OR \"merino\") AND (\"tee\"* OR \"tee\" OR \"t shirt\" OR \"long sleeve\") AND (\"t\"* AND \"shirt\"*)"
        );
    }

    #[test]
    fn terms_cannot_carry_engine_syntax() {
        let mut c = Clause::typed(&["tee".into()]);
        c.or_term("t\"-shirt:* | !x", Source::Synonym);
        c.or_term(" -- ", Source::Synonym);
        assert_eq!(SearchPlan::new(vec![c]).render(DbBackend::Postgres, Source::Typo), "(tee:* | (t-shirt <-> x))");
    }

    #[test]
    fn plain_searches_are_not_expanded() {
        let q = SearchQuery::parse("linen dress").unwrap().unwrap();
        let p = SearchPlan::typed(&q);
        assert!(!p.expanded());
        assert_eq!(p.render(DbBackend::Postgres, Source::Typo), "linen:* & dress:*");
        assert_eq!(p.render(DbBackend::Sqlite, Source::Typo), "\"linen\"* AND \"dress\"*");
        assert!(plan().expanded());
    }
}
