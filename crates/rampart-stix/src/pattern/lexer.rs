//! Tokens of the STIX 2.1 patterning language, cut the way the OASIS ANTLR
//! grammar cuts them: the longest match wins, and on a tie the rule defined
//! first (so `AND` is a keyword, not an identifier, and `true` a boolean).

/// A token and where it starts (byte offset into the pattern).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Token {
    pub kind: Kind,
    pub start: usize,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    IntNeg,
    IntPos,
    FloatNeg,
    FloatPos,
    Hex,
    Binary,
    Str,
    Bool,
    Timestamp,
    Keyword(Keyword),
    IdentWithoutHyphen,
    IdentWithHyphen,
    Eq,
    Neq,
    Lt,
    Le,
    Gt,
    Ge,
    Colon,
    Dot,
    Comma,
    LParen,
    RParen,
    LBrack,
    RBrack,
    Asterisk,
    /// A character the language has no use for here (`'` not opening a
    /// well-formed string, `+`, `-`, `^`, `/`, anything else).
    Other,
    End,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Keyword {
    And,
    Or,
    Not,
    FollowedBy,
    Like,
    Matches,
    IsSuperset,
    IsSubset,
    Exists,
    Last,
    In,
    Start,
    Stop,
    Seconds,
    Within,
    Repeats,
    Times,
}

const KEYWORDS: [(&str, Keyword); 17] = [
    ("AND", Keyword::And),
    ("OR", Keyword::Or),
    ("NOT", Keyword::Not),
    ("FOLLOWEDBY", Keyword::FollowedBy),
    ("LIKE", Keyword::Like),
    ("MATCHES", Keyword::Matches),
    ("ISSUPERSET", Keyword::IsSuperset),
    ("ISSUBSET", Keyword::IsSubset),
    ("EXISTS", Keyword::Exists),
    ("LAST", Keyword::Last),
    ("IN", Keyword::In),
    ("START", Keyword::Start),
    ("STOP", Keyword::Stop),
    ("SECONDS", Keyword::Seconds),
    ("WITHIN", Keyword::Within),
    ("REPEATS", Keyword::Repeats),
    ("TIMES", Keyword::Times),
];

impl Kind {
    /// How an error message names what it expected or found.
    pub fn describe(self) -> &'static str {
        match self {
            Kind::IntNeg | Kind::IntPos => "an integer",
            Kind::FloatNeg | Kind::FloatPos => "a number",
            Kind::Hex => "a hex literal h'…'",
            Kind::Binary => "a base64 literal b'…'",
            Kind::Str => "a string literal '…'",
            Kind::Bool => "true or false",
            Kind::Timestamp => "a timestamp t'YYYY-MM-DDTHH:MM:SSZ'",
            Kind::Keyword(k) => KEYWORDS.iter().find(|(_, kw)| *kw == k).map(|(s, _)| *s).unwrap_or("a keyword"),
            Kind::IdentWithoutHyphen => "a name",
            Kind::IdentWithHyphen => "an object type",
            Kind::Eq => "'='",
            Kind::Neq => "'!='",
            Kind::Lt => "'<'",
            Kind::Le => "'<='",
            Kind::Gt => "'>'",
            Kind::Ge => "'>='",
            Kind::Colon => "':'",
            Kind::Dot => "'.'",
            Kind::Comma => "','",
            Kind::LParen => "'('",
            Kind::RParen => "')'",
            Kind::LBrack => "'['",
            Kind::RBrack => "']'",
            Kind::Asterisk => "'*'",
            Kind::Other => "a character the language does not use here",
            Kind::End => "the end of the pattern",
        }
    }
}

/// The whitespace the grammar skips.
fn is_space(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t' | '\r' | '\n' | '\u{0B}' | '\u{0C}' | '\u{85}' | '\u{A0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}' | '\u{2028}' | '\u{2029}' | '\u{202F}' | '\u{205F}' | '\u{3000}'
    )
}

pub(super) fn tokenize(input: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut at = 0;
    while at < input.len() {
        let rest = &input[at..];
        let c = rest.chars().next().unwrap_or_default();
        if is_space(c) {
            at += c.len_utf8();
            continue;
        }
        if let Some(body) = rest.strip_prefix("/*")
            && let Some(end) = body.find("*/")
        {
            at += 2 + end + 2;
            continue;
        }
        if rest.starts_with("//") {
            at += rest.find(['\r', '\n']).unwrap_or(rest.len());
            continue;
        }
        let (kind, len) = next_token(rest);
        tokens.push(Token { kind, start: at, text: rest[..len].to_string() });
        at += len;
    }
    tokens.push(Token { kind: Kind::End, start: input.len(), text: String::new() });
    tokens
}

fn next_token(rest: &str) -> (Kind, usize) {
    let bytes = rest.as_bytes();
    let first = bytes[0];
    let mut best = (Kind::Other, 0);
    // Candidates in the grammar's rule order; a later one replaces an earlier
    // one only when strictly longer.
    let mut offer = |kind: Kind, len: Option<usize>| {
        if let Some(len) = len
            && len > best.1
        {
            best = (kind, len);
        }
    };
    if matches!(first, b'-' | b'+' | b'.' | b'0'..=b'9') {
        let negative = first == b'-';
        let (int, float) = number(bytes);
        offer(if negative { Kind::IntNeg } else { Kind::IntPos }, int);
        offer(if negative { Kind::FloatNeg } else { Kind::FloatPos }, float);
    }
    offer(Kind::Hex, prefixed(bytes, b'h', hex_body));
    offer(Kind::Binary, prefixed(bytes, b'b', base64_body));
    offer(Kind::Str, string(bytes));
    offer(Kind::Timestamp, prefixed(bytes, b't', timestamp_body));
    if first.is_ascii_alphabetic() || first == b'_' {
        let plain = 1 + bytes[1..].iter().take_while(|b| b.is_ascii_alphanumeric() || **b == b'_').count();
        let hyphenated =
            1 + bytes[1..].iter().take_while(|b| b.is_ascii_alphanumeric() || **b == b'_' || **b == b'-').count();
        let word = &rest[..plain];
        let kind = if word == "true" || word == "false" {
            Kind::Bool
        } else if let Some((_, keyword)) = KEYWORDS.iter().find(|(k, _)| *k == word) {
            Kind::Keyword(*keyword)
        } else {
            Kind::IdentWithoutHyphen
        };
        offer(kind, Some(plain));
        offer(Kind::IdentWithHyphen, Some(hyphenated));
    }
    let two = bytes.get(..2);
    let operator = match (first, two) {
        (_, Some(b"==")) => Some((Kind::Eq, 2)),
        (_, Some(b"!=" | b"<>")) => Some((Kind::Neq, 2)),
        (_, Some(b"<=")) => Some((Kind::Le, 2)),
        (_, Some(b">=")) => Some((Kind::Ge, 2)),
        (b'=', _) => Some((Kind::Eq, 1)),
        (b'<', _) => Some((Kind::Lt, 1)),
        (b'>', _) => Some((Kind::Gt, 1)),
        (b':', _) => Some((Kind::Colon, 1)),
        (b'.', _) => Some((Kind::Dot, 1)),
        (b',', _) => Some((Kind::Comma, 1)),
        (b'(', _) => Some((Kind::LParen, 1)),
        (b')', _) => Some((Kind::RParen, 1)),
        (b'[', _) => Some((Kind::LBrack, 1)),
        (b']', _) => Some((Kind::RBrack, 1)),
        (b'*', _) => Some((Kind::Asterisk, 1)),
        _ => None,
    };
    if let Some((kind, len)) = operator
        && len > best.1
    {
        best = (kind, len);
    }
    if best.1 == 0 {
        best = (Kind::Other, rest.chars().next().map_or(1, char::len_utf8));
    }
    best
}

/// Lengths of the longest integer and the longest decimal number at the start.
fn number(bytes: &[u8]) -> (Option<usize>, Option<usize>) {
    let sign = usize::from(matches!(bytes[0], b'-' | b'+'));
    let digits = |from: usize| bytes[from..].iter().take_while(|b| b.is_ascii_digit()).count();
    let int = match bytes.get(sign) {
        Some(b'0') => Some(sign + 1),
        Some(b'1'..=b'9') => Some(sign + digits(sign)),
        _ => None,
    };
    let whole = digits(sign);
    let float = (bytes.get(sign + whole) == Some(&b'.'))
        .then(|| digits(sign + whole + 1))
        .filter(|fraction| *fraction > 0)
        .map(|fraction| sign + whole + 1 + fraction);
    (int, float)
}

/// `x'…'` where the body between the quotes passes `body`.
fn prefixed(bytes: &[u8], prefix: u8, body: fn(&[u8]) -> bool) -> Option<usize> {
    if bytes.first() != Some(&prefix) || bytes.get(1) != Some(&b'\'') {
        return None;
    }
    let close = bytes[2..].iter().position(|b| *b == b'\'')?;
    body(&bytes[2..2 + close]).then_some(close + 3)
}

fn hex_body(body: &[u8]) -> bool {
    body.len().is_multiple_of(2) && body.iter().all(u8::is_ascii_hexdigit)
}

fn base64_body(body: &[u8]) -> bool {
    let is_char = |b: &u8| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/';
    let chars = body.iter().take_while(|b| is_char(b)).count();
    let padding = body.len() - chars;
    if padding > 2 || !body[chars..].iter().all(|b| *b == b'=') || body.len() < 4 {
        return false;
    }
    match padding {
        0 => chars % 4 == 0,
        1 => chars % 4 == 3,
        _ => chars % 4 == 2,
    }
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction]Z`, each field within its range as the
/// grammar has it (the calendar itself is checked when a pattern is matched).
fn timestamp_body(body: &[u8]) -> bool {
    let digit = |i: usize| body.get(i).is_some_and(u8::is_ascii_digit);
    let two = |i: usize| (body[i] - b'0') * 10 + (body[i + 1] - b'0');
    if body.len() < 20 || !(0..4).all(digit) || body[4] != b'-' || body[7] != b'-' || body[10] != b'T' {
        return false;
    }
    if body[13] != b':' || body[16] != b':' || ![5, 6, 8, 9, 11, 12, 14, 15, 17, 18].into_iter().all(digit) {
        return false;
    }
    let (month, day, hour, minute, second) = (two(5), two(8), two(11), two(14), two(17));
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return false;
    }
    match &body[19..] {
        b"Z" => true,
        [b'.', fraction @ .., b'Z'] => !fraction.is_empty() && fraction.iter().all(u8::is_ascii_digit),
        _ => false,
    }
}

/// `'…'` with `\'` and `\\` as the only escapes.
fn string(bytes: &[u8]) -> Option<usize> {
    if bytes.first() != Some(&b'\'') {
        return None;
    }
    let mut i = 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\'' => return Some(i + 1),
            b'\\' => match bytes.get(i + 1) {
                Some(b'\'' | b'\\') => i += 2,
                _ => return None,
            },
            _ => i += 1,
        }
    }
    None
}

/// The text of a string literal without its quotes and escapes.
pub(super) fn unquote(text: &str) -> String {
    let inner = &text[1..text.len() - 1];
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            out.extend(chars.next());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(input: &str) -> Vec<(Kind, String)> {
        tokenize(input).into_iter().filter(|t| t.kind != Kind::End).map(|t| (t.kind, t.text)).collect()
    }

    #[test]
    fn cuts_like_the_reference_lexer() {
        use Kind::*;
        let expected = [
            (IdentWithoutHyphen, "h"),
            (Str, "'0a1'"),
            (IdentWithoutHyphen, "b"),
            (Str, "'AA'"),
            (IntPos, "0"),
            (IntPos, "5"),
            (IntPos, "1"),
            (Dot, "."),
            (IdentWithHyphen, "a-b"),
            (IdentWithoutHyphen, "ANDY"),
            (Bool, "true"),
            (IdentWithoutHyphen, "True"),
            (IntNeg, "-5"),
            (IntPos, "+5"),
            (IntPos, "5"),
            (IntNeg, "-3"),
            (FloatPos, ".5"),
            (Hex, "h'0a'"),
            (Binary, "b'AA=='"),
            (Timestamp, "t'2016-01-01T00:00:60.5Z'"),
            (Keyword(self::Keyword::And), "AND"),
            (Eq, "=="),
            (Neq, "<>"),
            (Other, "'"),
            (IdentWithoutHyphen, "x"),
            (Other, "\\"),
            (IdentWithoutHyphen, "q"),
            (Other, "'"),
        ];
        let input = "h'0a1' b'AA' 05 1. a-b ANDY true True -5 +5 5-3 .5 h'0a' b'AA==' t'2016-01-01T00:00:60.5Z' AND == <> /* gone */ 'x\\q' // gone too";
        let expected: Vec<(Kind, String)> = expected.iter().map(|(k, t)| (*k, t.to_string())).collect();
        assert_eq!(kinds(input), expected);
    }

    #[test]
    fn strings_unescape_only_quote_and_backslash() {
        assert_eq!(unquote(r"'it\'s C:\\dir'"), r"it's C:\dir");
    }
}
