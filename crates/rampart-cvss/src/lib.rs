//! CVSS v4.0: parse a vector string, compute its score and severity exactly as
//! FIRST's specification does (macro vectors, equivalence classes and the
//! severity-distance interpolation).
//!
//! This crate owns nothing but the arithmetic of the standard: no I/O. It is
//! checked against every vector of the reference data (all 104,976 base vectors
//! and the threat, environmental and supplemental sets).

mod tables;

use std::fmt;

use tables::*;

/// Metric names in the order the specification requires, with the values each
/// accepts.
const METRICS: [(&str, &[&str]); 32] = [
    ("AV", &["N", "A", "L", "P"]),
    ("AC", &["L", "H"]),
    ("AT", &["N", "P"]),
    ("PR", &["N", "L", "H"]),
    ("UI", &["N", "P", "A"]),
    ("VC", &["H", "L", "N"]),
    ("VI", &["H", "L", "N"]),
    ("VA", &["H", "L", "N"]),
    ("SC", &["H", "L", "N"]),
    ("SI", &["H", "L", "N"]),
    ("SA", &["H", "L", "N"]),
    ("E", &["X", "A", "P", "U"]),
    ("CR", &["X", "H", "M", "L"]),
    ("IR", &["X", "H", "M", "L"]),
    ("AR", &["X", "H", "M", "L"]),
    ("MAV", &["X", "N", "A", "L", "P"]),
    ("MAC", &["X", "L", "H"]),
    ("MAT", &["X", "N", "P"]),
    ("MPR", &["X", "N", "L", "H"]),
    ("MUI", &["X", "N", "P", "A"]),
    ("MVC", &["X", "H", "L", "N"]),
    ("MVI", &["X", "H", "L", "N"]),
    ("MVA", &["X", "H", "L", "N"]),
    ("MSC", &["X", "H", "L", "N"]),
    ("MSI", &["X", "S", "H", "L", "N"]),
    ("MSA", &["X", "S", "H", "L", "N"]),
    ("S", &["X", "N", "P"]),
    ("AU", &["X", "N", "Y"]),
    ("R", &["X", "A", "U", "I"]),
    ("V", &["X", "D", "C"]),
    ("RE", &["X", "L", "M", "H"]),
    ("U", &["X", "Clear", "Green", "Amber", "Red"]),
];

/// The base metrics every vector must carry (the first eleven).
const MANDATORY: usize = 11;
/// Distance from a base metric to its modified (environmental) counterpart in [`METRICS`].
const MODIFIED_OFFSET: usize = 15;
const PREFIX: &str = "CVSS:4.0/";
/// Longest vector accepted: every metric with its longest value, plus slack.
const MAX_LEN: usize = 200;

/// Why a vector string is not a valid CVSS v4.0 vector.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CvssError {
    #[error("the vector must start with {PREFIX}")]
    Prefix,
    #[error("the vector is longer than {MAX_LEN} characters")]
    TooLong,
    #[error("`{0}` is not a METRIC:VALUE pair")]
    Malformed(String),
    #[error("`{0}` is not a CVSS v4.0 metric")]
    UnknownMetric(String),
    #[error("`{value}` is not a value of {metric} (allowed: {allowed})")]
    InvalidValue { metric: String, value: String, allowed: String },
    #[error("{0} appears twice")]
    Duplicate(String),
    #[error("{metric} must come before {after} (the specification fixes the order of metrics)")]
    Order { metric: String, after: String },
    #[error("the mandatory base metrics {0} are missing")]
    Missing(String),
}

/// A parsed CVSS v4.0 vector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vector {
    /// The value of each metric of [`METRICS`], `None` when absent.
    values: [Option<&'static str>; 32],
}

/// Qualitative severity rating of a score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    None,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn of(score: f64) -> Severity {
        match score {
            s if s >= 9.0 => Severity::Critical,
            s if s >= 7.0 => Severity::High,
            s if s >= 4.0 => Severity::Medium,
            s if s >= 0.1 => Severity::Low,
            _ => Severity::None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::None => "None",
            Severity::Low => "Low",
            Severity::Medium => "Medium",
            Severity::High => "High",
            Severity::Critical => "Critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn metric_index(name: &str) -> Option<usize> {
    METRICS.iter().position(|(m, _)| *m == name)
}

impl std::str::FromStr for Vector {
    type Err = CvssError;

    fn from_str(text: &str) -> Result<Self, CvssError> {
        Vector::parse(text)
    }
}

impl Vector {
    pub fn parse(text: &str) -> Result<Vector, CvssError> {
        let text = text.trim();
        if text.len() > MAX_LEN {
            return Err(CvssError::TooLong);
        }
        let body = text.strip_prefix(PREFIX).ok_or(CvssError::Prefix)?;
        let mut values = [None; 32];
        let mut last: Option<usize> = None;
        for field in body.split('/') {
            let (metric, value) = field.split_once(':').ok_or_else(|| CvssError::Malformed(field.to_string()))?;
            let index = metric_index(metric).ok_or_else(|| CvssError::UnknownMetric(metric.to_string()))?;
            let allowed = METRICS[index].1;
            let value = allowed.iter().find(|v| **v == value).copied().ok_or_else(|| CvssError::InvalidValue {
                metric: metric.to_string(),
                value: value.to_string(),
                allowed: allowed.join(", "),
            })?;
            if values[index].is_some() {
                return Err(CvssError::Duplicate(metric.to_string()));
            }
            if let Some(previous) = last.filter(|p| *p > index) {
                return Err(CvssError::Order { metric: metric.to_string(), after: METRICS[previous].0.to_string() });
            }
            values[index] = Some(value);
            last = Some(index);
        }
        let missing: Vec<&str> = (0..MANDATORY).filter(|i| values[*i].is_none()).map(|i| METRICS[i].0).collect();
        if !missing.is_empty() {
            return Err(CvssError::Missing(missing.join(", ")));
        }
        Ok(Vector { values })
    }

    fn raw(&self, metric: &str) -> Option<&'static str> {
        metric_index(metric).and_then(|i| self.values[i])
    }

    /// The value scoring uses: the environmental (modified) metric where set,
    /// the base metric otherwise, and the specification's defaults for
    /// undefined threat and security-requirement metrics.
    fn effective(&self, metric: &str) -> &'static str {
        match metric {
            "E" => return self.raw("E").filter(|v| *v != "X").unwrap_or("A"),
            "CR" | "IR" | "AR" => return self.raw(metric).filter(|v| *v != "X").unwrap_or("H"),
            _ => {}
        }
        let Some(index) = metric_index(metric) else { return "X" };
        // The modified counterpart of base metric i (AV … SA) sits at i + 15 (MAV … MSA).
        let modified = if index < MANDATORY { self.values[index + MODIFIED_OFFSET] } else { None };
        modified.filter(|v| *v != "X").or(self.values[index]).unwrap_or("X")
    }

    /// The macro vector: the level of each of the six equivalence classes.
    fn macro_vector(&self) -> [usize; 6] {
        let m = |metric| self.effective(metric);
        let (av, pr, ui) = (m("AV"), m("PR"), m("UI"));
        let eq1 = if av == "N" && pr == "N" && ui == "N" {
            0
        } else if (av == "N" || pr == "N" || ui == "N") && av != "P" {
            1
        } else {
            2
        };
        let eq2 = if m("AC") == "L" && m("AT") == "N" { 0 } else { 1 };
        let (vc, vi, va) = (m("VC"), m("VI"), m("VA"));
        let eq3 = if vc == "H" && vi == "H" {
            0
        } else if vc == "H" || vi == "H" || va == "H" {
            1
        } else {
            2
        };
        let eq4 = if m("SI") == "S" || m("SA") == "S" {
            0
        } else if m("SC") == "H" || m("SI") == "H" || m("SA") == "H" {
            1
        } else {
            2
        };
        let eq5 = match m("E") {
            "A" => 0,
            "P" => 1,
            _ => 2,
        };
        let high_requirement =
            (m("CR") == "H" && vc == "H") || (m("IR") == "H" && vi == "H") || (m("AR") == "H" && va == "H");
        let eq6 = if high_requirement { 0 } else { 1 };
        [eq1, eq2, eq3, eq4, eq5, eq6]
    }

    /// The CVSS-BTE score, 0.0 to 10.0 with one decimal.
    pub fn score(&self) -> f64 {
        if ["VC", "VI", "VA", "SC", "SI", "SA"].iter().all(|m| self.effective(m) == "N") {
            return 0.0;
        }
        let mv = self.macro_vector();
        let [eq1, eq2, eq3, eq4, _, eq6] = mv;
        let value = macro_score(mv);
        let lower = |eq: usize, by: usize| {
            let mut next = mv;
            next[eq] += by;
            macro_score(next)
        };
        let next_eq1 = lower(0, 1);
        let next_eq2 = lower(1, 1);
        let next_eq3_eq6 = match (eq3, eq6) {
            (0, 0) => lower(5, 1).max(lower(2, 1)),
            (1, 0) => lower(5, 1),
            (0 | 1, 1) => lower(2, 1),
            _ => {
                let mut next = mv;
                next[2] += 1;
                next[5] += 1;
                macro_score(next)
            }
        };
        let next_eq4 = lower(3, 1);
        let next_eq5 = lower(4, 1);

        let distances = self.distances_to_highest(mv);
        let d = |metric: &str| distances.iter().find(|(m, _)| *m == metric).map(|(_, v)| *v).unwrap_or(0.0);
        let current_eq1 = d("AV") + d("PR") + d("UI");
        let current_eq2 = d("AC") + d("AT");
        let current_eq3_eq6 = d("VC") + d("VI") + d("VA") + d("CR") + d("IR") + d("AR");
        let current_eq4 = d("SC") + d("SI") + d("SA");

        let step = 0.1;
        let classes = [
            (value - next_eq1, current_eq1, DEPTH_EQ1[eq1] * step),
            (value - next_eq2, current_eq2, DEPTH_EQ2[eq2] * step),
            (value - next_eq3_eq6, current_eq3_eq6, DEPTH_EQ3_EQ6[eq3][eq6] * step),
            (value - next_eq4, current_eq4, DEPTH_EQ4[eq4] * step),
            // EQ5 has no depth: a lower level exists but contributes no distance.
            (value - next_eq5, 0.0, f64::NAN),
        ];
        let mut existing = 0u32;
        let mut total = 0.0;
        for (i, (available, current, depth)) in classes.into_iter().enumerate() {
            // NaN (no lower macro vector) fails this comparison, as intended.
            if available >= 0.0 {
                existing += 1;
                let normalized = if i == 4 { available * 0.0 } else { available * (current / depth) };
                total += normalized;
            }
        }
        let mean = if existing == 0 { 0.0 } else { total / f64::from(existing) };
        round_half_up((value - mean).clamp(0.0, 10.0))
    }

    pub fn severity(&self) -> Severity {
        Severity::of(self.score())
    }

    /// How far each metric sits below the first highest-severity vector of the
    /// macro vector that it does not exceed (the last one when it exceeds all).
    fn distances_to_highest(&self, mv: [usize; 6]) -> [(&'static str, f64); 14] {
        let [eq1, eq2, eq3, eq4, eq5, eq6] = mv;
        let effective = DISTANCE_METRICS.map(|metric| level(metric, self.effective(metric)));
        let mut distances = [("", 0.0); 14];
        for a in MAX_EQ1[eq1] {
            for b in MAX_EQ2[eq2] {
                for c in MAX_EQ3_EQ6[eq3][eq6] {
                    for d in MAX_EQ4[eq4] {
                        for e in MAX_EQ5[eq5] {
                            let highest = [*a, *b, *c, *d, *e];
                            for (k, metric) in DISTANCE_METRICS.iter().enumerate() {
                                distances[k] = (metric, effective[k] - level(metric, value_in(&highest, metric)));
                            }
                            if distances.iter().all(|(_, v)| *v >= 0.0) {
                                return distances;
                            }
                        }
                    }
                }
            }
        }
        distances
    }
}

/// The metrics whose distance to the highest-severity vector is measured.
const DISTANCE_METRICS: [&str; 14] =
    ["AV", "PR", "UI", "AC", "AT", "VC", "VI", "VA", "SC", "SI", "SA", "CR", "IR", "AR"];

/// The value of `metric` in vector fragments such as `["AV:N/PR:N/UI:N", …]`.
fn value_in<'a>(fragments: &[&'a str], metric: &str) -> &'a str {
    fragments
        .iter()
        .flat_map(|f| f.split('/'))
        .find_map(|pair| pair.split_once(':').filter(|(m, _)| *m == metric).map(|(_, v)| v))
        .unwrap_or("X")
}

impl fmt::Display for Vector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CVSS:4.0")?;
        for (i, value) in self.values.iter().enumerate() {
            if let Some(v) = value {
                write!(f, "/{}:{v}", METRICS[i].0)?;
            }
        }
        Ok(())
    }
}

/// The score of a macro vector, NaN where it does not exist.
fn macro_score(mv: [usize; 6]) -> f64 {
    let limits = [3, 2, 3, 3, 3, 2];
    if mv.iter().zip(limits).any(|(v, limit)| *v >= limit) {
        return f64::NAN;
    }
    MACRO_SCORES[macro_index(mv)]
}

fn macro_index(mv: [usize; 6]) -> usize {
    ((((mv[0] * 2 + mv[1]) * 3 + mv[2]) * 3 + mv[3]) * 3 + mv[4]) * 2 + mv[5]
}

/// The severity level of a metric value, in the specification's steps of 0.1.
fn level(metric: &str, value: &str) -> f64 {
    match (metric, value) {
        ("AV", "N") | ("PR", "N") | ("UI", "N") | ("AC", "L") | ("AT", "N") => 0.0,
        ("AV", "A") | ("PR", "L") | ("UI", "P") | ("AC", "H") | ("AT", "P") => 0.1,
        ("AV", "L") | ("PR", "H") | ("UI", "A") => 0.2,
        ("AV", "P") => 0.3,
        ("VC" | "VI" | "VA", "H") => 0.0,
        ("VC" | "VI" | "VA", "L") => 0.1,
        ("VC" | "VI" | "VA", "N") => 0.2,
        ("SI" | "SA", "S") => 0.0,
        ("SC" | "SI" | "SA", "H") => 0.1,
        ("SC" | "SI" | "SA", "L") => 0.2,
        ("SC" | "SI" | "SA", "N") => 0.3,
        ("CR" | "IR" | "AR", "H") => 0.0,
        ("CR" | "IR" | "AR", "M") => 0.1,
        ("CR" | "IR" | "AR", "L") => 0.2,
        _ => 0.0,
    }
}

/// Rounds to one decimal, halves away from zero, on the exact binary value
/// (plus the specification's 1e-6 guard against representation error).
fn round_half_up(x: f64) -> f64 {
    let guarded = x + 1e-6;
    // Formatting with many digits gives the exact decimal expansion, so the
    // half-way test does not suffer a second rounding.
    let text = format!("{guarded:.30}");
    let (int, frac) = text.split_once('.').unwrap_or((&text, "0"));
    let tenths: i64 = int.parse::<i64>().unwrap_or(0) * 10 + i64::from(frac.as_bytes()[0] - b'0');
    let up = frac.as_bytes().get(1).is_some_and(|d| *d >= b'5');
    (tenths + i64::from(up)) as f64 / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_is_half_up_on_the_exact_value() {
        assert_eq!(round_half_up(8.6 - 7.15), 1.5);
        assert_eq!(round_half_up(9.25), 9.3);
        assert_eq!(round_half_up(9.2499), 9.2);
        assert_eq!(round_half_up(0.0), 0.0);
        assert_eq!(round_half_up(10.0), 10.0);
    }

    #[test]
    fn a_critical_network_vector_scores_ten() {
        let v = Vector::parse("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H").unwrap();
        assert_eq!(v.score(), 10.0);
        assert_eq!(v.severity(), Severity::Critical);
    }

    #[test]
    fn no_impact_scores_zero() {
        let v = Vector::parse("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N").unwrap();
        assert_eq!((v.score(), v.severity()), (0.0, Severity::None));
    }

    #[test]
    fn invalid_vectors_say_why() {
        let base = "AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H";
        assert_eq!(Vector::parse(&format!("CVSS:3.1/{base}")), Err(CvssError::Prefix));
        assert!(matches!(Vector::parse("CVSS:4.0/AV:N/AC:L"), Err(CvssError::Missing(m)) if m.contains("AT")));
        assert!(
            matches!(Vector::parse(&format!("CVSS:4.0/{base}/XX:Y")), Err(CvssError::UnknownMetric(m)) if m == "XX")
        );
        assert!(
            matches!(Vector::parse(&format!("CVSS:4.0/{base}/E:Q")), Err(CvssError::InvalidValue { metric, .. }) if metric == "E")
        );
        assert!(matches!(Vector::parse(&format!("CVSS:4.0/{base}/E:A/E:P")), Err(CvssError::Duplicate(m)) if m == "E"));
        assert!(matches!(Vector::parse(&format!("CVSS:4.0/{base}/CR:H/E:A")), Err(CvssError::Order { .. })));
        assert!(matches!(Vector::parse(&format!("CVSS:4.0/{base}/")), Err(CvssError::Malformed(_))));
        assert_eq!(Vector::parse(&"A".repeat(300)), Err(CvssError::TooLong));
    }

    #[test]
    fn vectors_print_back_as_parsed() {
        let text = "CVSS:4.0/AV:L/AC:H/AT:P/PR:L/UI:A/VC:L/VI:N/VA:H/SC:N/SI:S/SA:L/E:P/MSI:S/U:Amber";
        let bad = Vector::parse(text);
        assert!(bad.is_err(), "SI:S is only valid as MSI");
        let text = "CVSS:4.0/AV:L/AC:H/AT:P/PR:L/UI:A/VC:L/VI:N/VA:H/SC:N/SI:L/SA:L/E:P/MSI:S/U:Amber";
        assert_eq!(Vector::parse(text).unwrap().to_string(), text);
    }

    #[test]
    fn modified_metrics_sit_fifteen_places_after_their_base_metrics() {
        for (i, (name, _)) in METRICS.iter().enumerate().take(MANDATORY) {
            assert_eq!(METRICS[i + MODIFIED_OFFSET].0, format!("M{name}"));
        }
    }

    #[test]
    fn severities_follow_the_rating_scale() {
        assert_eq!(Severity::of(0.0), Severity::None);
        assert_eq!(Severity::of(0.1), Severity::Low);
        assert_eq!(Severity::of(3.9), Severity::Low);
        assert_eq!(Severity::of(4.0), Severity::Medium);
        assert_eq!(Severity::of(6.9), Severity::Medium);
        assert_eq!(Severity::of(7.0), Severity::High);
        assert_eq!(Severity::of(8.9), Severity::High);
        assert_eq!(Severity::of(9.0), Severity::Critical);
    }
}
