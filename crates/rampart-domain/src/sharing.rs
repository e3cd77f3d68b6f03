//! Sharing within communities: who may see a shared item, from its TLP 2.0
//! marking and the distribution its owner chose. docs/SHARING.md states the
//! rule; the store enforces it in its queries, and a test checks the two
//! agree for every marking, distribution and kind of viewer.

use serde::{Deserialize, Serialize};

use crate::Invalid;
use crate::incident::Marking;

named_enum! {
    /// How far the owner sends an item.
    Distribution, "distribution" {
        /// It stays in the owner's organisation.
        Organisation => "organisation",
        /// The active members of the community it is shared in.
        Community => "community",
        /// Those, and the active members of the communities connected to it.
        Connected => "connected",
        /// Every organisation on this instance.
        All => "all",
    }
}

named_enum! {
    /// What a member organisation may do in a community.
    MemberRole, "role" {
        /// Invites and removes members, connects communities, shares.
        Owner => "owner",
        /// Shares items.
        Contributor => "contributor",
        /// Sees what is shared.
        Reader => "reader",
    }
}

impl Distribution {
    fn rank(self) -> u8 {
        match self {
            Distribution::Organisation => 0,
            Distribution::Community => 1,
            Distribution::Connected => 2,
            Distribution::All => 3,
        }
    }

    /// The narrower of two distributions.
    pub fn min(self, other: Distribution) -> Distribution {
        if self.rank() <= other.rank() { self } else { other }
    }
}

/// How far an item actually reaches: its distribution, narrowed by its
/// marking. CLEAR goes as far as the owner sends it; GREEN at most to the
/// connected communities (a community, never the public); AMBER,
/// AMBER+STRICT and RED at most to the item's own community.
pub fn reach(marking: Marking, distribution: Distribution) -> Distribution {
    let cap = match marking {
        Marking::Clear => Distribution::All,
        Marking::Green => Distribution::Connected,
        Marking::Amber | Marking::AmberStrict | Marking::Red => Distribution::Community,
    };
    distribution.min(cap)
}

/// A forwarded copy never reaches further than the item it copies, nor is
/// marked less strictly: the forwarded distribution is narrowed to the
/// original's reach, and `connected` becomes `community` at each hop.
pub fn forward(marking: Marking, original: Distribution, wanted: Distribution) -> Distribution {
    let hop = match reach(marking, original) {
        Distribution::Connected => Distribution::Community,
        other => other,
    };
    wanted.min(hop)
}

/// What the rule needs to know of the world: memberships, connections, clients.
pub trait SharingWorld {
    /// An active member (invitations not yet accepted do not count).
    fn is_member(&self, org: &str, community: &str) -> bool;
    /// The communities connected to this one (either way round).
    fn connected(&self, community: &str) -> Vec<String>;
    /// The organisations that recorded `org` as their client.
    fn providers_of(&self, org: &str) -> Vec<String>;
    fn exists(&self, org: &str) -> bool;
}

/// A shared item as the rule sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    pub owner: String,
    pub community: String,
    pub marking: Marking,
    pub distribution: Distribution,
    /// For TLP:RED: the organisations named as recipients.
    pub recipients: Vec<String>,
}

/// Whether `org` is among the organisations the item is sent to.
fn in_audience(scope: &Scope, org: &str, world: &dyn SharingWorld) -> bool {
    match reach(scope.marking, scope.distribution) {
        Distribution::Organisation => false,
        Distribution::Community => world.is_member(org, &scope.community),
        Distribution::Connected => {
            world.is_member(org, &scope.community)
                || world.connected(&scope.community).iter().any(|c| world.is_member(org, c))
        }
        Distribution::All => world.exists(org),
    }
}

/// The rule (docs/SHARING.md): the owner always sees its item; otherwise
/// RED reaches the named recipients among the audience, AMBER+STRICT,
/// GREEN and CLEAR the audience, AMBER the audience and the clients each
/// organisation of it recorded.
pub fn may_see(scope: &Scope, viewer: &str, world: &dyn SharingWorld) -> bool {
    if viewer == scope.owner {
        return true;
    }
    match scope.marking {
        Marking::Red => scope.recipients.iter().any(|r| r == viewer) && in_audience(scope, viewer, world),
        Marking::Amber => {
            in_audience(scope, viewer, world) || world.providers_of(viewer).iter().any(|p| in_audience(scope, p, world))
        }
        Marking::AmberStrict | Marking::Green | Marking::Clear => in_audience(scope, viewer, world),
    }
}

/// Checks what an owner asks for: RED names its recipients, others do not.
pub fn check_recipients(marking: Marking, recipients: &[String]) -> Result<(), Invalid> {
    match (marking, recipients.is_empty()) {
        (Marking::Red, true) => Err(Invalid::new("recipients", "TLP:RED names the organisations it is for")),
        (Marking::Red, false) | (_, true) => Ok(()),
        (_, false) => Err(Invalid::new("recipients", "only TLP:RED names recipients; the others go by distribution")),
    }
}

/// What of an incident its owner lets leave, as a shared item of kind
/// `incident-summary`: the owner's own words, and only the facts and
/// observables ticked. Nothing else of the incident (its description,
/// people, costs, tasks, evidence, timeline) goes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SummaryChoice {
    /// What happened, written for the community.
    pub summary: String,
    #[serde(default)]
    pub category: bool,
    #[serde(default)]
    pub severity: bool,
    /// Which of confidentiality, integrity, availability were affected.
    #[serde(default)]
    pub impact: bool,
    /// The days it occurred and was detected (not the times).
    #[serde(default)]
    pub dates: bool,
    /// Ids of the incident's observables to include.
    #[serde(default)]
    pub observables: Vec<String>,
}

/// Longest summary text.
pub const MAX_SUMMARY: usize = 8000;

impl SummaryChoice {
    pub fn check(mut self) -> Result<SummaryChoice, Invalid> {
        self.summary = crate::validate::optional_text("summary", &self.summary, MAX_SUMMARY)?;
        if self.summary.is_empty() {
            return Err(Invalid::new("summary", "is required: say what happened, in words fit for the community"));
        }
        if self.observables.len() > 500 {
            return Err(Invalid::new("observables", "at most 500 observables go in one summary"));
        }
        Ok(self)
    }

    /// The summary's body: the text and what was ticked of `incident`, with
    /// `observables` (kind, value) already chosen and checked.
    pub fn body(
        &self,
        incident: &crate::incident::IncidentFields,
        observables: &[(String, String)],
    ) -> serde_json::Value {
        let mut body = serde_json::json!({"summary": self.summary});
        if self.category {
            body["category"] = serde_json::json!(incident.category.as_str());
        }
        if self.severity {
            body["severity"] = serde_json::json!(incident.severity);
        }
        if self.impact {
            body["impact"] = serde_json::json!({"confidentiality": incident.confidentiality,
                "integrity": incident.integrity, "availability": incident.availability});
        }
        if self.dates {
            let day = |ms: i64| {
                time::OffsetDateTime::from_unix_timestamp(ms / 1000).map(|t| t.date().to_string()).unwrap_or_default()
            };
            body["occurred_on"] = serde_json::json!(incident.occurred_at.map(day));
            body["detected_on"] = serde_json::json!(incident.detected_at.map(day));
        }
        body["observables"] =
            observables.iter().map(|(kind, value)| serde_json::json!({"kind": kind, "value": value})).collect();
        body
    }
}

/// An observable may go in a summary only if the summary is marked at least
/// as strictly as the observable.
pub fn check_observable_marking(summary: Marking, observable: Marking, index: usize) -> Result<(), Invalid> {
    if summary.at_least(observable) {
        Ok(())
    } else {
        Err(Invalid::new(
            format!("observables[{index}]"),
            format!(
                "is marked TLP:{}, stricter than the summary's TLP:{}: mark the summary at least as strictly, or leave it out",
                observable.as_str().to_uppercase(),
                summary.as_str().to_uppercase()
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_observable_never_leaves_under_a_looser_marking() {
        assert!(check_observable_marking(Marking::Amber, Marking::Green, 0).is_ok());
        assert!(check_observable_marking(Marking::Amber, Marking::Amber, 0).is_ok());
        let refused = check_observable_marking(Marking::Green, Marking::AmberStrict, 3).unwrap_err();
        assert_eq!(refused.field, "observables[3]");
        assert!(refused.reason.contains("TLP:AMBER+STRICT"));
        assert!(check_observable_marking(Marking::Amber, Marking::Red, 0).is_err());
    }

    #[test]
    fn a_summary_carries_only_what_was_ticked() {
        let incident = crate::incident::IncidentFields::reported(
            "Ransomware at the plant",
            crate::incident::IncidentCategory::MaliciousCode,
            1_767_225_600_000,
        );
        let choice = SummaryChoice { summary: " Encrypted file servers ".into(), severity: true, ..Default::default() }
            .check()
            .unwrap();
        let body = choice.body(&incident, &[("ipv4".into(), "198.51.100.7".into())]);
        assert_eq!(body["summary"], "Encrypted file servers");
        assert_eq!(body["severity"], 2);
        assert!(body.get("category").is_none() && body.get("impact").is_none() && body.get("occurred_on").is_none());
        assert!(!body.to_string().contains("plant"), "the incident's own title and description stay home");
        assert_eq!(body["observables"][0]["value"], "198.51.100.7");
        assert_eq!(SummaryChoice::default().check().unwrap_err().field, "summary");
    }

    #[test]
    fn the_marking_narrows_the_distribution() {
        use Distribution::*;
        assert_eq!(reach(Marking::Clear, All), All);
        assert_eq!(reach(Marking::Green, All), Connected, "GREEN is for a community, never the public");
        assert_eq!(reach(Marking::Amber, Connected), Community);
        assert_eq!(reach(Marking::Red, All), Community);
        assert_eq!(reach(Marking::Clear, Organisation), Organisation);
    }

    #[test]
    fn forwarding_never_widens() {
        use Distribution::*;
        assert_eq!(forward(Marking::Green, Connected, All), Community, "connected narrows to community at each hop");
        assert_eq!(forward(Marking::Clear, All, All), All);
        assert_eq!(forward(Marking::Amber, Community, Connected), Community);
        assert_eq!(forward(Marking::Clear, Organisation, All), Organisation);
    }

    #[test]
    fn red_names_its_recipients() {
        assert!(check_recipients(Marking::Red, &[]).is_err());
        assert!(check_recipients(Marking::Red, &["b".into()]).is_ok());
        assert!(check_recipients(Marking::Green, &["b".into()]).is_err());
    }
}

named_enum! {
    /// How urgent an advisory is.
    AdvisorySeverity, "severity" {
        Low => "low",
        Medium => "medium",
        High => "high",
        Critical => "critical",
    }
}

/// What an authority or provider warns its community of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Advisory {
    pub severity: AdvisorySeverity,
    /// Affected products, one each.
    pub affected: Vec<String>,
    /// What members should do.
    pub actions: String,
    /// http(s) addresses for more.
    pub references: Vec<String>,
}

impl Advisory {
    pub fn check(mut self) -> Result<Advisory, Invalid> {
        self.affected = self.affected.iter().map(|a| a.trim().to_string()).filter(|a| !a.is_empty()).collect();
        if self.affected.len() > 100 || self.affected.iter().any(|a| a.chars().count() > 200) {
            return Err(Invalid::new("affected", "at most 100 products of at most 200 characters"));
        }
        self.actions = crate::validate::optional_text("actions", &self.actions, 8000)?;
        if self.actions.is_empty() {
            return Err(Invalid::new("actions", "is required: say what members should do"));
        }
        self.references = self.references.iter().map(|r| r.trim().to_string()).filter(|r| !r.is_empty()).collect();
        for (i, r) in self.references.iter().enumerate() {
            if !(r.starts_with("https://") || r.starts_with("http://"))
                || r.len() > 2000
                || r.contains(char::is_whitespace)
            {
                return Err(Invalid::new(format!("references[{i}]"), "must be an http or https address"));
            }
        }
        Ok(self)
    }
}

#[cfg(test)]
mod advisory_tests {
    use super::*;

    #[test]
    fn an_advisory_says_what_to_do_and_where_to_read_more() {
        let a = Advisory {
            severity: AdvisorySeverity::Critical,
            affected: vec![" VPN 9.1 ".into(), "".into()],
            actions: "Upgrade to 9.2".into(),
            references: vec!["https://nvd.nist.gov/vuln/detail/CVE-2024-3400".into()],
        };
        assert_eq!(a.clone().check().unwrap().affected, ["VPN 9.1"]);
        assert_eq!(Advisory { actions: " ".into(), ..a.clone() }.check().unwrap_err().field, "actions");
        assert_eq!(
            Advisory { references: vec!["javascript:alert(1)".into()], ..a }.check().unwrap_err().field,
            "references[0]"
        );
    }
}
