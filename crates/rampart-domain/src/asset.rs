//! Assets of the risk register: what an organisation must protect, how much,
//! and what depends on what.

use serde::{Deserialize, Serialize};

use crate::Invalid;

named_enum! {
    /// What kind of thing an asset is.
    AssetKind, "kind" {
        Information => "information",
        Service => "service",
        Application => "application",
        System => "system",
        Infrastructure => "infrastructure",
        People => "people",
        Supplier => "supplier",
    }
}

named_enum! {
    /// How much confidentiality, integrity or availability an asset needs.
    Need, "need" {
        Low => "low",
        Medium => "medium",
        High => "high",
        VeryHigh => "very-high",
    }
}

impl Need {
    /// 1 (low) to 4 (very high), for sorting and heat maps.
    pub fn level(self) -> u8 {
        match self {
            Need::Low => 1,
            Need::Medium => 2,
            Need::High => 3,
            Need::VeryHigh => 4,
        }
    }
}

/// The editable fields of an asset, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AssetFields {
    pub name: String,
    pub kind: AssetKind,
    pub description: String,
    pub owner: String,
    pub confidentiality: Need,
    pub integrity: Need,
    pub availability: Need,
    /// Part of the critical information infrastructure (ISO/IEC 27032 CIIP).
    pub critical: bool,
}

/// Longest description accepted.
pub const MAX_DESCRIPTION: usize = 4000;

impl AssetFields {
    /// Checks free text and parses the named values; errors name the field.
    #[allow(clippy::too_many_arguments)]
    pub fn parse(
        name: &str,
        kind: &str,
        description: &str,
        owner: &str,
        confidentiality: &str,
        integrity: &str,
        availability: &str,
        critical: bool,
    ) -> Result<AssetFields, Invalid> {
        let need = |field: &str, text: &str| Need::parse(text).map_err(|e| Invalid::new(field, e.reason));
        let description = crate::validate::optional_text("description", description, MAX_DESCRIPTION)?;
        let owner = crate::validate::owner(owner)?;
        Ok(AssetFields {
            name: crate::validate::name("name", name)?,
            kind: AssetKind::parse(kind)?,
            description,
            owner,
            confidentiality: need("confidentiality", confidentiality)?,
            integrity: need("integrity", integrity)?,
            availability: need("availability", availability)?,
            critical,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asset_fields_are_checked_and_named() {
        let ok = AssetFields::parse(" Billing DB ", "system", "", "ops", "high", "very-high", "medium", true).unwrap();
        assert_eq!((ok.name.as_str(), ok.kind, ok.integrity.level()), ("Billing DB", AssetKind::System, 4));
        let err = AssetFields::parse("x", "server", "", "", "high", "high", "high", false).unwrap_err();
        assert_eq!(err.field, "kind");
        let err = AssetFields::parse("x", "system", "", "", "high", "extreme", "high", false).unwrap_err();
        assert_eq!(err.field, "integrity");
        assert!(err.reason.contains("low, medium, high, very-high"));
        let err = AssetFields::parse("x", "system", &"d".repeat(MAX_DESCRIPTION + 1), "", "low", "low", "low", false)
            .unwrap_err();
        assert_eq!(err.field, "description");
        assert_eq!(AssetFields::parse(" ", "system", "", "", "low", "low", "low", false).unwrap_err().field, "name");
    }
}
