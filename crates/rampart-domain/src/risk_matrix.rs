//! The qualitative risk matrix: likelihood × impact → risk level.
//!
//! Each organisation configures one matrix, 3×3 to 5×5, with its own labels
//! and level colours. Positions are 1-based (likelihood 1 is the lowest) as
//! people say them ("likely, 4 of 5").

use serde::{Deserialize, Serialize};

use crate::Invalid;

pub const MIN_SIDE: usize = 3;
pub const MAX_SIDE: usize = 5;
pub const MAX_LEVELS: usize = 6;

/// One risk level: its name and the colour it is drawn in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskLevel {
    pub label: String,
    /// `#rrggbb`.
    pub colour: String,
}

/// Likelihood and impact labels (lowest first), the levels (lowest first) and
/// the grid: `grid[likelihood - 1][impact - 1]` is an index into `levels`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskMatrix {
    pub likelihood: Vec<String>,
    pub impact: Vec<String>,
    pub levels: Vec<RiskLevel>,
    pub grid: Vec<Vec<u8>>,
}

/// A position on the matrix, both 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rating {
    pub likelihood: u8,
    pub impact: u8,
}

fn level(label: &str, colour: &str) -> RiskLevel {
    RiskLevel { label: label.into(), colour: colour.into() }
}

impl Default for RiskMatrix {
    /// A 5×5 matrix in the style of ISO/IEC 27005's examples: the level grows
    /// with likelihood + impact.
    fn default() -> Self {
        let grid = (0..5u8)
            .map(|l| {
                (0..5u8)
                    .map(|i| match l + i {
                        0..=2 => 0,
                        3..=4 => 1,
                        5..=6 => 2,
                        _ => 3,
                    })
                    .collect()
            })
            .collect();
        RiskMatrix {
            likelihood: ["Rare", "Unlikely", "Possible", "Likely", "Almost certain"].map(String::from).to_vec(),
            impact: ["Negligible", "Minor", "Moderate", "Major", "Severe"].map(String::from).to_vec(),
            levels: vec![
                level("Low", "#2e7d32"),
                level("Medium", "#f9a825"),
                level("High", "#ef6c00"),
                level("Very high", "#c62828"),
            ],
            grid,
        }
    }
}

fn check_labels(field: &str, labels: &[String], min: usize, max: usize) -> Result<(), Invalid> {
    if !(min..=max).contains(&labels.len()) {
        return Err(Invalid::new(field, format!("give {min} to {max} labels, lowest first")));
    }
    for (i, label) in labels.iter().enumerate() {
        crate::validate::label(&format!("{field}[{i}]"), label)?;
    }
    Ok(())
}

fn is_colour(text: &str) -> bool {
    text.len() == 7 && text.starts_with('#') && text[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

impl RiskMatrix {
    /// Checks sizes, labels, colours and that the level never falls as
    /// likelihood or impact grows (a matrix where it does is a typo).
    pub fn validate(&self) -> Result<(), Invalid> {
        check_labels("likelihood", &self.likelihood, MIN_SIDE, MAX_SIDE)?;
        check_labels("impact", &self.impact, MIN_SIDE, MAX_SIDE)?;
        if !(2..=MAX_LEVELS).contains(&self.levels.len()) {
            return Err(Invalid::new("levels", format!("give 2 to {MAX_LEVELS} levels, lowest first")));
        }
        for (i, l) in self.levels.iter().enumerate() {
            crate::validate::label(&format!("levels[{i}].label"), &l.label)?;
            if !is_colour(&l.colour) {
                return Err(Invalid::new(format!("levels[{i}].colour"), "must be a colour such as #c62828"));
            }
        }
        if self.grid.len() != self.likelihood.len() {
            return Err(Invalid::new("grid", "needs one row per likelihood, lowest first"));
        }
        for (l, row) in self.grid.iter().enumerate() {
            if row.len() != self.impact.len() {
                return Err(Invalid::new(format!("grid[{l}]"), "needs one level per impact, lowest first"));
            }
            for (i, &cell) in row.iter().enumerate() {
                if usize::from(cell) >= self.levels.len() {
                    return Err(Invalid::new(
                        format!("grid[{l}][{i}]"),
                        format!("is level {cell}, but levels are numbered 0 to {}", self.levels.len() - 1),
                    ));
                }
                let below = if l > 0 { self.grid[l - 1][i] } else { 0 };
                let left = if i > 0 { row[i - 1] } else { 0 };
                if cell < below || cell < left {
                    return Err(Invalid::new(
                        format!("grid[{l}][{i}]"),
                        "must not be lower than the cell of lower likelihood or lower impact",
                    ));
                }
            }
        }
        Ok(())
    }

    pub fn side(&self) -> (u8, u8) {
        (self.likelihood.len() as u8, self.impact.len() as u8)
    }

    /// Checks that a rating lies on this matrix; `field` names it in errors.
    pub fn check(&self, field: &str, rating: Rating) -> Result<(), Invalid> {
        let (l, i) = self.side();
        if !(1..=l).contains(&rating.likelihood) {
            return Err(Invalid::new(format!("{field}.likelihood"), format!("must be 1 to {l}")));
        }
        if !(1..=i).contains(&rating.impact) {
            return Err(Invalid::new(format!("{field}.impact"), format!("must be 1 to {i}")));
        }
        Ok(())
    }

    /// The level index of a rating on this matrix (which must hold it).
    pub fn level_of(&self, rating: Rating) -> u8 {
        self.grid
            .get(usize::from(rating.likelihood).wrapping_sub(1))
            .and_then(|row| row.get(usize::from(rating.impact).wrapping_sub(1)))
            .copied()
            .unwrap_or(0)
    }

    /// The matrix as the four text boxes of the settings form.
    pub fn to_text(&self) -> MatrixText {
        MatrixText {
            likelihood: self.likelihood.join("\n"),
            impact: self.impact.join("\n"),
            levels: self.levels.iter().map(|l| format!("{} {}", l.colour, l.label)).collect::<Vec<_>>().join("\n"),
            // Highest likelihood first, as the matrix is drawn.
            grid: self
                .grid
                .iter()
                .rev()
                .map(|row| row.iter().map(u8::to_string).collect::<Vec<_>>().join(" "))
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }
}

/// The settings form: labels one per line (lowest first), levels as
/// `#colour label` lines (lowest first), the grid as rows of level numbers,
/// highest likelihood first — the way the matrix is drawn.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatrixText {
    pub likelihood: String,
    pub impact: String,
    pub levels: String,
    pub grid: String,
}

fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect()
}

impl MatrixText {
    pub fn parse(&self) -> Result<RiskMatrix, Invalid> {
        let levels = lines(&self.levels)
            .iter()
            .enumerate()
            .map(|(i, line)| {
                let (colour, label) = line.split_once(char::is_whitespace).ok_or_else(|| {
                    Invalid::new(format!("levels line {}", i + 1), "write a colour then a label: #c62828 Very high")
                })?;
                Ok(level(label.trim(), colour))
            })
            .collect::<Result<Vec<_>, Invalid>>()?;
        let mut grid = lines(&self.grid)
            .iter()
            .enumerate()
            .map(|(i, line)| {
                line.split_whitespace()
                    .map(|n| {
                        n.parse::<u8>().map_err(|_| {
                            Invalid::new(format!("grid line {}", i + 1), format!("`{n}` is not a level number"))
                        })
                    })
                    .collect::<Result<Vec<u8>, Invalid>>()
            })
            .collect::<Result<Vec<_>, Invalid>>()?;
        grid.reverse();
        let matrix = RiskMatrix { likelihood: lines(&self.likelihood), impact: lines(&self.impact), levels, grid };
        matrix.validate()?;
        Ok(matrix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_an_iso_27005_style_five_by_five() {
        let m = RiskMatrix::default();
        m.validate().unwrap();
        assert_eq!(m.side(), (5, 5));
        let label = |l, i| m.levels[usize::from(m.level_of(Rating { likelihood: l, impact: i }))].label.as_str();
        assert_eq!(label(1, 1), "Low");
        assert_eq!(label(3, 2), "Medium");
        assert_eq!(label(4, 3), "High");
        assert_eq!(label(5, 5), "Very high");
    }

    #[test]
    fn ratings_must_lie_on_the_matrix() {
        let m = RiskMatrix::default();
        assert!(m.check("current", Rating { likelihood: 5, impact: 1 }).is_ok());
        assert_eq!(m.check("current", Rating { likelihood: 6, impact: 1 }).unwrap_err().field, "current.likelihood");
        assert_eq!(m.check("target", Rating { likelihood: 1, impact: 0 }).unwrap_err().field, "target.impact");
    }

    #[test]
    fn the_form_text_round_trips() {
        let m = RiskMatrix::default();
        assert_eq!(m.to_text().parse().unwrap(), m);
    }

    #[test]
    fn a_three_by_three_is_accepted_and_bad_ones_are_named() {
        let text = MatrixText {
            likelihood: "Low\nMedium\nHigh".into(),
            impact: "Low\nMedium\nHigh".into(),
            levels: "#2e7d32 Acceptable\n#c62828 Not acceptable".into(),
            grid: "0 1 1\n0 0 1\n0 0 0".into(),
        };
        let m = text.parse().unwrap();
        assert_eq!(m.level_of(Rating { likelihood: 3, impact: 2 }), 1);
        assert_eq!(m.level_of(Rating { likelihood: 2, impact: 2 }), 0);

        let two_rows = MatrixText { likelihood: "Low\nHigh".into(), ..text.clone() };
        assert_eq!(two_rows.parse().unwrap_err().field, "likelihood");
        let falls = MatrixText { grid: "0 1 0\n0 0 1\n0 0 0".into(), ..text.clone() };
        assert_eq!(falls.parse().unwrap_err().field, "grid[2][2]");
        let unknown_level = MatrixText { grid: "0 1 2\n0 0 1\n0 0 0".into(), ..text.clone() };
        assert!(unknown_level.parse().unwrap_err().reason.contains("numbered 0 to 1"));
        let bad_colour = MatrixText { levels: "green Acceptable\n#c62828 Not".into(), ..text.clone() };
        assert_eq!(bad_colour.parse().unwrap_err().field, "levels[0].colour");
        let ragged = MatrixText { grid: "0 1\n0 0 1\n0 0 0".into(), ..text };
        assert_eq!(ragged.parse().unwrap_err().field, "grid[2]");
    }
}
