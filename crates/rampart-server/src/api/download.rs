//! Lists as CSV or JSON attachments: the audit trail and the risk register.

use std::future::Future;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use rampart_domain::{Page, PageRequest};
use rampart_store::StoreError;
use serde::Serialize;

use crate::error::Problem;

/// Most rows one export holds, so a download cannot exhaust memory.
pub const MAX_EXPORT_ROWS: usize = 100_000;

/// `?format=` of an export.
#[derive(Debug, Default, serde::Deserialize)]
pub struct FormatQuery {
    pub format: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
}

impl Format {
    /// `csv` (the default) or `json`.
    pub fn parse(text: Option<&str>) -> Result<Format, Problem> {
        match text.unwrap_or("csv") {
            "csv" => Ok(Format::Csv),
            "json" => Ok(Format::Json),
            _ => Err(Problem::invalid(rampart_domain::Invalid::new("format", "must be csv or json"))),
        }
    }
}

/// Every page of a list, up to [`MAX_EXPORT_ROWS`].
pub async fn all_pages<T, F, Fut>(mut fetch: F) -> Result<Vec<T>, Problem>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: Future<Output = Result<Page<T>, StoreError>>,
{
    let mut items = Vec::new();
    let mut page = PageRequest::first(rampart_domain::page::MAX_LIMIT);
    loop {
        let got = fetch(page.clone()).await?;
        items.extend(got.items);
        match got.next {
            Some(next) if items.len() < MAX_EXPORT_ROWS => page.after = Some(next),
            _ => break,
        }
    }
    items.truncate(MAX_EXPORT_ROWS);
    Ok(items)
}

/// Every page of a list, converted to its API form, as a CSV or JSON
/// attachment (`format` is the `?format=` the client sent).
pub async fn export_list<T, D, F, Fut>(
    format: Option<&str>,
    stem: &str,
    columns: &[&str],
    fetch: F,
) -> Result<Response, Problem>
where
    D: Serialize + From<T>,
    F: FnMut(PageRequest) -> Fut,
    Fut: Future<Output = Result<Page<T>, StoreError>>,
{
    let format = Format::parse(format)?;
    let records: Vec<D> = all_pages(fetch).await?.into_iter().map(D::from).collect();
    Ok(download(format, stem, columns, &records))
}

/// `records` as an attachment named `stem.csv` or `stem.json`; CSV columns are
/// the records' fields named in `columns`, in that order.
pub fn download<T: Serialize>(format: Format, stem: &str, columns: &[&str], records: &[T]) -> Response {
    let (content_type, extension, body) = match format {
        Format::Csv => ("text/csv; charset=utf-8", "csv", rampart_domain::csv::to_csv(columns, records)),
        Format::Json => ("application/json", "json", serde_json::to_string_pretty(records).unwrap_or_default()),
    };
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{stem}.{extension}\"")),
        ],
        body,
    )
        .into_response()
}

/// A list as JSON (the default), or with `format=csv` as a CSV download.
pub fn json_or_csv<T: Serialize>(
    format: Option<&str>,
    stem: &str,
    columns: &[&str],
    rows: &[T],
) -> Result<Response, Problem> {
    match format {
        None | Some("json") => Ok(axum::Json(rows).into_response()),
        Some("csv") => Ok(download(Format::Csv, stem, columns, rows)),
        Some(_) => Err(Problem::invalid(rampart_domain::Invalid::new("format", "must be json or csv"))),
    }
}
