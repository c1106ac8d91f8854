//! The Atlas face's query string (read by `AtlasQuery<PageParams>`) and `Accept` header (`mongodb::{extract, conventions}`,
//! `sigil_core::page`): `envelope`, `pretty`, `pageNum`, `itemsPerPage`, `includeCount`, the
//! version negotiated from `Accept`, and the links of a paginated list.
//!
//! Input: a query string (up to 64 KiB, hyper's bound on a URI), which is also tried as an
//! `Accept` value.
//!
//! Properties: nothing panics; a page that parses asks for 1 to 500 items from page 1 on; a
//! negotiated version is one Sigil answers; each link keeps every other parameter, decoded the
//! same, and names its own page.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sigil_core::page::{Page, MAX_ITEMS_PER_PAGE};
use sigil_server::mongodb::conventions::{negotiate, paginated, PageParams, VERSIONS};
use sigil_server::mongodb::extract::{AtlasQuery, Params};

fuzz_target!(init: sigil_fuzz::init(), |data: &[u8]| {
    let Some(text) = sigil_fuzz::text(data) else {
        return;
    };
    if let Ok(version) = negotiate(Some(text)) {
        assert!(VERSIONS.contains(&version));
    }
    let params = Params::parse(Some(text));
    let _ = params.flag("envelope");
    let _ = params.flag("pretty");
    let Ok(AtlasQuery(page)) = AtlasQuery::<PageParams>::parse(Some(text)) else {
        return;
    };
    let Ok(request) = page.request() else {
        return;
    };
    assert!(request.page_num >= 1);
    assert!((1..=MAX_ITEMS_PER_PAGE).contains(&request.items_per_page));
    let total = 1_000_u64;
    let items: Vec<u32> = (0..request.items_per_page.min(3)).collect();
    let page = Page { items, total };
    let list = paginated(page, &request, "http://h/api/atlas/v2/orgs", Some(text), |x| x);
    let others: Vec<(String, String)> = params
        .pairs()
        .filter(|(k, _)| *k != "pageNum")
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    for link in &list.links {
        let Some((_, query)) = link.href.split_once('?') else {
            panic!("{} has no query", link.href);
        };
        let mut pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        let Some((name, number)) = pairs.pop() else {
            panic!("{} names no page", link.href);
        };
        assert_eq!(name, "pageNum");
        assert!(number.parse::<u32>().is_ok(), "{}", link.href);
        assert_eq!(pairs, others, "{}", link.href);
    }
    assert_eq!(list.total_count, request.include_count.then_some(total));
});
