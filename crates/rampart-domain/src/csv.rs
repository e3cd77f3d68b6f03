//! CSV for exports: quoting, and spreadsheet formulas defused.

use serde::Serialize;
use serde_json::Value;

/// Quotes a CSV field when needed, and defuses spreadsheet formulas.
fn field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@']) { format!("'{text}") } else { text.to_string() };
    if text.contains([',', '"', '\n', '\r']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text }
}

fn cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// `records` as CSV: a header of `columns`, then each record's fields of
/// those names in that order.
pub fn to_csv<T: Serialize>(columns: &[&str], records: &[T]) -> String {
    let mut out = columns.join(",");
    out.push('\n');
    for record in records {
        let value = serde_json::to_value(record).unwrap_or_default();
        let row: Vec<String> = columns.iter().map(|c| field(&cell(value.get(c)))).collect();
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_and_formulas_defused() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
    }

    #[test]
    fn cells_render_json_values_plainly() {
        let rows = [serde_json::json!({"a": "x", "b": 9.3, "c": null})];
        assert_eq!(to_csv(&["a", "b", "c", "d"], &rows), "a,b,c,d\nx,9.3,,\n");
    }
}
