//! Incidents: the ISO/IEC 27035 case lifecycle as a guarded state machine,
//! and the fields a case carries.

use serde::{Deserialize, Serialize};

use crate::Invalid;

named_enum! {
    /// Where an incident stands in the ISO/IEC 27035 phases.
    IncidentState, "to" {
        Reported => "reported",
        Triage => "triage",
        Dismissed => "dismissed",
        Containment => "containment",
        Eradication => "eradication",
        Recovery => "recovery",
        LessonsLearned => "lessons-learned",
        Closed => "closed",
    }
}

impl IncidentState {
    /// The states this one may move to. Dismissed and closed cases reopen
    /// into triage, with a reason.
    pub fn next(self) -> &'static [IncidentState] {
        use IncidentState::*;
        match self {
            Reported => &[Triage],
            Triage => &[Dismissed, Containment],
            Containment => &[Eradication],
            Eradication => &[Recovery],
            Recovery => &[LessonsLearned],
            LessonsLearned => &[Closed],
            Dismissed | Closed => &[Triage],
        }
    }

    /// Whether a move needs a reason: dismissing (why it is not an incident)
    /// and reopening.
    pub fn needs_reason(from: IncidentState, to: IncidentState) -> bool {
        to == IncidentState::Dismissed || matches!(from, IncidentState::Dismissed | IncidentState::Closed)
    }

    /// Checks a move; the error lists the allowed states.
    pub fn move_to(self, to: IncidentState, reason: &str) -> Result<IncidentState, String> {
        if !self.next().contains(&to) {
            let allowed: Vec<&str> = self.next().iter().map(|s| s.as_str()).collect();
            return Err(format!("an incident in {self} cannot move to {to}; allowed: {}", allowed.join(", ")));
        }
        if IncidentState::needs_reason(self, to) && reason.trim().is_empty() {
            return Err(if to == IncidentState::Dismissed {
                "say why this is not an incident: a reason is required to dismiss it".to_string()
            } else {
                "say why the incident reopens: a reason is required".to_string()
            });
        }
        Ok(to)
    }

    /// Open cases are neither dismissed nor closed.
    pub fn is_open(self) -> bool {
        !matches!(self, IncidentState::Dismissed | IncidentState::Closed)
    }
}

named_enum! {
    /// The ENISA reference incident classification, top level.
    IncidentCategory, "category" {
        AbusiveContent => "abusive-content",
        MaliciousCode => "malicious-code",
        InformationGathering => "information-gathering",
        IntrusionAttempts => "intrusion-attempts",
        Intrusions => "intrusions",
        Availability => "availability",
        InformationContentSecurity => "information-content-security",
        Fraud => "fraud",
        Vulnerable => "vulnerable",
        Other => "other",
    }
}

named_enum! {
    /// What triage concluded the event was.
    Determination, "determination" {
        Suspected => "suspected",
        SuccessfulAttempt => "successful-attempt",
        FailedAttempt => "failed-attempt",
        Blocked => "blocked",
        FalsePositive => "false-positive",
        LowValue => "low-value",
    }
}

named_enum! {
    /// TLP 2.0 and PAP levels a case is marked with.
    Marking, "tlp" {
        Clear => "clear",
        Green => "green",
        Amber => "amber",
        AmberStrict => "amber+strict",
        Red => "red",
    }
}

impl Marking {
    /// True when `self` restricts at least as much as `other` (CLEAR, GREEN,
    /// AMBER, AMBER+STRICT, RED, from least to most).
    pub fn at_least(self, other: Marking) -> bool {
        let rank = |m: Marking| Marking::ALL.iter().position(|x| *x == m).unwrap_or(usize::MAX);
        rank(self) >= rank(other)
    }
}

/// The editable fields of an incident, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentFields {
    pub title: String,
    pub description: String,
    pub category: IncidentCategory,
    /// 1 (low) to 4 (critical).
    pub severity: u8,
    pub tlp: Marking,
    pub pap: Marking,
    pub determination: Determination,
    pub confidentiality: bool,
    pub integrity: bool,
    pub availability: bool,
    /// Whole currency units.
    pub estimated_cost: Option<i64>,
    pub people_affected: Option<i64>,
    pub cross_border: bool,
    pub reporter: String,
    pub owner: String,
    pub team: String,
    /// Unix ms. Awareness starts the regulatory clocks.
    pub occurred_at: Option<i64>,
    pub detected_at: Option<i64>,
    pub aware_at: i64,
}

pub const MAX_DESCRIPTION: usize = 20_000;

impl IncidentFields {
    /// A new report with nothing known yet but its title, category and when
    /// the organisation became aware: severity 2, TLP and PAP AMBER,
    /// determination suspected, no impact recorded.
    pub fn reported(title: &str, category: IncidentCategory, aware_at: i64) -> IncidentFields {
        IncidentFields {
            title: title.into(),
            description: String::new(),
            category,
            severity: 2,
            tlp: Marking::Amber,
            pap: Marking::Amber,
            determination: Determination::Suspected,
            confidentiality: false,
            integrity: false,
            availability: false,
            estimated_cost: None,
            people_affected: None,
            cross_border: false,
            reporter: String::new(),
            owner: String::new(),
            team: String::new(),
            occurred_at: None,
            detected_at: None,
            aware_at,
        }
    }

    /// The security properties the incident harmed, in CIA order.
    pub fn harmed(&self) -> Vec<&'static str> {
        [(self.confidentiality, "confidentiality"), (self.integrity, "integrity"), (self.availability, "availability")]
            .into_iter()
            .filter_map(|(hit, name)| hit.then_some(name))
            .collect()
    }

    /// Checks severity, the order of times and sizes; `title` is required.
    pub fn check(mut self) -> Result<IncidentFields, Invalid> {
        self.title = crate::validate::name("title", &self.title)?;
        self.description = crate::validate::optional_text("description", &self.description, MAX_DESCRIPTION)?;
        for (field, value) in [("reporter", &mut self.reporter), ("owner", &mut self.owner), ("team", &mut self.team)] {
            *value = crate::validate::optional_text(field, value, crate::validate::MAX_NAME)?;
        }
        if !(1..=4).contains(&self.severity) {
            return Err(Invalid::new("severity", "must be 1 (low), 2 (medium), 3 (high) or 4 (critical)"));
        }
        for (field, value) in [("estimated_cost", self.estimated_cost), ("people_affected", self.people_affected)] {
            if value.is_some_and(|v| !(0..=1_000_000_000_000).contains(&v)) {
                return Err(Invalid::new(field, "must be a whole number from 0"));
            }
        }
        if let (Some(occurred), Some(detected)) = (self.occurred_at, self.detected_at)
            && detected < occurred
        {
            return Err(Invalid::new("detected_at", "is before occurred_at: an incident is detected after it occurs"));
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use IncidentState::*;

    #[test]
    fn the_lifecycle_follows_iso_iec_27035() {
        let path = [Triage, Containment, Eradication, Recovery, LessonsLearned, Closed];
        let mut state = Reported;
        for next in path {
            state = state.move_to(next, "").unwrap();
        }
        assert_eq!(state, Closed);
        assert!(Reported.move_to(Containment, "").unwrap_err().contains("allowed: triage"));
        assert!(Triage.move_to(Dismissed, " ").unwrap_err().contains("reason is required"));
        assert_eq!(Triage.move_to(Dismissed, "A scheduled scan"), Ok(Dismissed));
        assert!(Closed.move_to(Triage, "").is_err(), "reopening needs a reason");
        assert_eq!(Closed.move_to(Triage, "The attacker came back"), Ok(Triage));
        assert!(!Closed.is_open() && Containment.is_open());
    }

    #[test]
    fn fields_are_checked() {
        let fields = IncidentFields {
            title: "Ransomware on file servers".into(),
            description: String::new(),
            category: IncidentCategory::MaliciousCode,
            severity: 4,
            tlp: Marking::Amber,
            pap: Marking::Green,
            determination: Determination::Suspected,
            confidentiality: false,
            integrity: true,
            availability: true,
            estimated_cost: None,
            people_affected: Some(1200),
            cross_border: false,
            reporter: String::new(),
            owner: "SOC".into(),
            team: String::new(),
            occurred_at: Some(1_000),
            detected_at: Some(2_000),
            aware_at: 2_000,
        };
        assert!(fields.clone().check().is_ok());
        assert_eq!(IncidentFields { severity: 5, ..fields.clone() }.check().unwrap_err().field, "severity");
        assert_eq!(
            IncidentFields { detected_at: Some(500), ..fields.clone() }.check().unwrap_err().field,
            "detected_at"
        );
        assert_eq!(IncidentFields { title: " ".into(), ..fields }.check().unwrap_err().field, "title");
        assert_eq!(IncidentCategory::parse("spam").unwrap_err().field, "category");
    }
}

named_enum! {
    /// Where a task of an incident stands.
    TaskStatus, "status" {
        ToDo => "to-do",
        InProgress => "in-progress",
        Done => "done",
        Cancelled => "cancelled",
    }
}

/// A task a case template creates: its title and how long after awareness it is due.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateTask {
    pub title: String,
    pub due_hours: u32,
}

/// The tasks pre-created for every new incident of a category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseTemplate {
    pub category: IncidentCategory,
    pub name: String,
    pub tasks: Vec<TemplateTask>,
}

impl CaseTemplate {
    /// Checks a template: a name, 1 to 50 tasks with titles, due within a year.
    pub fn check(mut self) -> Result<CaseTemplate, Invalid> {
        self.name = crate::validate::name("name", &self.name)?;
        if self.tasks.is_empty() || self.tasks.len() > 50 {
            return Err(Invalid::new("tasks", "must hold 1 to 50 tasks"));
        }
        for (i, t) in self.tasks.iter_mut().enumerate() {
            t.title = crate::validate::name(&format!("tasks[{i}].title"), &t.title)?;
            if t.due_hours > 366 * 24 {
                return Err(Invalid::new(format!("tasks[{i}].due_hours"), "must be at most a year of hours"));
            }
        }
        Ok(self)
    }
}

#[cfg(test)]
mod template_tests {
    use super::*;

    #[test]
    fn templates_are_checked() {
        let t = CaseTemplate {
            category: IncidentCategory::MaliciousCode,
            name: "Ransomware".into(),
            tasks: vec![TemplateTask { title: "Isolate affected hosts".into(), due_hours: 1 }],
        };
        assert!(t.clone().check().is_ok());
        assert_eq!(CaseTemplate { tasks: vec![], ..t.clone() }.check().unwrap_err().field, "tasks");
        let late = CaseTemplate { tasks: vec![TemplateTask { title: "x".into(), due_hours: 10_000 }], ..t };
        assert_eq!(late.check().unwrap_err().field, "tasks[0].due_hours");
        assert_eq!(TaskStatus::parse("finished").unwrap_err().field, "status");
    }
}
