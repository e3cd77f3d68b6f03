//! Incident metrics from the timeline, per month of reporting:
//!
//! - MTTD, mean time to detect: occurred → detected;
//! - MTTA, mean time to acknowledge: reported → triage;
//! - MTTC, mean time to contain: aware → containment done (the move to eradication);
//! - MTTR, mean time to recover: aware → recovery done (the move to lessons learned);
//!
//! each over the incidents that have both times, with counts by category
//! and severity.

use std::collections::BTreeMap;

use serde::Serialize;

/// What the metrics need of one incident, times in Unix ms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentTimes {
    pub reported_at: i64,
    pub occurred_at: Option<i64>,
    pub detected_at: Option<i64>,
    pub aware_at: i64,
    pub triage_at: Option<i64>,
    pub contained_at: Option<i64>,
    pub recovered_at: Option<i64>,
    pub category: String,
    pub severity: u8,
}

/// The metrics of one month (`YYYY-MM`), mean durations in hours.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthMetrics {
    pub month: String,
    pub incidents: u32,
    pub mttd_hours: Option<f64>,
    pub mtta_hours: Option<f64>,
    pub mttc_hours: Option<f64>,
    pub mttr_hours: Option<f64>,
    pub by_category: BTreeMap<String, u32>,
    /// Counts for severity 1 to 4.
    pub by_severity: [u32; 4],
}

/// `YYYY-MM` of a Unix ms time (UTC).
pub fn month_of(ms: i64) -> String {
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let days = ms.div_euclid(86_400_000);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}")
}

fn mean_hours(spans: &[i64]) -> Option<f64> {
    (!spans.is_empty()).then(|| spans.iter().sum::<i64>() as f64 / spans.len() as f64 / 3_600_000.0)
}

/// The metrics per month, oldest first.
pub fn monthly(incidents: &[IncidentTimes]) -> Vec<MonthMetrics> {
    #[derive(Default)]
    struct Acc {
        n: u32,
        d: Vec<i64>,
        a: Vec<i64>,
        c: Vec<i64>,
        r: Vec<i64>,
        cat: BTreeMap<String, u32>,
        sev: [u32; 4],
    }
    let mut months: BTreeMap<String, Acc> = BTreeMap::new();
    for i in incidents {
        let acc = months.entry(month_of(i.reported_at)).or_default();
        acc.n += 1;
        let span = |from: Option<i64>, to: Option<i64>| from.zip(to).map(|(f, t)| t - f).filter(|d| *d >= 0);
        acc.d.extend(span(i.occurred_at, i.detected_at));
        acc.a.extend(span(Some(i.reported_at), i.triage_at));
        acc.c.extend(span(Some(i.aware_at), i.contained_at));
        acc.r.extend(span(Some(i.aware_at), i.recovered_at));
        *acc.cat.entry(i.category.clone()).or_default() += 1;
        if (1..=4).contains(&i.severity) {
            acc.sev[usize::from(i.severity - 1)] += 1;
        }
    }
    months
        .into_iter()
        .map(|(month, a)| MonthMetrics {
            month,
            incidents: a.n,
            mttd_hours: mean_hours(&a.d),
            mtta_hours: mean_hours(&a.a),
            mttc_hours: mean_hours(&a.c),
            mttr_hours: mean_hours(&a.r),
            by_category: a.cat,
            by_severity: a.sev,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000;

    #[test]
    fn months_are_civil_months() {
        assert_eq!(month_of(0), "1970-01");
        assert_eq!(month_of(1_767_225_600_000), "2026-01", "2026-01-01T00:00Z");
        assert_eq!(month_of(1_767_225_600_000 - 1), "2025-12");
    }

    #[test]
    fn means_are_taken_over_the_incidents_that_have_both_times() {
        let base = 1_767_225_600_000;
        let incident = |occurred: Option<i64>, triage: i64, contained: Option<i64>| IncidentTimes {
            reported_at: base,
            occurred_at: occurred,
            detected_at: Some(base),
            aware_at: base,
            triage_at: Some(base + triage * HOUR),
            contained_at: contained.map(|h| base + h * HOUR),
            recovered_at: None,
            category: "fraud".into(),
            severity: 2,
        };
        let months = monthly(&[incident(Some(base - 10 * HOUR), 1, Some(6)), incident(None, 3, None)]);
        let m = &months[0];
        assert_eq!((m.month.as_str(), m.incidents), ("2026-01", 2));
        assert_eq!((m.mttd_hours, m.mtta_hours, m.mttc_hours, m.mttr_hours), (Some(10.0), Some(2.0), Some(6.0), None));
        assert_eq!((m.by_category["fraud"], m.by_severity), (2, [0, 2, 0, 0]));
    }
}
