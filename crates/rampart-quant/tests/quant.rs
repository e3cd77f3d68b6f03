//! The engine against closed forms, against pyfair's published reference
//! results, and against itself on different thread counts.

use rampart_quant::spec::{DistSpec, ModelSpec, ScenarioSpec};
use rampart_quant::{Mode, PertShape, run};

fn pert(min: f64, mode: f64, max: f64, shape: PertShape) -> Option<DistSpec> {
    Some(DistSpec { pert: Some([min, mode, max]), shape: Some(shape), ..DistSpec::default() })
}

fn constant(v: f64) -> Option<DistSpec> {
    Some(DistSpec { constant: Some(v), ..DistSpec::default() })
}

fn uniform(a: f64, b: f64) -> Option<DistSpec> {
    Some(DistSpec { uniform: Some([a, b]), ..DistSpec::default() })
}

/// pyfair's reference model: TEF PERT(1, 5, 20), vulnerability PERT(0.1, 0.3, 0.6),
/// loss magnitude PERT(10,000, 100,000, 1,000,000), classic beta-PERT.
fn reference(mode: Mode, iterations: u64) -> ModelSpec {
    ModelSpec {
        iterations,
        seed: 7,
        mode,
        percentiles: vec![5.0, 10.0, 50.0, 90.0, 95.0, 99.0],
        tolerance: vec![],
        scenarios: vec![ScenarioSpec {
            name: "reference".into(),
            tef: pert(1.0, 5.0, 20.0, PertShape::Classic),
            vulnerability: pert(0.1, 0.3, 0.6, PertShape::Classic),
            loss_magnitude: pert(10_000.0, 100_000.0, 1_000_000.0, PertShape::Classic),
            ..ScenarioSpec::default()
        }],
    }
}

fn within(got: f64, expected: f64, tolerance: f64) -> bool {
    (got / expected - 1.0).abs() <= tolerance
}

#[test]
fn pyfair_mode_reproduces_pyfairs_reference_percentiles() {
    let result = run(&reference(Mode::Pyfair, 1_000_000).to_model().unwrap(), 2);
    let s = &result.scenarios[0].summary;
    for (key, expected) in [("p50", 355_260.0), ("p90", 1_142_510.0), ("p99", 2_330_990.0)] {
        assert!(within(s.percentiles[key], expected, 0.015), "{key}: {} vs pyfair {expected}", s.percentiles[key]);
    }
    assert!(within(s.mean, 508_972.0, 0.015), "mean {} vs pyfair 508,972", s.mean);
    assert!(within(s.mean, 508_514.0, 0.005), "mean {} vs the analytic 508,514", s.mean);
}

#[test]
fn aggregate_mode_has_the_same_expected_annual_loss() {
    // E[Σ of N losses] = E[N] E[LM] = E[TEF] E[V] E[LM] when N is Poisson(TEF·V).
    let result = run(&reference(Mode::Aggregate, 1_000_000).to_model().unwrap(), 2);
    let s = &result.scenarios[0].summary;
    assert!(within(s.mean, 508_514.0, 0.005), "mean {}", s.mean);
    assert!(s.percentiles["p5"] < 1.0, "a year without loss events is common ({})", s.percentiles["p5"]);
}

#[test]
fn one_and_two_threads_give_identical_results() {
    let model = reference(Mode::Aggregate, 100_000).to_model().unwrap();
    assert_eq!(run(&model, 1), run(&model, 2));
    assert_eq!(run(&model, 2), run(&model, 3));
    let mut other_seed = model.clone();
    other_seed.seed = 8;
    assert_ne!(run(&model, 1).portfolio.mean, run(&other_seed, 1).portfolio.mean);
}

#[test]
fn the_vector_and_baseline_compilations_agree_bit_for_bit() {
    // Both modes, contact frequency, threat capability against resistance,
    // several forms of loss with secondary effects, and a control: every
    // loop that has an AVX2 compilation. (Without AVX2 both runs take the
    // baseline and agree trivially.)
    let mut spec = reference(Mode::Pyfair, 100_003);
    let mut other = spec.scenarios[0].clone();
    other.name = "other".into();
    other.tef = None;
    other.contact_frequency = pert(2.0, 8.0, 30.0, PertShape::Modified);
    other.probability_of_action = uniform(0.2, 0.5);
    other.vulnerability = None;
    other.threat_capability = pert(0.2, 0.5, 0.9, PertShape::Modified);
    other.resistance_strength = pert(0.3, 0.6, 0.8, PertShape::Modified);
    other.loss_magnitude = None;
    other.primary_loss = Some(rampart_quant::spec::PrimaryLossSpec {
        productivity: pert(1_000.0, 5_000.0, 40_000.0, PertShape::Modified),
        response: constant(2_000.0),
        ..Default::default()
    });
    other.secondary_loss = Some(rampart_quant::spec::SecondaryLossSpec {
        frequency: uniform(0.1, 0.4).unwrap(),
        magnitude: pert(10_000.0, 50_000.0, 300_000.0, PertShape::Modified).unwrap(),
    });
    other.controls = vec![rampart_quant::spec::ControlSpec {
        name: "MFA".into(),
        cost: 10_000.0,
        reduces: rampart_quant::ControlTarget::Vulnerability,
        by: uniform(0.3, 0.6).unwrap(),
    }];
    spec.scenarios.push(other);
    for mode in [Mode::Pyfair, Mode::Aggregate] {
        spec.mode = mode;
        let model = spec.to_model().unwrap();
        for threads in [1, 2] {
            let vector = run(&model, threads);
            let baseline = rampart_quant::with_baseline_only(|| run(&model, threads));
            assert_eq!(vector, baseline, "{mode:?} on {threads} thread(s)");
        }
    }
}

#[test]
fn a_stored_result_reads_back_unchanged() {
    let result = run(&reference(Mode::Pyfair, 10_000).to_model().unwrap(), 1);
    let text = serde_json::to_string(&result).unwrap();
    assert_eq!(serde_json::from_str::<rampart_quant::RunResult>(&text).unwrap(), result);
}

#[test]
fn the_open_fair_tree_multiplies_out_to_its_analytic_mean() {
    // TEF = contact 10/yr × action 0.5; vulnerability = P(U(0,1) > 0.3) = 0.7;
    // loss = productivity U(1000, 3000) + response 500 + secondary 0.2 × 10,000.
    let spec = ModelSpec {
        iterations: 1_000_000,
        seed: 1,
        mode: Mode::Pyfair,
        percentiles: vec![50.0],
        tolerance: vec![],
        scenarios: vec![ScenarioSpec {
            name: "tree".into(),
            contact_frequency: constant(10.0),
            probability_of_action: constant(0.5),
            threat_capability: uniform(0.0, 1.0),
            resistance_strength: constant(0.3),
            primary_loss: Some(rampart_quant::spec::PrimaryLossSpec {
                productivity: uniform(1000.0, 3000.0),
                response: constant(500.0),
                ..Default::default()
            }),
            secondary_loss: Some(rampart_quant::spec::SecondaryLossSpec {
                frequency: constant(0.2).unwrap(),
                magnitude: constant(10_000.0).unwrap(),
            }),
            ..ScenarioSpec::default()
        }],
    };
    let expected = 10.0 * 0.5 * 0.7 * (2000.0 + 500.0 + 0.2 * 10_000.0);
    for mode in [Mode::Pyfair, Mode::Aggregate] {
        let mut spec = spec.clone();
        spec.mode = mode;
        let mean = run(&spec.to_model().unwrap(), 2).scenarios[0].summary.mean;
        assert!(within(mean, expected, 0.005), "{mode:?}: {mean} vs {expected}");
    }
}

#[test]
fn the_portfolio_adds_scenarios_year_by_year() {
    let mut spec = reference(Mode::Aggregate, 200_000);
    let mut second = spec.scenarios[0].clone();
    second.name = "second".into();
    second.tef = constant(2.0);
    spec.scenarios.push(second);
    spec.tolerance = vec![[1_000_000.0, 0.5], [3_000_000.0, 0.0]];
    let result = run(&spec.to_model().unwrap(), 2);
    let sum: f64 = result.scenarios.iter().map(|s| s.summary.mean).sum();
    assert!((result.portfolio.mean - sum).abs() < 1e-6 * sum);
    assert!(result.portfolio.max >= result.scenarios[0].summary.max);
    assert!(result.tolerance[0].within, "{:?}", result.tolerance[0]);
    assert!(!result.tolerance[1].within, "some year exceeds 3M: {:?}", result.tolerance[1]);
}

#[test]
fn a_control_reports_its_reduction_and_return() {
    let mut spec = reference(Mode::Pyfair, 500_000);
    spec.scenarios[0].controls = vec![rampart_quant::spec::ControlSpec {
        name: "EDR".into(),
        cost: 50_000.0,
        reduces: rampart_quant::ControlTarget::Tef,
        by: constant(0.5).unwrap(),
    }];
    let result = run(&spec.to_model().unwrap(), 2);
    let effect = result.scenarios[0].controls.as_ref().unwrap();
    let base = result.scenarios[0].summary.mean;
    assert!(within(effect.with_controls.mean, base / 2.0, 0.01), "halving TEF halves the loss");
    assert!(within(effect.reduction, base / 2.0, 0.01));
    let roi = effect.return_on_cost.unwrap();
    assert!((roi - (effect.reduction - 50_000.0) / 50_000.0).abs() < 1e-9);
}

#[test]
fn bad_models_name_the_field() {
    let mut spec = reference(Mode::Pyfair, 1000);
    spec.scenarios[0].vulnerability = pert(0.1, 0.3, 1.6, PertShape::Classic);
    assert_eq!(spec.to_model().unwrap_err().field(), "scenarios[0].vulnerability");

    let mut spec = reference(Mode::Pyfair, 1000);
    spec.scenarios[0].tef = pert(5.0, 1.0, 20.0, PertShape::Classic);
    let err = spec.to_model().unwrap_err().to_string();
    assert!(err.starts_with("scenarios[0].tef") && err.contains("min (5) must not exceed mode (1)"), "{err}");

    let mut spec = reference(Mode::Pyfair, 1000);
    spec.scenarios[0].loss_magnitude = uniform(-5.0, 10.0);
    assert!(spec.to_model().unwrap_err().to_string().contains("cannot be negative"));

    let mut spec = reference(Mode::Pyfair, 1000);
    spec.scenarios[0].tef = Some(DistSpec::default());
    assert!(spec.to_model().unwrap_err().to_string().contains("exactly one distribution"));

    let mut spec = reference(Mode::Pyfair, 1000);
    spec.iterations = rampart_quant::MAX_ITERATIONS + 1;
    assert_eq!(spec.to_model().unwrap_err().field(), "iterations");

    let mut spec = reference(Mode::Pyfair, 1000);
    spec.scenarios[0].contact_frequency = constant(3.0);
    assert!(
        spec.to_model()
            .unwrap_err()
            .to_string()
            .contains("give either tef or both contact_frequency and probability_of_action")
    );
}
