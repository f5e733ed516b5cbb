//! Generated product pictures for the demo catalog, so the storefront shows images
//! with no network: `/demo-images/{product-slug}--{color-slug}.svg`.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use stockade_domain::catalog::demo;

pub async fn image(Path(file): Path<String>) -> Response {
    let Some((product_slug, color_slug)) = file.strip_suffix(".svg").and_then(|f| f.split_once("--")) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Some(product) = demo::PRODUCTS.iter().find(|p| demo::slugify(p.name) == product_slug) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Some(color) = product.colors.iter().find(|c| demo::slugify(c) == color_slug) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let fill = demo::color_hex(color);
    let label = escape(product.name);
    let svg = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="600" height="750" viewBox="0 0 600 750" role="img" aria-label="{label} in {color}">
<rect width="600" height="750" fill="#f4f1ec"/>
<path d="M210 120 L250 100 Q300 140 350 100 L390 120 L480 190 L440 270 L405 250 L405 600 L195 600 L195 250 L160 270 L120 190 Z" fill="{fill}" stroke="#00000022" stroke-width="4"/>
<text x="300" y="670" font-family="DejaVu Sans, Arial, sans-serif" font-size="28" text-anchor="middle" fill="#333">{label}</text>
<text x="300" y="710" font-family="DejaVu Sans, Arial, sans-serif" font-size="22" text-anchor="middle" fill="#777">{color}</text>
</svg>"##,
        color = escape(color),
    );
    ([(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "public, max-age=86400")], svg).into_response()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
