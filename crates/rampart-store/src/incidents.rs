//! Incidents: cases with their lifecycle, regimes and regulatory clocks,
//! timeline and observables (with correlation across the organisation's
//! incidents).

use std::collections::HashMap;

use rampart_domain::audit::AuditEvent;
use rampart_domain::incident::{Determination, IncidentCategory, IncidentFields, IncidentState, Marking};
use rampart_domain::observable::ObservableKind;
use rampart_domain::regulatory::{
    Anchor, Clocks, ObligationRule, ObligationState, built_in_rules, due_times, state_at,
};
use rampart_domain::{Invalid, Page, PageRequest, new_id};
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use rampart_domain::notification::NotificationEvent;

use crate::{ChangeContext, Result, Store, StoreError, audit, notifications, now_ms};

type Tx = sqlx::Transaction<'static, sqlx::Any>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Incident {
    pub id: String,
    #[serde(flatten)]
    pub fields: IncidentFields,
    pub state: IncidentState,
    pub classified_at: Option<i64>,
    pub state_changed_at: i64,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
    /// Set when this incident was merged into another: the one that absorbed it.
    pub merged_into: Option<String>,
}

/// A reporting obligation of an incident and where it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Obligation {
    pub regime: String,
    pub obligation: String,
    pub name: String,
    pub due_at: Option<i64>,
    pub state: ObligationState,
    pub submitted_at: Option<i64>,
    pub reference: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimelineEntry {
    pub id: String,
    pub at: i64,
    pub actor: String,
    /// `created`, `updated`, `transition`, `note`, `observable`, `evidence`,
    /// `submission` or `merged`.
    pub kind: String,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub text: String,
    pub tactic: Option<String>,
    pub technique: Option<String>,
    /// The title of the incident this entry came from, when merged in.
    pub origin: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Observable {
    pub id: String,
    pub incident_id: String,
    pub kind: ObservableKind,
    pub value: String,
    pub ioc: bool,
    pub sighted: bool,
    pub tlp: Marking,
    pub added_by: String,
    pub added_at: i64,
    /// Other incidents of the organisation with the same observable.
    pub seen_in: Vec<IncidentRef>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IncidentRef {
    pub id: String,
    pub title: String,
}

/// An incident with everything its page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IncidentDetail {
    #[serde(flatten)]
    pub incident: Incident,
    pub regimes: Vec<String>,
    pub obligations: Vec<Obligation>,
    pub observables: Vec<Observable>,
    pub tasks: Vec<crate::IncidentTask>,
    pub evidence: Vec<crate::IncidentEvidence>,
    pub timeline: Vec<TimelineEntry>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IncidentFilter {
    pub state: Option<IncidentState>,
    pub category: Option<IncidentCategory>,
    pub severity: Option<u8>,
    pub open: bool,
}

fn flag(r: &AnyRow, col: &str) -> Result<bool> {
    Ok(r.try_get::<i64, _>(col)? != 0)
}

fn from_row(r: &AnyRow) -> Result<Incident> {
    Ok(Incident {
        id: r.try_get("id")?,
        fields: IncidentFields {
            title: r.try_get("title")?,
            description: r.try_get("description")?,
            category: IncidentCategory::parse(&r.try_get::<String, _>("category")?)?,
            severity: u8::try_from(r.try_get::<i64, _>("severity")?).unwrap_or(1),
            tlp: Marking::parse(&r.try_get::<String, _>("tlp")?)?,
            pap: Marking::parse(&r.try_get::<String, _>("pap")?)?,
            determination: Determination::parse(&r.try_get::<String, _>("determination")?)?,
            confidentiality: flag(r, "impact_c")?,
            integrity: flag(r, "impact_i")?,
            availability: flag(r, "impact_a")?,
            estimated_cost: r.try_get("estimated_cost")?,
            people_affected: r.try_get("people_affected")?,
            cross_border: flag(r, "cross_border")?,
            reporter: r.try_get("reporter")?,
            owner: r.try_get("owner")?,
            team: r.try_get("team")?,
            occurred_at: r.try_get("occurred_at")?,
            detected_at: r.try_get("detected_at")?,
            aware_at: r.try_get("aware_at")?,
        },
        state: IncidentState::parse(&r.try_get::<String, _>("state")?)?,
        classified_at: r.try_get("classified_at")?,
        state_changed_at: r.try_get("state_changed_at")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        merged_into: r.try_get("merged_into")?,
    })
}

pub(crate) async fn incident_in(conn: &mut sqlx::AnyConnection, org_id: &str, id: &str) -> Result<Incident> {
    let row = sqlx::query("SELECT * FROM incidents WHERE org_id = $1 AND id = $2")
        .bind(org_id)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(from_row).transpose()?.ok_or(StoreError::NotFound)
}

pub(crate) async fn event(
    tx: &mut Tx,
    org_id: &str,
    incident_id: &str,
    actor: &str,
    kind: &str,
    states: (Option<&str>, Option<&str>),
    text: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO incident_events (id, org_id, incident_id, at, actor, kind, from_state, to_state, text) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(new_id())
    .bind(org_id)
    .bind(incident_id)
    .bind(now_ms())
    .bind(actor)
    .bind(kind)
    .bind(states.0)
    .bind(states.1)
    .bind(text)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The earliest time a timeline entry may be dated (2000-01-01): anything
/// before is a typing mistake.
const EARLIEST_ENTRY: i64 = 946_684_800_000;

/// A value bound to a query built from the filters given.
enum Bind {
    Text(String),
    Int(i64),
}

/// Submitted reports by (regime, obligation): time and reference.
type Submissions = HashMap<(String, String), (i64, String)>;

/// The obligations an incident's regimes set, with their due times and states at `now`.
fn obligations_of(
    rules: &[ObligationRule],
    regimes: &[String],
    submissions: &Submissions,
    clocks: Clocks,
    now: i64,
) -> Vec<Obligation> {
    let mut obligations = Vec::new();
    for regime in regimes {
        let of_regime: Vec<ObligationRule> = rules.iter().filter(|r| &r.regime == regime).cloned().collect();
        let submitted: HashMap<String, i64> = of_regime
            .iter()
            .filter_map(|r| submissions.get(&(regime.clone(), r.key.clone())).map(|s| (r.key.clone(), s.0)))
            .collect();
        let due = due_times(&of_regime, clocks, &submitted);
        for (rule, due_at) in of_regime.iter().zip(due) {
            let done = submissions.get(&(regime.clone(), rule.key.clone()));
            let start = match &rule.anchor {
                Anchor::Awareness => clocks.aware_at,
                Anchor::Classification => clocks.classified_at.unwrap_or(clocks.aware_at),
                Anchor::After(_) => due_at.map_or(clocks.aware_at, |d| d - rule.offset_minutes * 60_000),
            };
            obligations.push(Obligation {
                regime: regime.clone(),
                obligation: rule.key.clone(),
                name: rule.name.clone(),
                due_at,
                state: state_at(due_at, start, done.is_some(), now),
                submitted_at: done.map(|d| d.0),
                reference: done.map(|d| d.1.clone()),
            });
        }
    }
    obligations
}

/// A report still to submit, on the deadlines board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Deadline {
    pub incident: IncidentRef,
    pub severity: u8,
    pub state: IncidentState,
    pub obligation: Obligation,
}

/// The built-in rules and the organisation's own, in order.
async fn rules_in(conn: &mut sqlx::AnyConnection, org_id: &str) -> Result<Vec<ObligationRule>> {
    let mut rules = built_in_rules();
    let rows = sqlx::query("SELECT * FROM regulatory_rules WHERE org_id = $1 ORDER BY seq, id")
        .bind(org_id)
        .fetch_all(&mut *conn)
        .await?;
    for r in &rows {
        let latest: Option<String> = r.try_get("latest_anchor")?;
        let latest_minutes: Option<i64> = r.try_get("latest_offset_minutes")?;
        rules.push(ObligationRule {
            regime: r.try_get("regime")?,
            key: r.try_get("obligation")?,
            name: r.try_get("name")?,
            anchor: Anchor::parse(&r.try_get::<String, _>("anchor")?)?,
            offset_minutes: r.try_get("offset_minutes")?,
            latest: match (latest, latest_minutes) {
                (Some(a), Some(m)) => Some((Anchor::parse(&a)?, m)),
                _ => None,
            },
        });
    }
    Ok(rules)
}

/// Binds an incident's fields, in their column order, as the next 19 parameters.
fn bind_fields<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    fields: &'q IncidentFields,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    query
        .bind(&fields.title)
        .bind(&fields.description)
        .bind(fields.category.as_str())
        .bind(i64::from(fields.severity))
        .bind(fields.tlp.as_str())
        .bind(fields.pap.as_str())
        .bind(fields.determination.as_str())
        .bind(i64::from(fields.confidentiality))
        .bind(i64::from(fields.integrity))
        .bind(i64::from(fields.availability))
        .bind(fields.estimated_cost)
        .bind(fields.people_affected)
        .bind(i64::from(fields.cross_border))
        .bind(&fields.reporter)
        .bind(&fields.owner)
        .bind(&fields.team)
        .bind(fields.occurred_at)
        .bind(fields.detected_at)
        .bind(fields.aware_at)
}

/// Makes `regimes` (already checked) the ones whose clocks apply to an incident.
async fn set_regimes(tx: &mut Tx, org_id: &str, incident_id: &str, regimes: &[String]) -> Result<()> {
    sqlx::query("DELETE FROM incident_regimes WHERE org_id = $1 AND incident_id = $2")
        .bind(org_id)
        .bind(incident_id)
        .execute(&mut **tx)
        .await?;
    for regime in regimes {
        sqlx::query("INSERT INTO incident_regimes (org_id, incident_id, regime) VALUES ($1, $2, $3)")
            .bind(org_id)
            .bind(incident_id)
            .bind(regime)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

async fn check_regimes(conn: &mut sqlx::AnyConnection, org_id: &str, regimes: &[String]) -> Result<Vec<String>> {
    let rules = rules_in(conn, org_id).await?;
    let mut known: Vec<&str> = rules.iter().map(|r| r.regime.as_str()).collect();
    known.dedup();
    let mut out = Vec::new();
    for (i, regime) in regimes.iter().enumerate() {
        let regime = regime.trim().to_ascii_lowercase();
        if !rules.iter().any(|r| r.regime == regime) {
            return Err(Invalid::new(
                format!("regimes[{i}]"),
                format!("`{regime}` is not a regime with rules (known: {})", known.join(", ")),
            )
            .into());
        }
        if !out.contains(&regime) {
            out.push(regime);
        }
    }
    Ok(out)
}

impl Store {
    /// Records a reported incident with the regimes that apply to it.
    pub async fn create_incident(
        &self,
        ctx: &ChangeContext,
        org_id: &str,
        fields: IncidentFields,
        regimes: &[String],
    ) -> Result<Incident> {
        let fields = fields.check()?;
        let now = now_ms();
        let id = new_id();
        let mut tx = self.write_tx().await?;
        let regimes = check_regimes(&mut tx, org_id, regimes).await?;
        let insert = sqlx::query(
            "INSERT INTO incidents (id, org_id, title, description, category, severity, tlp, pap, determination, impact_c, impact_i, impact_a, \
             estimated_cost, people_affected, cross_border, reporter, owner, team, occurred_at, detected_at, aware_at, classified_at, state, \
             state_changed_at, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
             $16, $17, $18, $19, $20, $21, NULL, 'reported', $22, $23, $22, $22)",
        );
        bind_fields(insert.bind(&id).bind(org_id), &fields).bind(now).bind(&ctx.actor).execute(&mut *tx).await?;
        set_regimes(&mut tx, org_id, &id, &regimes).await?;
        event(&mut tx, org_id, &id, &ctx.actor, "created", (None, Some("reported")), &fields.title).await?;
        if let Some(template) = crate::incident_tasks::template_in(&mut tx, org_id, fields.category).await? {
            for task in &template.tasks {
                let due = fields.aware_at + i64::from(task.due_hours) * 3_600_000;
                crate::incident_tasks::insert_task(&mut tx, org_id, &id, &task.title, Some(due), None, &ctx.actor)
                    .await?;
            }
        }
        let state = serde_json::json!({"title": fields.title, "category": fields.category, "severity": fields.severity, "regimes": regimes});
        audit::append(&mut tx, org_id, ctx, AuditEvent::new("incident.create", "incident", &id, Some(&state))).await?;
        let created = incident_in(&mut tx, org_id, &id).await?;
        let payload = serde_json::json!({"incident": notifications::incident_payload(&created), "by": ctx.actor, "regimes": regimes});
        let subject = format!("New incident (severity {}): {}", created.fields.severity, created.fields.title);
        notifications::enqueue(&mut tx, org_id, (NotificationEvent::IncidentCreated, None), &subject, &payload).await?;
        tx.commit().await?;
        Ok(created)
    }

    /// Changes what is known of an incident (its fields, impact and the
    /// regimes that apply) as triage learns more; the lifecycle is unchanged.
    pub async fn update_incident(
        &self,
        ctx: &ChangeContext,
        org_id: &str,
        id: &str,
        fields: IncidentFields,
        regimes: &[String],
    ) -> Result<Incident> {
        let fields = fields.check()?;
        let mut tx = self.write_tx().await?;
        let regimes = check_regimes(&mut tx, org_id, regimes).await?;
        let update = sqlx::query(
            "UPDATE incidents SET title = $3, description = $4, category = $5, severity = $6, tlp = $7, pap = $8, determination = $9, \
             impact_c = $10, impact_i = $11, impact_a = $12, estimated_cost = $13, people_affected = $14, cross_border = $15, \
             reporter = $16, owner = $17, team = $18, occurred_at = $19, detected_at = $20, aware_at = $21, updated_at = $22 \
             WHERE org_id = $1 AND id = $2",
        );
        let done = bind_fields(update.bind(org_id).bind(id), &fields).bind(now_ms()).execute(&mut *tx).await?;
        crate::found(done)?;
        set_regimes(&mut tx, org_id, id, &regimes).await?;
        event(&mut tx, org_id, id, &ctx.actor, "updated", (None, None), "details changed").await?;
        let state = serde_json::json!({"title": fields.title, "category": fields.category, "severity": fields.severity, "regimes": regimes});
        audit::append(&mut tx, org_id, ctx, AuditEvent::new("incident.update", "incident", id, Some(&state))).await?;
        let updated = incident_in(&mut tx, org_id, id).await?;
        tx.commit().await?;
        Ok(updated)
    }

    /// Adds one regime to those whose clocks apply to an incident (a
    /// suggestion the analyst confirms); one that already applies is left as it is.
    pub async fn apply_regime(&self, ctx: &ChangeContext, org_id: &str, id: &str, regime: &str) -> Result<()> {
        let mut tx = self.write_tx().await?;
        incident_in(&mut tx, org_id, id).await?;
        let regime = match check_regimes(&mut tx, org_id, &[regime.to_string()]).await {
            Ok(mut one) => one.remove(0),
            Err(StoreError::Invalid(i)) => return Err(Invalid::new("regime", i.reason).into()),
            Err(e) => return Err(e),
        };
        let applies: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM incident_regimes WHERE org_id = $1 AND incident_id = $2 AND regime = $3",
        )
        .bind(org_id)
        .bind(id)
        .bind(&regime)
        .fetch_one(&mut *tx)
        .await?;
        if applies == 0 {
            sqlx::query("INSERT INTO incident_regimes (org_id, incident_id, regime) VALUES ($1, $2, $3)")
                .bind(org_id)
                .bind(id)
                .bind(&regime)
                .execute(&mut *tx)
                .await?;
            event(
                &mut tx,
                org_id,
                id,
                &ctx.actor,
                "updated",
                (None, None),
                &format!("{regime} applies: its clocks run"),
            )
            .await?;
            let state = serde_json::json!({"regime": regime});
            audit::append(&mut tx, org_id, ctx, AuditEvent::new("incident.regime", "incident", id, Some(&state)))
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Moves an incident along its lifecycle. The first move out of triage
    /// into response classifies it, which starts the clocks anchored there.
    pub async fn transition_incident(
        &self,
        ctx: &ChangeContext,
        org_id: &str,
        id: &str,
        to: IncidentState,
        reason: &str,
    ) -> Result<Incident> {
        let mut tx = self.write_tx().await?;
        let current = incident_in(&mut tx, org_id, id).await?;
        current.state.move_to(to, reason).map_err(StoreError::Conflict)?;
        let now = now_ms();
        let classify = current.classified_at.is_none() && to == IncidentState::Containment;
        sqlx::query(
            "UPDATE incidents SET state = $1, state_changed_at = $2, updated_at = $2, \
             classified_at = CASE WHEN $3 = 1 THEN $2 ELSE classified_at END WHERE id = $4 AND org_id = $5",
        )
        .bind(to.as_str())
        .bind(now)
        .bind(i64::from(classify))
        .bind(id)
        .bind(org_id)
        .execute(&mut *tx)
        .await?;
        event(
            &mut tx,
            org_id,
            id,
            &ctx.actor,
            "transition",
            (Some(current.state.as_str()), Some(to.as_str())),
            reason.trim(),
        )
        .await?;
        let state = serde_json::json!({"from": current.state, "to": to, "reason": reason.trim()});
        audit::append(&mut tx, org_id, ctx, AuditEvent::new("incident.transition", "incident", id, Some(&state)))
            .await?;
        let moved = incident_in(&mut tx, org_id, id).await?;
        let payload = serde_json::json!({"incident": notifications::incident_payload(&moved), "from": current.state,
                                         "to": to, "reason": reason.trim(), "by": ctx.actor});
        let subject = format!("Incident moved to {to}: {}", moved.fields.title);
        notifications::enqueue(&mut tx, org_id, (NotificationEvent::IncidentState, None), &subject, &payload).await?;
        tx.commit().await?;
        Ok(moved)
    }

    /// Adds a manual timeline entry (a note), optionally tagged with an
    /// ATT&CK tactic and technique, at the time it happened (`at`, Unix ms,
    /// however the analyst's time zone wrote it) or now.
    pub async fn add_incident_note(
        &self,
        ctx: &ChangeContext,
        org_id: &str,
        id: &str,
        text: &str,
        tags: (Option<&str>, Option<&str>),
        at: Option<i64>,
    ) -> Result<()> {
        let text = rampart_domain::validate::optional_text("text", text, 8000)?;
        if text.is_empty() {
            return Err(Invalid::new("text", "is required").into());
        }
        let now = now_ms();
        let at = at.unwrap_or(now);
        if at > now + 60_000 {
            return Err(Invalid::new("at", "is in the future: a timeline entry records what has happened").into());
        }
        if at < EARLIEST_ENTRY {
            return Err(Invalid::new("at", "is before the year 2000: check the date").into());
        }
        let mut tx = self.write_tx().await?;
        incident_in(&mut tx, org_id, id).await?;
        sqlx::query(
            "INSERT INTO incident_events (id, org_id, incident_id, at, actor, kind, text, tactic, technique) VALUES ($1, $2, $3, $4, $5, 'note', $6, $7, $8)",
        )
        .bind(new_id())
        .bind(org_id)
        .bind(id)
        .bind(at)
        .bind(&ctx.actor)
        .bind(&text)
        .bind(tags.0.map(str::trim).filter(|t| !t.is_empty()))
        .bind(tags.1.map(str::trim).filter(|t| !t.is_empty()))
        .execute(&mut *tx)
        .await?;
        audit::append(&mut tx, org_id, ctx, AuditEvent::new("incident.note", "incident", id, None)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Adds a checked, normalised observable; the same one twice is refused.
    pub async fn add_observable(
        &self,
        ctx: &ChangeContext,
        org_id: &str,
        incident_id: &str,
        new: &rampart_domain::observable::NewObservable,
    ) -> Result<Observable> {
        let (kind, ioc, sighted, tlp) = (new.kind, new.ioc, new.sighted, new.tlp);
        let value = rampart_domain::observable::normalise(kind, &new.value)?;
        let mut tx = self.write_tx().await?;
        incident_in(&mut tx, org_id, incident_id).await?;
        let id = new_id();
        let added_at = now_ms();
        sqlx::query(
            "INSERT INTO observables (id, org_id, incident_id, kind, value, ioc, sighted, tlp, added_by, added_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&id)
        .bind(org_id)
        .bind(incident_id)
        .bind(kind.as_str())
        .bind(&value)
        .bind(i64::from(ioc))
        .bind(i64::from(sighted))
        .bind(tlp.as_str())
        .bind(&ctx.actor)
        .bind(added_at)
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::unique_as_conflict(e, "the incident already has this observable"))?;
        // Shared indicators this observable matches become sightings.
        crate::sightings::sight_observable(&mut tx, org_id, (&id, incident_id), kind, &value, added_at).await?;
        event(&mut tx, org_id, incident_id, &ctx.actor, "observable", (None, None), &format!("{kind} {value}")).await?;
        let state = serde_json::json!({"type": kind, "value": value});
        audit::append(
            &mut tx,
            org_id,
            ctx,
            AuditEvent::new("incident.observable", "incident", incident_id, Some(&state)),
        )
        .await?;
        tx.commit().await?;
        let detail = self.incident_detail(org_id, incident_id).await?;
        detail.observables.into_iter().find(|o| o.id == id).ok_or(StoreError::NotFound)
    }

    /// Records that a report was submitted for an obligation.
    pub async fn submit_obligation(
        &self,
        ctx: &ChangeContext,
        org_id: &str,
        incident_id: &str,
        regime: &str,
        obligation: &str,
        reference: &str,
    ) -> Result<()> {
        let reference = rampart_domain::validate::optional_text("reference", reference, 200)?;
        let mut tx = self.write_tx().await?;
        incident_in(&mut tx, org_id, incident_id).await?;
        let applies: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM incident_regimes WHERE org_id = $1 AND incident_id = $2 AND regime = $3",
        )
        .bind(org_id)
        .bind(incident_id)
        .bind(regime)
        .fetch_one(&mut *tx)
        .await?;
        let rules = rules_in(&mut tx, org_id).await?;
        if applies == 0 || !rules.iter().any(|r| r.regime == regime && r.key == obligation) {
            return Err(Invalid::new(
                "obligation",
                format!("`{regime}/{obligation}` is not an obligation of this incident"),
            )
            .into());
        }
        sqlx::query(
            "INSERT INTO incident_submissions (org_id, incident_id, regime, obligation, submitted_at, reference, submitted_by) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(org_id)
        .bind(incident_id)
        .bind(regime)
        .bind(obligation)
        .bind(now_ms())
        .bind(&reference)
        .bind(&ctx.actor)
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::unique_as_conflict(e, "this report was already submitted"))?;
        event(
            &mut tx,
            org_id,
            incident_id,
            &ctx.actor,
            "submission",
            (None, None),
            &format!("{regime} {obligation} submitted {reference}"),
        )
        .await?;
        audit::append(
            &mut tx,
            org_id,
            ctx,
            AuditEvent::new(
                "incident.submission",
                "incident",
                incident_id,
                Some(&serde_json::json!({"regime": regime, "obligation": obligation, "reference": reference})),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Incidents, newest first, without those merged into another; the
    /// cursor is `created_at\\u{1f}id`.
    pub async fn list_incidents(
        &self,
        org_id: &str,
        filter: &IncidentFilter,
        page: &PageRequest,
    ) -> Result<Page<Incident>> {
        let (before_at, before_id) = match page.after.as_deref().and_then(|a| a.split_once('\u{1f}')) {
            Some((at, id)) => (at.parse::<i64>().unwrap_or(i64::MAX), id.to_string()),
            None => (i64::MAX, String::new()),
        };
        // Only the filters given are in the query, so each database can use
        // the index that fits (by state, or by time) instead of scanning.
        let mut sql = String::from("SELECT * FROM incidents WHERE org_id = $1 AND merged_into IS NULL");
        let mut binds: Vec<Bind> = Vec::new();
        let mut next = |sql: &mut String, clause: &str, value: Bind| {
            binds.push(value);
            sql.push_str(&clause.replace('?', &format!("${}", binds.len() + 1)));
        };
        if !before_id.is_empty() {
            next(&mut sql, " AND (created_at < ?", Bind::Int(before_at));
            next(&mut sql, " OR (created_at = ?", Bind::Int(before_at));
            next(&mut sql, " AND id < ?))", Bind::Text(before_id));
        }
        if let Some(state) = filter.state {
            next(&mut sql, " AND state = ?", Bind::Text(state.as_str().into()));
        }
        if let Some(category) = filter.category {
            next(&mut sql, " AND category = ?", Bind::Text(category.as_str().into()));
        }
        if let Some(severity) = filter.severity {
            next(&mut sql, " AND severity = ?", Bind::Int(i64::from(severity)));
        }
        if filter.open {
            sql.push_str(" AND state NOT IN ('dismissed', 'closed')");
        }
        next(&mut sql, " ORDER BY created_at DESC, id DESC LIMIT ?", Bind::Int(i64::from(page.limit) + 1));
        let mut query = sqlx::query(&sql).bind(org_id);
        for b in binds {
            query = match b {
                Bind::Text(t) => query.bind(t),
                Bind::Int(i) => query.bind(i),
            };
        }
        let rows = query.fetch_all(&self.pool).await?;
        let items = rows.iter().map(from_row).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_overfetch(items, page.limit, |i| format!("{}\u{1f}{}", i.created_at, i.id)))
    }

    /// An incident with its obligations (due times and states at this moment),
    /// observables with their correlations, and timeline.
    pub async fn incident_detail(&self, org_id: &str, id: &str) -> Result<IncidentDetail> {
        let mut conn = self.pool.acquire().await?;
        let incident = incident_in(&mut conn, org_id, id).await?;
        let regimes: Vec<String> = sqlx::query_scalar(
            "SELECT regime FROM incident_regimes WHERE org_id = $1 AND incident_id = $2 ORDER BY regime",
        )
        .bind(org_id)
        .bind(id)
        .fetch_all(&mut *conn)
        .await?;
        let rules: Vec<ObligationRule> =
            rules_in(&mut conn, org_id).await?.into_iter().filter(|r| regimes.contains(&r.regime)).collect();
        let rows = sqlx::query("SELECT regime, obligation, submitted_at, reference FROM incident_submissions WHERE org_id = $1 AND incident_id = $2")
            .bind(org_id)
            .bind(id)
            .fetch_all(&mut *conn)
            .await?;
        let mut submissions: Submissions = HashMap::new();
        for r in &rows {
            submissions.insert(
                (r.try_get("regime")?, r.try_get("obligation")?),
                (r.try_get("submitted_at")?, r.try_get("reference")?),
            );
        }
        let clocks = Clocks { aware_at: incident.fields.aware_at, classified_at: incident.classified_at };
        let obligations = obligations_of(&rules, &regimes, &submissions, clocks, now_ms());
        let rows = sqlx::query(
            "SELECT o.*, (SELECT COUNT(*) FROM observables x WHERE x.org_id = o.org_id AND x.kind = o.kind AND x.value = o.value AND x.incident_id <> o.incident_id) AS elsewhere \
             FROM observables o WHERE o.org_id = $1 AND o.incident_id = $2 ORDER BY o.added_at, o.id",
        )
        .bind(org_id)
        .bind(id)
        .fetch_all(&mut *conn)
        .await?;
        let mut observables = Vec::with_capacity(rows.len());
        for r in &rows {
            let (kind, value): (String, String) = (r.try_get("kind")?, r.try_get("value")?);
            let seen_in = if r.try_get::<i64, _>("elsewhere")? > 0 {
                let others = sqlx::query(
                    "SELECT DISTINCT i.id, i.title FROM observables x JOIN incidents i ON i.id = x.incident_id AND i.org_id = x.org_id \
                     WHERE x.org_id = $1 AND x.kind = $2 AND x.value = $3 AND x.incident_id <> $4 ORDER BY i.title LIMIT 20",
                )
                .bind(org_id)
                .bind(&kind)
                .bind(&value)
                .bind(id)
                .fetch_all(&mut *conn)
                .await?;
                others
                    .iter()
                    .map(|o| Ok(IncidentRef { id: o.try_get("id")?, title: o.try_get("title")? }))
                    .collect::<Result<Vec<_>>>()?
            } else {
                Vec::new()
            };
            observables.push(Observable {
                id: r.try_get("id")?,
                incident_id: id.to_string(),
                kind: ObservableKind::parse(&kind)?,
                value,
                ioc: flag(r, "ioc")?,
                sighted: flag(r, "sighted")?,
                tlp: Marking::parse(&r.try_get::<String, _>("tlp")?)?,
                added_by: r.try_get("added_by")?,
                added_at: r.try_get("added_at")?,
                seen_in,
            });
        }
        let rows = sqlx::query("SELECT * FROM incident_events WHERE org_id = $1 AND incident_id = $2 ORDER BY at, id")
            .bind(org_id)
            .bind(id)
            .fetch_all(&mut *conn)
            .await?;
        let timeline = rows
            .iter()
            .map(|r| {
                Ok(TimelineEntry {
                    id: r.try_get("id")?,
                    at: r.try_get("at")?,
                    actor: r.try_get("actor")?,
                    kind: r.try_get("kind")?,
                    from_state: r.try_get("from_state")?,
                    to_state: r.try_get("to_state")?,
                    text: r.try_get("text")?,
                    tactic: r.try_get("tactic")?,
                    technique: r.try_get("technique")?,
                    origin: r.try_get("origin")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let tasks = crate::incident_tasks::tasks_in(&mut conn, org_id, id).await?;
        let evidence = crate::incident_evidence::evidence_in(&mut conn, org_id, Some(id), None).await?;
        Ok(IncidentDetail { incident, regimes, obligations, observables, tasks, evidence, timeline })
    }

    /// Every report still to submit for incidents that are not dismissed, soonest first.
    pub async fn deadlines(&self, org_id: &str) -> Result<Vec<Deadline>> {
        self.deadlines_of(org_id, None).await
    }

    /// The reports still to submit for some incidents (a listed page of them), soonest first.
    pub async fn incident_deadlines(&self, org_id: &str, incident_ids: &[String]) -> Result<Vec<Deadline>> {
        if incident_ids.is_empty() {
            return Ok(Vec::new());
        }
        self.deadlines_of(org_id, Some(incident_ids)).await
    }

    async fn deadlines_of(&self, org_id: &str, only: Option<&[String]>) -> Result<Vec<Deadline>> {
        // `$2, $3, …` for the chosen incidents: portable across both databases.
        let among = |column: &str| match only {
            Some(ids) => format!(
                " AND {column} IN ({})",
                (2..ids.len() + 2).map(|n| format!("${n}")).collect::<Vec<_>>().join(", ")
            ),
            None => String::new(),
        };
        let mut conn = self.pool.acquire().await?;
        let rules = rules_in(&mut conn, org_id).await?;
        let incidents = format!(
            "SELECT i.id, i.title, i.severity, i.state, i.aware_at, i.classified_at, r.regime FROM incidents i \
             JOIN incident_regimes r ON r.incident_id = i.id AND r.org_id = i.org_id WHERE i.org_id = $1 AND i.state <> 'dismissed'{}",
            among("i.id")
        );
        let submitted = format!(
            "SELECT incident_id, regime, obligation, submitted_at, reference FROM incident_submissions WHERE org_id = $1{}",
            among("incident_id")
        );
        let (mut rows_query, mut subs_query) =
            (sqlx::query(&incidents).bind(org_id), sqlx::query(&submitted).bind(org_id));
        for id in only.unwrap_or_default() {
            rows_query = rows_query.bind(id);
            subs_query = subs_query.bind(id);
        }
        let rows = rows_query.fetch_all(&mut *conn).await?;
        let subs = subs_query.fetch_all(&mut *conn).await?;
        let mut submissions: HashMap<String, Submissions> = HashMap::new();
        for r in &subs {
            submissions.entry(r.try_get("incident_id")?).or_default().insert(
                (r.try_get("regime")?, r.try_get("obligation")?),
                (r.try_get("submitted_at")?, r.try_get("reference")?),
            );
        }
        let now = now_ms();
        let empty = Submissions::new();
        let mut out = Vec::new();
        for r in &rows {
            let id: String = r.try_get("id")?;
            let clocks = Clocks { aware_at: r.try_get("aware_at")?, classified_at: r.try_get("classified_at")? };
            let regime: String = r.try_get("regime")?;
            let of_incident = submissions.get(&id).unwrap_or(&empty);
            for obligation in obligations_of(&rules, &[regime], of_incident, clocks, now) {
                if obligation.state == ObligationState::Submitted {
                    continue;
                }
                out.push(Deadline {
                    incident: IncidentRef { id: id.clone(), title: r.try_get("title")? },
                    severity: u8::try_from(r.try_get::<i64, _>("severity")?).unwrap_or(1),
                    state: IncidentState::parse(&r.try_get::<String, _>("state")?)?,
                    obligation,
                });
            }
        }
        out.sort_by_key(|d| (d.obligation.due_at.unwrap_or(i64::MAX), d.incident.id.clone()));
        Ok(out)
    }

    /// What the metrics need of every incident: its times and the first move into each phase.
    pub async fn incident_times(&self, org_id: &str) -> Result<Vec<rampart_domain::incident_metrics::IncidentTimes>> {
        let mut conn = self.pool.acquire().await?;
        let rows = sqlx::query(
            "SELECT incident_id, to_state, MIN(at) AS first_at FROM incident_events WHERE org_id = $1 AND kind = 'transition' \
             AND to_state IN ('triage', 'eradication', 'lessons-learned') GROUP BY incident_id, to_state",
        )
        .bind(org_id)
        .fetch_all(&mut *conn)
        .await?;
        let mut first: HashMap<(String, String), i64> = HashMap::new();
        for r in &rows {
            first.insert((r.try_get("incident_id")?, r.try_get("to_state")?), r.try_get("first_at")?);
        }
        let rows = sqlx::query("SELECT id, created_at, occurred_at, detected_at, aware_at, category, severity FROM incidents WHERE org_id = $1 AND merged_into IS NULL ORDER BY created_at")
            .bind(org_id)
            .fetch_all(&mut *conn)
            .await?;
        rows.iter()
            .map(|r| {
                let id: String = r.try_get("id")?;
                let at = |state: &str| first.get(&(id.clone(), state.to_string())).copied();
                Ok(rampart_domain::incident_metrics::IncidentTimes {
                    reported_at: r.try_get("created_at")?,
                    occurred_at: r.try_get("occurred_at")?,
                    detected_at: r.try_get("detected_at")?,
                    aware_at: r.try_get("aware_at")?,
                    triage_at: at("triage"),
                    contained_at: at("eradication"),
                    recovered_at: at("lessons-learned"),
                    category: r.try_get("category")?,
                    severity: u8::try_from(r.try_get::<i64, _>("severity")?).unwrap_or(1),
                })
            })
            .collect()
    }

    /// The reporting rules in force: the built-in ones and the organisation's.
    pub async fn regulatory_rules(&self, org_id: &str) -> Result<Vec<ObligationRule>> {
        rules_in(&mut *self.pool.acquire().await?, org_id).await
    }

    /// Adds an organisation's own reporting rule.
    pub async fn add_regulatory_rule(&self, ctx: &ChangeContext, org_id: &str, rule: &ObligationRule) -> Result<()> {
        let mut tx = self.write_tx().await?;
        if rules_in(&mut tx, org_id).await?.iter().any(|r| r.regime == rule.regime && r.key == rule.key) {
            return Err(StoreError::Conflict(format!("{}/{} already has a rule", rule.regime, rule.key)));
        }
        let seq: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM regulatory_rules WHERE org_id = $1")
            .bind(org_id)
            .fetch_one(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO regulatory_rules (id, org_id, regime, obligation, name, anchor, offset_minutes, latest_anchor, latest_offset_minutes, seq) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(new_id())
        .bind(org_id)
        .bind(&rule.regime)
        .bind(&rule.key)
        .bind(&rule.name)
        .bind(rule.anchor.as_text())
        .bind(rule.offset_minutes)
        .bind(rule.latest.as_ref().map(|(a, _)| a.as_text()))
        .bind(rule.latest.as_ref().map(|(_, m)| *m))
        .bind(seq)
        .execute(&mut *tx)
        .await?;
        audit::append(
            &mut tx,
            org_id,
            ctx,
            AuditEvent::new("regulatory_rule.add", "regulatory_rule", &format!("{}/{}", rule.regime, rule.key), None),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes one of the organisation's own rules (the built-in ones stay).
    /// Reports already submitted under it are kept.
    pub async fn remove_regulatory_rule(
        &self,
        ctx: &ChangeContext,
        org_id: &str,
        regime: &str,
        key: &str,
    ) -> Result<()> {
        if built_in_rules().iter().any(|r| r.regime == regime && r.key == key) {
            return Err(StoreError::Conflict(format!("{regime}/{key} is a built-in rule: it cannot be removed")));
        }
        let mut tx = self.write_tx().await?;
        let done = sqlx::query("DELETE FROM regulatory_rules WHERE org_id = $1 AND regime = $2 AND obligation = $3")
            .bind(org_id)
            .bind(regime)
            .bind(key)
            .execute(&mut *tx)
            .await?;
        crate::found(done)?;
        let object = format!("{regime}/{key}");
        audit::append(
            &mut tx,
            org_id,
            ctx,
            AuditEvent::new("regulatory_rule.remove", "regulatory_rule", &object, None),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
