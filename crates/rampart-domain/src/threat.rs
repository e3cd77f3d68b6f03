//! Threats of the risk register: a catalog with categories, written by hand
//! or imported from MITRE ATT&CK (a STIX 2.1 bundle).

use serde::Serialize;

use crate::Invalid;

/// Where a threat comes from.
pub const SOURCE_CUSTOM: &str = "custom";
pub const SOURCE_ATTACK: &str = "mitre-attack";

/// Longest description kept (ATT&CK descriptions are cut to it).
pub const MAX_DESCRIPTION: usize = 8000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ThreatFields {
    pub name: String,
    /// A category such as an ATT&CK tactic (`initial-access`) or one of the
    /// organisation's own.
    pub category: String,
    pub description: String,
    /// `custom` or `mitre-attack`.
    pub source: String,
    /// The technique id for imported threats (`T0803`).
    pub external_id: Option<String>,
}

fn cut(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

impl ThreatFields {
    /// A threat written by hand.
    pub fn custom(name: &str, category: &str, description: &str) -> Result<ThreatFields, Invalid> {
        let description = crate::validate::optional_text("description", description, MAX_DESCRIPTION)?;
        Ok(ThreatFields {
            name: crate::validate::name("name", name)?,
            category: crate::validate::label("category", category)?,
            description,
            source: SOURCE_CUSTOM.to_string(),
            external_id: None,
        })
    }
}

/// The techniques of an ATT&CK STIX 2.1 bundle as threats: attack patterns
/// that are neither revoked nor deprecated, categorised by their first
/// tactic, identified by their ATT&CK id.
pub fn attack_threats(bundle: &serde_json::Value) -> Result<Vec<ThreatFields>, Invalid> {
    if bundle.get("type").and_then(|t| t.as_str()) != Some("bundle") {
        return Err(Invalid::new("bundle", "is not a STIX bundle (no \"type\": \"bundle\")"));
    }
    let objects =
        bundle.get("objects").and_then(|o| o.as_array()).ok_or_else(|| Invalid::new("bundle", "has no objects"))?;
    let mut threats = Vec::new();
    for object in objects {
        let field = |name: &str| object.get(name);
        if field("type").and_then(|t| t.as_str()) != Some("attack-pattern")
            || field("revoked").and_then(|r| r.as_bool()) == Some(true)
            || field("x_mitre_deprecated").and_then(|r| r.as_bool()) == Some(true)
        {
            continue;
        }
        let external_id = field("external_references").and_then(|r| r.as_array()).and_then(|refs| {
            refs.iter()
                .find(|r| r.get("source_name").and_then(|s| s.as_str()) == Some("mitre-attack"))
                .and_then(|r| r.get("external_id").and_then(|e| e.as_str()))
                .map(str::to_string)
        });
        let (Some(name), Some(external_id)) = (field("name").and_then(|n| n.as_str()), external_id) else { continue };
        let category = field("kill_chain_phases")
            .and_then(|k| k.as_array())
            .and_then(|phases| phases.first())
            .and_then(|p| p.get("phase_name"))
            .and_then(|p| p.as_str())
            .unwrap_or("uncategorised");
        threats.push(ThreatFields {
            name: cut(name.trim(), crate::validate::MAX_NAME),
            category: cut(category, crate::validate::MAX_LABEL),
            description: cut(field("description").and_then(|d| d.as_str()).unwrap_or_default(), MAX_DESCRIPTION),
            source: SOURCE_ATTACK.to_string(),
            external_id: Some(cut(&external_id, 40)),
        });
    }
    Ok(threats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn live_attack_patterns_become_threats() {
        let bundle = json!({"type": "bundle", "id": "bundle--1", "objects": [
            {"type": "attack-pattern", "name": "Block Command Message", "description": "d",
             "kill_chain_phases": [{"kill_chain_name": "mitre-ics-attack", "phase_name": "inhibit-response-function"}],
             "external_references": [{"source_name": "mitre-attack", "external_id": "T0803"}]},
            {"type": "attack-pattern", "name": "Old", "revoked": true, "external_references": [{"source_name": "mitre-attack", "external_id": "T0001"}]},
            {"type": "attack-pattern", "name": "Gone", "x_mitre_deprecated": true, "external_references": [{"source_name": "mitre-attack", "external_id": "T0002"}]},
            {"type": "malware", "name": "Stuxnet"}
        ]});
        let threats = attack_threats(&bundle).unwrap();
        assert_eq!(threats.len(), 1);
        assert_eq!(
            (threats[0].external_id.as_deref(), threats[0].category.as_str()),
            (Some("T0803"), "inhibit-response-function")
        );
        assert!(attack_threats(&json!({"type": "report"})).is_err());
    }

    #[test]
    fn custom_threats_are_checked() {
        assert_eq!(ThreatFields::custom(" ", "fraud", "").unwrap_err().field, "name");
        assert_eq!(ThreatFields::custom("Insider fraud", "", "").unwrap_err().field, "category");
        assert_eq!(ThreatFields::custom("Insider fraud", "fraud", "").unwrap().source, "custom");
    }
}
