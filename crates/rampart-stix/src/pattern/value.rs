//! Small readers the matcher needs: instants, base64 and hex, IPv4
//! addresses and CIDR ranges, and the shapes of hash values.

/// Microseconds since 1970-01-01T00:00:00Z.
pub(super) type Micros = i64;

/// A timestamp as the reference matcher reads one: `YYYY-MM-DDTHH:MM:SS`,
/// an optional fraction (digits past the sixth dropped), `Z`; upper case
/// only; one- or two-digit fields as Python's `strptime` allows; and a real
/// calendar date (no 30 February, no leap second).
pub(super) fn instant(text: &str) -> Option<Micros> {
    if text.chars().any(char::is_lowercase) {
        return None;
    }
    let mut cursor = Cursor { text, at: 0 };
    let year = cursor.digits(4, 4)?;
    cursor.literal(b'-')?;
    let month = cursor.field(1, 12)?;
    cursor.literal(b'-')?;
    let day = cursor.field(1, 31)?;
    cursor.literal(b'T')?;
    let hour = cursor.field(0, 23)?;
    cursor.literal(b':')?;
    let minute = cursor.field(0, 59)?;
    cursor.literal(b':')?;
    let second = cursor.field(0, 61)?;
    let mut micros = 0i64;
    if cursor.literal(b'.').is_some() {
        let start = cursor.at;
        let digits = text[start..].bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let kept = &text[start..start + digits.min(6)];
        micros = kept.parse::<i64>().ok()? * 10i64.pow(6 - kept.len() as u32);
        cursor.at += digits;
    }
    if &text[cursor.at..] != "Z" || second > 59 || day > days_in_month(year, month) {
        return None;
    }
    let days = days_from_civil(i64::from(year), month, day);
    Some(((days * 24 + i64::from(hour)) * 60 + i64::from(minute)) * 60_000_000 + i64::from(second) * 1_000_000 + micros)
}

struct Cursor<'a> {
    text: &'a str,
    at: usize,
}

impl Cursor<'_> {
    fn literal(&mut self, c: u8) -> Option<()> {
        (self.text.as_bytes().get(self.at) == Some(&c)).then(|| self.at += 1)
    }

    /// Exactly `min..=max` digits, as many as there are.
    fn digits(&mut self, min: usize, max: usize) -> Option<u32> {
        let count = self.text[self.at..].bytes().take(max).take_while(u8::is_ascii_digit).count();
        if count < min {
            return None;
        }
        let value = self.text[self.at..self.at + count].parse().ok()?;
        self.at += count;
        Some(value)
    }

    /// One or two digits between `low` and `high`: two when they make a
    /// value in range, else one (the alternation `strptime` uses).
    fn field(&mut self, low: u32, high: u32) -> Option<u32> {
        let count = self.text[self.at..].bytes().take(2).take_while(u8::is_ascii_digit).count();
        for take in (1..=count).rev() {
            let value: u32 = self.text[self.at..self.at + take].parse().ok()?;
            if (low..=high).contains(&value) {
                self.at += take;
                return Some(value);
            }
        }
        None
    }
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to the given proleptic Gregorian date.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding; characters outside the alphabet are
/// skipped, as Python's `b64decode` skips them.
pub(super) fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut buffer = 0u32;
    let mut bits = 0;
    let mut symbols = 0usize;
    let mut padding = 0usize;
    for b in text.bytes() {
        if b == b'=' {
            padding += 1;
            continue;
        }
        let Some(value) = BASE64.iter().position(|c| *c == b) else { continue };
        if padding > 0 {
            return None;
        }
        symbols += 1;
        buffer = (buffer << 6) | value as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    ((symbols + padding).is_multiple_of(4) && symbols % 4 != 1).then_some(out)
}

pub(super) fn hex_decode(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

/// An IPv4 address the way `inet_aton` reads one: one to four parts, each
/// decimal, octal (leading 0) or hex (0x), the last filling the bytes left.
pub(super) fn ipv4(text: &str) -> Option<u32> {
    // The common dotted quad first, without allocating.
    if let Some(address) = dotted_quad(text) {
        return Some(address);
    }
    let text = text.split(|c: char| c.is_ascii_whitespace()).next().unwrap_or("");
    let mut values = [0u64; 4];
    let mut count = 0;
    for part in text.split('.') {
        if count == 4 {
            return None;
        }
        let (digits, radix) = if let Some(hex) = part.strip_prefix("0x").or_else(|| part.strip_prefix("0X")) {
            (hex, 16)
        } else if part.len() > 1 && part.starts_with('0') {
            (&part[1..], 8)
        } else {
            (part, 10)
        };
        if digits.is_empty() && radix != 16 {
            return None;
        }
        values[count] = if digits.is_empty() { 0 } else { u64::from_str_radix(digits, radix).ok()? };
        count += 1;
    }
    let (leading, last) = (&values[..count - 1], values[count - 1]);
    let free_bits = 8 * (5 - count as u32);
    if leading.iter().any(|v| *v > 255) || (free_bits < 32 && last >= 1 << free_bits) || last > u64::from(u32::MAX) {
        return None;
    }
    let high = leading.iter().fold(0u64, |acc, v| (acc << 8) | v) << free_bits;
    Some((high | last) as u32)
}

/// `a.b.c.d` with four decimal parts 0–255 and no leading zeros.
fn dotted_quad(text: &str) -> Option<u32> {
    // One pass over the bytes: four decimal parts of one to three digits,
    // no leading zero, each at most 255.
    let (mut address, mut parts, mut value, mut digits, mut first) = (0u32, 0, 0u32, 0, 0u8);
    for &b in text.as_bytes().iter().chain(std::iter::once(&b'.')) {
        if b == b'.' {
            if digits == 0 || parts == 4 || value > 255 || (digits > 1 && first == b'0') {
                return None;
            }
            address = (address << 8) | value;
            (parts, value, digits) = (parts + 1, 0, 0);
        } else if b.is_ascii_digit() && digits < 3 {
            if digits == 0 {
                first = b;
            }
            value = value * 10 + u32::from(b - b'0');
            digits += 1;
        } else {
            return None;
        }
    }
    (parts == 4).then_some(address)
}

/// An address and prefix length 1–32, from `a.b.c.d/n`.
pub(super) fn cidr(text: &str) -> Option<(u32, u32)> {
    let (address, prefix) = text.split_once('/')?;
    if prefix.is_empty() || !prefix.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let prefix: u32 = prefix.parse().ok().filter(|p| (1..=32).contains(p))?;
    Some((ipv4(address)?, prefix))
}

/// Whether `inner` (an address or a range) lies within the range `outer`;
/// `None` when either is not an address or range.
#[cfg(test)]
fn within_range(inner: &str, outer: &str) -> Option<bool> {
    Some(contains(cidr(outer)?, address_or_range(inner)?))
}

/// An address as the range of just itself, or a range.
pub(super) fn address_or_range(text: &str) -> Option<(u32, u32)> {
    if text.bytes().any(|b| b == b'/') { cidr(text) } else { ipv4(text).map(|a| (a, 32)) }
}

/// Whether range `outer` holds range `inner` (both as address and prefix).
pub(super) fn contains(outer: (u32, u32), inner: (u32, u32)) -> bool {
    if outer.1 > inner.1 {
        return false;
    }
    let mask = if outer.1 == 0 { 0 } else { u32::MAX << (32 - outer.1) };
    inner.0 & mask == outer.0 & mask
}

/// For a hash algorithm the validator knows (named as in STIX, `SHA-256`,
/// any case, hyphens ignored), a test of whether a value has its shape.
pub(super) fn hash_shape(algorithm: &str) -> Option<fn(&str) -> bool> {
    fn hex_of(value: &str, lengths: &[usize]) -> bool {
        lengths.contains(&value.len()) && value.bytes().all(|b| b.is_ascii_hexdigit())
    }
    let name: String = algorithm.chars().filter(|c| *c != '-').collect::<String>().to_uppercase();
    Some(match name.as_str() {
        "MD5" => |v| hex_of(v, &[32]),
        "MD6" => |v| hex_of(v, &[32, 40, 56, 64, 96, 128]),
        "RIPEMD160" | "SHA1" => |v| hex_of(v, &[40]),
        "SHA224" | "SHA3224" => |v| hex_of(v, &[56]),
        "SHA256" | "SHA3256" => |v| hex_of(v, &[64]),
        "SHA384" | "SHA3384" => |v| hex_of(v, &[96]),
        "SHA512" | "SHA3512" | "WHIRLPOOL" => |v| hex_of(v, &[128]),
        "SSDEEP" => {
            |v| (1..=128).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphanumeric() || b"/+:.".contains(&b))
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_read_as_the_reference_reads_them() {
        assert_eq!(instant("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(instant("1970-01-01T00:00:01.5Z"), Some(1_500_000));
        assert_eq!(instant("1970-01-01T00:00:00.1234567Z"), Some(123_456), "digits past the sixth dropped");
        assert_eq!(instant("1970-1-1T0:0:0Z"), Some(0), "strptime takes one-digit fields");
        assert_eq!(instant("2016-02-29T00:00:00Z").map(|m| m / 86_400_000_000), Some(16_860));
        assert_eq!(instant("2023-02-29T00:00:00Z"), None);
        assert_eq!(instant("2016-01-01T00:00:60Z"), None);
        assert_eq!(instant("2016-01-01t00:00:00z"), None);
        assert_eq!(instant("2016-01-01T00:00:00"), None);
    }

    #[test]
    fn addresses_read_as_inet_aton_reads_them() {
        assert_eq!(ipv4("11.22.33.44"), Some(0x0b16_212c));
        assert_eq!(ipv4("11.22.33"), Some(0x0b16_0021));
        assert_eq!(ipv4("0x7f.1"), Some(0x7f00_0001));
        assert_eq!(ipv4("256.1.1.1"), None);
        assert_eq!(ipv4("1.2.3.4.5"), None);
        assert_eq!(ipv4("010.1.1.1"), Some(0x0801_0101), "a leading zero is octal");
        assert_eq!(ipv4("1.2.3.4 trailing"), Some(0x0102_0304));
        assert_eq!(within_range("11.22.33.44", "11.22.32.0/20"), Some(true));
        assert_eq!(within_range("11.22.33.44/20", "11.22.0.0/16"), Some(true));
        assert_eq!(within_range("11.22.0.0/16", "11.22.33.44/20"), Some(false));
        assert_eq!(within_range("11.22.33.44", "11.22.33.44/0"), None, "prefix 0 is refused");
    }

    #[test]
    fn base64_needs_its_padding() {
        assert_eq!(base64_decode("AQIDBA=="), Some(vec![1, 2, 3, 4]));
        assert_eq!(base64_decode("AQIDBA"), None);
    }
}
