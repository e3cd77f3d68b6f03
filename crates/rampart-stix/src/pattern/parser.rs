//! The STIX 2.1 patterning grammar as a recursive-descent parser. Operator
//! precedence and associativity are the OASIS grammar's: observation
//! operators FOLLOWEDBY < OR < AND, qualifiers binding tighter than all
//! three; comparison operators OR < AND; everything left-associative.

use super::lexer::{Keyword, Kind, Token, tokenize, unquote};
use super::{Comparison, Literal, ObjectPath, Observation, Operator, PatternError, PropTest, Qualifier, Step};

pub(super) fn parse(input: &str) -> Result<Observation, PatternError> {
    let mut parser = Parser { input, tokens: tokenize(input), at: 0 };
    let pattern = parser.observations()?;
    parser.expect(Kind::End, "the end of the pattern (or AND, OR, FOLLOWEDBY, a qualifier)")?;
    Ok(pattern)
}

struct Parser<'a> {
    input: &'a str,
    tokens: Vec<Token>,
    at: usize,
}

impl Parser<'_> {
    fn peek(&self) -> &Token {
        &self.tokens[self.at]
    }

    fn next(&mut self) -> Token {
        let token = self.tokens[self.at].clone();
        if token.kind != Kind::End {
            self.at += 1;
        }
        token
    }

    fn is(&self, kind: Kind) -> bool {
        self.peek().kind == kind
    }

    fn eat(&mut self, kind: Kind) -> bool {
        let here = self.is(kind);
        if here {
            self.next();
        }
        here
    }

    fn keyword(&mut self, keyword: Keyword) -> bool {
        self.eat(Kind::Keyword(keyword))
    }

    fn error(&self, expected: &str) -> PatternError {
        let token = self.peek();
        let found = match token.kind {
            Kind::End => "the end of the pattern".to_string(),
            _ => format!("'{}'", token.text),
        };
        PatternError::at(self.input, token.start, format!("expected {expected}, found {found}"))
    }

    fn expect(&mut self, kind: Kind, expected: &str) -> Result<Token, PatternError> {
        if self.is(kind) { Ok(self.next()) } else { Err(self.error(expected)) }
    }

    fn observations(&mut self) -> Result<Observation, PatternError> {
        let mut left = self.observation_or()?;
        while self.keyword(Keyword::FollowedBy) {
            left = Observation::FollowedBy(Box::new(left), Box::new(self.observation_or()?));
        }
        Ok(left)
    }

    fn observation_or(&mut self) -> Result<Observation, PatternError> {
        let mut left = self.observation_and()?;
        while self.keyword(Keyword::Or) {
            left = Observation::Or(Box::new(left), Box::new(self.observation_and()?));
        }
        Ok(left)
    }

    fn observation_and(&mut self) -> Result<Observation, PatternError> {
        let mut left = self.qualified()?;
        while self.keyword(Keyword::And) {
            left = Observation::And(Box::new(left), Box::new(self.qualified()?));
        }
        Ok(left)
    }

    fn qualified(&mut self) -> Result<Observation, PatternError> {
        let mut expression = if self.eat(Kind::LBrack) {
            let comparison = self.comparison_or()?;
            self.expect(Kind::RBrack, "']' (or AND, OR)")?;
            Observation::Simple(comparison)
        } else if self.eat(Kind::LParen) {
            let inner = self.observations()?;
            self.expect(Kind::RParen, "')' (or AND, OR, FOLLOWEDBY, a qualifier)")?;
            Observation::Group(Box::new(inner))
        } else {
            return Err(self.error("'[' or '(' (an observation expression)"));
        };
        while let Some(qualifier) = self.qualifier()? {
            expression = Observation::Qualified(Box::new(expression), qualifier);
        }
        Ok(expression)
    }

    fn qualifier(&mut self) -> Result<Option<Qualifier>, PatternError> {
        if self.keyword(Keyword::Within) {
            let token = self.peek().clone();
            if !matches!(token.kind, Kind::IntPos | Kind::FloatPos) {
                return Err(self.error("a positive number of seconds"));
            }
            self.next();
            self.expect(Kind::Keyword(Keyword::Seconds), "SECONDS")?;
            let seconds: f64 = token.text.parse().map_err(|_| self.error("a number of seconds"))?;
            return Ok(Some(Qualifier::Within { seconds, text: token.text }));
        }
        if self.keyword(Keyword::Repeats) {
            let token = self.expect(Kind::IntPos, "a positive whole number of repetitions")?;
            let times = token
                .text
                .parse()
                .map_err(|_| PatternError::at(self.input, token.start, "the repetition count is too large".into()))?;
            self.expect(Kind::Keyword(Keyword::Times), "TIMES")?;
            return Ok(Some(Qualifier::Repeats(times)));
        }
        if self.keyword(Keyword::Start) {
            let start = self.expect(Kind::Timestamp, Kind::Timestamp.describe())?;
            self.expect(Kind::Keyword(Keyword::Stop), "STOP")?;
            let stop = self.expect(Kind::Timestamp, Kind::Timestamp.describe())?;
            return Ok(Some(Qualifier::StartStop { start: timestamp_text(&start), stop: timestamp_text(&stop) }));
        }
        Ok(None)
    }

    fn comparison_or(&mut self) -> Result<Comparison, PatternError> {
        let mut left = self.comparison_and()?;
        while self.keyword(Keyword::Or) {
            left = Comparison::Or(Box::new(left), Box::new(self.comparison_and()?));
        }
        Ok(left)
    }

    fn comparison_and(&mut self) -> Result<Comparison, PatternError> {
        let mut left = self.prop_test()?;
        while self.keyword(Keyword::And) {
            left = Comparison::And(Box::new(left), Box::new(self.prop_test()?));
        }
        Ok(left)
    }

    fn prop_test(&mut self) -> Result<Comparison, PatternError> {
        if self.eat(Kind::LParen) {
            let inner = self.comparison_or()?;
            self.expect(Kind::RParen, "')' (or AND, OR)")?;
            return Ok(inner);
        }
        if self.is(Kind::Keyword(Keyword::Not)) || self.is(Kind::Keyword(Keyword::Exists)) {
            let negated = self.keyword(Keyword::Not);
            self.expect(Kind::Keyword(Keyword::Exists), "EXISTS")?;
            let path = self.object_path()?;
            return Ok(Comparison::Test(PropTest { path, negated, operator: Operator::Exists }));
        }
        let path = self.object_path()?;
        let negated = self.keyword(Keyword::Not);
        let token = self.peek().clone();
        let operator = match token.kind {
            Kind::Eq | Kind::Neq => {
                self.next();
                let literal = self.literal(true)?;
                if token.kind == Kind::Eq { Operator::Equal(literal) } else { Operator::NotEqual(literal) }
            }
            Kind::Lt | Kind::Le | Kind::Gt | Kind::Ge => {
                self.next();
                let literal = self.literal(false)?;
                let order = match token.kind {
                    Kind::Lt => std::cmp::Ordering::Less,
                    Kind::Gt => std::cmp::Ordering::Greater,
                    _ => std::cmp::Ordering::Equal,
                };
                Operator::Order { order, or_equal: matches!(token.kind, Kind::Le | Kind::Ge), literal }
            }
            Kind::Keyword(Keyword::In) => {
                self.next();
                Operator::In(self.set()?)
            }
            Kind::Keyword(keyword @ (Keyword::Like | Keyword::Matches | Keyword::IsSubset | Keyword::IsSuperset)) => {
                self.next();
                let operand = unquote(&self.expect(Kind::Str, Kind::Str.describe())?.text);
                match keyword {
                    Keyword::Like => Operator::Like(operand),
                    Keyword::Matches => Operator::Matches(operand),
                    Keyword::IsSubset => Operator::IsSubset(operand),
                    _ => Operator::IsSuperset(operand),
                }
            }
            _ => {
                return Err(
                    self.error("a comparison operator (=, !=, <, <=, >, >=, IN, LIKE, MATCHES, ISSUBSET, ISSUPERSET)")
                );
            }
        };
        Ok(Comparison::Test(PropTest { path, negated, operator }))
    }

    fn object_path(&mut self) -> Result<ObjectPath, PatternError> {
        let object_type = match self.peek().kind {
            Kind::IdentWithoutHyphen | Kind::IdentWithHyphen => self.next().text,
            _ => return Err(self.error("an object type such as file or ipv4-addr")),
        };
        self.expect(Kind::Colon, "':' after the object type")?;
        let mut steps = vec![self.key("a property name")?];
        loop {
            if self.eat(Kind::Dot) {
                steps.push(self.key("a property name after '.'")?);
            } else if self.eat(Kind::LBrack) {
                let token = self.next();
                let step = match token.kind {
                    Kind::Asterisk => Step::AnyIndex,
                    Kind::IntPos | Kind::IntNeg => Step::Index(token.text.parse().unwrap_or(i64::MAX)),
                    _ => {
                        self.at -= 1;
                        return Err(self.error("a list index or '*'"));
                    }
                };
                self.expect(Kind::RBrack, "']' after the list index")?;
                steps.push(step);
            } else {
                return Ok(ObjectPath { object_type, steps });
            }
        }
    }

    fn key(&mut self, expected: &str) -> Result<Step, PatternError> {
        match self.peek().kind {
            Kind::IdentWithoutHyphen => Ok(Step::Key(self.next().text)),
            Kind::Str => Ok(Step::Key(unquote(&self.next().text))),
            _ => Err(self.error(&format!("{expected} (quote it as '…' if it holds a hyphen)"))),
        }
    }

    fn set(&mut self) -> Result<Vec<Literal>, PatternError> {
        self.expect(Kind::LParen, "'(' opening a set")?;
        let mut members = Vec::new();
        if self.eat(Kind::RParen) {
            return Ok(members);
        }
        loop {
            members.push(self.literal(true)?);
            if self.eat(Kind::RParen) {
                return Ok(members);
            }
            self.expect(Kind::Comma, "',' or ')' in the set")?;
        }
    }

    fn literal(&mut self, boolean_allowed: bool) -> Result<Literal, PatternError> {
        let token = self.peek().clone();
        let invalid = |what: &str| PatternError::at(self.input, token.start, format!("{what}: {}", token.text));
        let literal = match token.kind {
            Kind::IntPos | Kind::IntNeg => {
                Literal::Int(token.text.parse().map_err(|_| invalid("integer out of range"))?)
            }
            Kind::FloatPos | Kind::FloatNeg => {
                Literal::Float(token.text.parse().map_err(|_| invalid("invalid number"))?)
            }
            Kind::Str => Literal::Str(unquote(&token.text)),
            Kind::Bool if boolean_allowed => Literal::Bool(token.text == "true"),
            Kind::Hex => Literal::Binary(hex_decode(&token.text[2..token.text.len() - 1])),
            Kind::Binary => Literal::Binary(
                super::value::base64_decode(&token.text[2..token.text.len() - 1])
                    .ok_or_else(|| invalid("invalid base64"))?,
            ),
            Kind::Timestamp => Literal::Timestamp(timestamp_text(&token)),
            _ if boolean_allowed => return Err(self.error("a value (a string, number, boolean, h'…', b'…' or t'…')")),
            _ => return Err(self.error("a value that can be ordered (a string, number, h'…', b'…' or t'…')")),
        };
        self.next();
        Ok(literal)
    }
}

fn timestamp_text(token: &Token) -> String {
    token.text[2..token.text.len() - 1].to_string()
}

fn hex_decode(digits: &str) -> Vec<u8> {
    digits
        .as_bytes()
        .chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).unwrap_or("00"), 16).unwrap_or(0))
        .collect()
}
