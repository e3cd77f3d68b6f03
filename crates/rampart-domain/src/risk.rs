//! Risk scenarios: what could happen to which assets, how likely and how bad
//! it is before and after treatment, and who accepted what remains.

use serde::{Deserialize, Serialize};

use crate::Invalid;
use crate::risk_matrix::{Rating, RiskMatrix};

named_enum! {
    /// The risk treatment option chosen (ISO/IEC 27005).
    Treatment, "treatment" {
        /// Not decided yet.
        Undecided => "undecided",
        Mitigate => "mitigate",
        Accept => "accept",
        Transfer => "transfer",
        Avoid => "avoid",
    }
}

/// Longest description accepted.
pub const MAX_DESCRIPTION: usize = 8000;
/// Longest review cadence: ten years.
pub const MAX_REVIEW_DAYS: u32 = 3650;

/// The four ratings of a scenario: before any control (inherent), today
/// (current), once the planned treatment is done (residual), and the goal.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ratings {
    pub inherent: Option<Rating>,
    pub current: Option<Rating>,
    pub residual: Option<Rating>,
    pub target: Option<Rating>,
}

impl Ratings {
    /// (name, rating) in the order people read them.
    pub fn named(&self) -> [(&'static str, Option<Rating>); 4] {
        [("inherent", self.inherent), ("current", self.current), ("residual", self.residual), ("target", self.target)]
    }

    pub fn check(&self, matrix: &RiskMatrix) -> Result<(), Invalid> {
        for (name, rating) in self.named() {
            if let Some(r) = rating {
                matrix.check(name, r)?;
            }
        }
        Ok(())
    }
}

/// The editable fields of a risk scenario, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RiskFields {
    pub name: String,
    pub description: String,
    pub owner: String,
    /// The threat of the catalog this scenario is about, if named.
    pub threat_id: Option<String>,
    #[serde(flatten)]
    pub ratings: Ratings,
    pub treatment: Treatment,
    /// Review the scenario at least this often; `None`: no cadence.
    pub review_every_days: Option<u32>,
}

impl RiskFields {
    /// Checks the text fields and the ratings against the organisation's matrix.
    #[allow(clippy::too_many_arguments)]
    pub fn parse(
        name: &str,
        description: &str,
        owner: &str,
        threat_id: Option<&str>,
        ratings: Ratings,
        treatment: &str,
        review_every_days: Option<u32>,
        matrix: &RiskMatrix,
    ) -> Result<RiskFields, Invalid> {
        let description = crate::validate::optional_text("description", description, MAX_DESCRIPTION)?;
        let owner = crate::validate::owner(owner)?;
        if let Some(days) = review_every_days
            && !(1..=MAX_REVIEW_DAYS).contains(&days)
        {
            return Err(Invalid::new("review_every_days", format!("must be 1 to {MAX_REVIEW_DAYS} days")));
        }
        ratings.check(matrix)?;
        Ok(RiskFields {
            name: crate::validate::name("name", name)?,
            description,
            owner,
            threat_id: threat_id.map(str::trim).filter(|t| !t.is_empty()).map(String::from),
            ratings,
            treatment: Treatment::parse(treatment)?,
            review_every_days,
        })
    }
}

/// When the next review is due, if the scenario has a cadence.
pub fn next_review_ms(last_reviewed_ms: i64, every_days: Option<u32>) -> Option<i64> {
    every_days.map(|d| last_reviewed_ms + i64::from(d) * 86_400_000)
}

named_enum! {
    /// Where a risk acceptance stands.
    AcceptanceState, "state" {
        Submitted => "submitted",
        Accepted => "accepted",
        Rejected => "rejected",
        Revoked => "revoked",
    }
}

named_enum! {
    /// What an approver decides about an acceptance.
    Decision, "decision" {
        Accept => "accept",
        Reject => "reject",
        Revoke => "revoke",
    }
}

impl AcceptanceState {
    /// The state a decision leads to from this one, or why it cannot be taken:
    /// submitted → accepted | rejected; accepted → revoked. Rejected and
    /// revoked are final: a new acceptance is submitted instead.
    pub fn after(self, decision: Decision) -> Result<AcceptanceState, String> {
        use AcceptanceState::*;
        match (self, decision) {
            (Submitted, Decision::Accept) => Ok(Accepted),
            (Submitted, Decision::Reject) => Ok(Rejected),
            (Accepted, Decision::Revoke) => Ok(Revoked),
            (from, d) => Err(format!(
                "an acceptance that is {from} cannot be {}; {}",
                match d {
                    Decision::Accept => "accepted",
                    Decision::Reject => "rejected",
                    Decision::Revoke => "revoked",
                },
                match from {
                    Submitted => "accept or reject it",
                    Accepted => "it can only be revoked",
                    Rejected | Revoked => "submit a new acceptance",
                }
            )),
        }
    }

    /// Submitted or accepted: the scenario has an acceptance under way or in force.
    pub fn is_open(self) -> bool {
        matches!(self, AcceptanceState::Submitted | AcceptanceState::Accepted)
    }
}

/// Longest justification or decision note accepted.
pub const MAX_JUSTIFICATION: usize = 4000;
/// Most days before expiry a reminder may be set to.
pub const MAX_REMIND_DAYS: u32 = 365;

/// A request to accept a scenario's risk, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AcceptanceRequest {
    pub justification: String,
    pub approver_id: String,
    pub expires_at: i64,
    pub remind_days: u32,
}

impl AcceptanceRequest {
    pub fn parse(
        justification: &str,
        approver_id: &str,
        expires_at: i64,
        remind_days: u32,
        now: i64,
    ) -> Result<AcceptanceRequest, Invalid> {
        let justification = justification.trim();
        if justification.is_empty() {
            return Err(Invalid::new("justification", "is required: say why the risk may be accepted"));
        }
        if justification.chars().count() > MAX_JUSTIFICATION {
            return Err(Invalid::new("justification", format!("must be at most {MAX_JUSTIFICATION} characters")));
        }
        if approver_id.trim().is_empty() {
            return Err(Invalid::new("approver_id", "is required: name the admin who decides"));
        }
        if expires_at <= now {
            return Err(Invalid::new("expires_at", "must be in the future: an acceptance is always for a time"));
        }
        if expires_at > now + i64::from(crate::risk::MAX_REVIEW_DAYS) * 86_400_000 {
            return Err(Invalid::new("expires_at", "must be within ten years"));
        }
        if remind_days > MAX_REMIND_DAYS {
            return Err(Invalid::new("remind_days", format!("must be 0 to {MAX_REMIND_DAYS} days")));
        }
        Ok(AcceptanceRequest {
            justification: justification.to_string(),
            approver_id: approver_id.trim().to_string(),
            expires_at,
            remind_days,
        })
    }
}

/// How an accepted risk's acceptance stands in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AcceptanceTerm {
    /// In force, and the reminder time has not come.
    InForce,
    /// In force, within the reminder period before expiry.
    ExpiringSoon,
    /// Past its expiry: the risk is no longer accepted.
    Expired,
}

pub fn acceptance_term(expires_at: i64, remind_days: u32, now: i64) -> AcceptanceTerm {
    if now >= expires_at {
        AcceptanceTerm::Expired
    } else if now >= expires_at - i64::from(remind_days) * 86_400_000 {
        AcceptanceTerm::ExpiringSoon
    } else {
        AcceptanceTerm::InForce
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rating(likelihood: u8, impact: u8) -> Option<Rating> {
        Some(Rating { likelihood, impact })
    }

    #[test]
    fn scenario_fields_are_checked_against_the_matrix() {
        let m = RiskMatrix::default();
        let ratings = Ratings { inherent: rating(5, 5), current: rating(4, 4), residual: rating(2, 4), target: None };
        let ok = RiskFields::parse(" Ransomware ", "", "CISO", Some(""), ratings, "mitigate", Some(90), &m).unwrap();
        assert_eq!((ok.name.as_str(), ok.threat_id, ok.treatment), ("Ransomware", None, Treatment::Mitigate));

        let off = Ratings { residual: rating(6, 1), ..ratings };
        let err = RiskFields::parse("x", "", "", None, off, "mitigate", None, &m).unwrap_err();
        assert_eq!(err.field, "residual.likelihood");
        assert_eq!(RiskFields::parse("x", "", "", None, ratings, "ignore", None, &m).unwrap_err().field, "treatment");
        let err = RiskFields::parse("x", "", "", None, ratings, "accept", Some(0), &m).unwrap_err();
        assert_eq!(err.field, "review_every_days");
    }

    #[test]
    fn reviews_fall_due_after_the_cadence() {
        assert_eq!(next_review_ms(1_000, Some(1)), Some(1_000 + 86_400_000));
        assert_eq!(next_review_ms(1_000, None), None);
    }

    #[test]
    fn the_acceptance_workflow_allows_only_its_transitions() {
        use AcceptanceState::*;
        assert_eq!(Submitted.after(Decision::Accept), Ok(Accepted));
        assert_eq!(Submitted.after(Decision::Reject), Ok(Rejected));
        assert_eq!(Accepted.after(Decision::Revoke), Ok(Revoked));
        assert!(Submitted.after(Decision::Revoke).unwrap_err().contains("accept or reject it"));
        assert!(Accepted.after(Decision::Accept).is_err());
        for end in [Rejected, Revoked] {
            for d in Decision::ALL {
                assert!(end.after(*d).unwrap_err().contains("submit a new acceptance"));
            }
        }
    }

    #[test]
    fn acceptances_need_a_reason_an_approver_and_an_end() {
        let now = 1_000_000;
        let day = 86_400_000;
        assert!(AcceptanceRequest::parse("Compensated by backups", "u1", now + 30 * day, 14, now).is_ok());
        assert_eq!(AcceptanceRequest::parse(" ", "u1", now + day, 0, now).unwrap_err().field, "justification");
        assert_eq!(AcceptanceRequest::parse("ok", "", now + day, 0, now).unwrap_err().field, "approver_id");
        assert_eq!(AcceptanceRequest::parse("ok", "u1", now, 0, now).unwrap_err().field, "expires_at");
        assert_eq!(AcceptanceRequest::parse("ok", "u1", now + day, 400, now).unwrap_err().field, "remind_days");
    }

    #[test]
    fn an_acceptance_reminds_before_it_expires() {
        let day = 86_400_000;
        assert_eq!(acceptance_term(100 * day, 14, 80 * day), AcceptanceTerm::InForce);
        assert_eq!(acceptance_term(100 * day, 14, 86 * day), AcceptanceTerm::ExpiringSoon);
        assert_eq!(acceptance_term(100 * day, 14, 100 * day), AcceptanceTerm::Expired);
    }
}
