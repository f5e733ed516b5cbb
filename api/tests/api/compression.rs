//! Responses worth it are compressed by `Accept-Encoding` (zstd, brotli, gzip); cached
//! answers are compressed once and sent compressed from then on.

use std::io::Read;

use serde_json::{Value, json};
use stockade_domain::accounts::Role;

use crate::helpers::TestApp;

const LISTING: &str =
    "{ products(first: 20) { edges { node { name slug variants { sku price { amount formatted } attributes { name value } } } } } }";

/// POSTs `query` accepting `encoding`: (Content-Encoding, x-cache, Vary, decoded body).
async fn fetch(app: &TestApp, query: &str, encoding: Option<&str>, token: Option<&str>) -> (String, String, String, Value) {
    let mut req = app.client.post(app.url("/graphql")).json(&json!({ "query": query }));
    if let Some(e) = encoding {
        req = req.header("accept-encoding", e);
    }
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.unwrap();
    let header = |n: &str| res.headers().get_all(n).iter().map(|v| v.to_str().unwrap().to_owned()).collect::<Vec<_>>().join(", ");
    let (content_encoding, cache, vary) = (header("content-encoding"), header("x-cache"), header("vary"));
    let raw = res.bytes().await.unwrap();
    let mut body = Vec::new();
    match content_encoding.as_str() {
        "" => body = raw.to_vec(),
        "gzip" => {
            flate2::read::GzDecoder::new(&raw[..]).read_to_end(&mut body).unwrap();
        }
        "br" => {
            brotli::Decompressor::new(&raw[..], 4096).read_to_end(&mut body).unwrap();
        }
        "zstd" => body = zstd::stream::decode_all(&raw[..]).unwrap(),
        other => panic!("unexpected encoding {other}"),
    }
    (content_encoding, cache, vary, serde_json::from_slice(&body).unwrap())
}

#[tokio::test]
async fn large_answers_are_compressed_as_the_client_accepts_and_cached_ones_once() {
    let app = TestApp::spawn().await;
    let (plain_encoding, _, vary, plain) = fetch(&app, LISTING, None, None).await;
    assert_eq!(plain_encoding, "", "no Accept-Encoding: identity");
    assert!(vary.contains("Accept-Encoding"), "{vary}");
    assert!(plain["data"]["products"]["edges"].as_array().unwrap().len() == 20);
    for (accept, expected) in
        [("gzip", "gzip"), ("br", "br"), ("zstd", "zstd"), ("gzip, deflate, br, zstd", "zstd"), ("gzip;q=1, br;q=0.5", "gzip")]
    {
        let (encoding, cache, _, body) = fetch(&app, LISTING, Some(accept), None).await;
        assert_eq!((encoding.as_str(), cache.as_str()), (expected, "hit"), "{accept}");
        assert_eq!(body, plain, "{accept}: the same answer");
    }
    // Small answers are not worth it.
    let (encoding, _, _, _) = fetch(&app, "{ __typename }", Some("gzip"), None).await;
    assert_eq!(encoding, "");

    // Answers that never go through the cache are compressed on the way out.
    let staff = app.user(Role::Staff).await;
    let (encoding, cache, _, body) = fetch(&app, LISTING, Some("br"), Some(&staff.access_token)).await;
    assert_eq!((encoding.as_str(), cache.as_str()), ("br", ""), "signed in: not from the shared cache");
    assert_eq!(body["data"]["products"]["edges"].as_array().unwrap().len(), 20);
}
