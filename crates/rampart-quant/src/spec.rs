//! The model as people write it (YAML files, API bodies), and its checks.
//!
//! Every estimate is a small map naming one distribution:
//! `{ pert: [min, mode, max], shape: classic, gamma: 4 }`, `{ constant: x }`,
//! `{ uniform: [min, max] }`, `{ triangular: [min, mode, max] }`,
//! `{ lognormal: [p5, p95] }` (a 90% interval) or
//! `{ normal: { mean, sd, min, max } }` (truncated).

use serde::{Deserialize, Serialize};

use crate::dist::{Distribution, PertShape, Quantity};
use crate::engine::{Control, ControlTarget, Frequency, Loss, Model, Scenario, Vulnerability};
use crate::{MAX_ITERATIONS, Mode, QuantError};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DistSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub constant: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uniform: Option<[f64; 2]>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub triangular: Option<[f64; 3]>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pert: Option<[f64; 3]>,
    /// For `pert`: `modified` (default) or `classic`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shape: Option<PertShape>,
    /// For `pert`: the weight of the mode (default 4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gamma: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lognormal: Option<[f64; 2]>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub normal: Option<NormalSpec>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NormalSpec {
    pub mean: f64,
    pub sd: f64,
    pub min: f64,
    pub max: f64,
}

fn invalid(field: &str, reason: impl Into<String>) -> QuantError {
    QuantError::Invalid { field: field.to_string(), reason: reason.into() }
}

impl DistSpec {
    pub fn to_distribution(&self, field: &str, quantity: Quantity) -> Result<Distribution, QuantError> {
        let given: Vec<&str> = [
            ("constant", self.constant.is_some()),
            ("uniform", self.uniform.is_some()),
            ("triangular", self.triangular.is_some()),
            ("pert", self.pert.is_some()),
            ("lognormal", self.lognormal.is_some()),
            ("normal", self.normal.is_some()),
        ]
        .into_iter()
        .filter(|(_, set)| *set)
        .map(|(name, _)| name)
        .collect();
        if given.len() != 1 {
            return Err(invalid(
                field,
                format!(
                    "give exactly one distribution of constant, uniform, triangular, pert, lognormal, normal (found {})",
                    if given.is_empty() { "none".to_string() } else { given.join(" and ") }
                ),
            ));
        }
        if self.pert.is_none() && (self.shape.is_some() || self.gamma.is_some()) {
            return Err(invalid(field, "shape and gamma only apply to pert"));
        }
        let d = if let Some(v) = self.constant {
            Distribution::Constant(v)
        } else if let Some([min, max]) = self.uniform {
            Distribution::Uniform { min, max }
        } else if let Some([min, mode, max]) = self.triangular {
            Distribution::Triangular { min, mode, max }
        } else if let Some([min, mode, max]) = self.pert {
            Distribution::Pert {
                min,
                mode,
                max,
                gamma: self.gamma.unwrap_or(4.0),
                shape: self.shape.unwrap_or_default(),
            }
        } else if let Some([p5, p95]) = self.lognormal {
            Distribution::Lognormal { p5, p95 }
        } else if let Some(n) = &self.normal {
            Distribution::Normal { mean: n.mean, sd: n.sd, min: n.min, max: n.max }
        } else {
            unreachable!("exactly one distribution was found above")
        };
        d.validate(field, quantity)?;
        Ok(d)
    }
}

/// The forms of primary loss Open FAIR distinguishes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrimaryLossSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub productivity: Option<DistSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<DistSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replacement: Option<DistSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fines_and_judgements: Option<DistSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub competitive_advantage: Option<DistSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reputation: Option<DistSpec>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecondaryLossSpec {
    /// Probability that a loss event has secondary effects (stakeholder reactions).
    pub frequency: DistSpec,
    pub magnitude: DistSpec,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControlSpec {
    pub name: String,
    /// Annual cost of the control.
    #[serde(default)]
    pub cost: f64,
    /// `tef`, `vulnerability` or `loss_magnitude`.
    pub reduces: ControlTarget,
    /// The fraction removed, in [0, 1].
    pub by: DistSpec,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioSpec {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tef: Option<DistSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_frequency: Option<DistSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability_of_action: Option<DistSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vulnerability: Option<DistSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threat_capability: Option<DistSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resistance_strength: Option<DistSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loss_magnitude: Option<DistSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_loss: Option<PrimaryLossSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secondary_loss: Option<SecondaryLossSpec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub controls: Vec<ControlSpec>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    #[serde(default = "default_iterations")]
    pub iterations: u64,
    #[serde(default)]
    pub seed: u64,
    #[serde(default)]
    pub mode: Mode,
    /// Percentiles to report, each in (0, 100).
    #[serde(default = "default_percentiles")]
    pub percentiles: Vec<f64>,
    /// Risk tolerance: (annual loss, highest acceptable probability of exceeding it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tolerance: Vec<[f64; 2]>,
    pub scenarios: Vec<ScenarioSpec>,
}

fn default_iterations() -> u64 {
    100_000
}

pub fn default_percentiles() -> Vec<f64> {
    vec![5.0, 10.0, 50.0, 90.0, 95.0, 99.0]
}

/// Most scenarios one model may hold.
pub const MAX_SCENARIOS: usize = 10_000;

fn either(
    field: &str,
    single: (&str, &Option<DistSpec>),
    pair: [(&str, &Option<DistSpec>); 2],
    quantities: (Quantity, Quantity, Quantity),
) -> Result<Result<Distribution, (Distribution, Distribution)>, QuantError> {
    match (single.1, pair[0].1, pair[1].1) {
        (Some(d), None, None) => Ok(Ok(d.to_distribution(&format!("{field}.{}", single.0), quantities.0)?)),
        (None, Some(a), Some(b)) => Ok(Err((
            a.to_distribution(&format!("{field}.{}", pair[0].0), quantities.1)?,
            b.to_distribution(&format!("{field}.{}", pair[1].0), quantities.2)?,
        ))),
        _ => Err(invalid(field, format!("give either {} or both {} and {}", single.0, pair[0].0, pair[1].0))),
    }
}

impl ModelSpec {
    /// Checks everything and returns the model to run.
    pub fn to_model(&self) -> Result<Model, QuantError> {
        if self.iterations == 0 || self.iterations > MAX_ITERATIONS {
            return Err(invalid("iterations", format!("must be between 1 and {MAX_ITERATIONS}")));
        }
        if self.scenarios.is_empty() || self.scenarios.len() > MAX_SCENARIOS {
            return Err(invalid("scenarios", format!("give between 1 and {MAX_SCENARIOS} scenarios")));
        }
        if self.percentiles.is_empty()
            || self.percentiles.len() > 100
            || self.percentiles.iter().any(|p| !(*p > 0.0 && *p < 100.0))
        {
            return Err(invalid("percentiles", "give 1 to 100 percentiles, each between 0 and 100 (exclusive)"));
        }
        for (i, [loss, probability]) in self.tolerance.iter().enumerate() {
            if !(loss.is_finite() && *loss >= 0.0 && (0.0..=1.0).contains(probability)) {
                return Err(invalid(
                    &format!("tolerance[{i}]"),
                    "each point is [annual loss ≥ 0, probability in [0, 1]]",
                ));
            }
        }
        let mut names = std::collections::HashSet::new();
        let scenarios = self
            .scenarios
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let field = format!("scenarios[{i}]");
                let name = s.name.trim();
                if name.is_empty() || name.chars().count() > 200 {
                    return Err(invalid(&format!("{field}.name"), "is required, at most 200 characters"));
                }
                if !names.insert(name.to_string()) {
                    return Err(invalid(&format!("{field}.name"), format!("`{name}` names two scenarios")));
                }
                s.to_scenario(&field)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Model {
            iterations: self.iterations,
            seed: self.seed,
            mode: self.mode,
            percentiles: self.percentiles.clone(),
            tolerance: self.tolerance.iter().map(|[l, p]| (*l, *p)).collect(),
            scenarios,
        })
    }
}

impl ScenarioSpec {
    fn to_scenario(&self, field: &str) -> Result<Scenario, QuantError> {
        use Quantity::{NonNegative, Probability};
        let frequency = match either(
            field,
            ("tef", &self.tef),
            [("contact_frequency", &self.contact_frequency), ("probability_of_action", &self.probability_of_action)],
            (NonNegative, NonNegative, Probability),
        )? {
            Ok(tef) => Frequency::Tef(tef),
            Err((contact, action)) => Frequency::ContactAction(contact, action),
        };
        let vulnerability = match either(
            field,
            ("vulnerability", &self.vulnerability),
            [("threat_capability", &self.threat_capability), ("resistance_strength", &self.resistance_strength)],
            (Probability, NonNegative, NonNegative),
        )? {
            Ok(v) => Vulnerability::Direct(v),
            Err((tcap, rs)) => Vulnerability::Capability(tcap, rs),
        };
        let primary = match (&self.loss_magnitude, &self.primary_loss) {
            (Some(lm), None) => vec![lm.to_distribution(&format!("{field}.loss_magnitude"), NonNegative)?],
            (None, Some(forms)) => {
                let listed = [
                    ("productivity", &forms.productivity),
                    ("response", &forms.response),
                    ("replacement", &forms.replacement),
                    ("fines_and_judgements", &forms.fines_and_judgements),
                    ("competitive_advantage", &forms.competitive_advantage),
                    ("reputation", &forms.reputation),
                ];
                let mut dists = Vec::new();
                for (name, d) in listed {
                    if let Some(d) = d {
                        dists.push(d.to_distribution(&format!("{field}.primary_loss.{name}"), NonNegative)?);
                    }
                }
                if dists.is_empty() {
                    return Err(invalid(&format!("{field}.primary_loss"), "name at least one form of loss"));
                }
                dists
            }
            _ => return Err(invalid(field, "give either loss_magnitude or primary_loss (by form of loss)")),
        };
        let secondary = match &self.secondary_loss {
            None => None,
            Some(s) => Some((
                s.frequency.to_distribution(&format!("{field}.secondary_loss.frequency"), Probability)?,
                s.magnitude.to_distribution(&format!("{field}.secondary_loss.magnitude"), NonNegative)?,
            )),
        };
        let controls = self
            .controls
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let cf = format!("{field}.controls[{i}]");
                if c.name.trim().is_empty() {
                    return Err(invalid(&format!("{cf}.name"), "is required"));
                }
                if !(c.cost.is_finite() && c.cost >= 0.0) {
                    return Err(invalid(&format!("{cf}.cost"), "must be a non-negative amount"));
                }
                Ok(Control {
                    name: c.name.trim().to_string(),
                    cost: c.cost,
                    target: c.reduces,
                    by: c.by.to_distribution(&format!("{cf}.by"), Probability)?,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Scenario {
            name: self.name.trim().to_string(),
            frequency,
            vulnerability,
            loss: Loss { primary, secondary },
            controls,
        })
    }
}
