//! The hosting provider's assessment of the ISO/IEC 27032 practice catalog,
//! part way through: answers with scores and observations, controls linked.

use rampart_domain::assessment::{AssessmentFields, AssessmentRole, AssessmentStatus, ResultFields};
use rampart_store::{ChangeContext, Store};

const PRACTICE: &str = "urn:rampart:framework:iso-iec-27032-practice";

/// (ref id, result, score 0–5, observation, owner); not applicable carries
/// its justification as the observation.
const ANSWERS: &[(&str, &str, Option<i32>, &str, &str)] = &[
    ("IP.1", "compliant", Some(3), "Service register reviewed in the quarterly risk meeting", "CISO"),
    ("IP.2", "compliant", Some(4), "Security statement and abuse address published on the website", "legal"),
    (
        "IP.3",
        "partially-compliant",
        Some(2),
        "National CSIRT contact tested; police cybercrime unit contact not yet",
        "CISO",
    ),
    ("IP.4", "compliant", Some(3), "Member of the hosting ISAC; advisories reach the SOC mailbox", "SOC"),
    (
        "IP.5",
        "partially-compliant",
        Some(2),
        "Transit contract names DDoS duties; the DNS provider contract is silent",
        "procurement",
    ),
    ("IP.6", "non-compliant", Some(1), "No customer-facing security guidance yet", "customer success"),
    ("RA.1", "compliant", Some(3), "The risk register covers every Internet-facing service", "risk officer"),
    ("RA.2", "compliant", Some(3), "ATT&CK-based threat catalog reviewed in September", "SOC"),
    ("RA.3", "partially-compliant", Some(2), "Scanner findings recorded, not all linked to risks", "SOC"),
    ("RA.4", "partially-compliant", Some(2), "Attack vectors analysed for the portal only", "security architect"),
    ("RA.5", "compliant", Some(4), "Every scenario has an owner and a treatment", "risk officer"),
    ("RA.6", "compliant", Some(3), "Acceptances decided by the CEO with expiry dates", "risk officer"),
    ("RA.7", "partially-compliant", Some(2), "Reviews on schedule; none triggered by the May incident", "risk officer"),
    ("POL.1", "compliant", Some(3), "Policy approved by the board in March", "CISO"),
    ("POL.2", "partially-compliant", Some(2), "No rule for social media yet", "CISO"),
    ("POL.3", "compliant", Some(3), "Yearly review done", "CISO"),
    ("ACC.1", "partially-compliant", Some(2), "Reviews twice a year for admin roles only", "IT"),
    ("ACC.2", "compliant", Some(4), "MFA enforced on VPN, admin consoles and the customer portal", "IT"),
    ("ACC.3", "compliant", Some(3), "Leavers lose access on their last day (HR feed)", "IT"),
    ("ACC.4", "non-compliant", Some(1), "Shared root accounts on legacy hypervisors", "platform team"),
    ("ACC.5", "partially-compliant", Some(2), "MFA offered to customers; no breached-password check", "web team"),
    ("EAT.1", "compliant", Some(3), "Completion 96 % this year", "HR"),
    ("EAT.2", "partially-compliant", Some(2), "Developers trained; administrators not yet", "CISO"),
    ("INC.1", "compliant", Some(3), "Plan follows ISO/IEC 27035 phases", "SOC"),
    ("INC.2", "compliant", Some(4), "abuse@ and security.txt monitored around the clock", "SOC"),
    ("INC.3", "partially-compliant", Some(2), "Triage criteria exist; times not measured", "SOC"),
    ("INC.5", "partially-compliant", Some(2), "NIS2 deadlines known; no pre-filled templates", "legal"),
    ("BCI.2", "partially-compliant", Some(2), "Upstream scrubbing contracted; activation never tested", "network team"),
    ("BCI.3", "compliant", Some(4), "Immutable offline backups; full restore tested in October", "platform team"),
    ("NET.1", "compliant", Some(3), "Zones documented; rules reviewed quarterly", "network team"),
    ("NET.3", "non-compliant", Some(1), "Registrar lock missing on two customer-facing domains", "network team"),
    ("NET.4", "compliant", Some(4), "BCP38 filtering and RPKI route origin validation on every edge", "network team"),
    ("NET.5", "compliant", Some(3), "DMARC at reject for all sending domains", "IT"),
    ("MAL.1", "partially-compliant", Some(2), "EDR on 60 % of servers", "security team"),
    ("VUL.1", "compliant", Some(3), "Weekly external scans", "SOC"),
    ("VUL.2", "partially-compliant", Some(2), "Critical fixes within 14 days 80 % of the time", "platform team"),
    ("VUL.4", "compliant", Some(3), "Disclosure policy and security.txt published", "CISO"),
    ("CRY.2", "compliant", Some(4), "TLS 1.2+ only; HSTS preloaded", "web team"),
    ("CRY.3", "partially-compliant", Some(2), "Expiry alerts for public sites only", "platform team"),
    ("PRV.1", "compliant", Some(3), "Record of processing kept by the DPO", "data protection officer"),
    ("LEG.1", "compliant", Some(3), "NIS2, GDPR and the telecom act registered with owners", "legal"),
    ("SHR.2", "compliant", Some(3), "TLP 2.0 applied to everything shared with the ISAC", "SOC"),
    ("SHR.3", "partially-compliant", Some(2), "Indicators shared by e-mail, not yet over TAXII", "SOC"),
    ("MON.1", "compliant", Some(3), "Central logging of sign-ins, admin actions and edge traffic", "SOC"),
    ("MON.3", "partially-compliant", Some(2), "Alerts analysed in office hours only", "SOC"),
    ("END.2", "compliant", Some(3), "Automatic updates; 97 % of laptops current", "IT"),
    ("END.3", "not-applicable", None, "No personal or mobile device may reach the platform", "IT"),
    ("CII.1", "compliant", Some(3), "Essential entity (digital infrastructure) under NIS2", "legal"),
];

/// Controls of the risk register that implement requirements.
const IMPLEMENTS: &[(&str, &str)] = &[
    ("BCI.3", "Immutable offline backups"),
    ("MAL.1", "Endpoint detection and response"),
    ("BCI.2", "DNS response rate limiting"),
];

pub async fn add(
    store: &Store,
    ctx: &ChangeContext,
    org_id: &str,
    assessor: &str,
    reviewer: &str,
) -> anyhow::Result<()> {
    let framework = store.framework_by_urn(org_id, PRACTICE).await?;
    let groups = vec!["essential".to_string(), "provider".to_string()];
    let known: Vec<&str> = framework.groups.iter().map(|g| g.ref_id.as_str()).collect();
    let fields = AssessmentFields::parse(
        "Internet security baseline 2027",
        "Yearly self-assessment of the hosting platform against the ISO/IEC 27032 practices for providers.",
        None,
        &groups,
        "weighted",
        "2027-03-31",
        &known,
    )?;
    let a = store.create_assessment(ctx, org_id, &framework.id, fields).await?;
    let people = [(assessor.to_string(), AssessmentRole::Assessor), (reviewer.to_string(), AssessmentRole::Reviewer)];
    store.set_assessment_people(ctx, org_id, &a.id, &people).await?;
    store.move_assessment(ctx, org_id, &a.id, AssessmentStatus::InProgress, assessor, false).await?;
    let nodes = store.requirement_nodes(org_id, &framework.id).await?;
    let node = |ref_id: &str| nodes.iter().find(|n| n.requirement.ref_id == ref_id).map(|n| n.id.clone());
    let scale: Vec<i32> = framework.score_scale.iter().map(|l| l.value).collect();
    for &(ref_id, result, score, observation, owner) in ANSWERS {
        let Some(id) = node(ref_id) else { continue };
        let (observation, justification) =
            if result == "not-applicable" { ("", observation) } else { (observation, "") };
        let answer = ResultFields::parse(
            result,
            score,
            Some(4).filter(|_| score.is_some()),
            observation,
            justification,
            owner,
            &scale,
        )?;
        store.set_results(ctx, org_id, &a.id, &[id], &answer).await?;
    }
    let controls = store.list_controls(org_id, None, &rampart_domain::PageRequest::first(100)).await?.items;
    for &(ref_id, control) in IMPLEMENTS {
        if let (Some(node), Some(c)) = (node(ref_id), controls.iter().find(|c| c.fields.name == control)) {
            store.link_result_control(ctx, org_id, &a.id, &node, &c.id).await?;
        }
    }
    Ok(())
}
