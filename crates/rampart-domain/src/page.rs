//! Keyset pagination shared by every list in the API and the UI.
//!
//! Lists are paged by an opaque cursor (the sort key of the last item seen), not by
//! offset: a page costs the same however deep it is, and rows inserted meanwhile do
//! not shift what the next page shows.

use serde::Serialize;

use crate::Invalid;

/// Largest page a client may ask for.
pub const MAX_LIMIT: u32 = 500;
/// Page size when the client does not say.
pub const DEFAULT_LIMIT: u32 = 50;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: u32,
    /// Sort key of the last item of the previous page.
    pub after: Option<String>,
}

impl PageRequest {
    pub fn new(limit: Option<u32>, after: Option<String>) -> Result<Self, Invalid> {
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if limit == 0 || limit > MAX_LIMIT {
            return Err(Invalid::new("limit", format!("must be between 1 and {MAX_LIMIT}")));
        }
        if let Some(after) = &after
            && (after.is_empty() || after.len() > 200)
        {
            return Err(Invalid::new("after", "must be a cursor returned as `next` by a previous page"));
        }
        Ok(Self { limit, after })
    }

    pub fn first(limit: u32) -> Self {
        Self { limit: limit.clamp(1, MAX_LIMIT), after: None }
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        Self::first(DEFAULT_LIMIT)
    }
}

/// One page of a list and the cursor for the next one, if there is more.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` rows fetched in order: the extra row
    /// only tells that a next page exists.
    pub fn from_overfetch(mut rows: Vec<T>, limit: u32, cursor_of: impl Fn(&T) -> String) -> Self {
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next = if more { rows.last().map(cursor_of) } else { None };
        Self { items: rows, next }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_limit_outside_the_allowed_range_is_refused() {
        assert!(PageRequest::new(Some(0), None).is_err());
        assert!(PageRequest::new(Some(MAX_LIMIT + 1), None).is_err());
        assert_eq!(PageRequest::new(None, None).unwrap().limit, DEFAULT_LIMIT);
    }

    #[test]
    fn an_overfetched_row_means_there_is_a_next_page() {
        let page = Page::from_overfetch(vec![1, 2, 3], 2, |n| n.to_string());
        assert_eq!(page.items, vec![1, 2]);
        assert_eq!(page.next.as_deref(), Some("2"));
        let last = Page::from_overfetch(vec![1, 2], 2, |n| n.to_string());
        assert_eq!(last.next, None);
    }
}
