//! Charts of a run as self-contained SVG (no scripts, no external files): the
//! loss exceedance curves against the risk tolerance, and the histogram of
//! annual loss.

use std::fmt::Write;

use crate::engine::RunResult;
use crate::stats::{ExceedancePoint, Summary};

const WIDTH: f64 = 760.0;
const HEIGHT: f64 = 420.0;
const LEFT: f64 = 80.0;
const RIGHT: f64 = 200.0;
const TOP: f64 = 30.0;
const BOTTOM: f64 = 50.0;
/// Colour-blind-safe palette (Okabe–Ito).
const COLOURS: [&str; 7] = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442"];

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Money with thousands separators, abbreviated (12.5k, 3.2M).
pub fn money(v: f64) -> String {
    match v.abs() {
        a if a >= 1e9 => format!("{:.1}B", v / 1e9),
        a if a >= 1e6 => format!("{:.1}M", v / 1e6),
        a if a >= 1e3 => format!("{:.0}k", v / 1e3),
        _ => format!("{v:.0}"),
    }
}

/// One curve to draw: its name, its points and whether it is the bold one.
#[derive(Debug, Clone, Copy)]
pub struct Curve<'a> {
    pub name: &'a str,
    pub points: &'a [ExceedancePoint],
    pub bold: bool,
}

/// The loss exceedance curves of a run (one per scenario and the portfolio),
/// with its risk tolerance points.
pub fn loss_exceedance_svg(result: &RunResult) -> String {
    let mut curves: Vec<Curve> = result
        .scenarios
        .iter()
        .map(|s| Curve { name: &s.name, points: &s.summary.loss_exceedance, bold: false })
        .collect();
    curves.push(Curve { name: "Portfolio", points: &result.portfolio.loss_exceedance, bold: true });
    let tolerance: Vec<(f64, f64, bool)> =
        result.tolerance.iter().map(|t| (t.loss, t.tolerated_probability, t.within)).collect();
    let range = result.portfolio.histogram.last().map(|b| b.from).unwrap_or(result.portfolio.max);
    curves_svg(&curves, range, &tolerance)
}

/// Loss exceedance curves over annual losses from 0 to `max_loss`, with the
/// tolerance points (loss, tolerated probability, met) marked. The x axis
/// should end at the bold curve's p99.9 (its histogram's last bin start):
/// the last 0.1% would otherwise squeeze every curve against the axis.
pub fn curves_svg(curves: &[Curve], max_loss: f64, tolerance: &[(f64, f64, bool)]) -> String {
    let max_loss = max_loss.max(1.0);
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let x = |loss: f64| LEFT + (loss / max_loss).clamp(0.0, 1.0) * plot_w;
    let y = |p: f64| TOP + (1.0 - p) * plot_h;
    let mut svg = frame("lec-title", "Loss exceedance curve");
    axes(&mut svg, max_loss, 1.0, "Annual loss", "Probability of exceeding", |p| format!("{:.0}%", p * 100.0));
    let polyline = |points: &[ExceedancePoint], colour: &str, width: f64| {
        let pts: Vec<String> = points.iter().map(|p| format!("{:.1},{:.1}", x(p.loss), y(p.probability))).collect();
        format!(r#"<polyline fill="none" stroke="{colour}" stroke-width="{width}" points="{}"/>"#, pts.join(" "))
    };
    let mut legend = Vec::new();
    let mut palette = COLOURS.iter().cycle();
    for c in curves {
        let colour = if c.bold { "#000" } else { palette.next().copied().unwrap_or("#000") };
        svg.push_str(&polyline(c.points, colour, if c.bold { 3.0 } else { 1.5 }));
        legend.push((c.name, colour));
    }
    for &(loss, probability, within) in tolerance {
        let colour = if within { "#009E73" } else { "#D55E00" };
        let _ = write!(
            svg,
            r#"<circle cx="{:.1}" cy="{:.1}" r="5" fill="{colour}"><title>Tolerance: at most {:.1}% chance of losing more than {}{}</title></circle>"#,
            x(loss),
            y(probability),
            probability * 100.0,
            money(loss),
            if within { " (met)" } else { " (exceeded)" }
        );
    }
    if !tolerance.is_empty() {
        legend.push(("Tolerance (met / exceeded)", "#009E73"));
    }
    for (i, (name, colour)) in legend.iter().take(20).enumerate() {
        let ly = TOP + 10.0 + i as f64 * 18.0;
        let lx = WIDTH - RIGHT + 16.0;
        let _ = write!(
            svg,
            r#"<line x1="{lx}" y1="{ly}" x2="{:.1}" y2="{ly}" stroke="{colour}" stroke-width="3"/><text x="{:.1}" y="{:.1}">{}</text>"#,
            lx + 18.0,
            lx + 24.0,
            ly + 4.0,
            escape(&name.chars().take(24).collect::<String>())
        );
    }
    svg.push_str("</svg>\n");
    svg
}

/// The distribution of annual loss as bars (one per histogram bin).
pub fn histogram_svg(summary: &Summary) -> String {
    let bins = &summary.histogram;
    let total: u64 = bins.iter().map(|b| b.count).sum::<u64>().max(1);
    let highest = bins.iter().map(|b| b.count).max().unwrap_or(0).max(1) as f64 / total as f64;
    let max_loss = bins.last().map(|b| b.from).unwrap_or(summary.max).max(1.0);
    let min_loss = bins.first().map(|b| b.from).unwrap_or(0.0).min(max_loss);
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let mut svg = frame("histogram-title", "Distribution of annual loss");
    axes(&mut svg, max_loss, highest, "Annual loss", "Share of simulated years", |p| format!("{:.1}%", p * 100.0));
    let span = (max_loss - min_loss).max(1.0);
    let slot = plot_w / bins.len().max(1) as f64;
    for (i, b) in bins.iter().enumerate() {
        let share = b.count as f64 / total as f64;
        let h = share / highest * plot_h;
        let _ = write!(
            svg,
            r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="#0072B2"><title>{} – {}: {:.2}%</title></rect>"##,
            LEFT + i as f64 * slot,
            TOP + plot_h - h,
            (slot - 1.0).max(0.5),
            h,
            money(b.from),
            money(b.to),
            share * 100.0
        );
    }
    let mean_x = LEFT + ((summary.mean - min_loss) / span).clamp(0.0, 1.0) * plot_w;
    let _ = write!(
        svg,
        r##"<line x1="{mean_x:.1}" y1="{TOP}" x2="{mean_x:.1}" y2="{:.1}" stroke="#D55E00" stroke-width="2" stroke-dasharray="6 4"/><text x="{:.1}" y="{:.1}" fill="#D55E00">mean {}</text>"##,
        TOP + plot_h,
        mean_x + 4.0,
        TOP + 12.0,
        money(summary.mean)
    );
    svg.push_str("</svg>\n");
    svg
}

fn frame(id: &str, title: &str) -> String {
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" aria-labelledby="{id}" font-family="sans-serif" font-size="12"><title id="{id}">{title}</title><rect width="100%" height="100%" fill="white"/>"#
    )
}

/// Grid lines, tick labels and axis titles: x from 0 to `max_x` (money), y
/// from 0 to `max_y` labelled by `y_label`.
fn axes(svg: &mut String, max_x: f64, max_y: f64, x_title: &str, y_title: &str, y_label: impl Fn(f64) -> String) {
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    for i in 0..=5 {
        let f = i as f64 / 5.0;
        let yy = TOP + (1.0 - f) * plot_h;
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" y1="{yy:.1}" x2="{:.1}" y2="{yy:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
            LEFT + plot_w,
            LEFT - 6.0,
            yy + 4.0,
            y_label(max_y * f)
        );
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            LEFT + f * plot_w,
            TOP + plot_h + 18.0,
            money(max_x * f)
        );
    }
    let _ = write!(
        svg,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{x_title}</text><text transform="translate(18 {:.1}) rotate(-90)" text-anchor="middle">{y_title}</text>"#,
        LEFT + plot_w / 2.0,
        HEIGHT - 8.0,
        TOP + plot_h / 2.0
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_abbreviated() {
        assert_eq!(money(950.0), "950");
        assert_eq!(money(12_500.0), "12k");
        assert_eq!(money(3_250_000.0), "3.2M");
        assert_eq!(money(2.5e9), "2.5B");
    }

    #[test]
    fn charts_draw_every_curve_bin_and_tolerance_point() {
        let samples: Vec<f64> = (0..1000).map(|i| f64::from(i) * 10.0).collect();
        let summary = crate::stats::summarize_on(&samples, &[50.0], 1);
        let curves = [
            Curve { name: "A & B", points: &summary.loss_exceedance, bold: false },
            Curve { name: "Portfolio", points: &summary.loss_exceedance, bold: true },
        ];
        let lec = curves_svg(&curves, 9_000.0, &[(5_000.0, 0.1, false)]);
        assert_eq!(lec.matches("<polyline").count(), 2);
        assert!(lec.contains("A &amp; B"), "names are escaped");
        assert!(lec.contains("(exceeded)"));
        let bars = histogram_svg(&summary);
        assert_eq!(bars.matches("<rect x=").count(), summary.histogram.len());
        assert!(bars.contains("mean 5k"));
    }
}
