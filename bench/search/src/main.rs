//! Search latency on a generated catalog, through the domain services (no HTTP, no
//! GraphQL, no response cache): what a `products(filter: {search})` listing costs in
//! the database, with the Rust around it.
//!
//! Fills the database at `DATABASE_URL` with the demo catalog plus `PRODUCTS` generated
//! products (default 10,000) and four synonym sets, then runs each query `RUNS` times
//! (default 200) per kind:
//! - `exact`: words the catalog has;
//! - `typo`: misspelt words, corrected from the vocabulary;
//! - `synonym`: terms of a synonym set.
//!
//! For each query: plan (typo lookups, synonyms), the first page of 20 by relevance
//! and the total count, as the storefront asks for them. Prints one line per kind:
//! `RESULT <kind> plan p50/p99, page p50/p99, total p50/p99` in milliseconds, and the
//! result counts once, so runs on both backends can be compared.
//!
//!   DATABASE_URL=sqlite:/tmp/bench.db stockade-bench-search

use std::time::{Duration, Instant};

use anyhow::Context;
use stockade::config::{Config, Env};
use stockade_domain::catalog::{CatalogService, ProductFilter, ProductSort, SearchQuery, SearchService, Visibility};
use stockade_domain::pagination::PageRequest;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const EXACT: &[&str] = &["merino", "chambray shirt", "cotton tee", "linen", "wool coat", "cashmere sweater", "denim jacket"];
const TYPO: &[&str] = &["marino", "chambrey shirt", "cottn tee", "lnen", "wool caot", "cashmre sweater", "denim jackte"];
const SYNONYM: &[&str] = &["sneakers", "jumper", "tee", "hoody", "jumper merino", "kicks", "pullover", "sneakers canvas"];
const SYNONYMS: &[&[&str]] =
    &[&["sneakers", "trainers", "kicks"], &["jumper", "sweater", "pullover"], &["tee", "t-shirt"], &["hoody", "hoodie"]];

fn env_number(name: &str, default: usize) -> anyhow::Result<usize> {
    match std::env::var(name) {
        Ok(v) => v.parse().with_context(|| format!("{name}={v} is not a number")),
        Err(_) => Ok(default),
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).map_or(0.0, |d| d.as_secs_f64() * 1e3)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("DATABASE_URL").context("DATABASE_URL (an empty database to fill) is required")?;
    let products = env_number("PRODUCTS", 10_000)?;
    let runs = env_number("RUNS", 200)?;
    let env = Env::from_pairs(&[("DATABASE_URL", url.as_str()), ("SEED_DEMO", "false"), ("LOG_FORMAT", "pretty")]);
    let config = Config::read(&env)?;
    let db = stockade::startup::open_database(&config, None).await?;

    let started = Instant::now();
    stockade_domain::catalog::seed::seed_demo_catalog(&db, config.shop_currency).await?;
    stockade_domain::catalog::generate::seed_generated_products(&db, config.shop_currency, products).await?;
    let search = SearchService::new(db.clone());
    for set in SYNONYMS {
        search.add_synonym_set(&set.iter().map(|t| (*t).to_owned()).collect::<Vec<_>>()).await?;
    }
    println!("setup: demo catalog + {products} generated products, {} synonym sets in {:.1?}", SYNONYMS.len(), started.elapsed());

    let catalog = CatalogService::new(db.clone(), config.shop_currency);
    // A rare word too: a generated collection name (a few products each), as typed and
    // with two neighbouring letters swapped.
    let sample = catalog.product_by_slug("generated-100", &Visibility::Storefront).await?.context("generated products")?;
    let rare = sample.name.split(' ').next().unwrap_or_default().to_lowercase();
    let mut swapped: Vec<char> = rare.chars().collect();
    swapped.swap(2, 3);
    let swapped: String = swapped.into_iter().collect();
    let exact: Vec<&str> = EXACT.iter().copied().chain([rare.as_str()]).collect();
    let typo: Vec<&str> = TYPO.iter().copied().chain([swapped.as_str()]).collect();
    let page = PageRequest::first(20);
    for (kind, queries) in [("exact", &exact[..]), ("typo", &typo[..]), ("synonym", SYNONYM)] {
        let (mut plan_times, mut page_times, mut totals) = (Vec::new(), Vec::new(), Vec::new());
        let mut counts = Vec::new();
        // One unmeasured round warms connections and statement caches.
        for round in 0..=runs {
            for text in queries {
                let t0 = Instant::now();
                let query = SearchQuery::parse(text)?.context("a query with words")?;
                let (plan, info) = search.plan(&query, &Visibility::Storefront).await?;
                let t1 = Instant::now();
                let filter = ProductFilter { search: Some(plan), ..ProductFilter::default() };
                let listed = catalog.list_products(&filter, ProductSort::Relevance, &page).await?;
                let t2 = Instant::now();
                let count = catalog.count_products(&filter).await?;
                let t3 = Instant::now();
                if round == 0 {
                    let shown = info.corrected_query.unwrap_or(info.query);
                    counts.push(format!("{text:?}->{shown:?}:{count}"));
                    anyhow::ensure!(!listed.items.is_empty(), "{kind} query {text:?} found nothing");
                    continue;
                }
                plan_times.push(t1 - t0);
                page_times.push(t2 - t0);
                totals.push(t3 - t0);
            }
        }
        for v in [&mut plan_times, &mut page_times, &mut totals] {
            v.sort_unstable();
        }
        println!("counts {kind}: {}", counts.join(", "));
        println!(
            "RESULT {kind:<8} plan {:>6.2} / {:>6.2} ms   plan+page {:>6.2} / {:>6.2} ms   plan+page+count {:>6.2} / {:>6.2} ms   (p50 / p99, {} searches)",
            percentile(&plan_times, 0.5),
            percentile(&plan_times, 0.99),
            percentile(&page_times, 0.5),
            percentile(&page_times, 0.99),
            percentile(&totals, 0.5),
            percentile(&totals, 0.99),
            totals.len()
        );
    }
    db.close().await;
    Ok(())
}
