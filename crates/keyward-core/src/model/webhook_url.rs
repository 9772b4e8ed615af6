//! Where a webhook may point (SPEC §8). The same rules run when a subscription is saved
//! and, in the delivery client, on every address a host name resolves to at connect time,
//! so a name that later resolves somewhere forbidden is refused on that attempt.
//!
//! IP literals are read the way a URL parser reads them: `http://2130706433/`,
//! `http://0x7f.1/` and `http://[::ffff:127.0.0.1]/` are all 127.0.0.1.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

use crate::error::{Error, Result};

/// What an address is, for the webhook rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetClass {
    /// A public address: always allowed.
    Public,
    /// Loopback or a private network: allowed only when the subscription allows it.
    Private(&'static str),
    /// Link-local, cloud metadata, unspecified, multicast, broadcast: never allowed.
    Forbidden(&'static str),
}

/// The IPv4 address an IPv6 address carries, if it carries one (mapped, compatible,
/// NAT64): such an address reaches that IPv4 host and is judged as it.
fn embedded_v4(ip: &Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    let s = ip.segments();
    let tail = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    // IPv4-compatible (::a.b.c.d, deprecated but still routed by some stacks); not :: or ::1.
    if s[..6].iter().all(|x| *x == 0) && u32::from(tail) > 1 {
        return Some(tail);
    }
    // NAT64 well-known prefix 64:ff9b::/96.
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6].iter().all(|x| *x == 0) {
        return Some(tail);
    }
    None
}

pub fn classify(ip: IpAddr) -> TargetClass {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => match embedded_v4(&v6) {
            Some(v4) => classify_v4(v4),
            None => classify_v6(v6),
        },
    }
}

fn classify_v4(ip: Ipv4Addr) -> TargetClass {
    let o = ip.octets();
    if o[0] == 169 && o[1] == 254 {
        return TargetClass::Forbidden("a link-local address (169.254.0.0/16, cloud metadata)");
    }
    if ip == Ipv4Addr::new(100, 100, 100, 200) {
        return TargetClass::Forbidden("a cloud metadata address");
    }
    if ip.is_unspecified() || o[0] == 0 {
        return TargetClass::Forbidden("an unspecified address (0.0.0.0/8)");
    }
    if ip.is_multicast() || ip.is_broadcast() || o[0] >= 240 {
        return TargetClass::Forbidden("a multicast, broadcast or reserved address");
    }
    if ip.is_loopback() {
        return TargetClass::Private("a loopback address");
    }
    if ip.is_private() {
        return TargetClass::Private("a private network address");
    }
    if o[0] == 100 && (o[1] & 0xc0) == 64 {
        return TargetClass::Private("a shared (carrier-grade NAT) address");
    }
    TargetClass::Public
}

fn classify_v6(ip: Ipv6Addr) -> TargetClass {
    let s = ip.segments();
    if (s[0] & 0xffc0) == 0xfe80 {
        return TargetClass::Forbidden("a link-local address (fe80::/10)");
    }
    if ip == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254) {
        return TargetClass::Forbidden("a cloud metadata address");
    }
    if ip.is_unspecified() {
        return TargetClass::Forbidden("an unspecified address (::)");
    }
    if ip.is_multicast() {
        return TargetClass::Forbidden("a multicast address");
    }
    if ip.is_loopback() {
        return TargetClass::Private("a loopback address");
    }
    if (s[0] & 0xfe00) == 0xfc00 {
        return TargetClass::Private("a private network address (fc00::/7)");
    }
    if (s[0] & 0xffc0) == 0xfec0 {
        return TargetClass::Private("a site-local address (fec0::/10)");
    }
    TargetClass::Public
}

/// Whether a connection to `ip` is allowed; the error says why not and what to do.
pub fn check_ip(ip: IpAddr, allow_private: bool) -> std::result::Result<(), String> {
    match classify(ip) {
        TargetClass::Public => Ok(()),
        TargetClass::Private(_) if allow_private => Ok(()),
        TargetClass::Private(what) => Err(format!(
            "{ip} is {what} — webhooks may reach private and loopback targets only when the \
             subscription allows them (--allow-private)"
        )),
        TargetClass::Forbidden(what) => {
            Err(format!("{ip} is {what} — webhooks are never sent there"))
        }
    }
}

/// The syntax rules, and the address rules for hosts written as IP literals. Host names
/// are judged again on every attempt, on what they resolve to.
pub fn check_url(input: &str, allow_private: bool) -> Result<Url> {
    let t = input.trim();
    let url = Url::parse(t).map_err(|e| {
        Error::invalid_field(
            "url",
            format!(
                "'{t}' is not a URL ({e}) — give the full address, like https://example.com/hooks"
            ),
        )
    })?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(Error::invalid_field(
            "url",
            format!(
                "webhook URLs must start with http:// or https:// (got {}:)",
                url.scheme()
            ),
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::invalid_field(
            "url",
            "webhook URLs may not carry a user name or password — put credentials in the \
             receiver's own check of the webhook signature instead",
        ));
    }
    if t.len() > 2048 {
        return Err(Error::invalid_field(
            "url",
            "the webhook URL is longer than 2,048 characters",
        ));
    }
    let refused =
        |why: String| Error::invalid_field("url", format!("the webhook URL is refused: {why}"));
    match url.host() {
        None => return Err(Error::invalid_field("url", format!("'{t}' has no host"))),
        Some(Host::Ipv4(ip)) => check_ip(IpAddr::V4(ip), allow_private).map_err(refused)?,
        Some(Host::Ipv6(ip)) => check_ip(IpAddr::V6(ip), allow_private).map_err(refused)?,
        Some(Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            if (d == "localhost" || d.ends_with(".localhost")) && !allow_private {
                return Err(refused(format!(
                    "{d} is a loopback name — webhooks may reach loopback targets only when \
                     the subscription allows them (--allow-private)"
                )));
            }
            if d == "metadata.google.internal" || d == "metadata" {
                return Err(refused(format!(
                    "{d} is a cloud metadata name — webhooks are never sent there"
                )));
            }
        }
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(url: &str, allow_private: bool) -> String {
        check_url(url, allow_private).unwrap_err().to_string()
    }

    #[test]
    fn loopback_in_every_spelling_needs_allow_private() {
        for url in [
            "http://127.0.0.1/h",
            "http://2130706433/h",
            "http://0x7f000001/h",
            "http://0177.0.0.1/h",
            "http://127.1/h",
            "http://[::1]/h",
            "http://[::ffff:127.0.0.1]/h",
            "http://[::ffff:7f00:1]/h",
            "http://[64:ff9b::7f00:1]/h",
            "http://localhost:8080/h",
            "http://api.localhost/h",
            "http://10.1.2.3/h",
            "http://192.168.0.10/h",
            "http://172.16.5.4/h",
            "http://[fd12:3456::1]/h",
        ] {
            let e = refused(url, false);
            assert!(e.contains("--allow-private"), "{url}: {e}");
            assert!(check_url(url, true).is_ok(), "{url} with --allow-private");
        }
    }

    #[test]
    fn link_local_and_metadata_are_always_refused() {
        for url in [
            "http://169.254.169.254/latest/meta-data",
            "http://2852039166/",
            "http://[::ffff:169.254.169.254]/",
            "http://[fe80::1]/",
            "http://[fd00:ec2::254]/",
            "http://100.100.100.200/",
            "http://0.0.0.0/",
            "http://metadata.google.internal/",
        ] {
            let e = refused(url, true);
            assert!(e.contains("never sent there"), "{url}: {e}");
        }
    }

    #[test]
    fn only_http_and_https_without_credentials() {
        assert!(refused("ftp://example.com/x", false).contains("http:// or https://"));
        assert!(refused("file:///etc/passwd", false).contains("http:// or https://"));
        assert!(refused("https://user:pw@example.com/", false).contains("user name or password"));
        assert!(refused("https://user@example.com/", false).contains("user name or password"));
        assert!(refused("example.com/hook", false).contains("not a URL"));
        assert!(check_url("https://hooks.example.com/keyward?x=1", false).is_ok());
        assert!(check_url("http://93.184.216.34:8080/h", false).is_ok());
    }

    #[test]
    fn public_addresses_pass_and_embedded_v4_is_judged_as_v4() {
        assert_eq!(classify("8.8.8.8".parse().unwrap()), TargetClass::Public);
        assert_eq!(
            classify("2606:4700::1111".parse().unwrap()),
            TargetClass::Public
        );
        assert!(matches!(
            classify("::ffff:10.0.0.1".parse().unwrap()),
            TargetClass::Private(_)
        ));
        assert!(matches!(
            classify("::ffff:169.254.1.1".parse().unwrap()),
            TargetClass::Forbidden(_)
        ));
        assert!(matches!(
            classify("::1".parse().unwrap()),
            TargetClass::Private(_)
        ));
    }
}
