//! Mapping sets: how the requirements of one framework relate to those of
//! another, in the relationship types of NIST's OLIR (equal, subset,
//! superset, intersect, not related) with a strength from 0 to 10.
//!
//! A mapping reads source-to-target: `subset` means the source requirement
//! asks for part of what the target asks; `superset` for more.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::LibraryError;

/// How a source requirement relates to a target requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Relationship {
    Equal,
    Subset,
    Superset,
    Intersect,
    NotRelated,
}

impl Relationship {
    pub const ALL: [Relationship; 5] = [
        Relationship::Equal,
        Relationship::Subset,
        Relationship::Superset,
        Relationship::Intersect,
        Relationship::NotRelated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Relationship::Equal => "equal",
            Relationship::Subset => "subset",
            Relationship::Superset => "superset",
            Relationship::Intersect => "intersect",
            Relationship::NotRelated => "not-related",
        }
    }

    pub fn parse(text: &str) -> Option<Relationship> {
        Relationship::ALL.into_iter().find(|r| r.as_str() == text)
    }

    /// The same relationship read target-to-source.
    pub fn inverse(self) -> Relationship {
        match self {
            Relationship::Subset => Relationship::Superset,
            Relationship::Superset => Relationship::Subset,
            other => other,
        }
    }
}

/// A mapping set between two frameworks, by URN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MappingSet {
    pub urn: String,
    pub version: u32,
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// The URN of the framework the mappings start from.
    pub source: String,
    pub target: String,
    pub mappings: Vec<Mapping>,
}

/// One relationship between a source and a target requirement, by ref id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    pub source: String,
    pub target: String,
    pub relationship: Relationship,
    pub strength: u8,
}

/// Most mappings one set may hold.
pub const MAX_MAPPINGS: usize = 100_000;

/// Parses and checks a mapping set written in YAML.
pub fn parse_mapping_yaml(text: &str) -> Result<MappingSet, LibraryError> {
    let set: MappingSet = serde_norway::from_str(text).map_err(|e| {
        let line = e.location().map(|l| l.line());
        let message = e.to_string();
        let message = message.split(" at line ").next().unwrap_or(&message).to_string();
        match message.split_once(": ") {
            Some((path, reason)) if !path.contains(' ') => LibraryError::new(path, line, reason),
            _ => LibraryError::new("mapping set", line, message),
        }
    })?;
    set.checked()
}

impl MappingSet {
    /// Checks the rules: URNs, a name, strengths 0–10, each pair once.
    pub fn checked(self) -> Result<MappingSet, LibraryError> {
        for (field, urn) in [("urn", &self.urn), ("source", &self.source), ("target", &self.target)] {
            let ok = urn.starts_with("urn:")
                && urn.len() <= 200
                && urn.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || ":._-".contains(c));
            if !ok {
                return Err(LibraryError::new(field, None, format!("`{urn}` must be a URN in lower case")));
            }
        }
        if self.source == self.target {
            return Err(LibraryError::new("target", None, "must be another framework than the source"));
        }
        if self.version == 0 {
            return Err(LibraryError::new("version", None, "must be 1 or more"));
        }
        if self.name.trim().is_empty() || self.name.chars().count() > 200 {
            return Err(LibraryError::new("name", None, "is required, at most 200 characters"));
        }
        if self.mappings.is_empty() || self.mappings.len() > MAX_MAPPINGS {
            return Err(LibraryError::new("mappings", None, format!("must hold 1 to {MAX_MAPPINGS} mappings")));
        }
        let mut seen = HashSet::new();
        for (i, m) in self.mappings.iter().enumerate() {
            if m.strength > 10 {
                return Err(LibraryError::new(format!("mappings[{i}].strength"), None, "must be from 0 to 10"));
            }
            if m.source.trim().is_empty() || m.target.trim().is_empty() {
                return Err(LibraryError::new(format!("mappings[{i}]"), None, "names a source and a target ref id"));
            }
            if !seen.insert((m.source.as_str(), m.target.as_str())) {
                return Err(LibraryError::new(
                    format!("mappings[{i}]"),
                    None,
                    format!("{} → {} is mapped twice", m.source, m.target),
                ));
            }
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SET: &str = "urn: urn:x:mapping:a-b\nversion: 1\nname: A to B\nsource: urn:x:a\ntarget: urn:x:b\nmappings:\n  - { source: A.1, target: B.1, relationship: subset, strength: 7 }\n";

    #[test]
    fn a_mapping_set_reads_and_its_rules_hold() {
        let set = parse_mapping_yaml(SET).unwrap();
        assert_eq!(set.mappings[0].relationship, Relationship::Subset);
        assert_eq!(Relationship::Subset.inverse(), Relationship::Superset);
        let e = parse_mapping_yaml(&SET.replace("subset", "overlap")).unwrap_err();
        assert_eq!((e.path.as_str(), e.line), ("mappings[0].relationship", Some(7)), "{e}");
        assert_eq!(
            parse_mapping_yaml(&SET.replace("strength: 7", "strength: 11")).unwrap_err().path,
            "mappings[0].strength"
        );
        let twice = format!("{SET}  - {{ source: A.1, target: B.1, relationship: equal, strength: 9 }}\n");
        assert_eq!(parse_mapping_yaml(&twice).unwrap_err().path, "mappings[1]");
        assert_eq!(parse_mapping_yaml(&SET.replace("urn:x:b", "urn:x:a")).unwrap_err().path, "target");
    }
}
