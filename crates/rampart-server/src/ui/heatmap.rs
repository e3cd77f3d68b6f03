//! The risk matrix as a server-rendered SVG: likelihood up, impact across,
//! each cell in its level's colour, with what sits in it (a count of
//! scenarios, or markers for one scenario's ratings).

use std::fmt::Write;

use rampart_domain::risk_matrix::RiskMatrix;
use rampart_store::{HeatCell, HeatMap};

use super::svg_text;

const CELL: f64 = 64.0;
const LEFT: f64 = 120.0;
const TOP: f64 = 34.0;
const BOTTOM: f64 = 70.0;

/// Draws `matrix` with `marks[(likelihood, impact)]` (1-based) written in the
/// cells; `title` names the map for assistive technology.
pub fn matrix_svg(matrix: &RiskMatrix, title: &str, marks: &[((u8, u8), String)]) -> String {
    let (rows, cols) = (matrix.likelihood.len(), matrix.impact.len());
    let width = LEFT + cols as f64 * CELL + 10.0;
    let height = TOP + rows as f64 * CELL + BOTTOM;
    let id = format!(
        "hm-{}",
        title.bytes().map(|b| if b.is_ascii_alphanumeric() { b as char } else { '-' }).collect::<String>()
    );
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-labelledby="{id}" font-family="sans-serif" font-size="12" class="heatmap"><title id="{id}">{}</title>"#,
        svg_text(title)
    );
    let _ = write!(
        svg,
        r#"<text x="{}" y="18" text-anchor="middle" font-weight="bold">{}</text>"#,
        LEFT + cols as f64 * CELL / 2.0,
        svg_text(title)
    );
    for (l, row) in matrix.grid.iter().enumerate() {
        // Highest likelihood on top.
        let y = TOP + (rows - 1 - l) as f64 * CELL;
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            LEFT - 8.0,
            y + CELL / 2.0 + 4.0,
            svg_text(&matrix.likelihood[l])
        );
        for (i, &level) in row.iter().enumerate() {
            let x = LEFT + i as f64 * CELL;
            let lvl = &matrix.levels[usize::from(level)];
            let mark = marks
                .iter()
                .filter(|((ml, mi), _)| usize::from(*ml) == l + 1 && usize::from(*mi) == i + 1)
                .map(|(_, m)| m.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            let _ = write!(
                svg,
                r##"<rect x="{x}" y="{y}" width="{CELL}" height="{CELL}" fill="{}" stroke="#fff" stroke-width="2"><title>Likelihood {} × impact {}: {}{}</title></rect>"##,
                lvl.colour,
                svg_text(&matrix.likelihood[l]),
                svg_text(&matrix.impact[i]),
                svg_text(&lvl.label),
                if mark.is_empty() { String::new() } else { format!(" — {}", svg_text(&mark)) }
            );
            if !mark.is_empty() {
                let _ = write!(
                    svg,
                    r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="18" font-weight="bold" fill="#fff" stroke="#000" stroke-width="0.6">{}</text>"##,
                    x + CELL / 2.0,
                    y + CELL / 2.0 + 6.0,
                    svg_text(&mark)
                );
            }
        }
    }
    for (i, label) in matrix.impact.iter().enumerate() {
        let x = LEFT + i as f64 * CELL + CELL / 2.0;
        let y = TOP + rows as f64 * CELL + 14.0;
        let _ = write!(
            svg,
            r#"<text x="{x:.1}" y="{y:.1}" text-anchor="middle">{}</text>"#,
            svg_text(&label.chars().take(12).collect::<String>())
        );
    }
    let _ = write!(
        svg,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">Impact →</text><text transform="translate(14 {:.1}) rotate(-90)" text-anchor="middle">Likelihood →</text></svg>"#,
        LEFT + cols as f64 * CELL / 2.0,
        TOP + rows as f64 * CELL + 40.0,
        TOP + rows as f64 * CELL / 2.0
    );
    svg
}

/// The register's two heat maps, current and residual: how many scenarios
/// sit in each cell.
pub fn heat_maps(matrix: &RiskMatrix, heat: &HeatMap) -> (String, String) {
    let counts = |cells: &[HeatCell]| -> Vec<((u8, u8), String)> {
        cells.iter().map(|c| ((c.likelihood, c.impact), c.count.to_string())).collect()
    };
    (
        matrix_svg(matrix, "Current risk", &counts(&heat.current)),
        matrix_svg(matrix, "Residual risk", &counts(&heat.residual)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cell_is_drawn_in_its_level_colour_with_its_marks() {
        let m = RiskMatrix::default();
        let svg = matrix_svg(&m, "Current <risk>", &[((4, 4), "3".into()), ((1, 1), "1".into())]);
        assert_eq!(svg.matches("<rect").count(), 25);
        assert_eq!(svg.matches("#c62828").count(), 3, "5×5 default has three very high cells");
        assert!(svg.contains("Current &lt;risk&gt;"));
        assert!(svg.contains("Likely × impact Major: High — 3"));
    }
}
