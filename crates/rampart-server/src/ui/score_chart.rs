//! Assessment charts drawn on the server as SVG: compliance per heading as
//! bars, and compliance over time from the snapshots.

use std::fmt::Write;

use rampart_store::{HeadingScore, Snapshot};

use super::{display_time, svg_text};

const BAR: f64 = 22.0;
const LABEL: f64 = 260.0;
const WIDTH: f64 = 640.0;

/// Colour of a compliance percentage: red below 50, amber below 80, green above.
fn colour(percent: f64) -> &'static str {
    if percent < 50.0 {
        "#a4161a"
    } else if percent < 80.0 {
        "#b35c00"
    } else {
        "#1e6b34"
    }
}

/// Horizontal bars of each heading's compliance (0–100 %).
pub fn headings_svg(headings: &[HeadingScore], title: &str) -> String {
    let rows: Vec<(String, Option<f64>)> =
        headings.iter().map(|h| (format!("{} {}", h.ref_id, h.title), h.compliance)).collect();
    bars_svg(title, &rows, 100.0, "%", colour)
}

/// Horizontal bars of values from 0 to `max`, labelled with `unit`, each
/// coloured by `paint`; a row without a value says n/a.
pub fn bars_svg(
    title: &str,
    rows: &[(String, Option<f64>)],
    max: f64,
    unit: &str,
    paint: fn(f64) -> &'static str,
) -> String {
    let height = 30.0 + rows.len() as f64 * (BAR + 8.0);
    let span = WIDTH - LABEL - 60.0;
    // The first chart of a page keeps the plain id; others are named after their title.
    let id = if title.ends_with("section") {
        "hs-title".to_string()
    } else {
        format!("hs-{}", title.to_lowercase().replace(' ', "-"))
    };
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img" aria-labelledby="{id}" font-family="sans-serif" font-size="12"><title id="{id}">{}</title>"#,
        svg_text(title)
    );
    for (i, (label, value)) in rows.iter().enumerate() {
        let y = 20.0 + i as f64 * (BAR + 8.0);
        let label: String = label.chars().take(40).collect();
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            LABEL - 8.0,
            y + 15.0,
            svg_text(&label)
        );
        let _ = write!(svg, r##"<rect x="{LABEL}" y="{y:.1}" width="{span:.1}" height="{BAR}" fill="#eef1f5"/>"##);
        match value {
            Some(v) => {
                let _ = write!(
                    svg,
                    r#"<rect x="{LABEL}" y="{y:.1}" width="{:.1}" height="{BAR}" fill="{}"><title>{}: {v:.1} {unit}</title></rect><text x="{:.1}" y="{:.1}">{v:.0} {unit}</text>"#,
                    span * (v / max.max(f64::MIN_POSITIVE)).clamp(0.0, 1.0),
                    paint(*v),
                    svg_text(&label),
                    LABEL + span + 6.0,
                    y + 15.0,
                );
            }
            None => {
                let _ = write!(svg, r#"<text x="{:.1}" y="{:.1}">n/a</text>"#, LABEL + span + 6.0, y + 15.0);
            }
        }
    }
    svg.push_str("</svg>");
    svg
}

/// Compliance over time, one point per snapshot.
pub fn trend_svg(snapshots: &[Snapshot], title: &str) -> String {
    let (w, h, left, top, bottom) = (WIDTH, 220.0, 50.0, 20.0, 40.0);
    let plot_h = h - top - bottom;
    let points: Vec<(i64, f64)> =
        snapshots.iter().filter_map(|s| s.summary.compliance.map(|c| (s.taken_at, c))).collect();
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-labelledby="tr-title" font-family="sans-serif" font-size="12"><title id="tr-title">{}</title>"#,
        svg_text(title)
    );
    for pct in [0.0, 50.0, 100.0] {
        let y = top + plot_h * (1.0 - pct / 100.0);
        let _ = write!(
            svg,
            r##"<line x1="{left}" x2="{:.1}" y1="{y:.1}" y2="{y:.1}" stroke="#d4d9e0"/><text x="{:.1}" y="{:.1}" text-anchor="end">{pct:.0} %</text>"##,
            w - 10.0,
            left - 6.0,
            y + 4.0
        );
    }
    if let (Some(first), Some(last)) = (points.first(), points.last()) {
        let span = (last.0 - first.0).max(1) as f64;
        let x = |t: i64| {
            if points.len() == 1 { left + 10.0 } else { left + 10.0 + (w - left - 30.0) * (t - first.0) as f64 / span }
        };
        let y = |c: f64| top + plot_h * (1.0 - c.clamp(0.0, 100.0) / 100.0);
        let path: Vec<String> = points.iter().map(|(t, c)| format!("{:.1},{:.1}", x(*t), y(*c))).collect();
        let _ =
            write!(svg, r##"<polyline points="{}" fill="none" stroke="#0b5cad" stroke-width="2"/>"##, path.join(" "));
        for (t, c) in &points {
            let _ = write!(
                svg,
                r##"<circle cx="{:.1}" cy="{:.1}" r="4" fill="#0b5cad"><title>{}: {:.1} %</title></circle>"##,
                x(*t),
                y(*c),
                display_time(*t),
                c
            );
        }
        let _ = write!(svg, r#"<text x="{left}" y="{:.1}">{}</text>"#, h - 12.0, display_time(first.0));
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            w - 10.0,
            h - 12.0,
            display_time(last.0)
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_are_escaped_and_coloured_by_compliance() {
        let headings = vec![
            HeadingScore { ref_id: "A".into(), title: "<Access>".into(), compliance: Some(90.0), maturity: None },
            HeadingScore { ref_id: "B".into(), title: "Backups".into(), compliance: Some(20.0), maturity: None },
            HeadingScore { ref_id: "C".into(), title: "Crypto".into(), compliance: None, maturity: None },
        ];
        let svg = headings_svg(&headings, "Compliance");
        assert!(svg.contains("&lt;Access&gt;") && !svg.contains("<Access>"));
        assert!(svg.contains("#1e6b34") && svg.contains("#a4161a") && svg.contains("n/a"));
    }
}
