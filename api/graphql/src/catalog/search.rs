//! Search in the API: what a product search did (`ProductConnection.searchInfo`), and
//! the synonym sets staff manage (`searchSynonyms`, `searchSynonymCreate`,
//! `searchSynonymDelete`). A change to the synonyms clears this instance's response
//! cache; other instances pick it up within seconds (see the domain's synonym cache).

use std::sync::Arc;

use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use crate::access::allow;
use crate::cache::ResponseCache;
use crate::connection::{Counted, CountedConnection, counted, page_request};
use crate::error::{UserError, failed, with_user_errors};
use crate::ids::{NodeType, row_id};
use stockade_domain::catalog::{self, SearchService};

/// What a product search did with its words, so a storefront can say "Showing results
/// for ..." and offer the words as typed.
///
/// A value, not an entity: it has no id, and a client cache keeps it inside the object
/// that holds it (see `schema.cache-config.json`).
#[derive(SimpleObject)]
pub struct SearchInfo {
    /// The words searched for, as understood: lower case, punctuation dropped.
    pub query: String,
    /// The query with each misspelt word replaced by the catalog word it was corrected
    /// to; null when no word was corrected. Show "Showing results for ...".
    pub corrected_query: Option<String>,
    /// Each misspelt word and its correction.
    pub corrections: Vec<SearchCorrection>,
    /// Each synonym term found in the query (or in a correction) and the terms it also
    /// matched.
    pub used_synonyms: Vec<SearchSynonymUse>,
}

/// A word that matched no product, and the catalog word searched for in its place.
///
/// A value, not an entity: it has no id, and a client cache keeps it inside the object
/// that holds it (see `schema.cache-config.json`).
#[derive(SimpleObject)]
pub struct SearchCorrection {
    /// The word as typed.
    pub word: String,
    /// The nearest word of the catalog (one typo for words up to 8 letters, two from 9).
    pub replacement: String,
}

/// A synonym term found in a search and the other terms of its set, which matched too
/// (ranked below what matched as typed).
///
/// A value, not an entity: it has no id, and a client cache keeps it inside the object
/// that holds it (see `schema.cache-config.json`).
#[derive(SimpleObject)]
pub struct SearchSynonymUse {
    pub term: String,
    pub synonyms: Vec<String>,
}

impl From<catalog::SearchInfo> for SearchInfo {
    fn from(info: catalog::SearchInfo) -> Self {
        SearchInfo {
            query: info.query,
            corrected_query: info.corrected_query,
            corrections: info.corrections.into_iter().map(|c| SearchCorrection { word: c.word, replacement: c.replacement }).collect(),
            used_synonyms: info.synonyms.into_iter().map(|s| SearchSynonymUse { term: s.term, synonyms: s.synonyms }).collect(),
        }
    }
}

/// Search terms that mean the same to shoppers (`tee`, `t-shirt`): a search for any of
/// them also finds products with the others, ranked below those matching as typed.
pub struct SearchSynonym(pub catalog::SynonymSet);

#[Object]
impl SearchSynonym {
    pub async fn id(&self) -> ID {
        NodeType::SearchSynonym.id(self.0.id)
    }
    /// Lower case; words joined by one space, or by a hyphen where they were
    /// hyphenated (`t-shirt`).
    async fn terms(&self) -> &[String] {
        &self.0.terms
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

#[derive(SimpleObject, Default)]
pub struct SearchSynonymPayload {
    /// The set created.
    pub synonym: Option<SearchSynonym>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject, Default)]
pub struct SearchSynonymDeletePayload {
    /// The id of the set removed (drop it from client caches).
    pub deleted_id: Option<ID>,
    /// The set as it was.
    pub synonym: Option<SearchSynonym>,
    pub user_errors: Vec<UserError>,
}

with_user_errors!(SearchSynonymPayload, SearchSynonymDeletePayload);

fn search<'a>(ctx: &'a Context<'_>) -> &'a SearchService {
    ctx.data_unchecked::<SearchService>()
}

#[derive(Default)]
pub struct SearchQueryRoot;

#[Object]
impl SearchQueryRoot {
    /// Synonym sets, newest first (staff; Relay connection).
    #[graphql(guard = "allow(\"Query.searchSynonyms\")", complexity = "super::page_cost(first, last, child_complexity)")]
    async fn search_synonyms(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<CountedConnection<SearchSynonym>> {
        use crate::error::ResultExt;
        let page = page_request(ctx, first, after, last, before)?;
        let service = search(ctx).clone();
        let result = service.synonym_sets(&page).await.gql()?;
        let total = Counted::new(move || {
            let service = service.clone();
            async move { service.count_synonym_sets().await }
        });
        Ok(counted(result, SearchSynonym, total))
    }
}

#[derive(Default)]
pub struct SearchMutation;

#[Object]
impl SearchMutation {
    /// Declares search terms equal (staff), e.g. `["tee", "t-shirt"]` or `["sneakers",
    /// "trainers"]`: 2 to 10 terms of 1 to 4 words each. A term in another set already
    /// is SYNONYM_TAKEN (with `field` naming it); searches use the set at once on this
    /// instance and within seconds on the others.
    #[graphql(guard = "allow(\"Mutation.searchSynonymCreate\")")]
    async fn search_synonym_create(&self, ctx: &Context<'_>, terms: Vec<String>) -> Result<SearchSynonymPayload> {
        match search(ctx).add_synonym_set(&terms).await {
            Ok(set) => {
                ctx.data_unchecked::<Arc<ResponseCache>>().clear();
                Ok(SearchSynonymPayload { synonym: Some(SearchSynonym(set)), user_errors: Vec::new() })
            }
            Err(e) => failed(e, None),
        }
    }

    /// Removes a synonym set (staff).
    #[graphql(guard = "allow(\"Mutation.searchSynonymDelete\")")]
    async fn search_synonym_delete(&self, ctx: &Context<'_>, id: ID) -> Result<SearchSynonymDeletePayload> {
        let result = match row_id(&id, NodeType::SearchSynonym, "id") {
            Ok(raw) => search(ctx).remove_synonym_set(raw).await,
            Err(e) => Err(e),
        };
        match result {
            Ok(set) => {
                ctx.data_unchecked::<Arc<ResponseCache>>().clear();
                Ok(SearchSynonymDeletePayload { deleted_id: Some(id), synonym: Some(SearchSynonym(set)), user_errors: Vec::new() })
            }
            Err(e) => failed(e, None),
        }
    }
}
