//! Paginated lists: `pageNum`, `itemsPerPage` (1..=500) and `includeCount`, parsed once for
//! every face that pages the Atlas way.

use crate::error::{CoreError, CoreResult};

pub const MAX_ITEMS_PER_PAGE: u32 = 500;
pub const DEFAULT_ITEMS_PER_PAGE: u32 = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub page_num: u32,
    pub items_per_page: u32,
    pub include_count: bool,
}

impl Default for PageRequest {
    fn default() -> Self {
        Self {
            page_num: 1,
            items_per_page: DEFAULT_ITEMS_PER_PAGE,
            include_count: true,
        }
    }
}

impl PageRequest {
    /// Parses the three query parameters as given (absent means the default).
    pub fn parse(
        page_num: Option<&str>,
        items_per_page: Option<&str>,
        include_count: Option<&str>,
    ) -> CoreResult<Self> {
        let page_num = match page_num {
            None => 1,
            Some(text) => match text.parse::<u32>() {
                Ok(n) if n >= 1 => n,
                _ => {
                    return Err(CoreError::invalid(
                        "pageNum",
                        format!("{text:?} is not an integer of at least 1"),
                    ))
                }
            },
        };
        let items_per_page = match items_per_page {
            None => DEFAULT_ITEMS_PER_PAGE,
            Some(text) => match text.parse::<u32>() {
                Ok(n) if (1..=MAX_ITEMS_PER_PAGE).contains(&n) => n,
                _ => {
                    return Err(CoreError::invalid(
                        "itemsPerPage",
                        format!("{text:?} is not an integer from 1 to {MAX_ITEMS_PER_PAGE}"),
                    ))
                }
            },
        };
        let include_count = match include_count {
            None => true,
            Some(text) => parse_bool("includeCount", text)?,
        };
        Ok(Self {
            page_num,
            items_per_page,
            include_count,
        })
    }

    pub fn offset(&self) -> u64 {
        u64::from(self.page_num - 1) * u64::from(self.items_per_page)
    }

    pub fn limit(&self) -> u64 {
        u64::from(self.items_per_page)
    }

    /// The slice of an in-memory list this page covers.
    pub fn slice<T: Clone>(&self, all: &[T]) -> Page<T> {
        let start = usize::try_from(self.offset())
            .unwrap_or(usize::MAX)
            .min(all.len());
        let end = start
            .saturating_add(self.items_per_page as usize)
            .min(all.len());
        Page {
            items: all[start..end].to_vec(),
            total: all.len() as u64,
        }
    }
}

/// Parses `true`/`false` the way query strings carry them.
pub fn parse_bool(field: &str, text: &str) -> CoreResult<bool> {
    match text {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(CoreError::invalid(
            field,
            format!("{text:?} is not true or false"),
        )),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
        }
    }

    /// Whether a page after `request` has anything in it.
    pub fn has_next(&self, request: &PageRequest) -> bool {
        request.offset() + (self.items.len() as u64) < self.total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_per_page_is_1_to_500() {
        assert_eq!(
            PageRequest::parse(None, Some("1"), None)
                .map(|p| p.items_per_page)
                .ok(),
            Some(1)
        );
        assert_eq!(
            PageRequest::parse(None, Some("500"), None)
                .map(|p| p.items_per_page)
                .ok(),
            Some(500)
        );
        for bad in ["0", "501", "-1", "abc", "1.5", ""] {
            assert!(
                matches!(PageRequest::parse(None, Some(bad), None), Err(CoreError::Invalid { ref field, .. }) if field == "itemsPerPage"),
                "{bad}"
            );
        }
    }

    #[test]
    fn page_num_starts_at_one() {
        assert!(PageRequest::parse(Some("0"), None, None).is_err());
        let p = PageRequest::parse(Some("3"), Some("10"), Some("false")).ok();
        assert_eq!(
            p,
            Some(PageRequest {
                page_num: 3,
                items_per_page: 10,
                include_count: false
            })
        );
        assert!(PageRequest::parse(None, None, Some("yes")).is_err());
    }

    #[test]
    fn slices_and_knows_the_next_page() {
        let all: Vec<u32> = (0..7).collect();
        let req = PageRequest {
            page_num: 2,
            items_per_page: 3,
            include_count: true,
        };
        let page = req.slice(&all);
        assert_eq!(page.items, vec![3, 4, 5]);
        assert!(page.has_next(&req));
        let last = PageRequest { page_num: 3, ..req };
        assert!(!last.slice(&all).has_next(&last));
        assert!(PageRequest { page_num: 9, ..req }
            .slice(&all)
            .items
            .is_empty());
    }
}
