//! STIX 2.1 as Rampart exchanges it: a serde model of the objects we share
//! (the common properties and, for the types we work with, their own, typed
//! and checked), TLP 2.0 markings with their official identifiers, and
//! bundles read as a stream in constant memory.
//!
//! What we do not model is kept: an object of a type we do not know, and a
//! property we do not know on one we do, survive reading and writing
//! unchanged, so Rampart passes on what others share without losing any of it.

mod bundle;
mod marking;
mod object;
pub mod pattern;
mod timestamp;

pub use bundle::{BundleWriter, ObjectError, read_bundle, read_bundle_value, read_object};
pub use marking::{TLP_EXTENSION_ID, Tlp};
pub use object::{Body, Category, ExternalReference, GranularMarking, KillChainPhase, StixObject, category_of};
pub use timestamp::Timestamp;

/// The same STIX identifier every time for the same thing of Rampart's
/// (`key`, such as an organisation's id): `kind--` and a UUIDv5.
pub fn stable_id(kind: &str, key: &str) -> String {
    format!("{kind}--{}", uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, format!("rampart:{kind}:{key}").as_bytes()))
}

/// The identifier STIX 2.1 gives a cyber-observable (SCO) of `kind` with
/// these ID-contributing properties (§2.9): `kind--` and the UUIDv5, in the
/// SCO namespace, of their canonical JSON. The same value gets the same id
/// in every tool that follows the specification.
pub fn sco_id(kind: &str, contributing: &serde_json::Value) -> String {
    const SCO_NAMESPACE: uuid::Uuid = uuid::uuid!("00abedb4-aa42-466c-9c01-fed23315a9b7");
    // serde_json's maps keep keys sorted: for these string-valued properties
    // its compact form is the canonical (RFC 8785) one.
    format!("{kind}--{}", uuid::Uuid::new_v5(&SCO_NAMESPACE, contributing.to_string().as_bytes()))
}

/// A fresh STIX identifier for an object of `kind`: `kind--` and a random UUID.
pub fn new_id(kind: &str) -> String {
    format!("{kind}--{}", uuid::Uuid::new_v4())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn sco_ids_are_those_of_the_oasis_library() {
        // As the OASIS `stix2` library (PyPI) computes them for the same values.
        assert_eq!(
            super::sco_id("ipv4-addr", &json!({"value": "198.51.100.7"})),
            "ipv4-addr--12592121-be4c-5a93-a813-5a5af16e50db"
        );
        assert_eq!(
            super::sco_id("domain-name", &json!({"value": "c2.example"})),
            "domain-name--48a20b60-d03a-5e96-ad43-977ad0c63d84"
        );
        let hashes = json!({"hashes": {"SHA-256": "aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f"}});
        assert_eq!(super::sco_id("file", &hashes), "file--02c74237-f6bc-5e2e-bcbe-e9bf3d69ac64");
    }
}
