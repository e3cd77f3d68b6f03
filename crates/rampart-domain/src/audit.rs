//! The tamper-evident audit trail: one hash chain per organisation.
//!
//! Each record's hash covers its own fields and the previous record's hash, so
//! altering, removing or inserting a record breaks every hash after it. The
//! chain's head (last sequence number and hash) is stored apart from the records,
//! so cutting records off the end is caught too.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// The `prev_hash` of a chain's first record.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The chain that records instance-level changes made outside any organisation.
pub const INSTANCE_CHAIN: &str = "instance";

/// One audit record, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditRecord {
    /// The chain: an organisation id, or [`INSTANCE_CHAIN`].
    pub chain: String,
    /// Position in the chain, from 1 without gaps.
    pub seq: i64,
    /// Who acted: a user's e-mail, or `system` for the server itself.
    pub actor: String,
    /// What happened, such as `member.create`.
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    /// SHA-256 of the object's new state (canonical JSON); empty for deletions.
    pub state_digest: String,
    /// Unix time in milliseconds.
    pub at_ms: i64,
    pub request_id: String,
    pub prev_hash: String,
    pub hash: String,
}

/// What a change contributes to the trail; the store adds the chain position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub state_digest: String,
}

impl AuditEvent {
    pub fn new(action: &str, object_type: &str, object_id: &str, new_state: Option<&serde_json::Value>) -> Self {
        Self {
            action: action.to_string(),
            object_type: object_type.to_string(),
            object_id: object_id.to_string(),
            state_digest: new_state.map(state_digest).unwrap_or_default(),
        }
    }
}

/// SHA-256 of a JSON value with its keys in sorted order.
pub fn state_digest(state: &serde_json::Value) -> String {
    // serde_json's map keeps keys sorted (no `preserve_order`), so the text is canonical.
    hex::encode(Sha256::digest(state.to_string().as_bytes()))
}

impl AuditRecord {
    /// The hash this record must carry, from its fields and `prev_hash`.
    pub fn compute_hash(&self) -> String {
        let mut h = Sha256::new();
        let at = self.at_ms.to_string();
        let seq = self.seq.to_string();
        for field in [
            self.prev_hash.as_str(),
            &self.chain,
            &seq,
            &self.actor,
            &self.action,
            &self.object_type,
            &self.object_id,
            &self.state_digest,
            &at,
            &self.request_id,
        ] {
            // Length-prefixed so no two different records share an input.
            h.update((field.len() as u64).to_be_bytes());
            h.update(field.as_bytes());
        }
        hex::encode(h.finalize())
    }
}

/// Where and why a chain stopped verifying.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    pub chain: String,
    /// Sequence number of the first record that does not verify.
    pub seq: i64,
    pub reason: String,
}

impl std::fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "chain {} broken at record {}: {}", self.chain, self.seq, self.reason)
    }
}

/// Incremental verifier: feed records in sequence order, then the stored head.
#[derive(Debug)]
pub struct ChainVerifier {
    chain: String,
    expected_seq: i64,
    prev_hash: String,
}

impl ChainVerifier {
    pub fn new(chain: &str) -> Self {
        Self { chain: chain.to_string(), expected_seq: 1, prev_hash: GENESIS_HASH.to_string() }
    }

    pub fn push(&mut self, record: &AuditRecord) -> Result<(), ChainBreak> {
        let broken = |reason: String| ChainBreak { chain: self.chain.clone(), seq: record.seq, reason };
        if record.seq != self.expected_seq {
            return Err(ChainBreak {
                chain: self.chain.clone(),
                seq: self.expected_seq,
                reason: format!("record {} is missing (next record found is {})", self.expected_seq, record.seq),
            });
        }
        if record.prev_hash != self.prev_hash {
            return Err(broken("its previous-hash does not match the record before it".into()));
        }
        if record.compute_hash() != record.hash {
            return Err(broken("its content does not match its hash (the record was altered)".into()));
        }
        self.expected_seq += 1;
        self.prev_hash = record.hash.clone();
        Ok(())
    }

    /// Checks the records seen end where the stored head says the chain ends.
    pub fn finish(self, head_seq: i64, head_hash: &str) -> Result<i64, ChainBreak> {
        let last = self.expected_seq - 1;
        if head_seq != last || head_hash != self.prev_hash {
            return Err(ChainBreak {
                chain: self.chain,
                seq: last + 1,
                reason: format!(
                    "the chain head records {head_seq} entries but {last} verify (records were removed from the end)"
                ),
            });
        }
        Ok(last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<AuditRecord> {
        let mut prev = GENESIS_HASH.to_string();
        (1..=n)
            .map(|seq| {
                let mut r = AuditRecord {
                    chain: "org-1".into(),
                    seq,
                    actor: "alice@example.org".into(),
                    action: "member.create".into(),
                    object_type: "member".into(),
                    object_id: format!("m{seq}"),
                    state_digest: state_digest(&serde_json::json!({"n": seq})),
                    at_ms: 1_700_000_000_000 + seq,
                    request_id: format!("req-{seq}"),
                    prev_hash: prev.clone(),
                    hash: String::new(),
                };
                r.hash = r.compute_hash();
                prev = r.hash.clone();
                r
            })
            .collect()
    }

    fn verify(records: &[AuditRecord], head: (i64, &str)) -> Result<i64, ChainBreak> {
        let mut v = ChainVerifier::new("org-1");
        for r in records {
            v.push(r)?;
        }
        v.finish(head.0, head.1)
    }

    #[test]
    fn an_intact_chain_verifies() {
        let records = chain(5);
        assert_eq!(verify(&records, (5, &records[4].hash)), Ok(5));
    }

    #[test]
    fn an_altered_record_is_named() {
        let mut records = chain(5);
        records[2].action = "member.delete".into();
        let head = records[4].hash.clone();
        assert_eq!(verify(&records, (5, &head)).unwrap_err().seq, 3);
    }

    #[test]
    fn a_removed_record_is_named() {
        let mut records = chain(5);
        records.remove(1);
        let head = records[3].hash.clone();
        assert_eq!(verify(&records, (5, &head)).unwrap_err().seq, 2);
    }

    #[test]
    fn an_inserted_record_is_named() {
        let mut records = chain(5);
        let mut forged = records[1].clone();
        forged.object_id = "forged".into();
        forged.hash = forged.compute_hash();
        records.insert(2, forged);
        for (i, r) in records.iter_mut().enumerate() {
            r.seq = i as i64 + 1;
        }
        let head = records[5].hash.clone();
        assert_eq!(verify(&records, (6, &head)).unwrap_err().seq, 3, "the forged record sits at position 3");
    }

    #[test]
    fn records_cut_from_the_end_are_caught_by_the_head() {
        let records = chain(5);
        let head = records[4].hash.clone();
        assert_eq!(verify(&records[..3], (5, &head)).unwrap_err().seq, 4);
    }

    #[test]
    fn state_digests_do_not_depend_on_key_order() {
        let a: serde_json::Value = serde_json::from_str(r#"{"a":1,"b":2}"#).unwrap();
        let b: serde_json::Value = serde_json::from_str(r#"{"b":2,"a":1}"#).unwrap();
        assert_eq!(state_digest(&a), state_digest(&b));
    }
}
