//! GraphiQL, served from the binary: pinned production builds of GraphiQL 4.1.2 and
//! React 18.3.1 (vendored under `api/assets/graphiql`, MIT, see its README), so the
//! page works offline and behind firewalls that block CDNs. Assets live under
//! versioned paths and are cached for a year; the page loads each with Subresource
//! Integrity, and its Content-Security-Policy lets it load nothing from elsewhere.

use std::sync::LazyLock;

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use sha2::{Digest, Sha384};

use super::state::AppState;

struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

macro_rules! asset {
    ($name:literal, $content_type:literal) => {
        Asset { name: $name, content_type: $content_type, bytes: include_bytes!(concat!("../../assets/graphiql/", $name)) }
    };
}

/// In the order the page loads them.
static ASSETS: [Asset; 5] = [
    asset!("graphiql-4.1.2.min.css", "text/css; charset=utf-8"),
    asset!("react-18.3.1.production.min.js", "text/javascript; charset=utf-8"),
    asset!("react-dom-18.3.1.production.min.js", "text/javascript; charset=utf-8"),
    asset!("graphiql-4.1.2.min.js", "text/javascript; charset=utf-8"),
    asset!("start.js", "text/javascript; charset=utf-8"),
];

/// The page's policy: everything from this origin; the API's WebSocket for
/// subscriptions; inline styles and data: fonts and images, which GraphiQL uses.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; font-src 'self' data:; \
    img-src 'self' data:; connect-src 'self' ws: wss:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

fn integrity(bytes: &[u8]) -> String {
    format!("sha384-{}", base64::engine::general_purpose::STANDARD.encode(Sha384::digest(bytes)))
}

static PAGE: LazyLock<String> = LazyLock::new(|| {
    let mut head = String::new();
    let mut body = String::new();
    for asset in &ASSETS {
        let (path, sri) = (format!("/graphiql/{}", asset.name), integrity(asset.bytes));
        if asset.name.ends_with(".css") {
            head.push_str(&format!("  <link rel=\"stylesheet\" href=\"{path}\" integrity=\"{sri}\" crossorigin=\"anonymous\">\n"));
        } else {
            body.push_str(&format!("  <script src=\"{path}\" integrity=\"{sri}\" crossorigin=\"anonymous\"></script>\n"));
        }
    }
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n  <meta charset=\"utf-8\">\n  <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n  \
         <title>Stockade GraphiQL</title>\n{head}  <link rel=\"icon\" href=\"data:,\">\n</head>\n\
         <body style=\"margin:0\">\n  <div id=\"graphiql\" style=\"height:100vh\">Loading GraphiQL…</div>\n{body}</body>\n</html>\n"
    )
});

/// The GraphiQL page (`GET /graphql` from a browser).
pub fn page() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::CACHE_CONTROL, "no-cache"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        PAGE.as_str(),
    )
        .into_response()
}

/// `GET /graphiql/{file}`: one of the page's assets (none when GraphiQL is off).
pub async fn asset(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    match ASSETS.iter().find(|a| a.name == file).filter(|_| state.config.graphql.graphiql) {
        Some(asset) => (
            [
                (header::CONTENT_TYPE, asset.content_type),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            asset.bytes,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_loads_every_asset_from_here_with_its_integrity() {
        for asset in &ASSETS {
            let tag = format!("/graphiql/{}\" integrity=\"{}\"", asset.name, integrity(asset.bytes));
            assert!(PAGE.contains(&tag), "{} missing from the page", asset.name);
        }
        assert!(!PAGE.contains("http://") && !PAGE.contains("https://") && !PAGE.contains("//unpkg"), "nothing from elsewhere");
    }

    #[test]
    fn the_vendored_files_are_the_published_builds() {
        // SHA-256 of the files as published on npm (see the assets' README): an edit or
        // a bad copy fails here.
        let published = [
            ("graphiql-4.1.2.min.css", "30487e07635d312a63f647b140d37740a73c53332b0975bf4b1fe985ca6ec885"),
            ("graphiql-4.1.2.min.js", "867226ba8af5ce7949903fc53932f78dac9f4bfc6cc8da0fd3869b8bc6c5256b"),
            ("react-18.3.1.production.min.js", "d949f1c3687aedadcedac85261865f29b17cd273997e7f6b2bfc53b2f9d4c4dd"),
            ("react-dom-18.3.1.production.min.js", "35f4f974f4b2bcd44da73963347f8952e341f83909e4498227d4e26b98f66f0d"),
        ];
        for (name, sha256) in published {
            let bytes = ASSETS.iter().find(|a| a.name == name).expect("served").bytes;
            let hex: String = sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(hex, sha256, "{name}");
        }
    }
}
