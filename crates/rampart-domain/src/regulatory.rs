//! Regulatory clocks: the reporting obligations an incident's regimes set,
//! as data (rules an administrator can extend), and their due times.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::Invalid;

/// What a rule's clock starts from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Anchor {
    /// The moment the organisation became aware of the incident.
    Awareness,
    /// The moment the incident was classified (triage decided it is one).
    Classification,
    /// The submission of another obligation of the same regime (or its due
    /// time while it is not submitted).
    After(String),
}

impl Anchor {
    /// `aware`, `classified` or `after:KEY`.
    pub fn parse(text: &str) -> Result<Anchor, Invalid> {
        match text {
            "aware" => Ok(Anchor::Awareness),
            "classified" => Ok(Anchor::Classification),
            other => match other.strip_prefix("after:") {
                Some(key) if !key.is_empty() => Ok(Anchor::After(key.to_string())),
                _ => Err(Invalid::new("anchor", "must be aware, classified or after:KEY")),
            },
        }
    }

    pub fn as_text(&self) -> String {
        match self {
            Anchor::Awareness => "aware".into(),
            Anchor::Classification => "classified".into(),
            Anchor::After(key) => format!("after:{key}"),
        }
    }
}

/// One reporting obligation of a regime.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObligationRule {
    pub regime: String,
    pub key: String,
    pub name: String,
    pub anchor: Anchor,
    pub offset_minutes: i64,
    /// A second deadline that also binds ("and no later than …"): the earlier wins.
    pub latest: Option<(Anchor, i64)>,
}

named_enum! {
    /// Where an obligation stands.
    ObligationState, "state" {
        Pending => "pending",
        DueSoon => "due-soon",
        Overdue => "overdue",
        Submitted => "submitted",
    }
}

/// The times an incident's clocks start from, in Unix ms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clocks {
    pub aware_at: i64,
    pub classified_at: Option<i64>,
}

const MINUTE: i64 = 60_000;

/// One built-in rule: (regime, key, name, anchor, offset in minutes, latest).
type RuleRow = (&'static str, &'static str, &'static str, &'static str, i64, Option<(&'static str, i64)>);

const BUILT_IN: &[RuleRow] = &[
    ("nis2", "early-warning", "NIS2 early warning to the CSIRT or competent authority", "aware", 24 * 60, None),
    ("nis2", "notification", "NIS2 incident notification", "aware", 72 * 60, None),
    ("nis2", "final-report", "NIS2 final report", "after:notification", 30 * 24 * 60, None),
    (
        "gdpr",
        "authority",
        "GDPR notification of a personal data breach to the supervisory authority",
        "aware",
        72 * 60,
        None,
    ),
    (
        "dora",
        "initial",
        "DORA initial notification of a major ICT-related incident",
        "classified",
        4 * 60,
        Some(("aware", 24 * 60)),
    ),
    ("dora", "intermediate", "DORA intermediate report", "after:initial", 72 * 60, None),
    ("dora", "final", "DORA final report", "after:intermediate", 30 * 24 * 60, None),
];

/// The rules Rampart ships: NIS2 (early warning 24 h and notification 72 h
/// after awareness, final report a month after the notification), GDPR
/// (72 h after awareness), DORA (initial 4 h after classification and no
/// later than 24 h after awareness, intermediate 72 h after the initial,
/// final a month after the intermediate). Organisations add their own.
pub fn built_in_rules() -> Vec<ObligationRule> {
    BUILT_IN
        .iter()
        .map(|&(regime, key, name, anchor, minutes, latest)| ObligationRule {
            regime: regime.into(),
            key: key.into(),
            name: name.into(),
            anchor: Anchor::parse(anchor).unwrap_or(Anchor::Awareness),
            offset_minutes: minutes,
            latest: latest.map(|(a, m)| (Anchor::parse(a).unwrap_or(Anchor::Awareness), m)),
        })
        .collect()
}

impl ObligationRule {
    /// Checks a rule an organisation adds.
    pub fn parse(
        regime: &str,
        key: &str,
        name: &str,
        anchor: &str,
        offset_minutes: i64,
        latest: Option<(&str, i64)>,
    ) -> Result<ObligationRule, Invalid> {
        let slug = |field: &str, v: &str| -> Result<String, Invalid> {
            let v = v.trim().to_ascii_lowercase();
            if v.is_empty() || v.len() > 40 || !v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
                return Err(Invalid::new(field, "must be 1 to 40 letters, digits or dashes"));
            }
            Ok(v)
        };
        if !(0..=366 * 24 * 60).contains(&offset_minutes) {
            return Err(Invalid::new("offset_minutes", "must be from 0 to a year of minutes"));
        }
        Ok(ObligationRule {
            regime: slug("regime", regime)?,
            key: slug("obligation", key)?,
            name: crate::validate::name("name", name)?,
            anchor: Anchor::parse(anchor.trim())?,
            offset_minutes,
            latest: latest.map(|(a, m)| Anchor::parse(a.trim()).map(|a| (a, m))).transpose()?,
        })
    }
}

/// Each rule's due time (aligned with `rules`), or `None` while its anchor
/// has not happened (a classification still to come). `submitted` holds the
/// submission time of obligations by key.
pub fn due_times(rules: &[ObligationRule], clocks: Clocks, submitted: &HashMap<String, i64>) -> Vec<Option<i64>> {
    let mut due: Vec<Option<i64>> = vec![None; rules.len()];
    // Rules may refer to each other in any order: settle them in passes.
    for _ in 0..rules.len() {
        for (i, rule) in rules.iter().enumerate() {
            let start = |anchor: &Anchor| -> Option<i64> {
                match anchor {
                    Anchor::Awareness => Some(clocks.aware_at),
                    Anchor::Classification => clocks.classified_at,
                    Anchor::After(key) => submitted.get(key).copied().or_else(|| {
                        rules.iter().position(|r| r.regime == rule.regime && &r.key == key).and_then(|j| due[j])
                    }),
                }
            };
            let first = start(&rule.anchor).map(|t| t + rule.offset_minutes * MINUTE);
            let latest = rule.latest.as_ref().and_then(|(a, m)| start(a).map(|t| t + m * MINUTE));
            due[i] = match (first, latest) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
    }
    due
}

/// The state of an obligation at `now`: due soon in the last quarter of its
/// window (from `start` to `due`).
pub fn state_at(due: Option<i64>, start: i64, submitted: bool, now: i64) -> ObligationState {
    if submitted {
        return ObligationState::Submitted;
    }
    let Some(due) = due else { return ObligationState::Pending };
    if now > due {
        ObligationState::Overdue
    } else if now >= due - (due - start).max(0) / 4 {
        ObligationState::DueSoon
    } else {
        ObligationState::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 60 * MINUTE;

    fn rule(regime: &str, key: &str, anchor: &str, minutes: i64, latest: Option<(&str, i64)>) -> ObligationRule {
        ObligationRule {
            regime: regime.into(),
            key: key.into(),
            name: key.into(),
            anchor: Anchor::parse(anchor).unwrap(),
            offset_minutes: minutes,
            latest: latest.map(|(a, m)| (Anchor::parse(a).unwrap(), m)),
        }
    }

    #[test]
    fn nis2_and_dora_deadlines_follow_their_anchors() {
        let rules = vec![
            rule("nis2", "early-warning", "aware", 24 * 60, None),
            rule("nis2", "notification", "aware", 72 * 60, None),
            rule("nis2", "final-report", "after:notification", 30 * 24 * 60, None),
            rule("dora", "initial", "classified", 4 * 60, Some(("aware", 24 * 60))),
        ];
        let aware = 1_000 * HOUR;
        let unclassified = due_times(&rules, Clocks { aware_at: aware, classified_at: None }, &HashMap::new());
        assert_eq!(unclassified[0], Some(aware + 24 * HOUR));
        assert_eq!(
            unclassified[2],
            Some(aware + 72 * HOUR + 30 * 24 * HOUR),
            "a month after the notification's due time"
        );
        assert_eq!(unclassified[3], Some(aware + 24 * HOUR), "no later than 24 h after awareness");
        let classified = Clocks { aware_at: aware, classified_at: Some(aware + 2 * HOUR) };
        let submitted = HashMap::from([("notification".to_string(), aware + 50 * HOUR)]);
        let due = due_times(&rules, classified, &submitted);
        assert_eq!(due[3], Some(aware + 6 * HOUR), "4 h after classification, earlier than 24 h after awareness");
        assert_eq!(due[2], Some(aware + 50 * HOUR + 30 * 24 * HOUR), "a month after the notification was submitted");
    }

    #[test]
    fn the_built_in_rules_are_the_three_regimes() {
        let rules = built_in_rules();
        let regimes: std::collections::BTreeSet<&str> = rules.iter().map(|r| r.regime.as_str()).collect();
        assert_eq!(regimes.into_iter().collect::<Vec<_>>(), vec!["dora", "gdpr", "nis2"]);
        assert_eq!(rules.iter().find(|r| r.key == "initial").unwrap().latest, Some((Anchor::Awareness, 24 * 60)));
        assert!(ObligationRule::parse("sector", "notice", "Sector regulator notice", "aware", 48 * 60, None).is_ok());
        assert_eq!(ObligationRule::parse("sec tor", "n", "x", "aware", 1, None).unwrap_err().field, "regime");
    }

    #[test]
    fn an_obligation_is_due_soon_in_the_last_quarter_and_then_overdue() {
        let (start, due) = (0, 24 * HOUR);
        assert_eq!(state_at(Some(due), start, false, 17 * HOUR), ObligationState::Pending);
        assert_eq!(state_at(Some(due), start, false, 19 * HOUR), ObligationState::DueSoon);
        assert_eq!(state_at(Some(due), start, false, 25 * HOUR), ObligationState::Overdue);
        assert_eq!(state_at(Some(due), start, true, 25 * HOUR), ObligationState::Submitted);
        assert_eq!(state_at(None, start, false, 25 * HOUR), ObligationState::Pending);
        assert!(Anchor::parse("after:").is_err());
    }
}
