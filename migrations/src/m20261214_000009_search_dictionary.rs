//! Search that forgives typos and knows synonyms.
//!
//! - `search_words`: the vocabulary of the catalog (every word of a product's name,
//!   brand, tags and description, lower case) with the number of products using it.
//!   A misspelt query word is corrected to its nearest entry before the full-text
//!   search runs, so both backends correct the same way. Finding near entries fast
//!   needs trigrams: a `pg_trgm` GiST index on Postgres (nearest first with `<->`), an
//!   FTS5 trigram table on SQLite, kept in step by triggers. The words are filled in by
//!   the application (it owns the tokenizer), on every product write and at start-up
//!   for a catalog that predates this table.
//! - `search_synonyms` / `search_synonym_terms`: sets of terms staff declare equal
//!   (`tee`, `t-shirt`); a term belongs to at most one set (unique), so a query word
//!   expands to exactly one set.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SearchWords {
    Table,
    Id,
    Word,
    Products,
}

#[derive(DeriveIden)]
enum SearchSynonyms {
    Table,
    Id,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SearchSynonymTerms {
    Table,
    SynonymId,
    Term,
    Position,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SearchWords::Table)
                    .col(big_pk_auto(SearchWords::Id))
                    .col(string_len_uniq(SearchWords::Word, 64))
                    .col(integer(SearchWords::Products).default(0).check(Expr::col(SearchWords::Products).gte(0)))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SearchSynonyms::Table)
                    .col(big_pk_auto(SearchSynonyms::Id))
                    .col(timestamp_with_time_zone(SearchSynonyms::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SearchSynonymTerms::Table)
                    .col(big_integer(SearchSynonymTerms::SynonymId))
                    .col(string_len(SearchSynonymTerms::Term, 100))
                    .col(integer(SearchSynonymTerms::Position))
                    .primary_key(Index::create().col(SearchSynonymTerms::SynonymId).col(SearchSynonymTerms::Position))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_search_synonym_terms_synonym")
                            .from(SearchSynonymTerms::Table, SearchSynonymTerms::SynonymId)
                            .to(SearchSynonyms::Table, SearchSynonyms::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_search_synonym_terms_term")
                    .table(SearchSynonymTerms::Table)
                    .col(SearchSynonymTerms::Term)
                    .unique()
                    .to_owned(),
            )
            .await?;

        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared(
                    "CREATE EXTENSION IF NOT EXISTS pg_trgm;
                    CREATE INDEX idx_search_words_trgm ON search_words USING GIST (word gist_trgm_ops);",
                )
                .await?;
            }
            DbBackend::Sqlite => {
                // Contentless: only the trigrams are kept, rowid = search_words.id. Words
                // are indexed padded like pg_trgm pads them ("  wool "), so a short word
                // with one typo still shares trigrams with the right one.
                db.execute_unprepared(
                    "CREATE VIRTUAL TABLE search_words_trgm USING fts5(word, content='', tokenize='trigram');
                    CREATE TRIGGER search_words_trgm_ai AFTER INSERT ON search_words BEGIN
                        INSERT INTO search_words_trgm(rowid, word) VALUES (new.id, '  ' || new.word || ' ');
                    END;
                    CREATE TRIGGER search_words_trgm_ad AFTER DELETE ON search_words BEGIN
                        INSERT INTO search_words_trgm(search_words_trgm, rowid, word) VALUES ('delete', old.id, '  ' || old.word || ' ');
                    END;",
                )
                .await?;
            }
            other => return Err(DbErr::Migration(format!("unsupported database backend {other:?}"))),
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Sqlite {
            manager.get_connection().execute_unprepared("DROP TABLE IF EXISTS search_words_trgm").await?;
        }
        for table in [SearchSynonymTerms::Table.into_iden(), SearchSynonyms::Table.into_iden(), SearchWords::Table.into_iden()] {
            manager.drop_table(Table::drop().table(table).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
