//! Assessments: an organisation measuring itself against a framework, one
//! answer per requirement, and the workflow from planning to done.

use serde::{Deserialize, Serialize};

use crate::Invalid;
use crate::control::check_date;

named_enum! {
    /// Where an assessment stands. Done locks it.
    AssessmentStatus, "status" {
        Planned => "planned",
        InProgress => "in-progress",
        InReview => "in-review",
        Done => "done",
    }
}

impl AssessmentStatus {
    /// The statuses this one may move to: planned → in progress → in review
    /// → done, and in review back to in progress. Done is final.
    pub fn next(self) -> &'static [AssessmentStatus] {
        use AssessmentStatus::*;
        match self {
            Planned => &[InProgress],
            InProgress => &[InReview],
            InReview => &[InProgress, Done],
            Done => &[],
        }
    }

    /// Checks a move, saying what is possible instead.
    pub fn move_to(self, to: AssessmentStatus) -> Result<AssessmentStatus, String> {
        if self.next().contains(&to) {
            return Ok(to);
        }
        let allowed: Vec<&str> = self.next().iter().map(|s| s.as_str()).collect();
        Err(if allowed.is_empty() {
            format!("the assessment is {self}: it is locked and cannot move to {to}")
        } else {
            format!("an assessment that is {self} cannot move to {to}; it can move to: {}", allowed.join(", "))
        })
    }

    /// Answers may change only while the assessment is not done.
    pub fn accepts_changes(self) -> bool {
        self != AssessmentStatus::Done
    }
}

named_enum! {
    /// The answer to one requirement.
    ResultKind, "result" {
        NotAssessed => "not-assessed",
        Compliant => "compliant",
        PartiallyCompliant => "partially-compliant",
        NonCompliant => "non-compliant",
        NotApplicable => "not-applicable",
    }
}

impl ResultKind {
    /// The share of a requirement's points a result earns when no score is given.
    pub fn credit(self) -> f64 {
        match self {
            ResultKind::Compliant => 1.0,
            ResultKind::PartiallyCompliant => 0.5,
            ResultKind::NotAssessed | ResultKind::NonCompliant | ResultKind::NotApplicable => 0.0,
        }
    }

    /// Short words for people.
    pub fn label(self) -> &'static str {
        match self {
            ResultKind::NotAssessed => "not assessed",
            ResultKind::Compliant => "compliant",
            ResultKind::PartiallyCompliant => "partially compliant",
            ResultKind::NonCompliant => "non-compliant",
            ResultKind::NotApplicable => "not applicable",
        }
    }
}

named_enum! {
    /// How a heading's score is made from the requirements below it.
    RollUp, "roll_up" {
        /// Every requirement below counts by its weight.
        Weighted => "weighted",
        /// Each child counts once, whatever it holds.
        AverageOfAverages => "average-of-averages",
    }
}

named_enum! {
    /// What a person does in an assessment.
    AssessmentRole, "role" {
        Assessor => "assessor",
        Reviewer => "reviewer",
    }
}

/// Longest observation or justification kept.
pub const MAX_OBSERVATION: usize = 8000;
/// Longest description kept.
pub const MAX_DESCRIPTION: usize = 4000;

/// The editable fields of an assessment, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AssessmentFields {
    pub name: String,
    pub description: String,
    /// An asset (a system or asset group) the assessment is limited to;
    /// `None` for the whole organisation.
    pub scope_asset_id: Option<String>,
    /// Implementation groups assessed; empty for every requirement.
    pub groups: Vec<String>,
    pub roll_up: RollUp,
    /// `YYYY-MM-DD`.
    pub due_date: Option<String>,
}

impl AssessmentFields {
    /// Checks the fields; `known_groups` are the framework's implementation groups.
    pub fn parse(
        name: &str,
        description: &str,
        scope_asset_id: Option<&str>,
        groups: &[String],
        roll_up: &str,
        due_date: &str,
        known_groups: &[&str],
    ) -> Result<AssessmentFields, Invalid> {
        let mut checked = Vec::new();
        for g in groups.iter().map(|g| g.trim()).filter(|g| !g.is_empty()) {
            if !known_groups.contains(&g) {
                return Err(Invalid::new(
                    "groups",
                    format!(
                        "`{g}` is not an implementation group of the framework (it has: {})",
                        known_groups.join(", ")
                    ),
                ));
            }
            if !checked.iter().any(|c| c == g) {
                checked.push(g.to_string());
            }
        }
        let due_date = due_date.trim();
        Ok(AssessmentFields {
            name: crate::validate::name("name", name)?,
            description: crate::validate::optional_text("description", description, MAX_DESCRIPTION)?,
            scope_asset_id: scope_asset_id.map(str::trim).filter(|s| !s.is_empty()).map(str::to_string),
            groups: checked,
            roll_up: if roll_up.trim().is_empty() { RollUp::Weighted } else { RollUp::parse(roll_up.trim())? },
            due_date: if due_date.is_empty() { None } else { Some(check_date("due_date", due_date)?) },
        })
    }
}

/// One answer, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResultFields {
    pub result: ResultKind,
    /// On the framework's score scale.
    pub score: Option<i32>,
    pub target: Option<i32>,
    pub observation: String,
    /// Why the requirement does not apply: required for not applicable.
    pub justification: String,
    pub owner: String,
}

impl ResultFields {
    /// Checks an answer; `scale` holds the values of the framework's score
    /// scale (empty when it has none, and then no score may be given).
    pub fn parse(
        result: &str,
        score: Option<i32>,
        target: Option<i32>,
        observation: &str,
        justification: &str,
        owner: &str,
        scale: &[i32],
    ) -> Result<ResultFields, Invalid> {
        let result = ResultKind::parse(result.trim())?;
        for (field, value) in [("score", score), ("target", target)] {
            let Some(value) = value else { continue };
            if scale.is_empty() {
                return Err(Invalid::new(field, "this framework has no score scale: leave it empty"));
            }
            if !scale.contains(&value) {
                let values: Vec<String> = scale.iter().map(i32::to_string).collect();
                return Err(Invalid::new(field, format!("{value} is not on the scale ({})", values.join(", "))));
            }
        }
        let justification = crate::validate::optional_text("justification", justification, MAX_OBSERVATION)?;
        if result == ResultKind::NotApplicable && justification.is_empty() {
            return Err(Invalid::new("justification", "is required when the requirement is not applicable: say why"));
        }
        Ok(ResultFields {
            result,
            score,
            target,
            observation: crate::validate::optional_text("observation", observation, MAX_OBSERVATION)?,
            justification,
            owner: crate::validate::owner(owner)?,
        })
    }

    pub fn not_assessed() -> ResultFields {
        ResultFields {
            result: ResultKind::NotAssessed,
            score: None,
            target: None,
            observation: String::new(),
            justification: String::new(),
            owner: String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workflow_moves_forward_and_done_is_final() {
        use AssessmentStatus::*;
        assert_eq!(Planned.move_to(InProgress), Ok(InProgress));
        assert_eq!(InReview.move_to(InProgress), Ok(InProgress), "a reviewer sends it back");
        assert!(Planned.move_to(Done).unwrap_err().contains("it can move to: in-progress"));
        assert!(Done.move_to(InProgress).unwrap_err().contains("locked"));
        assert!(!Done.accepts_changes() && InReview.accepts_changes());
    }

    #[test]
    fn answers_are_checked_against_the_scale_and_need_a_reason_when_not_applicable() {
        let scale = [0, 1, 2, 3, 4, 5];
        let ok = ResultFields::parse("partially-compliant", Some(2), Some(4), "Half done", "", "IT", &scale).unwrap();
        assert_eq!((ok.result, ok.score, ok.target), (ResultKind::PartiallyCompliant, Some(2), Some(4)));
        let field = |r: Result<ResultFields, Invalid>| r.unwrap_err().field;
        assert_eq!(field(ResultFields::parse("not-applicable", None, None, "", " ", "", &scale)), "justification");
        assert!(ResultFields::parse("not-applicable", None, None, "", "No Internet services", "", &scale).is_ok());
        assert_eq!(field(ResultFields::parse("compliant", Some(7), None, "", "", "", &scale)), "score");
        assert_eq!(field(ResultFields::parse("compliant", None, Some(-1), "", "", "", &scale)), "target");
        assert_eq!(field(ResultFields::parse("compliant", Some(1), None, "", "", "", &[])), "score");
        assert_eq!(field(ResultFields::parse("done", None, None, "", "", "", &scale)), "result");
    }

    #[test]
    fn assessment_fields_name_unknown_groups() {
        let groups = vec!["annex-a".to_string(), "annex-a".to_string()];
        let ok =
            AssessmentFields::parse("SoA 2027", "", None, &groups, "", "2027-06-30", &["clauses", "annex-a"]).unwrap();
        assert_eq!((ok.groups.len(), ok.roll_up), (1, RollUp::Weighted));
        let err = AssessmentFields::parse("x", "", None, &["ig9".into()], "", "", &["clauses"]).unwrap_err();
        assert_eq!(err.field, "groups");
        assert_eq!(AssessmentFields::parse("x", "", None, &[], "mean", "", &[]).unwrap_err().field, "roll_up");
        assert_eq!(AssessmentFields::parse("x", "", None, &[], "", "tomorrow", &[]).unwrap_err().field, "due_date");
    }
}

/// Longest evidence name or link kept.
pub const MAX_EVIDENCE_NAME: usize = 200;
pub const MAX_URL: usize = 2000;

/// Evidence for an answer, checked: a stored file (by its SHA-256) or a link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EvidenceFields {
    pub name: String,
    /// For a link: an http(s) URL.
    pub url: Option<String>,
    /// For a file: the SHA-256 of its body, its size and type.
    pub sha256: Option<String>,
    pub size: Option<i64>,
    pub content_type: Option<String>,
    /// `YYYY-MM-DD`: after it the evidence no longer proves the answer.
    pub expires_on: Option<String>,
}

impl EvidenceFields {
    fn expiry(expires_on: &str) -> Result<Option<String>, Invalid> {
        let e = expires_on.trim();
        if e.is_empty() { Ok(None) } else { check_date("expires_on", e).map(Some) }
    }

    /// A link to evidence kept elsewhere.
    pub fn link(name: &str, url: &str, expires_on: &str) -> Result<EvidenceFields, Invalid> {
        let url = url.trim();
        if !(url.starts_with("https://") || url.starts_with("http://"))
            || url.len() > MAX_URL
            || url.contains(char::is_whitespace)
        {
            return Err(Invalid::new(
                "url",
                "must be an http or https address without spaces, at most 2000 characters",
            ));
        }
        let name = if name.trim().is_empty() { url } else { name };
        Ok(EvidenceFields {
            name: crate::validate::optional_text("name", name, MAX_EVIDENCE_NAME)?
                .chars()
                .take(MAX_EVIDENCE_NAME)
                .collect(),
            url: Some(url.to_string()),
            sha256: None,
            size: None,
            content_type: None,
            expires_on: Self::expiry(expires_on)?,
        })
    }

    /// A file whose body is stored under its SHA-256.
    pub fn file(
        name: &str,
        sha256: &str,
        size: i64,
        content_type: &str,
        expires_on: &str,
    ) -> Result<EvidenceFields, Invalid> {
        Ok(EvidenceFields {
            name: crate::validate::file_name("file", name, MAX_EVIDENCE_NAME)?,
            url: None,
            sha256: Some(crate::validate::sha256("sha256", sha256)?),
            size: Some(size),
            content_type: Some(crate::validate::content_type(content_type)),
            expires_on: Self::expiry(expires_on)?,
        })
    }

    pub fn kind(&self) -> &'static str {
        if self.url.is_some() { "link" } else { "file" }
    }
}

#[cfg(test)]
mod evidence_tests {
    use super::*;

    #[test]
    fn evidence_is_a_checked_link_or_a_named_file() {
        let link = EvidenceFields::link("", "https://wiki.example/backup-test", "2027-01-31").unwrap();
        assert_eq!((link.kind(), link.name.as_str()), ("link", "https://wiki.example/backup-test"));
        assert_eq!(EvidenceFields::link("x", "javascript:alert(1)", "").unwrap_err().field, "url");
        assert_eq!(EvidenceFields::link("x", "https://a.example", "soon").unwrap_err().field, "expires_on");
        let sha = "a".repeat(64);
        let file = EvidenceFields::file("C:\\\\reports\\\\restore test.pdf", &sha, 10, "application/pdf", "").unwrap();
        assert_eq!((file.kind(), file.name.as_str()), ("file", "restore test.pdf"), "the path is dropped");
        assert_eq!(EvidenceFields::file("", &sha, 1, "", "").unwrap_err().field, "file");
    }
}
