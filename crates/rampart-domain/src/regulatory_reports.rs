//! What each regulatory report asks for, as data, and which regimes an
//! incident's impact suggests. The server fills a draft's fields from what
//! the case knows; what only the analyst can say is marked to complete.
//!
//! The field lists follow what the texts ask of each report (NIS2 Article 23,
//! GDPR Article 33(3), DORA Article 19 and its reporting standards), in our
//! own words and shortened to what an analyst fills in. They are a start for
//! the report, not the authority's form.

use serde::Serialize;

use crate::incident::{Determination, IncidentFields};

/// A fact of the case a draft's field is filled from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fact {
    /// Title and category.
    Summary,
    Description,
    /// Occurred, detected, aware and classified times.
    Times,
    /// Whether the case is suspected to be caused by an unlawful or malicious act.
    Malicious,
    CrossBorder,
    /// Severity, determination, the CIA impact, people affected, estimated cost.
    Impact,
    PeopleAffected,
    /// Indicators of compromise among the observables.
    Indicators,
    AffectedAssets,
    /// The response so far: lifecycle moves and timeline notes.
    Measures,
    /// Owner, team and reporter of the case.
    Contact,
    /// Earlier reports of the same regime with their references.
    EarlierReports,
    /// Where the case stands in its lifecycle.
    State,
}

/// One field of a report draft.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DraftField {
    pub key: &'static str,
    pub label: &'static str,
    /// Where the value comes from; `None` when only the analyst can say.
    pub fact: Option<Fact>,
}

const fn from(key: &'static str, label: &'static str, fact: Fact) -> DraftField {
    DraftField { key, label, fact: Some(fact) }
}

const fn manual(key: &'static str, label: &'static str) -> DraftField {
    DraftField { key, label, fact: None }
}

const COMMON: &[DraftField] = &[
    from("summary", "Incident", Fact::Summary),
    from("times", "Occurred, detected, aware, classified", Fact::Times),
    from("contact", "Contact for this report", Fact::Contact),
];

const NIS2_EARLY_WARNING: &[DraftField] = &[
    from("malicious", "Suspected to be caused by unlawful or malicious acts", Fact::Malicious),
    from("cross_border", "Could have a cross-border impact", Fact::CrossBorder),
    manual("support", "Assistance requested from the CSIRT, if any"),
];

const NIS2_NOTIFICATION: &[DraftField] = &[
    from("earlier", "Early warning sent", Fact::EarlierReports),
    from("impact", "Initial assessment: severity and impact", Fact::Impact),
    from("description", "What happened", Fact::Description),
    from("indicators", "Indicators of compromise", Fact::Indicators),
    from("malicious", "Suspected to be caused by unlawful or malicious acts", Fact::Malicious),
    from("cross_border", "Cross-border impact", Fact::CrossBorder),
];

const NIS2_FINAL: &[DraftField] = &[
    from("earlier", "Earlier reports", Fact::EarlierReports),
    from("description", "Detailed description", Fact::Description),
    from("impact", "Severity and impact", Fact::Impact),
    manual("root_cause", "Type of threat or root cause that likely triggered the incident"),
    from("measures", "Mitigation measures applied and ongoing", Fact::Measures),
    from("cross_border", "Cross-border impact", Fact::CrossBorder),
    from("state", "Where the incident stands", Fact::State),
];

const GDPR_AUTHORITY: &[DraftField] = &[
    from("nature", "Nature of the breach", Fact::Description),
    from("subjects", "Approximate number of data subjects concerned", Fact::PeopleAffected),
    manual(
        "categories",
        "Categories of data subjects and of personal data records concerned, and approximate number of records",
    ),
    manual("dpo", "Name and contact details of the data protection officer"),
    from("impact", "Likely consequences of the breach", Fact::Impact),
    from("measures", "Measures taken or proposed, including to mitigate adverse effects", Fact::Measures),
    manual("delay", "Reasons for any delay beyond 72 hours"),
];

const DORA_INITIAL: &[DraftField] = &[
    from("description", "Description of the incident", Fact::Description),
    manual(
        "criteria",
        "Classification criteria that make it major (clients, duration, spread, data, critical services, economic impact)",
    ),
    from("impact", "Impact", Fact::Impact),
    from("assets", "Affected services and systems", Fact::AffectedAssets),
    from("cross_border", "Member states affected", Fact::CrossBorder),
    from("malicious", "Origin: malicious or not", Fact::Malicious),
    manual("continuity", "Whether the business continuity plan was activated"),
];

const DORA_INTERMEDIATE: &[DraftField] = &[
    from("earlier", "Initial notification", Fact::EarlierReports),
    from("impact", "Updated impact", Fact::Impact),
    from("indicators", "Indicators of compromise", Fact::Indicators),
    from("measures", "Measures taken so far", Fact::Measures),
    from("state", "Where the incident stands", Fact::State),
    manual("recovery", "Expected time to recover the affected services"),
];

const DORA_FINAL: &[DraftField] = &[
    from("earlier", "Earlier reports", Fact::EarlierReports),
    manual("root_cause", "Root causes"),
    from("measures", "Measures taken to resolve the incident", Fact::Measures),
    from("impact", "Final impact, with direct and indirect costs", Fact::Impact),
    manual("lessons", "Lessons learned and improvements planned"),
];

/// The fields of the report for an obligation: the common ones, then what
/// the regime asks of this report. An organisation's own rules get the
/// common fields and every fact the case holds.
pub fn draft_fields(regime: &str, obligation: &str) -> Vec<DraftField> {
    let specific: &[DraftField] = match (regime, obligation) {
        ("nis2", "early-warning") => NIS2_EARLY_WARNING,
        ("nis2", "notification") => NIS2_NOTIFICATION,
        ("nis2", "final-report") => NIS2_FINAL,
        ("gdpr", "authority") => GDPR_AUTHORITY,
        ("dora", "initial") => DORA_INITIAL,
        ("dora", "intermediate") => DORA_INTERMEDIATE,
        ("dora", "final") => DORA_FINAL,
        _ => &[
            from("description", "What happened", Fact::Description),
            from("impact", "Impact", Fact::Impact),
            from("assets", "Affected assets", Fact::AffectedAssets),
            from("indicators", "Indicators of compromise", Fact::Indicators),
            from("measures", "Measures taken", Fact::Measures),
            from("earlier", "Earlier reports", Fact::EarlierReports),
            from("state", "Where the incident stands", Fact::State),
        ],
    };
    COMMON.iter().chain(specific).copied().collect()
}

/// A regime the impact suggests, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suggestion {
    pub regime: &'static str,
    pub reason: String,
}

/// Euros of loss at which NIS2's implementing rules treat an incident as
/// significant for most entities (Regulation (EU) 2024/2690, Article 3).
pub const NIS2_SIGNIFICANT_LOSS: i64 = 500_000;
/// Euros of economic impact DORA's classification standard counts as a
/// threshold (Delegated Regulation (EU) 2024/1772, Article 7).
pub const DORA_ECONOMIC_THRESHOLD: i64 = 100_000;
/// Clients affected that DORA's classification standard counts as a threshold.
pub const DORA_CLIENTS_THRESHOLD: i64 = 100_000;

/// The built-in regimes an incident's impact suggests, each with the reason,
/// for the analyst to confirm: a suggestion never applies a regime by itself
/// (whether DORA applies at all depends on the organisation being a
/// financial entity, and a false positive is not a breach).
pub fn suggest_regimes(f: &IncidentFields) -> Vec<Suggestion> {
    if matches!(f.determination, Determination::FalsePositive) {
        return Vec::new();
    }
    let mut out = Vec::new();
    let people = f.people_affected.unwrap_or(0);
    let cost = f.estimated_cost.unwrap_or(0);
    let touched = f.harmed();
    if people > 0 && !touched.is_empty() {
        out.push(Suggestion {
            regime: "gdpr",
            reason: format!(
                "{people} people affected and the {} of data harmed: if it is personal data, the supervisory authority must hear within 72 hours unless the breach is unlikely to be a risk to them",
                touched.join(", ")
            ),
        });
    }
    let severe = f.severity >= 3 && (f.availability || f.integrity);
    if severe || cost >= NIS2_SIGNIFICANT_LOSS || (f.cross_border && f.severity >= 3) {
        let why = if cost >= NIS2_SIGNIFICANT_LOSS {
            format!("an estimated loss of {cost} (from {NIS2_SIGNIFICANT_LOSS} an incident is significant)")
        } else if severe {
            format!("severity {} with the {} of services harmed", f.severity, touched.join(", "))
        } else {
            "a severe incident with cross-border impact".to_string()
        };
        out.push(Suggestion {
            regime: "nis2",
            reason: format!("{why}: a significant incident for an essential or important entity"),
        });
    }
    if f.severity >= 3 && (f.cross_border || people >= DORA_CLIENTS_THRESHOLD || cost >= DORA_ECONOMIC_THRESHOLD) {
        let mut why = Vec::new();
        if f.cross_border {
            why.push("other member states affected".to_string());
        }
        if people >= DORA_CLIENTS_THRESHOLD {
            why.push(format!("{people} clients affected"));
        }
        if cost >= DORA_ECONOMIC_THRESHOLD {
            why.push(format!("an economic impact of {cost}"));
        }
        out.push(Suggestion {
            regime: "dora",
            reason: format!(
                "severity {} and {}: a major ICT-related incident if the organisation is a financial entity",
                f.severity,
                why.join(", ")
            ),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incident::IncidentCategory;

    fn fields() -> IncidentFields {
        IncidentFields::reported("Phishing", IncidentCategory::Fraud, 0)
    }

    fn regimes(f: &IncidentFields) -> Vec<&'static str> {
        suggest_regimes(f).into_iter().map(|s| s.regime).collect()
    }

    #[test]
    fn the_impact_suggests_regimes_with_reasons() {
        assert!(regimes(&fields()).is_empty(), "a low incident with no harm suggests nothing");
        let breach = IncidentFields { confidentiality: true, people_affected: Some(1200), ..fields() };
        assert_eq!(regimes(&breach), ["gdpr"]);
        assert!(suggest_regimes(&breach)[0].reason.starts_with("1200 people affected and the confidentiality"));
        let outage = IncidentFields { severity: 4, availability: true, ..fields() };
        assert_eq!(regimes(&outage), ["nis2"]);
        let costly = IncidentFields { estimated_cost: Some(NIS2_SIGNIFICANT_LOSS), ..fields() };
        assert_eq!(regimes(&costly), ["nis2"], "a loss from the threshold is significant at any severity");
        let spread = IncidentFields { severity: 3, cross_border: true, availability: true, ..fields() };
        assert_eq!(regimes(&spread), ["nis2", "dora"]);
        let false_positive = IncidentFields { determination: Determination::FalsePositive, ..breach };
        assert!(regimes(&false_positive).is_empty(), "a false positive is no breach");
    }

    #[test]
    fn every_built_in_obligation_has_its_own_draft() {
        for rule in crate::regulatory::built_in_rules() {
            let fields = draft_fields(&rule.regime, &rule.key);
            assert!(fields.len() > COMMON.len() + 2, "{}/{}", rule.regime, rule.key);
            let mut keys: Vec<&str> = fields.iter().map(|f| f.key).collect();
            keys.sort_unstable();
            keys.dedup();
            assert_eq!(keys.len(), fields.len(), "keys are unique in {}/{}", rule.regime, rule.key);
        }
        let gdpr = draft_fields("gdpr", "authority");
        assert!(gdpr.iter().any(|f| f.key == "dpo" && f.fact.is_none()), "only the analyst knows the DPO");
        assert!(draft_fields("sector", "notice").iter().any(|f| f.fact == Some(Fact::Indicators)));
    }
}
