//! TLP 2.0 as STIX marks it: five marking definitions published by OASIS
//! under fixed identifiers, each carrying the TLP 2.0 property extension.

use serde_json::{Value, json};

use crate::StixObject;

/// The TLP 2.0 extension definition the marking definitions carry.
pub const TLP_EXTENSION_ID: &str = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d";

/// When OASIS published the TLP 2.0 marking definitions: part of each object.
const PUBLISHED: &str = "2022-10-01T00:00:00.000Z";

/// A TLP 2.0 level, least to most restricted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tlp {
    Clear,
    Green,
    Amber,
    AmberStrict,
    Red,
}

impl Tlp {
    pub const ALL: [Tlp; 5] = [Tlp::Clear, Tlp::Green, Tlp::Amber, Tlp::AmberStrict, Tlp::Red];

    /// `clear`, `green`, `amber`, `amber+strict` or `red`, as the extension writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Tlp::Clear => "clear",
            Tlp::Green => "green",
            Tlp::Amber => "amber",
            Tlp::AmberStrict => "amber+strict",
            Tlp::Red => "red",
        }
    }

    pub fn parse(text: &str) -> Option<Tlp> {
        Tlp::ALL.into_iter().find(|t| t.as_str() == text.trim().to_ascii_lowercase())
    }

    /// The official identifier of the level's marking definition.
    pub fn marking_id(self) -> &'static str {
        match self {
            Tlp::Clear => "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
            Tlp::Green => "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
            Tlp::Amber => "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
            Tlp::AmberStrict => "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
            Tlp::Red => "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
        }
    }

    /// The level a marking definition's identifier stands for: TLP 2.0's, or
    /// TLP 1.0's predefined ones (WHITE read as CLEAR).
    pub fn from_marking_id(id: &str) -> Option<Tlp> {
        const TLP_1: [(&str, Tlp); 4] = [
            ("marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", Tlp::Clear),
            ("marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", Tlp::Green),
            ("marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", Tlp::Amber),
            ("marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", Tlp::Red),
        ];
        Tlp::ALL
            .into_iter()
            .find(|t| t.marking_id() == id)
            .or_else(|| TLP_1.iter().find(|(known, _)| *known == id).map(|(_, t)| *t))
    }

    /// The most restrictive level among an object's marking references, if any is TLP.
    pub fn of(object: &StixObject) -> Option<Tlp> {
        object.object_marking_refs.iter().flatten().filter_map(|id| Tlp::from_marking_id(id)).max()
    }

    /// The marking definition object itself, as OASIS publishes it.
    pub fn marking_definition(self) -> Value {
        json!({
            "type": "marking-definition",
            "spec_version": "2.1",
            "id": self.marking_id(),
            "created": PUBLISHED,
            "name": format!("TLP:{}", self.as_str().to_ascii_uppercase()),
            "extensions": {TLP_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": self.as_str()}}
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_official_identifiers_and_objects() {
        assert_eq!(Tlp::AmberStrict.marking_id(), "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003");
        for tlp in Tlp::ALL {
            assert_eq!(Tlp::from_marking_id(tlp.marking_id()), Some(tlp));
            let object = StixObject::from_value(tlp.marking_definition()).unwrap();
            assert_eq!(object.to_value(), tlp.marking_definition(), "reads and writes back unchanged");
        }
        assert_eq!(Tlp::marking_definition(Tlp::AmberStrict)["name"], "TLP:AMBER+STRICT");
        assert_eq!(Tlp::from_marking_id("marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"), Some(Tlp::Clear));
        assert_eq!(Tlp::parse("AMBER+STRICT"), Some(Tlp::AmberStrict));
        assert!(Tlp::Red > Tlp::AmberStrict && Tlp::AmberStrict > Tlp::Amber);
    }
}
