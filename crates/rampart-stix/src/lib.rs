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

/// A fresh STIX identifier for an object of `kind`: `kind--` and a random UUID.
pub fn new_id(kind: &str) -> String {
    format!("{kind}--{}", uuid::Uuid::new_v4())
}
