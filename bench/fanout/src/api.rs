//! The staff side over HTTP: sign in, pick SKUs stocked at both demo locations, and
//! change stock with `inventoryAdjust`, as the admin app does.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Value, json};

pub struct Api {
    http: reqwest::Client,
    url: String,
    token: String,
}

/// One stock level a writer changes.
#[derive(Clone, Debug)]
pub struct Level {
    pub variant: String,
    pub location: String,
    pub version: i64,
}

/// A SKU to watch, with its levels.
#[derive(Clone, Debug)]
pub struct Sku {
    pub variant: String,
    pub levels: Vec<Level>,
}

const ADJUST: &str = "mutation($input: InventoryAdjustInput!) { inventoryAdjust(input: $input) { \
    stockLevel { version } userErrors { code currentVersion } } }";

impl Api {
    /// Signs in as the staff user `email`.
    pub async fn sign_in(base: &str, email: &str, password: &str) -> anyhow::Result<Api> {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build()?;
        let mut api = Api { http, url: format!("{base}/graphql"), token: String::new() };
        let data = api
            .call(
                "mutation($e: String!, $p: String!) { tokenCreate(email: $e, password: $p) { accessToken userErrors { message } } }",
                json!({ "e": email, "p": password }),
            )
            .await?;
        api.token = data["tokenCreate"]["accessToken"].as_str().with_context(|| format!("sign-in refused: {data}"))?.to_owned();
        Ok(api)
    }

    async fn call(&self, query: &str, variables: Value) -> anyhow::Result<Value> {
        let mut request = self.http.post(&self.url).json(&json!({ "query": query, "variables": variables }));
        if !self.token.is_empty() {
            request = request.bearer_auth(&self.token);
        }
        let body: Value = request.send().await?.json().await?;
        if let Some(errors) = body.get("errors") {
            bail!("GraphQL errors: {errors}");
        }
        Ok(body["data"].clone())
    }

    /// `n` SKUs with stock at both demo locations (at least 5 units available each;
    /// writers move stock by one unit back and forth).
    pub async fn skus(&self, n: usize) -> anyhow::Result<Vec<Sku>> {
        let data = self
            .call("{ inventory(first: 100) { edges { node { variant { id } levels { version available location { id } } } } } }", json!({}))
            .await?;
        let edges = data["inventory"]["edges"].as_array().context("inventory list")?;
        let skus: Vec<Sku> = edges
            .iter()
            .map(|e| &e["node"])
            .filter(|n| n["levels"].as_array().is_some_and(|l| l.len() == 2 && l.iter().all(|l| l["available"].as_i64() >= Some(5))))
            .take(n)
            .map(|n| {
                let variant = n["variant"]["id"].as_str().unwrap_or_default().to_owned();
                let levels = n["levels"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|l| Level {
                        variant: variant.clone(),
                        location: l["location"]["id"].as_str().unwrap_or_default().to_owned(),
                        version: l["version"].as_i64().unwrap_or_default(),
                    })
                    .collect();
                Sku { variant, levels }
            })
            .collect();
        if skus.len() < n {
            bail!("only {} demo SKUs are stocked at both locations; asked for {n}", skus.len());
        }
        Ok(skus)
    }

    /// Changes `level` by `delta` at the version held, then holds the new version.
    /// Returns the round trip; a conflict (someone else changed it) refreshes the
    /// version and is an error.
    pub async fn adjust(&self, level: &mut Level, delta: i64) -> anyhow::Result<Duration> {
        let started = Instant::now();
        let input = json!({ "variantId": level.variant, "locationId": level.location, "delta": delta, "expectedVersion": level.version });
        let data = self.call(ADJUST, json!({ "input": input })).await?;
        let payload = &data["inventoryAdjust"];
        if let Some(version) = payload["stockLevel"]["version"].as_i64()
            && payload["userErrors"].as_array().is_some_and(Vec::is_empty)
        {
            level.version = version;
            return Ok(started.elapsed());
        }
        if let Some(current) = payload["userErrors"][0]["currentVersion"].as_i64() {
            level.version = current;
        }
        bail!("adjustment refused: {payload}")
    }
}
