//! Incident summaries: what of an incident its owner lets leave, shared in a
//! community as an item of kind `incident-summary` under the same TLP rules
//! as any item, and correlation: the same observable in two organisations'
//! summaries. A correlation is shown only where each side may see the
//! other's summary, so it never tells an organisation more than the
//! summaries it may already read.

use rampart_domain::audit::AuditEvent;
use rampart_domain::incident::Marking;
use rampart_domain::sharing::{Distribution, SummaryChoice, check_observable_marking};
use serde::Serialize;
use serde_json::json;
use sqlx::Row;

use crate::communities::visible_to;
use crate::{ChangeContext, NewSharedItem, Result, SharedItem, Store, audit};

/// The kind of shared item a summary is.
pub const SUMMARY_KIND: &str = "incident-summary";

/// How a summary is shared: where, under which marking, and what goes.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSummary {
    pub community_id: String,
    pub title: String,
    pub marking: Marking,
    pub distribution: Distribution,
    pub recipients: Vec<String>,
    pub choice: SummaryChoice,
}

/// Another organisation's summary holding an observable of this one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Correlation {
    pub item_id: String,
    pub title: String,
    pub owner_name: String,
    pub kind: String,
    pub value: String,
    pub created_at: i64,
}

impl Store {
    /// Shares a summary of an incident of `org`'s: the text and what was
    /// ticked, with the chosen observables (each of this incident, none
    /// marked more strictly than the summary), in one transaction.
    pub async fn share_incident_summary(
        &self,
        ctx: &ChangeContext,
        org: &str,
        incident_id: &str,
        new: NewSummary,
    ) -> Result<SharedItem> {
        let choice = new.choice.check()?;
        let detail = self.incident_detail(org, incident_id).await?;
        let mut observables = Vec::new();
        for (index, id) in choice.observables.iter().enumerate() {
            let Some(o) = detail.observables.iter().find(|o| &o.id == id) else {
                return Err(rampart_domain::Invalid::new(
                    format!("observables[{index}]"),
                    "is not an observable of this incident",
                )
                .into());
            };
            check_observable_marking(new.marking, o.tlp, index)?;
            let pair = (o.kind.as_str().to_string(), o.value.clone());
            if !observables.contains(&pair) {
                observables.push(pair);
            }
        }
        let body = choice.body(&detail.incident.fields, &observables);
        let item = NewSharedItem {
            community_id: new.community_id,
            kind: SUMMARY_KIND.into(),
            title: new.title,
            body,
            marking: new.marking,
            distribution: new.distribution,
            recipients: new.recipients,
        };
        let mut tx = self.write_tx().await?;
        let shared = self.share_item_in(&mut tx, ctx, org, item).await?;
        sqlx::query("INSERT INTO incident_shares (item_id, org_id, incident_id) VALUES ($1, $2, $3)")
            .bind(&shared.id)
            .bind(org)
            .bind(incident_id)
            .execute(&mut *tx)
            .await?;
        for (kind, value) in &observables {
            sqlx::query("INSERT INTO shared_item_observables (item_id, kind, value) VALUES ($1, $2, $3)")
                .bind(&shared.id)
                .bind(kind)
                .bind(value)
                .execute(&mut *tx)
                .await?;
        }
        let state = json!({"item": shared.id, "observables": observables.len(), "tlp": shared.marking});
        audit::append(&mut tx, org, ctx, AuditEvent::new("incident.share", "incident", incident_id, Some(&state)))
            .await?;
        tx.commit().await?;
        Ok(shared)
    }

    /// The summaries shared of an incident of `org`'s, newest first.
    pub async fn summaries_of_incident(&self, org: &str, incident_id: &str) -> Result<Vec<SharedItem>> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT s.item_id FROM incident_shares s JOIN shared_items i ON i.id = s.item_id \
             WHERE s.org_id = $1 AND s.incident_id = $2 ORDER BY i.created_at DESC, i.id",
        )
        .bind(org)
        .bind(incident_id)
        .fetch_all(&self.pool)
        .await?;
        let mut items = Vec::with_capacity(ids.len());
        for id in ids {
            items.push(self.shared_item(org, &id).await?);
        }
        Ok(items)
    }

    /// Other organisations' summaries holding an observable of the summary
    /// `item_id`, as `viewer` may be told of them: the viewer may see both
    /// summaries, and each summary's owner may see the other's.
    pub async fn correlations(&self, viewer: &str, item_id: &str) -> Result<Vec<Correlation>> {
        let rows = sqlx::query(&format!(
            "SELECT i.id, i.title, o.name AS owner_name, i.created_at, b.kind, b.value \
             FROM shared_item_observables a \
             JOIN shared_items s ON s.id = a.item_id \
             JOIN shared_item_observables b ON b.kind = a.kind AND b.value = a.value AND b.item_id <> a.item_id \
             JOIN shared_items i ON i.id = b.item_id \
             JOIN organisations o ON o.id = i.owner_org \
             WHERE a.item_id = $2 AND i.owner_org <> s.owner_org AND {} AND {} AND {} AND {} \
             ORDER BY i.created_at DESC, i.id, b.kind, b.value",
            visible_to("$1", "s"),
            visible_to("$1", "i"),
            visible_to("s.owner_org", "i"),
            visible_to("i.owner_org", "s"),
        ))
        .bind(viewer)
        .bind(item_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Correlation {
                    item_id: r.try_get("id")?,
                    title: r.try_get("title")?,
                    owner_name: r.try_get("owner_name")?,
                    kind: r.try_get("kind")?,
                    value: r.try_get("value")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }
}
