//! Observables of an incident: typed, validated and normalised, so that the
//! same indicator written two ways is recognised as one.

use std::net::{Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};

use crate::Invalid;

named_enum! {
    /// What an observable is.
    ObservableKind, "type" {
        Ipv4 => "ipv4",
        Ipv6 => "ipv6",
        Cidr => "cidr",
        Domain => "domain",
        Url => "url",
        Email => "email",
        Md5 => "md5",
        Sha1 => "sha1",
        Sha256 => "sha256",
        FileName => "file-name",
        RegistryKey => "registry-key",
        UserAccount => "user-account",
    }
}

/// An observable as someone adds it to an incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewObservable {
    pub kind: ObservableKind,
    /// As typed; normalised when stored.
    pub value: String,
    /// An indicator of compromise, not just something seen.
    pub ioc: bool,
    /// Sighted in the organisation's own systems.
    pub sighted: bool,
    pub tlp: crate::incident::Marking,
}

fn bad(value: &str, what: &str) -> Invalid {
    let shown: String = value.chars().take(100).collect();
    Invalid::new("value", format!("{shown} is not {what}"))
}

fn domain(value: &str) -> Result<String, Invalid> {
    let d = value.trim_end_matches('.').to_ascii_lowercase();
    if !value.is_ascii() {
        return Err(Invalid::new("value", "write internationalised domain names in their punycode form (xn--…)"));
    }
    let labels: Vec<&str> = d.split('.').collect();
    let ok = d.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    if ok { Ok(d) } else { Err(bad(value, "a domain name")) }
}

fn hash(value: &str, len: usize, what: &str) -> Result<String, Invalid> {
    if value.len() == len && value.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(value.to_ascii_lowercase())
    } else {
        Err(bad(value, what))
    }
}

/// Checks an observable of this kind and returns its normal form.
pub fn normalise(kind: ObservableKind, raw: &str) -> Result<String, Invalid> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(Invalid::new("value", "is required"));
    }
    if value.chars().count() > 2048 || value.chars().any(|c| c.is_control()) {
        return Err(Invalid::new("value", "must be at most 2048 characters, without control characters"));
    }
    match kind {
        ObservableKind::Ipv4 => {
            value.parse::<Ipv4Addr>().map(|a| a.to_string()).map_err(|_| bad(value, "an IPv4 address"))
        }
        ObservableKind::Ipv6 => {
            value.parse::<Ipv6Addr>().map(|a| a.to_string()).map_err(|_| bad(value, "an IPv6 address"))
        }
        ObservableKind::Cidr => {
            let (addr, prefix) =
                value.split_once('/').ok_or_else(|| bad(value, "a CIDR block such as 192.0.2.0/24"))?;
            let prefix: u8 = prefix.parse().map_err(|_| bad(value, "a CIDR block: the prefix is a number"))?;
            if let Ok(v4) = addr.parse::<Ipv4Addr>() {
                if prefix > 32 {
                    return Err(bad(value, "an IPv4 CIDR block: the prefix is at most 32"));
                }
                let mask = if prefix == 0 { 0 } else { u32::MAX << (32 - prefix) };
                Ok(format!("{}/{prefix}", Ipv4Addr::from(u32::from(v4) & mask)))
            } else if let Ok(v6) = addr.parse::<Ipv6Addr>() {
                if prefix > 128 {
                    return Err(bad(value, "an IPv6 CIDR block: the prefix is at most 128"));
                }
                let mask = if prefix == 0 { 0 } else { u128::MAX << (128 - prefix) };
                Ok(format!("{}/{prefix}", Ipv6Addr::from(u128::from(v6) & mask)))
            } else {
                Err(bad(value, "a CIDR block such as 192.0.2.0/24"))
            }
        }
        ObservableKind::Domain => domain(value),
        ObservableKind::Url => {
            let (scheme, rest) =
                value.split_once("://").ok_or_else(|| bad(value, "a URL such as https://example.org/path"))?;
            let scheme = scheme.to_ascii_lowercase();
            if scheme.is_empty() || !scheme.bytes().all(|b| b.is_ascii_alphanumeric() || b"+.-".contains(&b)) {
                return Err(bad(value, "a URL: the scheme is letters such as https"));
            }
            let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            let (authority, path) = rest.split_at(end);
            let host = authority.rsplit('@').next().unwrap_or(authority);
            if host.is_empty() || host.contains(char::is_whitespace) {
                return Err(bad(value, "a URL: it names no host"));
            }
            Ok(format!("{scheme}://{}{path}", authority.to_ascii_lowercase()))
        }
        ObservableKind::Email => {
            let (local, host) = value.rsplit_once('@').ok_or_else(|| bad(value, "an e-mail address"))?;
            if local.is_empty() || local.contains(char::is_whitespace) {
                return Err(bad(value, "an e-mail address"));
            }
            Ok(format!("{local}@{}", domain(host).map_err(|_| bad(value, "an e-mail address"))?))
        }
        ObservableKind::Md5 => hash(value, 32, "an MD5 hash (32 hexadecimal digits)"),
        ObservableKind::Sha1 => hash(value, 40, "a SHA-1 hash (40 hexadecimal digits)"),
        ObservableKind::Sha256 => hash(value, 64, "a SHA-256 hash (64 hexadecimal digits)"),
        ObservableKind::FileName => {
            if value.len() > 255 || value.contains(['/', '\\']) {
                Err(bad(value, "a file name (no path, at most 255 bytes)"))
            } else {
                Ok(value.to_string())
            }
        }
        ObservableKind::RegistryKey => {
            let roots = [
                "HKEY_LOCAL_MACHINE",
                "HKEY_CURRENT_USER",
                "HKEY_CLASSES_ROOT",
                "HKEY_USERS",
                "HKEY_CURRENT_CONFIG",
                "HKLM",
                "HKCU",
                "HKCR",
                "HKU",
                "HKCC",
            ];
            let root = value.split('\\').next().unwrap_or_default().to_ascii_uppercase();
            if roots.contains(&root.as_str()) {
                Ok(value.to_string())
            } else {
                Err(bad(value, "a Windows registry key starting with a root such as HKEY_LOCAL_MACHINE"))
            }
        }
        ObservableKind::UserAccount => {
            if value.chars().count() > 256 {
                Err(bad(value, "a user account (at most 256 characters)"))
            } else {
                Ok(value.to_string())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ObservableKind::*;

    #[test]
    fn observables_are_checked_and_normalised() {
        assert_eq!(normalise(Ipv4, " 192.0.2.10 ").unwrap(), "192.0.2.10");
        assert_eq!(normalise(Ipv4, "999.1.1.1").unwrap_err().reason, "999.1.1.1 is not an IPv4 address");
        assert_eq!(normalise(Ipv6, "2001:DB8:0:0::1").unwrap(), "2001:db8::1");
        assert_eq!(normalise(Cidr, "192.0.2.77/24").unwrap(), "192.0.2.0/24");
        assert!(normalise(Cidr, "192.0.2.0/33").is_err());
        assert_eq!(normalise(Domain, "Evil.Example.").unwrap(), "evil.example");
        assert!(normalise(Domain, "-bad.example").is_err() && normalise(Domain, "localhost").is_err());
        assert_eq!(normalise(Url, "HTTPS://Evil.Example/Login?a=B").unwrap(), "https://evil.example/Login?a=B");
        assert_eq!(normalise(Email, "Ceo@Evil.Example").unwrap(), "Ceo@evil.example");
        assert_eq!(normalise(Sha256, &"AB".repeat(32)).unwrap(), "ab".repeat(32));
        assert!(normalise(Md5, "xyz").is_err());
        assert!(normalise(FileName, "C:\\\\temp\\\\a.exe").is_err());
        assert!(
            normalise(RegistryKey, "HKLM\\\\Software\\\\Run").is_ok()
                && normalise(RegistryKey, "Software\\\\Run").is_err()
        );
        assert_eq!(ObservableKind::parse("ip").unwrap_err().field, "type");
    }
}
