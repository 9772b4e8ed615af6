//! A key's usage as the front ends show it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One day of a key's verifications.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct UsageDay {
    /// The day, UTC: `2026-08-12`.
    pub date: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub valid: u64,
    /// Failed verifications by code.
    #[cfg_attr(feature = "ts", ts(type = "Record<string, number>"))]
    pub failed: BTreeMap<String, u64>,
}
