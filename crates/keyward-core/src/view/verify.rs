//! What verification answers.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::view::keys::ScopeView;
use crate::view::users::OwnerView;

crate::model::text_enum::text_enum! {
    /// Why a presented key or token does not verify. The HTTP API's documentation lists
    /// these from this declaration.
    pub enum VerifyCode {
        Malformed = "MALFORMED",
        NotFound = "NOT_FOUND",
        Revoked = "REVOKED",
        Disabled = "DISABLED",
        Expired = "EXPIRED",
        UserDeactivated = "USER_DEACTIVATED",
        ApiAccessOff = "API_ACCESS_OFF",
        InsufficientPermissions = "INSUFFICIENT_PERMISSIONS",
        RateLimited = "RATE_LIMITED",
    }
}

crate::model::text_enum::text_enum! {
    /// What a valid secret is.
    pub enum CredentialKind {
        ApiKey = "api_key",
        Token = "token",
    }
}

impl VerifyCode {
    pub fn message(self) -> &'static str {
        match self {
            VerifyCode::Malformed => {
                "this is not a Keyward key or token (check for a copy-paste slip)"
            }
            VerifyCode::NotFound => "no such key or token",
            VerifyCode::Revoked => "this key or token has been revoked or replaced",
            VerifyCode::Disabled => "this API key is disabled",
            VerifyCode::Expired => "this key or token has expired",
            VerifyCode::UserDeactivated => "the owner of this key is deactivated",
            VerifyCode::ApiAccessOff => "API access is off for the owner of this key",
            VerifyCode::InsufficientPermissions => {
                "this key does not have the permission asked for"
            }
            VerifyCode::RateLimited => {
                "this key was verified more often than its rate limit allows — retry after retry_after_ms"
            }
        }
    }
}

/// Who a valid secret belongs to.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Identity {
    pub kind: CredentialKind,
    pub key_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_id: Option<String>,
    pub owner: OwnerView,
    pub scope: ScopeView,
    /// When the token (or the key, when it was given an end) stops working; `null`: never.
    #[serde(serialize_with = "crate::view::time::rfc3339_opt")]
    pub expires_at: Option<DateTime<Utc>>,
    /// What the key may do; `["*"]`: everything.
    #[serde(default)]
    pub permissions: Vec<String>,
}

/// `{"valid":true,"kind",…}` or `{"valid":false,"code":"…"}`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Verdict {
    pub valid: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<VerifyCode>,
    /// Shared with the prepared answer it came from: a verification copies no names.
    #[serde(flatten)]
    pub identity: Option<Arc<Identity>>,
    /// With `RATE_LIMITED`: how long to wait before the key verifies again.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub retry_after_ms: Option<u64>,
}

impl Verdict {
    pub(crate) fn invalid(code: VerifyCode) -> Verdict {
        Verdict {
            valid: false,
            code: Some(code),
            identity: None,
            retry_after_ms: None,
        }
    }
}
