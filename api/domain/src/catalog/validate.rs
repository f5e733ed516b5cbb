//! Parsing catalog input: names, slugs, SKUs, prices, attributes, tags.

use super::listing::MAX_PRICE;
use crate::error::{Error, Result};

/// A trimmed display name of 1 to 200 characters without control characters.
pub fn name(raw: &str, field: &str) -> Result<String> {
    crate::accounts::parse_name(raw, field)
}

/// Free text up to `max` characters (may be empty).
pub fn text(raw: &str, field: &str, max: usize) -> Result<String> {
    let text = raw.trim();
    if text.chars().count() > max {
        return Err(Error::invalid(field, format!("`{field}` is longer than {max} characters")));
    }
    Ok(text.to_owned())
}

/// Lower-case letters and digits in words joined by `-`, at most 120 characters.
pub fn slug(raw: &str, field: &str) -> Result<String> {
    let slug = raw.trim();
    let ok = !slug.is_empty()
        && slug.len() <= 120
        && slug.split('-').all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
    if !ok {
        return Err(Error::invalid(field, format!("'{slug}' is not a slug (lower-case words joined by '-', e.g. merino-crew-sweater)")));
    }
    Ok(slug.to_owned())
}

/// Letters, digits, '.', '_' and '-', starting with a letter or digit, 1 to 64 long.
pub fn sku(raw: &str) -> Result<String> {
    let sku = raw.trim();
    let ok = (1..=64).contains(&sku.len())
        && sku.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && sku.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if !ok {
        return Err(Error::invalid("sku", format!("'{sku}' is not a SKU (letters, digits, '.', '_', '-'; at most 64)")));
    }
    Ok(sku.to_owned())
}

/// A price in minor units: 0 up to the shop's maximum.
pub fn price(amount: i64, field: &str) -> Result<i64> {
    if !(0..=MAX_PRICE).contains(&amount) {
        return Err(Error::invalid(field, format!("`{field}` must be between 0 and {MAX_PRICE} minor units (got {amount})")));
    }
    Ok(amount)
}

/// Attribute names lower-cased ([a-z0-9_], at most 32) with non-empty values (at most
/// 100 characters); at most 10, names unique.
pub fn attributes(raw: &[(String, String)]) -> Result<Vec<(String, String)>> {
    if raw.len() > 10 {
        return Err(Error::invalid("attributes", "at most 10 attributes per variant"));
    }
    let mut out: Vec<(String, String)> = Vec::with_capacity(raw.len());
    for (name, value) in raw {
        let name = name.trim().to_lowercase();
        let value = value.trim();
        if name.is_empty() || name.len() > 32 || !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
            return Err(Error::invalid(
                "attributes",
                format!("'{}' is not an attribute name (letters, digits, _)", super::listing::preview(&name)),
            ));
        }
        if value.is_empty() || value.chars().count() > 100 {
            return Err(Error::invalid("attributes", format!("the value of '{name}' must be 1 to 100 characters")));
        }
        if out.iter().any(|(n, _)| *n == name) {
            return Err(Error::invalid("attributes", format!("'{name}' is given twice")));
        }
        out.push((name, value.to_owned()));
    }
    Ok(out)
}

/// At most 30 tags of at most 50 characters, trimmed, empty ones dropped, no duplicates.
pub fn tags(raw: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for tag in raw.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
        if tag.chars().count() > 50 {
            return Err(Error::invalid("tags", "a tag is longer than 50 characters"));
        }
        if !out.iter().any(|t| t == tag) {
            out.push(tag.to_owned());
        }
    }
    if out.len() > 30 {
        return Err(Error::invalid("tags", "at most 30 tags"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_catalog_input() {
        assert!(slug("Merino Crew", "slug").is_err());
        assert!(slug("merino--crew", "slug").is_err());
        assert_eq!(slug(" merino-crew-2 ", "slug").unwrap(), "merino-crew-2");
        assert!(sku("-ABC").is_err());
        assert!(sku("AB C").is_err());
        assert!(price(-1, "price").is_err());
        assert!(price(MAX_PRICE + 1, "price").is_err());
        assert!(attributes(&[("Color".into(), "Navy".into()), ("color".into(), "Red".into())]).is_err());
        assert_eq!(attributes(&[("Color".into(), " Navy ".into())]).unwrap(), [("color".to_owned(), "Navy".to_owned())]);
        assert_eq!(tags(&[" a ".into(), "a".into(), "".into()]).unwrap(), ["a"]);
    }
}
