//! An assessment's workspace as OSCAL assessment results and POA&M, for the
//! API and the CLI.

use rampart_domain::assessment::ResultKind;
use rampart_oscal::export::{AssessmentExport, ExportedRequirement};
use rampart_store::Workspace;
use serde_json::Value;

use crate::api::rfc3339;

/// The counted requirements of a workspace, in document order, as OSCAL
/// export input. Controls read from OSCAL keep their OSCAL id.
pub fn export_input(w: &Workspace, organisation: &str) -> AssessmentExport {
    let requirements = (0..w.nodes.len())
        .filter(|&i| w.in_scope[i])
        .map(|i| {
            let r = &w.nodes[i].requirement;
            let answer = w.results[i].as_ref();
            let oscal_id = r.extra.as_ref().and_then(|e| e["oscal"]["id"].as_str()).map(str::to_string);
            ExportedRequirement {
                node_id: w.nodes[i].id.clone(),
                control_id: oscal_id.unwrap_or_else(|| r.ref_id.clone()),
                title: r.title.clone(),
                statement: r.statement.clone(),
                result: answer.map_or(ResultKind::NotAssessed, |a| a.fields.result).as_str().to_string(),
                observation: answer.map(|a| a.fields.observation.clone()).unwrap_or_default(),
                justification: answer.map(|a| a.fields.justification.clone()).unwrap_or_default(),
                owner: answer.map(|a| a.fields.owner.clone()).unwrap_or_default(),
                score: answer.and_then(|a| a.fields.score),
                target: answer.and_then(|a| a.fields.target),
                answered_at: answer.map(|a| rfc3339(a.updated_at)),
                controls: answer.map(|a| a.controls.iter().map(|c| c.name.clone()).collect()).unwrap_or_default(),
            }
        })
        .collect();
    let a = &w.assessment;
    AssessmentExport {
        assessment_id: a.id.clone(),
        title: a.fields.name.clone(),
        description: a.fields.description.clone(),
        organisation: organisation.to_string(),
        framework: w.framework.name.clone(),
        framework_urn: w.framework.urn.clone(),
        status: a.status.to_string(),
        started: rfc3339(a.created_at),
        last_modified: rfc3339(a.updated_at),
        requirements,
    }
}

/// The exports an assessment has besides CSV and JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OscalExport {
    AssessmentResults,
    Poam,
}

impl OscalExport {
    /// `oscal-ar` or `poam`.
    pub fn parse(text: &str) -> Option<OscalExport> {
        match text {
            "oscal-ar" => Some(OscalExport::AssessmentResults),
            "poam" => Some(OscalExport::Poam),
            _ => None,
        }
    }

    pub fn file_stem(self) -> &'static str {
        match self {
            OscalExport::AssessmentResults => "assessment-results",
            OscalExport::Poam => "poam",
        }
    }

    pub fn document(self, w: &Workspace, organisation: &str) -> Value {
        let input = export_input(w, organisation);
        match self {
            OscalExport::AssessmentResults => rampart_oscal::export::assessment_results(&input),
            OscalExport::Poam => rampart_oscal::export::poam(&input),
        }
    }
}
