//! The part of the OSCAL catalog and profile models Rampart reads. Fields
//! Rampart does not use are ignored on reading.

use rampart_frameworks::LibraryError;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Parses a document, naming the JSON path and line of the first thing wrong.
pub(crate) fn parse<T: DeserializeOwned>(text: &str, what: &str) -> Result<T, LibraryError> {
    let mut reader = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize::<_, T>(&mut reader).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let line = Some(inner.line()).filter(|l| *l > 0);
        let reason = inner.to_string();
        let reason = reason.split(" at line ").next().unwrap_or(&reason).to_string();
        LibraryError::new(
            if path == "." { what.to_string() } else { path },
            line,
            format!("{reason} (not a valid OSCAL {what})"),
        )
    })
}

/// Which root keys a JSON document has, skimmed without building it.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Roots {
    #[serde(default)]
    pub catalog: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    pub profile: Option<serde::de::IgnoredAny>,
}

/// A profile sent together with the catalog it imports, as one JSON object.
#[derive(Debug, Deserialize)]
pub(crate) struct ProfileWithCatalog {
    pub profile: Profile,
    pub catalog: Catalog,
}

#[derive(Debug, Deserialize)]
pub(crate) struct CatalogDocument {
    pub catalog: Catalog,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ProfileDocument {
    pub profile: Profile,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Catalog {
    pub metadata: Metadata,
    #[serde(default)]
    pub params: Vec<Param>,
    #[serde(default)]
    pub controls: Vec<Control>,
    #[serde(default)]
    pub groups: Vec<Group>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Metadata {
    pub title: String,
    pub last_modified: String,
    pub version: String,
    #[serde(default)]
    pub oscal_version: String,
    #[serde(default)]
    pub remarks: Option<String>,
    #[serde(default)]
    pub parties: Vec<Party>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Party {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Group {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    pub title: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<Param>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub props: Vec<Prop>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<Part>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<Group>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub controls: Vec<Control>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Control {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    pub title: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<Param>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub props: Vec<Prop>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<Part>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub controls: Vec<Control>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Part {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ns: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub props: Vec<Prop>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prose: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<Part>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Prop {
    pub name: String,
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ns: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Param {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub select: Option<Select>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub props: Vec<Prop>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub guidelines: Vec<Value>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Select {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub how_many: Option<String>,
    #[serde(default)]
    pub choice: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Profile {
    pub metadata: Metadata,
    pub imports: Vec<Import>,
    #[serde(default)]
    pub modify: Option<Modify>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Import {
    pub href: String,
    #[serde(default)]
    pub include_all: Option<Value>,
    #[serde(default)]
    pub include_controls: Vec<Selection>,
    #[serde(default)]
    pub exclude_controls: Vec<Selection>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Selection {
    #[serde(default)]
    pub with_child_controls: Option<String>,
    #[serde(default)]
    pub with_ids: Vec<String>,
    #[serde(default)]
    pub matching: Vec<Matching>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Matching {
    pub pattern: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Modify {
    #[serde(default)]
    pub set_parameters: Vec<SetParameter>,
    #[serde(default)]
    pub alters: Vec<Alter>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct SetParameter {
    pub param_id: String,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub values: Vec<String>,
    #[serde(default)]
    pub select: Option<Select>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Alter {
    pub control_id: String,
    #[serde(default)]
    pub removes: Vec<Remove>,
    #[serde(default)]
    pub adds: Vec<Add>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Remove {
    #[serde(default)]
    pub by_name: Option<String>,
    #[serde(default)]
    pub by_class: Option<String>,
    #[serde(default)]
    pub by_id: Option<String>,
    #[serde(default)]
    pub by_item_name: Option<String>,
    #[serde(default)]
    pub by_ns: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Add {
    #[serde(default)]
    pub position: Option<String>,
    #[serde(default)]
    pub by_id: Option<String>,
    #[serde(default)]
    pub params: Vec<Param>,
    #[serde(default)]
    pub props: Vec<Prop>,
    #[serde(default)]
    pub parts: Vec<Part>,
}

impl Control {
    pub fn prop(&self, name: &str) -> Option<&str> {
        self.props.iter().find(|p| p.name == name).map(|p| p.value.as_str())
    }

    /// The label people use (`AC-2(1)`).
    pub fn label(&self) -> Option<&str> {
        label(&self.props)
    }

    pub fn withdrawn(&self) -> bool {
        self.prop("status").is_some_and(|s| s.eq_ignore_ascii_case("withdrawn"))
    }
}

impl Group {
    pub fn label(&self) -> Option<&str> {
        label(&self.props)
    }
}

/// The unclassed `label` property (NIST adds classed ones such as
/// `zero-padded`), or the first label when all are classed.
fn label(props: &[Prop]) -> Option<&str> {
    let labels = || props.iter().filter(|p| p.name == "label");
    labels().find(|p| p.class.is_none()).or_else(|| labels().next()).map(|p| p.value.as_str())
}
