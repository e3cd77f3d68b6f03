//! The public feed: what organisations mark TLP:CLEAR and send to everyone,
//! for anyone, without signing in, as a page and as a STIX 2.1 bundle. The
//! operator turns it on (`serve --public-feed`); off, both answer 404.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::{PageError, Shell, display_time, render};
use crate::AppState;
use crate::error::Problem;

/// Items the feed shows.
const SHOWN: i64 = 200;

struct FeedRow {
    title: String,
    kind: String,
    owner: String,
    created: String,
    text: String,
}

#[derive(Template)]
#[template(path = "public_feed.html")]
struct FeedPage {
    shell: Shell,
    items: Vec<FeedRow>,
}

async fn items(state: &AppState) -> Result<Vec<rampart_store::SharedItem>, PageError> {
    if !state.config.public_feed {
        return Err(PageError(Problem::not_found()));
    }
    Ok(state.store.public_items(SHOWN).await?)
}

/// The words of an item worth showing: an advisory's actions, a summary's
/// text, an indicator's pattern or description.
fn text_of(item: &rampart_store::SharedItem) -> String {
    let b = &item.body;
    ["actions", "summary", "description", "pattern"]
        .iter()
        .find_map(|k| b[k].as_str())
        .unwrap_or_default()
        .chars()
        .take(600)
        .collect()
}

/// `GET /public/feed`.
pub async fn page(State(state): State<AppState>) -> Result<Response, PageError> {
    let items = items(&state).await?;
    Ok(render(
        StatusCode::OK,
        &FeedPage {
            shell: Shell::anonymous("Public feed"),
            items: items
                .iter()
                .map(|i| FeedRow {
                    title: i.title.clone(),
                    kind: i.kind.clone(),
                    owner: i.owner_name.clone(),
                    created: display_time(i.created_at),
                    text: text_of(i),
                })
                .collect(),
        },
    ))
}

/// `GET /public/feed.json`: the same items as a STIX 2.1 bundle.
pub async fn bundle(State(state): State<AppState>) -> Result<Response, PageError> {
    let items = items(&state).await?;
    // Sightings name who saw what: never public.
    let bytes = crate::stix_export::bundle(&items, &std::collections::HashMap::new())
        .map_err(|_| PageError(Problem::internal()))?;
    Ok(([(axum::http::header::CONTENT_TYPE, "application/stix+json;version=2.1")], bytes).into_response())
}
