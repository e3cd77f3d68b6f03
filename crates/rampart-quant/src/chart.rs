//! The loss exceedance curve as a self-contained SVG (no scripts, no external
//! files): one line per scenario and a bold one for the portfolio.

use std::fmt::Write;

use crate::engine::RunResult;
use crate::stats::ExceedancePoint;

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

/// The loss exceedance curves of a run, with the risk tolerance points if any.
pub fn loss_exceedance_svg(result: &RunResult) -> String {
    // The x axis ends where the portfolio's histogram range does (its p99.9):
    // the last 0.1% would otherwise squeeze the curves against the axis.
    let max_loss = result.portfolio.histogram.last().map(|b| b.from).unwrap_or(result.portfolio.max).max(1.0);
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let x = |loss: f64| LEFT + (loss / max_loss).clamp(0.0, 1.0) * plot_w;
    let y = |p: f64| TOP + (1.0 - p) * plot_h;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" aria-labelledby="lec-title" font-family="sans-serif" font-size="12"><title id="lec-title">Loss exceedance curve</title><rect width="100%" height="100%" fill="white"/>"#
    );
    for i in 0..=5 {
        let p = i as f64 / 5.0;
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" y1="{yy:.1}" x2="{x2:.1}" y2="{yy:.1}" stroke="#ddd"/><text x="{tx:.1}" y="{ty:.1}" text-anchor="end">{pct:.0}%</text>"##,
            yy = y(p),
            x2 = LEFT + plot_w,
            tx = LEFT - 6.0,
            ty = y(p) + 4.0,
            pct = p * 100.0
        );
        let loss = max_loss * i as f64 / 5.0;
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            x(loss),
            TOP + plot_h + 18.0,
            money(loss)
        );
    }
    let _ = write!(
        svg,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">Annual loss</text><text transform="translate(18 {:.1}) rotate(-90)" text-anchor="middle">Probability of exceeding</text>"#,
        LEFT + plot_w / 2.0,
        HEIGHT - 8.0,
        TOP + plot_h / 2.0
    );
    let polyline = |points: &[ExceedancePoint], colour: &str, width: f64| {
        let pts: Vec<String> = points.iter().map(|p| format!("{:.1},{:.1}", x(p.loss), y(p.probability))).collect();
        format!(r#"<polyline fill="none" stroke="{colour}" stroke-width="{width}" points="{}"/>"#, pts.join(" "))
    };
    let mut legend = Vec::new();
    for (i, s) in result.scenarios.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        svg.push_str(&polyline(&s.summary.loss_exceedance, colour, 1.5));
        legend.push((s.name.as_str(), colour));
    }
    svg.push_str(&polyline(&result.portfolio.loss_exceedance, "#000", 3.0));
    legend.push(("Portfolio", "#000"));
    for t in &result.tolerance {
        let colour = if t.within { "#009E73" } else { "#D55E00" };
        let _ = write!(
            svg,
            r#"<circle cx="{:.1}" cy="{:.1}" r="4" fill="{colour}"><title>tolerance: {} at {:.1}%</title></circle>"#,
            x(t.loss),
            y(t.tolerated_probability),
            money(t.loss),
            t.tolerated_probability * 100.0
        );
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
}
