//! Times the one-pass roll-up of an assessment with 1,200 requirements
//! (40 headings of 30), every requirement answered, in both roll-up modes.
//!
//! cargo run --release -p rampart-domain --example score_roll_up

use std::time::Instant;

use rampart_domain::assessment::{ResultKind, RollUp};
use rampart_domain::score::{Answer, ScaleRange, ScoreNode, scorecard};

fn main() {
    let mut nodes = Vec::new();
    let mut answers = Vec::new();
    let kinds =
        [ResultKind::Compliant, ResultKind::PartiallyCompliant, ResultKind::NonCompliant, ResultKind::NotApplicable];
    for section in 0..40 {
        let heading = nodes.len();
        nodes.push(ScoreNode { parent: None, weight: 1, counts: false });
        answers.push(None);
        for i in 0..30 {
            nodes.push(ScoreNode { parent: Some(heading), weight: 1 + (i % 3), counts: true });
            let k = (section * 30 + i) as usize;
            answers.push(Some(Answer { result: kinds[k % 4], score: Some((k % 6) as i32) }));
        }
    }
    let scale = Some(ScaleRange { lowest: 0, highest: 5 });
    for roll_up in [RollUp::Weighted, RollUp::AverageOfAverages] {
        let mut times = Vec::new();
        let mut compliance = None;
        for _ in 0..200 {
            let start = Instant::now();
            let card = scorecard(&nodes, &answers, scale, roll_up);
            times.push(start.elapsed().as_secs_f64() * 1e3);
            compliance = card.overall.compliance;
        }
        times.sort_by(f64::total_cmp);
        println!(
            "{roll_up}: 1,200 requirements, median {:.3} ms, max {:.3} ms (compliance {:.1} %)",
            times[times.len() / 2],
            times[times.len() - 1],
            compliance.unwrap_or_default()
        );
    }
}
