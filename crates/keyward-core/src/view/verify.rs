//! What verification answers.

use serde::Serialize;

use crate::view::keys::ScopeView;
use crate::view::users::OwnerView;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum VerifyCode {
    Malformed,
    NotFound,
    Revoked,
    Disabled,
    Expired,
    UserDeactivated,
    ApiAccessOff,
}

impl VerifyCode {
    pub fn as_str(self) -> &'static str {
        match self {
            VerifyCode::Malformed => "MALFORMED",
            VerifyCode::NotFound => "NOT_FOUND",
            VerifyCode::Revoked => "REVOKED",
            VerifyCode::Disabled => "DISABLED",
            VerifyCode::Expired => "EXPIRED",
            VerifyCode::UserDeactivated => "USER_DEACTIVATED",
            VerifyCode::ApiAccessOff => "API_ACCESS_OFF",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            VerifyCode::Malformed => {
                "this is not a Keyward key or token (check for a copy-paste slip)"
            }
            VerifyCode::NotFound => "no such key or token",
            VerifyCode::Revoked => "this key or token has been revoked or replaced",
            VerifyCode::Disabled => "this API key is disabled",
            VerifyCode::Expired => "this token has expired — generate a new one",
            VerifyCode::UserDeactivated => "the owner of this key is deactivated",
            VerifyCode::ApiAccessOff => "API access is off for the owner of this key",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialKind {
    ApiKey,
    Token,
}

/// Who a valid secret belongs to.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Identity {
    pub kind: CredentialKind,
    pub key_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_id: Option<String>,
    pub owner: OwnerView,
    pub scope: ScopeView,
    /// A token's expiry; API keys do not expire (`null`).
    pub expires_at: Option<String>,
}

/// `{"valid":true,"kind",…}` or `{"valid":false,"code":"…"}`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Verdict {
    pub valid: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<VerifyCode>,
    #[serde(flatten)]
    pub identity: Option<Identity>,
}

impl Verdict {
    pub(crate) fn invalid(code: VerifyCode) -> Verdict {
        Verdict {
            valid: false,
            code: Some(code),
            identity: None,
        }
    }
}
