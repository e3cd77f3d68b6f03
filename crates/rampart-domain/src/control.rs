//! Applied controls: the measures an organisation has in place or plans,
//! reused by risk treatment and (later) by assessments.

use serde::{Deserialize, Serialize};

use crate::Invalid;

named_enum! {
    /// Where an applied control stands.
    ControlStatus, "status" {
        ToDo => "to-do",
        InProgress => "in-progress",
        Active => "active",
        Degraded => "degraded",
        Retired => "retired",
    }
}

named_enum! {
    /// Rough effort to put a control in place, as T-shirt sizes.
    Effort, "effort" {
        Xs => "xs",
        S => "s",
        M => "m",
        L => "l",
        Xl => "xl",
    }
}

/// Longest description accepted.
pub const MAX_DESCRIPTION: usize = 4000;
/// Largest annual cost accepted (whole currency units).
pub const MAX_COST: i64 = 1_000_000_000_000;

/// The editable fields of an applied control, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ControlFields {
    pub name: String,
    pub description: String,
    pub status: ControlStatus,
    pub owner: String,
    /// When it is expected to be in place: `YYYY-MM-DD`.
    pub eta: Option<String>,
    pub effort: Option<Effort>,
    /// Annual cost in whole currency units.
    pub annual_cost: Option<i64>,
}

/// `YYYY-MM-DD` with a plausible month and day.
pub fn check_date(field: &str, text: &str) -> Result<String, Invalid> {
    let bad = || Invalid::new(field, "must be a date such as 2027-03-31");
    let parts: Vec<&str> = text.split('-').collect();
    if parts.len() != 3 || parts[0].len() != 4 || parts[1].len() != 2 || parts[2].len() != 2 {
        return Err(bad());
    }
    let n: Vec<u32> = parts.iter().map(|p| p.parse::<u32>()).collect::<Result<_, _>>().map_err(|_| bad())?;
    if !(1..=12).contains(&n[1]) || !(1..=31).contains(&n[2]) {
        return Err(bad());
    }
    Ok(text.to_string())
}

impl ControlFields {
    pub fn parse(
        name: &str,
        description: &str,
        status: &str,
        owner: &str,
        eta: &str,
        effort: &str,
        annual_cost: Option<i64>,
    ) -> Result<ControlFields, Invalid> {
        let description = crate::validate::optional_text("description", description, MAX_DESCRIPTION)?;
        let owner = crate::validate::owner(owner)?;
        if let Some(cost) = annual_cost
            && !(0..=MAX_COST).contains(&cost)
        {
            return Err(Invalid::new("annual_cost", "must be a whole amount from 0"));
        }
        let eta = eta.trim();
        let effort = effort.trim();
        Ok(ControlFields {
            name: crate::validate::name("name", name)?,
            description,
            status: ControlStatus::parse(status)?,
            owner,
            eta: if eta.is_empty() { None } else { Some(check_date("eta", eta)?) },
            effort: if effort.is_empty() { None } else { Some(Effort::parse(effort)?) },
            annual_cost,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_fields_are_checked_and_named() {
        let ok = ControlFields::parse("Offline backups", "", "active", "IT", "2027-01-31", "m", Some(12_000)).unwrap();
        assert_eq!(
            (ok.status, ok.effort, ok.eta.as_deref()),
            (ControlStatus::Active, Some(Effort::M), Some("2027-01-31"))
        );
        let none = ControlFields::parse("MFA", "", "to-do", "", "", "", None).unwrap();
        assert_eq!((none.eta, none.effort), (None, None));
        let field = |r: Result<ControlFields, Invalid>| r.unwrap_err().field;
        assert_eq!(field(ControlFields::parse("x", "", "done", "", "", "", None)), "status");
        assert_eq!(field(ControlFields::parse("x", "", "active", "", "31/01/2027", "", None)), "eta");
        assert_eq!(field(ControlFields::parse("x", "", "active", "", "2027-13-01", "", None)), "eta");
        assert_eq!(field(ControlFields::parse("x", "", "active", "", "", "huge", None)), "effort");
        assert_eq!(field(ControlFields::parse("x", "", "active", "", "", "", Some(-1))), "annual_cost");
        assert_eq!(field(ControlFields::parse("", "", "active", "", "", "", None)), "name");
    }
}
