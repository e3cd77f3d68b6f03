//! Rules for the free-text values people type in, with limits on every size.

use crate::Invalid;

pub const MAX_EMAIL: usize = 254;
pub const MAX_NAME: usize = 120;
pub const MAX_LABEL: usize = 100;

/// Normalises and checks an e-mail address (case-folded, trimmed).
///
/// Deliberately loose beyond the shape `local@domain`: the address is a login
/// name here, and `admin@localhost` must be accepted.
pub fn email(raw: &str) -> Result<String, Invalid> {
    let email = raw.trim().to_lowercase();
    let field = "email";
    if email.is_empty() {
        return Err(Invalid::new(field, "is required"));
    }
    if email.len() > MAX_EMAIL {
        return Err(Invalid::new(field, format!("must be at most {MAX_EMAIL} characters")));
    }
    let Some((local, domain)) = email.split_once('@') else {
        return Err(Invalid::new(field, "must look like name@example.org"));
    };
    if local.is_empty() || domain.is_empty() || domain.contains('@') {
        return Err(Invalid::new(field, "must look like name@example.org"));
    }
    if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Invalid::new(field, "must not contain spaces"));
    }
    Ok(email)
}

/// Checks a display name such as an organisation's (trimmed, 1–120 characters).
pub fn name(field: &str, raw: &str) -> Result<String, Invalid> {
    bounded_text(field, raw, MAX_NAME)
}

/// Checks a short label such as an API token's name (trimmed, 1–100 characters).
pub fn label(field: &str, raw: &str) -> Result<String, Invalid> {
    bounded_text(field, raw, MAX_LABEL)
}

/// Checks free text that may be empty, such as a description (trimmed, at
/// most `max` characters).
pub fn optional_text(field: &str, raw: &str, max: usize) -> Result<String, Invalid> {
    let text = raw.trim();
    if text.chars().count() > max {
        return Err(Invalid::new(field, format!("must be at most {max} characters")));
    }
    Ok(text.to_string())
}

/// The name of an uploaded file: its last path segment, without control
/// characters, at most `max` characters; `field` names the upload.
pub fn file_name(field: &str, raw: &str, max: usize) -> Result<String, Invalid> {
    let name: String =
        raw.rsplit(['/', '\\']).next().unwrap_or_default().trim().chars().filter(|c| !c.is_control()).collect();
    if name.is_empty() {
        return Err(Invalid::new(field, "choose a file to upload"));
    }
    Ok(name.chars().take(max).collect())
}

/// The media type an upload declared, or `application/octet-stream` when it
/// declared none or something implausibly long.
pub fn content_type(raw: &str) -> String {
    let t = raw.trim();
    if t.is_empty() || t.len() > 100 { "application/octet-stream".to_string() } else { t.to_string() }
}

/// A SHA-256 digest as 64 lowercase hexadecimal digits.
pub fn sha256(field: &str, raw: &str) -> Result<String, Invalid> {
    if raw.len() != 64 || !raw.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Invalid::new(field, "must be 64 hexadecimal digits"));
    }
    Ok(raw.to_ascii_lowercase())
}

/// An owner's name: optional, at most 120 characters.
pub fn owner(raw: &str) -> Result<String, Invalid> {
    optional_text("owner", raw, MAX_NAME)
}

fn bounded_text(field: &str, raw: &str, max: usize) -> Result<String, Invalid> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(Invalid::new(field, "is required"));
    }
    if text.chars().count() > max {
        return Err(Invalid::new(field, format!("must be at most {max} characters")));
    }
    if text.chars().any(char::is_control) {
        return Err(Invalid::new(field, "must not contain control characters"));
    }
    Ok(text.to_string())
}

/// Checks an http or https address (trimmed, no blanks, at most 2,000
/// characters); `what` says whose address it is, for the message.
pub fn http_url(field: &str, raw: &str, what: &str) -> Result<String, Invalid> {
    let url = raw.trim();
    let scheme_ok = url.starts_with("https://") || url.starts_with("http://");
    if !scheme_ok || url.len() > 2000 || url.contains(char::is_whitespace) {
        return Err(Invalid::new(
            field,
            format!("must be {what} http or https address, without spaces, at most 2000 characters"),
        ));
    }
    Ok(url.to_string())
}

/// Parses a lifetime such as `90d`, `12h` or `30m` into seconds.
pub fn duration_secs(field: &str, raw: &str) -> Result<i64, Invalid> {
    let raw = raw.trim();
    let bad = || Invalid::new(field, "must be a number followed by m, h or d, such as 90d");
    let (digits, unit) = raw.split_at(raw.len().saturating_sub(1));
    let n: i64 = digits.parse().map_err(|_| bad())?;
    let secs = match unit {
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(bad()),
    };
    if n <= 0 || n > 3650 * 86_400 / secs {
        return Err(Invalid::new(field, "must be positive and at most 10 years"));
    }
    Ok(n * secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_case_folded() {
        assert_eq!(email("  Alice@Example.ORG ").unwrap(), "alice@example.org");
        assert_eq!(email("admin@localhost").unwrap(), "admin@localhost");
    }

    #[test]
    fn malformed_emails_name_the_field() {
        for bad in ["", "alice", "@example.org", "alice@", "a@b@c", "al ice@example.org"] {
            assert_eq!(email(bad).unwrap_err().field, "email", "{bad:?}");
        }
        assert!(email(&format!("{}@x.org", "a".repeat(300))).is_err());
    }

    #[test]
    fn names_have_bounds() {
        assert_eq!(name("name", "  ACME CERT ").unwrap(), "ACME CERT");
        assert!(name("name", "   ").is_err());
        assert!(name("name", &"x".repeat(MAX_NAME + 1)).is_err());
        assert!(name("name", "line\nbreak").is_err());
    }

    #[test]
    fn durations_read_minutes_hours_and_days() {
        assert_eq!(duration_secs("expires_in", "90d").unwrap(), 90 * 86_400);
        assert_eq!(duration_secs("expires_in", "12h").unwrap(), 12 * 3600);
        assert_eq!(duration_secs("expires_in", "30m").unwrap(), 1800);
        for bad in ["", "d", "0d", "-1d", "5y", "99999d", "1.5d"] {
            assert!(duration_secs("expires_in", bad).is_err(), "{bad:?}");
        }
    }
}
