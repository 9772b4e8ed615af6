//! One page of the keys list.

use crate::error::Result;
use crate::model::key::KeyFilter;
use crate::store::Store;
use crate::view::key_page::{sort_rows, KeyPage, KeySort, PAGE_MAX};

impl Store {
    /// A page of the keys list. `limit` is capped at [`PAGE_MAX`]; an offset past the end
    /// gives no rows (the list may have shrunk since the screen asked). Only the rows of
    /// the page become views: filtering and sorting read the keys' facts. Each row's key
    /// comes with its sparkline: valid verifications per day over the last 30 days.
    pub fn key_page(
        &self,
        filter: &KeyFilter,
        sort: KeySort,
        offset: usize,
        limit: usize,
    ) -> Result<KeyPage> {
        let mut page = self.with_key_rows(filter, |ctx, mut rows, total| {
            sort_rows(&mut rows, ctx, sort);
            let matching = rows.len();
            let start = offset.min(matching);
            let end = start.saturating_add(limit.min(PAGE_MAX)).min(matching);
            KeyPage {
                matching,
                total,
                offset: start,
                rows: rows[start..end].iter().map(|f| ctx.view_of(f)).collect(),
                usage: Default::default(),
            }
        })?;
        page.usage = self.recent_usage(page.rows.iter().map(|k| k.id.as_str()))?;
        Ok(page)
    }
}
