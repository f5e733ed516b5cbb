//! Keyset pagination shared by every list the services return.
//!
//! A [`PageRequest`] is Relay's `first/after/last/before`, validated once. Cursors are
//! opaque to clients (base64url of a small JSON document holding the sort key of the
//! row and its id), so pages stay stable while rows are added or removed.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};

/// Page size when the client names neither `first` nor `last`.
pub const DEFAULT_PAGE_SIZE: usize = 20;

/// Which end of the ordering a page is read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// `first` items after `after`.
    Forward,
    /// `last` items before `before`.
    Backward,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageRequest {
    pub direction: Direction,
    pub size: usize,
    pub after: Option<String>,
    pub before: Option<String>,
}

impl PageRequest {
    /// Validates Relay arguments against the largest page the API allows.
    pub fn new(first: Option<i32>, after: Option<String>, last: Option<i32>, before: Option<String>, max: usize) -> Result<Self> {
        let check = |field: &str, n: i32| -> Result<usize> {
            usize::try_from(n)
                .ok()
                .filter(|n| *n <= max)
                .ok_or_else(|| Error::invalid(field, format!("`{field}` must be between 0 and {max} (got {n})")))
        };
        let (direction, size) = match (first, last) {
            (Some(_), Some(_)) => return Err(Error::invalid("last", "pass either `first` or `last`, not both")),
            (Some(n), None) => (Direction::Forward, check("first", n)?),
            (None, Some(n)) => (Direction::Backward, check("last", n)?),
            (None, None) => (Direction::Forward, DEFAULT_PAGE_SIZE.min(max)),
        };
        Ok(PageRequest { direction, size, after, before })
    }

    pub fn first(size: usize) -> Self {
        PageRequest { direction: Direction::Forward, size, after: None, before: None }
    }
}

/// One page of results with the cursor of each item.
#[derive(Clone, Debug)]
pub struct Page<T> {
    pub items: Vec<(String, T)>,
    pub has_next_page: bool,
    pub has_previous_page: bool,
}

impl<T> Page<T> {
    /// Builds the page from rows fetched in query order with one extra row (`size + 1`)
    /// to learn whether more exist. Backward pages are fetched in reverse order and put
    /// back in the natural order here.
    pub fn from_rows(request: &PageRequest, mut rows: Vec<(String, T)>) -> Self {
        let more = rows.len() > request.size;
        rows.truncate(request.size);
        match request.direction {
            Direction::Forward => Page { items: rows, has_next_page: more, has_previous_page: request.after.is_some() },
            Direction::Backward => {
                rows.reverse();
                Page { items: rows, has_next_page: request.before.is_some(), has_previous_page: more }
            }
        }
    }

    pub fn map<U>(self, mut f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(|(c, t)| (c, f(t))).collect(),
            has_next_page: self.has_next_page,
            has_previous_page: self.has_previous_page,
        }
    }
}

pub fn encode_cursor<T: Serialize>(value: &T) -> String {
    // Serialising plain data structs cannot fail.
    let json = serde_json::to_vec(value).unwrap_or_default();
    URL_SAFE_NO_PAD.encode(json)
}

/// Decodes a cursor; `field` names the argument it came from for the error.
pub fn decode_cursor<T: DeserializeOwned>(cursor: &str, field: &str) -> Result<T> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| Error::invalid(field, format!("`{field}` is not a cursor returned by this list")))
}

/// `query` as one page of rows newest first by their id column `id` (keyset cursors
/// are the ids): rows past the cursor, in the page's direction, one more than the
/// page holds (so [`Page::from_rows`] learns whether more exist).
pub fn newest_first<E: sea_orm::EntityTrait>(
    mut query: sea_orm::Select<E>,
    id: E::Column,
    page: &PageRequest,
) -> Result<sea_orm::Select<E>> {
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect};
    for (cursor, newer) in [(&page.after, false), (&page.before, true)] {
        if let Some(c) = cursor {
            let at: i64 = decode_cursor(c, if newer { "before" } else { "after" })?;
            query = query.filter(if newer { id.gt(at) } else { id.lt(at) });
        }
    }
    let ordered = match page.direction {
        Direction::Forward => query.order_by_desc(id),
        Direction::Backward => query.order_by_asc(id),
    };
    Ok(ordered.limit(page.size as u64 + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_relay_arguments() {
        assert!(PageRequest::new(Some(101), None, None, None, 100).is_err());
        assert!(PageRequest::new(Some(-1), None, None, None, 100).is_err());
        assert!(PageRequest::new(Some(1), None, Some(1), None, 100).is_err());
        assert_eq!(PageRequest::new(None, None, None, None, 100).unwrap().size, DEFAULT_PAGE_SIZE);
        assert_eq!(PageRequest::new(None, None, Some(5), None, 100).unwrap().direction, Direction::Backward);
    }

    #[test]
    fn backward_pages_come_back_in_natural_order() {
        let req = PageRequest::new(None, None, Some(2), Some("c".into()), 100).unwrap();
        let page = Page::from_rows(&req, vec![("3".into(), 3), ("2".into(), 2), ("1".into(), 1)]);
        assert_eq!(page.items.iter().map(|(_, v)| *v).collect::<Vec<_>>(), [2, 3]);
        assert!(page.has_previous_page && page.has_next_page);
    }

    #[test]
    fn garbage_cursors_are_rejected() {
        assert!(decode_cursor::<(i64, i64)>("!!!", "after").is_err());
        assert!(decode_cursor::<(i64, i64)>(&encode_cursor(&"text"), "after").is_err());
        assert_eq!(decode_cursor::<(i64, i64)>(&encode_cursor(&(1, 2)), "after").unwrap(), (1, 2));
    }
}
