//! Management tokens (`kwm_…`): what a CLI, the desktop app or a script presents to manage
//! a Keyward server as one site manager. Stored only as a hash; shown once.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::clock::{Millis, DAY, HOUR};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagementToken {
    pub id: String,
    pub user_id: String,
    pub name: String,
    /// SHA-256 of the token.
    pub hash: [u8; 32],
    pub masked: String,
    pub created_at: Millis,
    pub expires_at: Option<Millis>,
    pub revoked_at: Option<Millis>,
}

impl ManagementToken {
    pub fn works_at(&self, now: Millis) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| now < e)
    }

    pub fn status(&self, now: Millis) -> &'static str {
        if self.revoked_at.is_some() {
            "revoked"
        } else if !self.works_at(now) {
            "expired"
        } else {
            "active"
        }
    }
}

/// The longest a management token may be given.
pub const MAX_LIFETIME: Millis = 366 * DAY;

/// `--expires`: `never`, or a number of hours or days (`12h`, `90d`, at most 366 days).
pub fn parse_lifetime(text: &str) -> Result<Option<Millis>> {
    let t = text.trim().to_ascii_lowercase();
    if t == "never" {
        return Ok(None);
    }
    let bad = || {
        Error::invalid_field(
            "expires",
            format!("the lifetime '{text}' is not like 30d, 90d, 12h or never"),
        )
    };
    let (number, unit) = t.split_at(t.len().saturating_sub(1));
    let n: i64 = number.parse().map_err(|_| bad())?;
    let per = match unit {
        "d" => DAY,
        "h" => HOUR,
        _ => return Err(bad()),
    };
    let lifetime = n.checked_mul(per).filter(|l| *l > 0).ok_or_else(bad)?;
    if lifetime > MAX_LIFETIME {
        return Err(Error::invalid_field(
            "expires",
            format!(
                "the lifetime '{text}' is longer than the 366 days a management token may live"
            ),
        ));
    }
    Ok(Some(lifetime))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_are_hours_days_or_never() {
        assert_eq!(parse_lifetime("90d").unwrap(), Some(90 * DAY));
        assert_eq!(parse_lifetime(" 12H ").unwrap(), Some(12 * HOUR));
        assert_eq!(parse_lifetime("never").unwrap(), None);
        for bad in [
            "",
            "d",
            "0d",
            "-3d",
            "90",
            "1y",
            "400d",
            "9999999999999999d",
        ] {
            let e = parse_lifetime(bad).unwrap_err();
            assert_eq!(e.field(), Some("expires"), "{bad}");
        }
    }
}
