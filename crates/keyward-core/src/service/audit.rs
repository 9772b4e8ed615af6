//! Reading the audit log, newest first.

use crate::error::Result;
use crate::model::audit::AuditEvent;
use crate::store::{Store, Table};
use crate::view::audit::{AuditFilter, AuditView};

impl Store {
    pub fn audit(&self, filter: &AuditFilter) -> Result<Vec<AuditView>> {
        let limit = filter.limit.unwrap_or(usize::MAX);
        let needle = filter.search.as_ref().map(|s| s.to_lowercase());
        let mut out = Vec::new();
        if limit == 0 {
            return Ok(out);
        }
        for row in self.scan_rev(Table::Audit, b"") {
            let e: AuditEvent = bincode::deserialize(&row?.1)?;
            if filter.admits(&e, needle.as_deref()) {
                out.push(e.view());
                if out.len() >= limit {
                    break;
                }
            }
        }
        Ok(out)
    }
}
