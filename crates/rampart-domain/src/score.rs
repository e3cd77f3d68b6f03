//! Scores of an assessment, computed in one pass over the framework's tree.
//!
//! The formulas are documented with worked examples in docs/SCORING.md; the
//! tests here are those examples.
//!
//! - A requirement *counts* when it is assessable and in the assessment's
//!   scope (its implementation groups); it is *applicable* unless answered
//!   not applicable.
//! - **Compliance** = Σ weight × credit(result) / Σ weight over applicable
//!   requirements, as a percentage; credit: compliant 1, partially compliant
//!   ½, non-compliant and not assessed 0.
//! - **Maturity** = the mean of the scores given to applicable requirements.
//! - **Points** (the Secure-Score view): each applicable requirement carries
//!   its weight in points and earns weight × credit, where a score on the
//!   scale gives credit (score − lowest) / (highest − lowest) and otherwise
//!   the result's credit applies.
//! - A heading's compliance and maturity roll up either *weighted* (every
//!   requirement below counts by its weight; maturity is the mean of every
//!   score below) or as the *average of averages* (each child with a value
//!   counts once, and so does the heading's own answer when it is assessed).

use serde::Serialize;

use crate::assessment::{ResultKind, RollUp};

/// One node of the tree, in document order (parents before children).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScoreNode {
    /// Index of the parent node in the same slice.
    pub parent: Option<usize>,
    pub weight: u32,
    /// Assessable and in the assessment's scope.
    pub counts: bool,
}

/// The answer given to a node (`None`: not assessed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer {
    pub result: ResultKind,
    pub score: Option<i32>,
}

/// The score scale's lowest and highest values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScaleRange {
    pub lowest: i32,
    pub highest: i32,
}

/// The scores of one node, or of the whole assessment.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Score {
    /// Percent, 0–100; `None` when nothing below applies.
    pub compliance: Option<f64>,
    /// Mean score on the scale; `None` when no score was given.
    pub maturity: Option<f64>,
    pub points_possible: f64,
    pub points_earned: f64,
    /// Requirements counted, by result: not assessed, compliant, partially
    /// compliant, non-compliant, not applicable.
    pub results: [u32; 5],
}

impl Score {
    pub fn requirements(&self) -> u32 {
        self.results.iter().sum()
    }

    /// Requirements with an answer other than not assessed.
    pub fn assessed(&self) -> u32 {
        self.requirements() - self.results[0]
    }

    /// Share of the counted requirements that have an answer, in percent.
    pub fn progress(&self) -> Option<f64> {
        let n = self.requirements();
        (n > 0).then(|| f64::from(self.assessed()) * 100.0 / f64::from(n))
    }
}

/// Scores of every node (aligned with the nodes) and of the whole assessment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scorecard {
    pub overall: Score,
    pub nodes: Vec<Score>,
}

fn result_index(r: ResultKind) -> usize {
    match r {
        ResultKind::NotAssessed => 0,
        ResultKind::Compliant => 1,
        ResultKind::PartiallyCompliant => 2,
        ResultKind::NonCompliant => 3,
        ResultKind::NotApplicable => 4,
    }
}

/// The share of its points an applicable answer earns.
pub fn credit(answer: Option<Answer>, scale: Option<ScaleRange>) -> f64 {
    let Some(answer) = answer else { return 0.0 };
    match (answer.score, scale) {
        (Some(score), Some(s)) if s.highest > s.lowest => {
            (f64::from(score - s.lowest) / f64::from(s.highest - s.lowest)).clamp(0.0, 1.0)
        }
        _ => answer.result.credit(),
    }
}

/// Running sums of a subtree.
#[derive(Debug, Clone, Default)]
struct Sums {
    weight: f64,
    compliant_weight: f64,
    points_earned: f64,
    score_sum: f64,
    scores: u32,
    results: [u32; 5],
    /// Average of averages: the children's values.
    child_compliance: (f64, u32),
    child_maturity: (f64, u32),
}

impl Sums {
    fn add(&mut self, other: &Sums) {
        self.weight += other.weight;
        self.compliant_weight += other.compliant_weight;
        self.points_earned += other.points_earned;
        self.score_sum += other.score_sum;
        self.scores += other.scores;
        for (a, b) in self.results.iter_mut().zip(other.results) {
            *a += b;
        }
    }

    fn finish(&self, roll_up: RollUp, own: Option<(f64, Option<f64>)>) -> Score {
        let (compliance, maturity) = match roll_up {
            RollUp::Weighted => (
                (self.weight > 0.0).then(|| self.compliant_weight * 100.0 / self.weight),
                (self.scores > 0).then(|| self.score_sum / f64::from(self.scores)),
            ),
            RollUp::AverageOfAverages => {
                let (mut c_sum, mut c_n) = self.child_compliance;
                let (mut m_sum, mut m_n) = self.child_maturity;
                if let Some((c, m)) = own {
                    c_sum += c;
                    c_n += 1;
                    if let Some(m) = m {
                        m_sum += m;
                        m_n += 1;
                    }
                }
                ((c_n > 0).then(|| c_sum / f64::from(c_n)), (m_n > 0).then(|| m_sum / f64::from(m_n)))
            }
        };
        Score {
            compliance,
            maturity,
            points_possible: self.weight,
            points_earned: self.points_earned,
            results: self.results,
        }
    }
}

/// Scores every node and the whole assessment in one pass from the leaves up.
/// `answers` is aligned with `nodes`.
pub fn scorecard(
    nodes: &[ScoreNode],
    answers: &[Option<Answer>],
    scale: Option<ScaleRange>,
    roll_up: RollUp,
) -> Scorecard {
    let mut sums = vec![Sums::default(); nodes.len()];
    let mut root = Sums::default();
    let mut scores = vec![Score::default(); nodes.len()];
    for i in (0..nodes.len()).rev() {
        let node = nodes[i];
        let answer = answers.get(i).copied().flatten();
        let mut own = None;
        if node.counts {
            let result = answer.map_or(ResultKind::NotAssessed, |a| a.result);
            let s = &mut sums[i];
            s.results[result_index(result)] += 1;
            if result != ResultKind::NotApplicable {
                let w = f64::from(node.weight);
                s.weight += w;
                s.compliant_weight += w * result.credit();
                s.points_earned += w * credit(answer, scale);
                let score = answer.and_then(|a| a.score).map(f64::from);
                if let Some(score) = score {
                    s.score_sum += score;
                    s.scores += 1;
                }
                own = Some((result.credit() * 100.0, score));
            }
        }
        let score = sums[i].finish(roll_up, own);
        let done = std::mem::take(&mut sums[i]);
        let parent = match node.parent {
            Some(p) if p < i => &mut sums[p],
            _ => &mut root,
        };
        parent.add(&done);
        if let Some(c) = score.compliance {
            parent.child_compliance.0 += c;
            parent.child_compliance.1 += 1;
        }
        if let Some(m) = score.maturity {
            parent.child_maturity.0 += m;
            parent.child_maturity.1 += 1;
        }
        scores[i] = score;
    }
    Scorecard { overall: root.finish(roll_up, None), nodes: scores }
}

/// Effort units of a T-shirt size, for ranking improvement actions.
pub fn effort_units(effort: Option<crate::control::Effort>) -> f64 {
    use crate::control::Effort::*;
    match effort {
        Some(Xs) => 1.0,
        Some(S) => 2.0,
        None | Some(M) => 4.0,
        Some(L) => 8.0,
        Some(Xl) => 16.0,
    }
}

/// A requirement that can still earn points.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Improvement {
    /// Index of the node.
    pub node: usize,
    pub points_gained: f64,
    pub effort: f64,
}

impl Improvement {
    pub fn points_per_effort(&self) -> f64 {
        self.points_gained / self.effort
    }
}

/// The improvement actions: every applicable counted requirement short of
/// full credit, ranked by points gained per unit of effort (ties: more
/// points first, then document order). `effort` is aligned with `nodes`.
pub fn improvements(
    nodes: &[ScoreNode],
    answers: &[Option<Answer>],
    scale: Option<ScaleRange>,
    effort: &[f64],
) -> Vec<Improvement> {
    let mut actions: Vec<Improvement> = nodes
        .iter()
        .enumerate()
        .filter(|(i, n)| n.counts && answers[*i].is_none_or(|a| a.result != ResultKind::NotApplicable))
        .filter_map(|(i, n)| {
            let gained = f64::from(n.weight) * (1.0 - credit(answers[i], scale));
            (gained > 0.0).then(|| Improvement { node: i, points_gained: gained, effort: effort[i].max(0.5) })
        })
        .collect();
    actions.sort_by(|a, b| {
        b.points_per_effort()
            .total_cmp(&a.points_per_effort())
            .then(b.points_gained.total_cmp(&a.points_gained))
            .then(a.node.cmp(&b.node))
    });
    actions
}

#[cfg(test)]
mod tests {
    use super::*;
    use ResultKind::*;

    fn answer(result: ResultKind, score: Option<i32>) -> Option<Answer> {
        Some(Answer { result, score })
    }

    /// docs/SCORING.md, the worked example: heading A with A.1 (weight 3,
    /// compliant, score 4), A.2 (weight 1, partially compliant, score 2) and
    /// A.3 (weight 2, not applicable); heading B with B.1 (weight 2,
    /// non-compliant, score 0) and B.2 (weight 2, not assessed). Scale 0–5.
    fn example() -> (Vec<ScoreNode>, Vec<Option<Answer>>) {
        let n = |parent: Option<usize>, weight: u32, counts: bool| ScoreNode { parent, weight, counts };
        let nodes = vec![
            n(None, 1, false),
            n(Some(0), 3, true),
            n(Some(0), 1, true),
            n(Some(0), 2, true),
            n(None, 1, false),
            n(Some(4), 2, true),
            n(Some(4), 2, true),
        ];
        let answers = vec![
            None,
            answer(Compliant, Some(4)),
            answer(PartiallyCompliant, Some(2)),
            answer(NotApplicable, None),
            None,
            answer(NonCompliant, Some(0)),
            None,
        ];
        (nodes, answers)
    }

    const SCALE: Option<ScaleRange> = Some(ScaleRange { lowest: 0, highest: 5 });

    fn round(v: Option<f64>) -> Option<f64> {
        v.map(|v| (v * 100.0).round() / 100.0)
    }

    #[test]
    fn the_worked_example_weighted() {
        let (nodes, answers) = example();
        let card = scorecard(&nodes, &answers, SCALE, RollUp::Weighted);
        // A: (3×1 + 1×½) / (3 + 1) = 87.5 %; B: 0 / 4 = 0 %; overall 3.5 / 8 = 43.75 %.
        assert_eq!(round(card.nodes[0].compliance), Some(87.5));
        assert_eq!(round(card.nodes[4].compliance), Some(0.0));
        assert_eq!(round(card.overall.compliance), Some(43.75));
        // Maturity: A (4 + 2) / 2 = 3; overall (4 + 2 + 0) / 3 = 2.
        assert_eq!((round(card.nodes[0].maturity), round(card.overall.maturity)), (Some(3.0), Some(2.0)));
        // Points: 3×4/5 + 1×2/5 + 2×0 + 2×0 = 2.8 of 8.
        assert_eq!((round(Some(card.overall.points_earned)), card.overall.points_possible), (Some(2.8), 8.0));
        assert_eq!(card.overall.results, [1, 1, 1, 1, 1]);
        assert_eq!((card.overall.assessed(), round(card.overall.progress())), (4, Some(80.0)));
    }

    #[test]
    fn the_worked_example_as_average_of_averages() {
        let (nodes, answers) = example();
        let card = scorecard(&nodes, &answers, SCALE, RollUp::AverageOfAverages);
        // A: (100 + 50) / 2 = 75 %; B: (0 + 0) / 2 = 0 %; overall (75 + 0) / 2 = 37.5 %.
        assert_eq!(round(card.nodes[0].compliance), Some(75.0));
        assert_eq!(round(card.overall.compliance), Some(37.5));
        // Maturity: A (4 + 2) / 2 = 3, B 0 / 1 = 0, overall (3 + 0) / 2 = 1.5.
        assert_eq!(round(card.overall.maturity), Some(1.5));
        assert_eq!(round(Some(card.overall.points_earned)), Some(2.8), "points do not depend on the roll-up");
    }

    #[test]
    fn nothing_applicable_has_no_compliance_rather_than_zero() {
        let nodes = [ScoreNode { parent: None, weight: 1, counts: true }];
        let card = scorecard(&nodes, &[answer(NotApplicable, None)], None, RollUp::Weighted);
        assert_eq!(card.overall.compliance, None);
        let out_of_scope = [ScoreNode { parent: None, weight: 1, counts: false }];
        assert_eq!(scorecard(&out_of_scope, &[None], None, RollUp::Weighted).overall.requirements(), 0);
    }

    #[test]
    fn improvements_rank_points_per_effort() {
        let (nodes, answers) = example();
        let effort = [4.0, 4.0, 1.0, 4.0, 4.0, 16.0, 2.0];
        let ranked: Vec<usize> = improvements(&nodes, &answers, SCALE, &effort).iter().map(|a| a.node).collect();
        // A.2 gains 0.6 for 1 unit; B.2 gains 2 for 2; A.1 0.6 for 4; B.1 2 for 16. A.3 does not apply.
        assert_eq!(ranked, vec![6, 2, 1, 5]);
    }
}
