//! Open FAIR quantification of risk scenarios and of the portfolio, shared by
//! the API and the UI: check a scenario's estimates, run the engine off the
//! request threads, store the result with what reproduces it.

use rampart_domain::Invalid;
use rampart_quant::spec::ScenarioSpec;
use rampart_quant::{Mode, ModelSpec, RunResult};
use rampart_store::{ChangeContext, NewQuantRun, QuantRun, Store};
use serde::Deserialize;

use crate::error::Problem;

/// What a server allows quantification to use.
#[derive(Debug, Clone)]
pub struct QuantLimits {
    /// Most iterations one run may ask for.
    pub max_iterations: u64,
    /// One run at a time: each run already uses every core.
    pub slot: std::sync::Arc<tokio::sync::Semaphore>,
}

impl QuantLimits {
    pub fn new(max_iterations: u64) -> Self {
        Self { max_iterations, slot: std::sync::Arc::new(tokio::sync::Semaphore::new(1)) }
    }

    /// Iterations of a run that does not say: [`DEFAULT_ITERATIONS`] within the cap.
    pub fn default_iterations(&self) -> u64 {
        DEFAULT_ITERATIONS.min(self.max_iterations)
    }
}

/// Iterations when the request does not say.
pub const DEFAULT_ITERATIONS: u64 = 100_000;

/// How to run: every field optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunOptions {
    pub iterations: Option<u64>,
    /// Omitted: a random seed, recorded with the result.
    pub seed: Option<u64>,
    pub mode: Option<Mode>,
}

/// A quantification error from the engine's checks, as a field error.
fn invalid(field: String, reason: String) -> Problem {
    Problem::invalid(Invalid::new(field, reason))
}

/// Checks a scenario's estimates (a scenario of a model file, without its
/// name) and returns them normalised. Errors name the field under `fair_model`.
pub fn check_fair_model(model: &serde_json::Value) -> Result<serde_json::Value, Problem> {
    let spec = scenario_spec("check", model).map_err(|e| match e.errors.first() {
        Some(f) => invalid(f.field.replacen("scenarios[0]", "fair_model", 1), f.reason.clone()),
        None => e,
    })?;
    let mut normal = serde_json::to_value(&spec).map_err(|_| Problem::internal())?;
    if let Some(object) = normal.as_object_mut() {
        object.remove("name");
    }
    Ok(normal)
}

/// The stored estimates as a scenario named `name`, checked by the engine.
fn scenario_spec(name: &str, model: &serde_json::Value) -> Result<ScenarioSpec, Problem> {
    let serde_json::Value::Object(fields) = model else {
        return Err(invalid(
            "fair_model".into(),
            "must be an object such as {\"tef\": {\"pert\": [1, 5, 20]}, …}".into(),
        ));
    };
    if fields.contains_key("name") {
        return Err(invalid("fair_model.name".into(), "is the scenario's own name; leave it out".into()));
    }
    let mut named = fields.clone();
    named.insert("name".into(), serde_json::Value::String(name.into()));
    let spec: ScenarioSpec = serde_json::from_value(serde_json::Value::Object(named))
        .map_err(|e| invalid("fair_model".into(), e.to_string()))?;
    let probe = ModelSpec {
        iterations: 1,
        seed: 0,
        mode: Mode::default(),
        percentiles: rampart_quant::spec::default_percentiles(),
        tolerance: vec![],
        scenarios: vec![spec.clone()],
    };
    probe.to_model().map_err(|e| invalid(e.field().to_string(), e.to_string()))?;
    Ok(spec)
}

impl RunOptions {
    fn model(
        &self,
        limits: &QuantLimits,
        scenarios: Vec<ScenarioSpec>,
        tolerance: Vec<[f64; 2]>,
    ) -> Result<ModelSpec, Problem> {
        let cap = limits.max_iterations;
        let iterations = self.iterations.unwrap_or_else(|| limits.default_iterations());
        if iterations == 0 || iterations > cap {
            return Err(invalid("iterations".into(), format!("must be between 1 and {cap} (the server's limit)")));
        }
        let seed = match self.seed {
            Some(seed) => seed,
            None => getrandom::u64().map_err(|_| Problem::internal())?,
        };
        Ok(ModelSpec {
            iterations,
            seed,
            mode: self.mode.unwrap_or_default(),
            percentiles: rampart_quant::spec::default_percentiles(),
            tolerance,
            scenarios,
        })
    }
}

/// Runs the engine on a blocking thread, one run at a time per server.
async fn simulate(limits: &QuantLimits, spec: &ModelSpec) -> Result<RunResult, Problem> {
    let model = spec.to_model().map_err(|e| invalid(e.field().to_string(), e.to_string()))?;
    let _slot = limits.slot.acquire().await.map_err(|_| Problem::internal())?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    tokio::task::spawn_blocking(move || rampart_quant::run(&model, threads)).await.map_err(|_| Problem::internal())
}

fn record(spec: &ModelSpec, result: &RunResult, scenario_id: Option<String>) -> Result<NewQuantRun, Problem> {
    Ok(NewQuantRun {
        scenario_id,
        iterations: result.iterations,
        seed: result.seed,
        mode: serde_json::to_value(result.mode).ok().and_then(|m| m.as_str().map(String::from)).unwrap_or_default(),
        engine_version: result.engine_version.clone(),
        model: serde_json::to_value(spec).map_err(|_| Problem::internal())?,
        result: serde_json::to_value(result).map_err(|_| Problem::internal())?,
    })
}

/// Quantifies one scenario with its stored estimates and keeps the result.
pub async fn scenario(
    store: &Store,
    limits: &QuantLimits,
    ctx: &ChangeContext,
    org_id: &str,
    scenario_id: &str,
    options: &RunOptions,
) -> Result<QuantRun, Problem> {
    let risk = store.risk(org_id, scenario_id).await?;
    let Some(model) = &risk.fair_model else {
        return Err(invalid("fair_model".into(), "the scenario has no FAIR estimates yet; set them first".into()));
    };
    let spec = options.model(limits, vec![scenario_spec(&risk.fields.name, model)?], vec![])?;
    let result = simulate(limits, &spec).await?;
    Ok(store.record_quant_run(ctx, org_id, record(&spec, &result, Some(risk.id))?).await?)
}

/// Quantifies every scenario with estimates as one portfolio, against the
/// organisation's risk tolerance, and keeps the result. Scenario results are
/// named by scenario id (names need not be unique); `names` maps them back.
pub async fn portfolio(
    store: &Store,
    limits: &QuantLimits,
    ctx: &ChangeContext,
    org_id: &str,
    options: &RunOptions,
) -> Result<QuantRun, Problem> {
    let models = store.fair_models(org_id).await?;
    if models.is_empty() {
        return Err(Problem::new(
            axum::http::StatusCode::CONFLICT,
            "Conflict",
            "No scenario has FAIR estimates yet: set them on a scenario first.",
        ));
    }
    let scenarios =
        models.iter().map(|m| scenario_spec(&m.scenario_id, &m.model)).collect::<Result<Vec<_>, Problem>>()?;
    let tolerance = store.risk_settings(org_id).await?.tolerance;
    let spec = options.model(limits, scenarios, tolerance)?;
    let result = simulate(limits, &spec).await?;
    let mut run = record(&spec, &result, None)?;
    let names: serde_json::Map<String, serde_json::Value> =
        models.into_iter().map(|m| (m.scenario_id, serde_json::Value::String(m.name))).collect();
    if let Some(object) = run.result.as_object_mut() {
        object.insert("names".into(), serde_json::Value::Object(names));
    }
    Ok(store.record_quant_run(ctx, org_id, run).await?)
}

/// A stored result, read back for display.
pub fn result_of(run: &QuantRun) -> Option<RunResult> {
    serde_json::from_value(run.result.clone()).ok()
}

/// The YAML people edit for a scenario's estimates.
pub fn to_yaml(model: &serde_json::Value) -> String {
    serde_norway::to_string(model).unwrap_or_default()
}

/// Parses the YAML (or JSON) of the estimates form.
pub fn from_yaml(text: &str) -> Result<serde_json::Value, Problem> {
    if text.len() > 64 * 1024 {
        return Err(invalid("fair_model".into(), "must be at most 64 KiB".into()));
    }
    let value: serde_json::Value =
        serde_norway::from_str(text).map_err(|e| invalid("fair_model".into(), format!("is not valid YAML: {e}")))?;
    check_fair_model(&value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimates_are_checked_and_errors_name_the_field() {
        let ok = serde_json::json!({"tef": {"pert": [1, 5, 20]}, "vulnerability": {"pert": [0.1, 0.3, 0.6]}, "loss_magnitude": {"pert": [1e4, 1e5, 1e6]}});
        assert_eq!(check_fair_model(&ok).unwrap()["tef"]["pert"][2], 20.0, "normalised, numbers as numbers");
        let reversed = serde_json::json!({"tef": {"pert": [20, 5, 1]}, "vulnerability": {"constant": 0.5}, "loss_magnitude": {"constant": 1}});
        let err = check_fair_model(&reversed).unwrap_err();
        assert_eq!(err.errors[0].field, "fair_model.tef");
        let probability = serde_json::json!({"tef": {"constant": 1}, "vulnerability": {"constant": 1.5}, "loss_magnitude": {"constant": 1}});
        assert_eq!(check_fair_model(&probability).unwrap_err().errors[0].field, "fair_model.vulnerability");
        let unknown = serde_json::json!({"tef": {"gauss": [1, 2]}, "vulnerability": {"constant": 0.5}, "loss_magnitude": {"constant": 1}});
        assert_eq!(check_fair_model(&unknown).unwrap_err().errors[0].field, "fair_model");
        assert!(from_yaml("tef: [").is_err());
        let yaml = "tef: { pert: [1, 5, 20] }\nvulnerability: { constant: 0.5 }\nloss_magnitude: { constant: 100 }\n";
        assert_eq!(from_yaml(yaml).unwrap()["vulnerability"]["constant"], 0.5);
    }
}
