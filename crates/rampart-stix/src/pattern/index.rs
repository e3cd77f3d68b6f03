//! Many indicators against many observables at once.
//!
//! Most indicators test exact values: `[file:hashes.'SHA-256' = '…']`,
//! `[domain-name:value = '…' OR domain-name:value = '…']`,
//! `[ipv4-addr:value ISSUBSET '198.51.100.0/24']`. Matched one by one, N
//! indicators against M observables cost N × M evaluations. Here such
//! indicators go into a hash table keyed by object type, property path and
//! value, and CIDR ranges into one table per prefix length, so each
//! observable costs a few lookups whatever N is. `LIKE` indicators are
//! prefiltered by a multi-pattern automaton over their literal fragments and
//! confirmed by the full matcher. Whatever else a pattern says (FOLLOWEDBY,
//! qualifiers, NOT, …) is matched by the full matcher, so the index answers
//! exactly what matching each pattern alone answers.

use std::collections::HashSet;

use foldhash::HashMap;

use aho_corasick::AhoCorasick;
use serde_json::Value;

use super::datum::Datum;
use super::matcher::{Compiled, MatchError, Observations};
use super::value::{address_or_range, cidr};
use super::{Comparison, Literal, Observation, Operator, Pattern, Step};

/// Network address (masked to the prefix) → the indicators of that range.
type Networks = HashMap<u32, Vec<u32>>;

/// Collects indicators, then builds the index.
#[derive(Debug, Default)]
pub struct IndexBuilder {
    fold_hash_case: bool,
    count: usize,
    exact: HashMap<String, HashMap<String, Vec<u32>>>,
    ranges: HashMap<(String, u32), Networks>,
    fragments: Vec<(String, u32)>,
    compiled: HashMap<u32, Compiled>,
    general: Vec<u32>,
}

/// Indicators ready to match; each known by the number `add` gave it.
#[derive(Debug)]
pub struct IndicatorIndex {
    fold_hash_case: bool,
    count: usize,
    exact: HashMap<String, HashMap<String, Vec<u32>>>,
    /// By object type:path, for each prefix length: network → indicators.
    ranges: HashMap<String, Vec<(u32, Networks)>>,
    automaton: Option<AhoCorasick>,
    /// For each automaton pattern: the indicator it stands for.
    fragment_owner: Vec<u32>,
    /// Full matchers of the prefiltered and the general indicators.
    compiled: HashMap<u32, Compiled>,
    general: Vec<u32>,
}

/// What one OR-branch of an indexable pattern looks for.
pub(super) enum Probe {
    /// `key` is `type:path.with.dots`.
    Exact {
        key: String,
        value: String,
    },
    Range {
        key: String,
        network: u32,
        prefix: u32,
    },
}

impl IndexBuilder {
    /// `fold_hash_case`: compare values under `hashes` without regard to
    /// case (hex digits mean the same in either); off, values compare
    /// exactly, as the specification says.
    pub fn new(fold_hash_case: bool) -> Self {
        Self { fold_hash_case, ..Self::default() }
    }

    /// Adds an indicator; returns its number (0, 1, 2, … in order).
    pub fn add(&mut self, pattern: &Pattern) -> Result<usize, MatchError> {
        let number = self.count as u32;
        let compiled = pattern.compile()?;
        self.count += 1;
        if let Some(probes) = probes(&pattern.root) {
            for probe in probes {
                match probe {
                    Probe::Exact { key, value } => {
                        let (key, value) = fold(self.fold_hash_case, key, value);
                        self.exact.entry(key).or_default().entry(value).or_default().push(number);
                    }
                    Probe::Range { key, network, prefix } => {
                        self.ranges.entry((key, prefix)).or_default().entry(network).or_default().push(number);
                    }
                }
            }
        } else if let Some(fragments) = like_fragments(&pattern.root) {
            self.fragments.extend(fragments.into_iter().map(|f| (f, number)));
            self.compiled.insert(number, compiled);
        } else {
            self.general.push(number);
            self.compiled.insert(number, compiled);
        }
        Ok(number as usize)
    }

    pub fn build(self) -> Result<IndicatorIndex, MatchError> {
        let (texts, fragment_owner): (Vec<String>, Vec<u32>) = self.fragments.into_iter().unzip();
        let automaton = if texts.is_empty() {
            None
        } else {
            Some(AhoCorasick::new(&texts).map_err(|e| MatchError(format!("cannot build the LIKE prefilter: {e}")))?)
        };
        let mut ranges: HashMap<String, Vec<(u32, Networks)>> = HashMap::default();
        for ((key, prefix), networks) in self.ranges {
            ranges.entry(key).or_default().push((prefix, networks));
        }
        Ok(IndicatorIndex {
            fold_hash_case: self.fold_hash_case,
            count: self.count,
            exact: self.exact,
            ranges,
            automaton,
            fragment_owner,
            compiled: self.compiled,
            general: self.general,
        })
    }
}

/// The key and value as the index keeps them: with `fold`, `hashes.sha-256`
/// and `hashes.'SHA-256'` are one key and hex values lower case.
fn fold(fold: bool, key: String, value: String) -> (String, String) {
    if fold
        && let Some((object_type, path)) = key.split_once(':')
        && let Some(algorithm) = path.strip_prefix("hashes.")
    {
        return (
            format!("{object_type}:hashes.{}", algorithm.to_ascii_uppercase().replace('-', "")),
            value.to_ascii_lowercase(),
        );
    }
    (key, value)
}

impl IndicatorIndex {
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// For every indicator, whether it matches the observations.
    pub fn match_observations(&self, observations: &Observations) -> Result<Vec<bool>, MatchError> {
        let mut matched = vec![false; self.count];
        let mut candidates: HashSet<u32> = HashSet::new();
        let mut path = String::new();
        for (item_index, item) in observations.items.iter().enumerate() {
            candidates.clear();
            for &root in &item.roots {
                let object = &observations.objects[root];
                let Some(object_type) = object.get("type").and_then(Datum::as_str) else { continue };
                path.clear();
                path.push_str(object_type);
                path.push(':');
                self.probe_object(object, &mut path, &mut matched, &mut candidates)?;
            }
            for number in &candidates {
                if matched[*number as usize] {
                    continue;
                }
                let compiled = &self.compiled[number];
                if let Some(result) = compiled.matches_item(observations, item_index) {
                    matched[*number as usize] = result?;
                }
            }
        }
        for number in &self.general {
            matched[*number as usize] = self.compiled[number].is_match(observations)?;
        }
        Ok(matched)
    }

    /// Indicators that one observable matches: an object of `object_type`
    /// whose property `path` (`value`, `hashes.MD5`, …) is `value`.
    pub fn match_observable(&self, object_type: &str, path: &[&str], value: &str) -> Result<Vec<usize>, MatchError> {
        let mut object = Value::String(value.to_string());
        for key in path.iter().rev() {
            object = Value::Object([(key.to_string(), object)].into_iter().collect());
        }
        let Value::Object(mut object) = object else { return Ok(Vec::new()) };
        object.insert("type".into(), Value::String(object_type.into()));
        object.insert("id".into(), Value::String(format!("{object_type}--00000000-0000-4000-8000-000000000000")));
        let observed = serde_json::json!({
            "type": "observed-data", "id": "observed-data--00000000-0000-4000-8000-000000000000",
            "first_observed": "1970-01-01T00:00:00Z", "last_observed": "1970-01-01T00:00:00Z",
            "number_observed": 1, "object_refs": [object["id"].clone()],
        });
        let observations = Observations::from_objects(vec![observed, Value::Object(object)])?;
        let matched = self.match_observations(&observations)?;
        Ok(matched.iter().enumerate().filter(|(_, m)| **m).map(|(n, _)| n).collect())
    }

    /// Looks up every string property of `value` (following object keys,
    /// as exact patterns do) under the path built so far.
    fn probe_object(
        &self,
        value: &Datum,
        path: &mut String,
        matched: &mut [bool],
        candidates: &mut HashSet<u32>,
    ) -> Result<(), MatchError> {
        match value {
            Datum::Map(map) => {
                let base = path.len();
                for (key, child) in map {
                    if &**key == "type" || &**key == "id" {
                        continue;
                    }
                    if !path.ends_with(':') {
                        path.push('.');
                    }
                    path.push_str(key);
                    self.probe_object(child, path, matched, candidates)?;
                    path.truncate(base);
                }
                Ok(())
            }
            Datum::Str(text) => self.probe_value(path, text, matched, candidates),
            _ => Ok(()),
        }
    }

    fn probe_value(
        &self,
        key: &str,
        text: &str,
        matched: &mut [bool],
        candidates: &mut HashSet<u32>,
    ) -> Result<(), MatchError> {
        let mark = |numbers: &Vec<u32>, matched: &mut [bool]| numbers.iter().for_each(|n| matched[*n as usize] = true);
        let found = if self.fold_hash_case && key.contains(":hashes.") {
            let (key, text) = fold(true, key.to_string(), text.to_string());
            self.exact.get(&key).and_then(|values| values.get(&text))
        } else {
            self.exact.get(key).and_then(|values| values.get(text))
        };
        if let Some(numbers) = found {
            mark(numbers, matched);
        }
        if let Some(prefixes) = self.ranges.get(key) {
            let observed = address_or_range(text);
            // As the matcher, which cannot tell whether it is in the range.
            let (address, length) =
                observed.ok_or_else(|| MatchError(format!("ISSUBSET needs addresses and CIDR ranges: {text}")))?;
            for (prefix, networks) in prefixes.iter().filter(|(p, _)| *p <= length) {
                if let Some(numbers) = networks.get(&(address & (u32::MAX << (32 - prefix)))) {
                    mark(numbers, matched);
                }
            }
        }
        if let Some(automaton) = &self.automaton {
            for found in automaton.find_overlapping_iter(text) {
                candidates.insert(self.fragment_owner[found.pattern().as_usize()]);
            }
        }
        Ok(())
    }
}

/// For a pattern of one bracketed expression of property tests joined by
/// OR: what `each` makes of every test, or `None` when the pattern has any
/// other shape or `each` refuses a test.
fn each_test<T>(
    root: &Observation,
    mut each: impl FnMut(&super::PropTest, &mut Vec<T>) -> Option<()>,
) -> Option<Vec<T>> {
    fn walk<T>(
        comparison: &Comparison,
        each: &mut dyn FnMut(&super::PropTest, &mut Vec<T>) -> Option<()>,
        out: &mut Vec<T>,
    ) -> Option<()> {
        match comparison {
            Comparison::Or(left, right) => {
                walk(left, each, out)?;
                walk(right, each, out)
            }
            Comparison::And(..) => None,
            Comparison::Test(test) => each(test, out),
        }
    }
    let Observation::Simple(comparison) = root else { return None };
    let mut out = Vec::new();
    walk(comparison, &mut each, &mut out)?;
    Some(out)
}

/// The probes of a pattern of `=`, `IN` or `ISSUBSET` tests on plain
/// property paths joined by OR; `None` otherwise.
pub(super) fn probes(root: &Observation) -> Option<Vec<Probe>> {
    each_test(root, |test, out| {
        if test.negated || super::matcher::is_domain_type(&test.path.object_type) {
            return None;
        }
        let keys = test
            .path
            .steps
            .iter()
            .map(|s| if let Step::Key(k) = s { Some(k.as_str()) } else { None })
            .collect::<Option<Vec<_>>>()?;
        if keys.iter().any(|k| {
            k.ends_with("_ref")
                || k.ends_with("_refs")
                || k.ends_with("_hex")
                || k.ends_with("_bin")
                || *k == "type"
                || *k == "id"
        }) {
            return None;
        }
        let key = format!("{}:{}", test.path.object_type, keys.join("."));
        match &test.operator {
            Operator::Equal(Literal::Str(value)) => out.push(Probe::Exact { key, value: value.clone() }),
            Operator::In(set) => {
                for member in set {
                    let Literal::Str(value) = member else { return None };
                    out.push(Probe::Exact { key: key.clone(), value: value.clone() });
                }
            }
            Operator::IsSubset(range) => {
                let (address, prefix) = cidr(range)?;
                out.push(Probe::Range { key, network: address & (u32::MAX << (32 - prefix)), prefix });
            }
            _ => return None,
        }
        Some(())
    })
}

/// For a pattern of `LIKE` tests joined by OR: the longest literal run of
/// each, one of which any match must contain.
fn like_fragments(root: &Observation) -> Option<Vec<String>> {
    each_test(root, |test, out| {
        let Operator::Like(operand) = &test.operator else { return None };
        if test.negated || !operand.is_ascii() {
            return None;
        }
        let longest = operand.split(['%', '_']).max_by_key(|run| run.len())?;
        if longest.len() < 3 {
            return None;
        }
        out.push(longest.to_string());
        Some(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(patterns: &[&str], fold: bool) -> IndicatorIndex {
        let mut builder = IndexBuilder::new(fold);
        for p in patterns {
            builder.add(&Pattern::parse(p).unwrap()).unwrap();
        }
        builder.build().unwrap()
    }

    #[test]
    fn exact_ranges_fragments_and_the_rest_find_what_the_matcher_finds() {
        let patterns = [
            "[domain-name:value = 'c2.example']",
            "[file:hashes.'SHA-256' = 'AA' OR file:hashes.MD5 IN ('bb', 'cc')]",
            "[ipv4-addr:value ISSUBSET '198.51.100.0/24']",
            "[url:value LIKE 'http://%/evil/%']",
            "[domain-name:value = 'c2.example'] FOLLOWEDBY [ipv4-addr:value = '198.51.100.7']",
            "[ipv4-addr:value ISSUBSET '10.0.0.0/8']",
            "[domain-name:value = 'c3.example']",
        ];
        let index = index(&patterns, false);
        let observed = serde_json::json!({"type": "bundle", "id": "bundle--1", "objects": [
            {"type": "observed-data", "id": "observed-data--1", "first_observed": "2026-01-01T00:00:00Z", "last_observed": "2026-01-01T00:00:00Z", "number_observed": 1, "object_refs": ["domain-name--1", "file--1"]},
            {"type": "observed-data", "id": "observed-data--2", "first_observed": "2026-01-01T00:01:00Z", "last_observed": "2026-01-01T00:01:00Z", "number_observed": 1, "object_refs": ["ipv4-addr--1", "url--1"]},
            {"type": "domain-name", "id": "domain-name--1", "value": "c2.example"},
            {"type": "file", "id": "file--1", "hashes": {"MD5": "cc"}},
            {"type": "ipv4-addr", "id": "ipv4-addr--1", "value": "198.51.100.7"},
            {"type": "url", "id": "url--1", "value": "http://x.example/evil/a"},
        ]});
        let observations = Observations::from_json(&observed).unwrap();
        let one_by_one: Vec<bool> = patterns
            .iter()
            .map(|p| Pattern::parse(p).unwrap().compile().unwrap().is_match(&observations).unwrap())
            .collect();
        assert_eq!(one_by_one, [true, true, true, true, true, false, false]);
        assert_eq!(index.match_observations(&observations).unwrap(), one_by_one);
    }

    #[test]
    fn one_observable_at_a_time_with_hash_case_folded() {
        let index = index(
            &[
                "[file:hashes.'SHA-256' = 'ABCD']",
                "[ipv4-addr:value ISSUBSET '10.1.0.0/16']",
                "[url:value LIKE '%/login.php']",
            ],
            true,
        );
        assert_eq!(index.match_observable("file", &["hashes", "SHA-256"], "abcd").unwrap(), [0]);
        assert_eq!(index.match_observable("ipv4-addr", &["value"], "10.1.2.3").unwrap(), [1]);
        assert_eq!(
            index.match_observable("ipv4-addr", &["value"], "10.1.2.0/24").unwrap(),
            [1],
            "a narrower range is a subset"
        );
        assert_eq!(index.match_observable("ipv4-addr", &["value"], "10.0.0.0/8").unwrap(), Vec::<usize>::new());
        assert_eq!(index.match_observable("url", &["value"], "https://bank.example/login.php").unwrap(), [2]);
        assert_eq!(
            index.match_observable("url", &["value"], "https://bank.example/login.php?x").unwrap(),
            Vec::<usize>::new()
        );
    }
}
