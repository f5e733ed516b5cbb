//! Load client for drops through the public API, against running api instances (see
//! `run.sh`, which starts two release servers on a fresh Postgres database).
//!
//! - `setup`: as staff, a new active product with one variant and UNITS units on hand at
//!   the preferred location; prints `VARIANT=<id>`.
//! - `holds`: CONNECTIONS guests for DURATION seconds, each adding 1 unit of the hot SKU
//!   to its cart with `cartLinesAdd` again and again; a cart full of it (the line's
//!   maximum, `CART_MAX_LINE_QUANTITY`) is left as it is (its hold lapses later) and the
//!   guest starts a new one, as a shopper who buys several gifts would.
//! - `drop`: SHOPPERS shoppers, each cart -> hold -> checkoutStart -> checkoutComplete
//!   -> paymentIntentCreate -> testPaymentConfirm, round-robin over the instances.
//! - `rush`: BUYERS buyers released at once, each `cartCreate` with the line once.
//! - `statements`: one shopper through every step alone; after each step (and a pause of
//!   PAUSE_MS, 300) `psql` runs `SELECT 'stockade-step <step>'` on MARK_DATABASE_URL, so
//!   that a Postgres log of every statement can be cut into steps (see `run.sh`).
//!
//! Client, servers and Postgres share the machine: the client's CPU is reported too.

mod cpu;
mod gql;
mod scenarios;
mod stats;

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::json;

use gql::Gql;

fn env_number(name: &str, default: u64) -> anyhow::Result<u64> {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => v.parse().with_context(|| format!("{name}={v} is not a number")),
        _ => Ok(default),
    }
}

fn env_list(name: &str) -> Vec<String> {
    std::env::var(name).unwrap_or_default().split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

pub struct Settings {
    pub gql: Arc<Gql>,
    pub variant: String,
    pub probe: cpu::Probe,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mode = std::env::args().nth(1).unwrap_or_default();
    let bases = env_list("BASE_URLS");
    if bases.is_empty() {
        bail!("BASE_URLS (the instances, comma-separated, e.g. http://127.0.0.1:8096,http://127.0.0.1:8097) is required");
    }
    let connections = env_number("CONNECTIONS", 256)?.max(1) as usize;
    let backoff = Duration::from_millis(env_number("RETRY_BACKOFF_MS", 50)?);
    if mode == "setup" {
        return setup(&bases).await;
    }
    let instances = (env_number("INSTANCES", bases.len() as u64)? as usize).clamp(1, bases.len());
    let gql = Arc::new(Gql::new(&bases[..instances], connections, backoff)?);
    let probe = cpu::Probe {
        api_pids: env_list("API_PIDS").iter().take(instances).filter_map(|p| p.parse().ok()).collect(),
        database_url: std::env::var("DATABASE_URL").ok(),
        hz: env_number("CLK_TCK", 100)? as f64,
    };
    let settings = Settings { gql, variant: std::env::var("VARIANT").context("VARIANT (the hot SKU's variant id) is required")?, probe };
    match mode.as_str() {
        "holds" => {
            let duration = Duration::from_secs(env_number("DURATION", 10)?);
            let service_rps = std::env::var("SERVICE_RPS").ok().and_then(|v| v.parse::<f64>().ok());
            scenarios::holds(&settings, connections, duration, service_rps).await
        }
        "drop" => scenarios::whole_drop(&settings, env_number("SHOPPERS", 1000)? as usize).await,
        "rush" => scenarios::rush(&settings, env_number("BUYERS", 10_000)? as usize).await,
        "statements" => {
            let url = std::env::var("MARK_DATABASE_URL").context("MARK_DATABASE_URL (where to mark the steps) is required")?;
            let pause = Duration::from_millis(env_number("PAUSE_MS", 300)?);
            scenarios::one_shopper(&settings, pause, |step| {
                let status = std::process::Command::new("psql")
                    .args(["-qAtX", &url, "-c", &format!("SELECT 'stockade-step {step}'")])
                    .stdout(std::process::Stdio::null())
                    .status()
                    .context("running psql")?;
                if !status.success() {
                    bail!("psql exited with {status}");
                }
                Ok(())
            })
            .await
        }
        other => bail!("unknown mode {other:?}: setup, holds, drop, rush or statements"),
    }
}

/// A product with one variant and UNITS on hand, created by staff over GraphQL.
async fn setup(bases: &[String]) -> anyhow::Result<()> {
    let email = std::env::var("STAFF_EMAIL").context("STAFF_EMAIL is required")?;
    let password = std::env::var("STAFF_PASSWORD").context("STAFF_PASSWORD is required")?;
    let sku = std::env::var("SKU").context("SKU is required")?;
    let units = env_number("UNITS", 300)?;
    let anonymous = Gql::new(bases, 4, Duration::from_millis(200))?;
    let signed_in = anonymous
        .call(
            0,
            "mutation($e: String!, $p: String!) { tokenCreate(email: $e, password: $p) { accessToken userErrors { code message } } }",
            json!({ "e": email, "p": password }),
        )
        .await?
        .data;
    let token = signed_in["tokenCreate"]["accessToken"].as_str().with_context(|| format!("sign-in refused: {signed_in}"))?;
    let staff = anonymous.with_token(token.to_owned());
    let product = staff
        .call(
            0,
            "mutation($i: ProductCreateInput!) { productCreate(input: $i) { product { id } userErrors { code message } } }",
            json!({ "i": { "name": format!("Drop {sku}"), "status": "ACTIVE", "description": "A limited drop" } }),
        )
        .await?
        .data;
    let product_id = product["productCreate"]["product"]["id"].as_str().with_context(|| format!("productCreate: {product}"))?;
    let variant = staff
        .call(
            0,
            "mutation($i: VariantCreateInput!) { variantCreate(input: $i) { variant { id } userErrors { code message } } }",
            json!({ "i": { "productId": product_id, "sku": sku, "price": 4500 } }),
        )
        .await?
        .data;
    let variant_id = variant["variantCreate"]["variant"]["id"].as_str().with_context(|| format!("variantCreate: {variant}"))?;
    let locations = staff.call(0, "{ stockLocations { id code } }", json!({})).await?.data;
    let location = locations["stockLocations"][0]["id"].as_str().with_context(|| format!("no stock location: {locations}"))?;
    let adjusted = staff
        .call(
            0,
            "mutation($i: InventoryAdjustInput!) { inventoryAdjust(input: $i) { stockLevel { available version } userErrors { code message } } }",
            json!({ "i": { "variantId": variant_id, "locationId": location, "delta": units, "expectedVersion": 0, "reason": "RESTOCK", "note": "drop stock" } }),
        )
        .await?
        .data;
    if adjusted["inventoryAdjust"]["stockLevel"]["available"].as_u64() != Some(units) {
        bail!("inventoryAdjust: {adjusted}");
    }
    println!("VARIANT={variant_id}");
    Ok(())
}
