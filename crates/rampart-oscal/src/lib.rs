//! OSCAL (NIST's Open Security Controls Assessment Language, 1.1 and 1.2) for
//! Rampart: catalogs and profiles read into framework libraries.
//!
//! A catalog becomes a library whose groups and controls are the requirement
//! tree: every control is assessable unless withdrawn, statements are
//! rendered with their parameters, and the parameters and parts themselves
//! travel in each node's `extra`. A profile is resolved against the catalog it
//! imports (include and exclude by id or pattern, with child controls,
//! parameter settings and alterations) and read the same way.
//!
//! This crate does no I/O: callers hand it parsed text.

pub mod export;
mod model;
mod profile;
mod read;

pub use profile::resolve;
pub use read::{ReadOptions, catalog_library};

use rampart_frameworks::{Library, LibraryError};

/// What an OSCAL JSON document holds at its root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    Catalog,
    Profile,
    /// A profile and, beside it, the catalog it imports.
    ProfileWithCatalog,
}

/// The kind of a JSON document from its root keys; `None` for text that is
/// not a JSON object with a `catalog` or `profile` (such as a library in
/// Rampart's YAML format).
pub fn kind_of(text: &str) -> Option<DocumentKind> {
    if !text.trim_start().starts_with('{') {
        return None;
    }
    let roots: model::Roots = serde_json::from_str(text).ok()?;
    match (roots.profile.is_some(), roots.catalog.is_some()) {
        (true, true) => Some(DocumentKind::ProfileWithCatalog),
        (true, false) => Some(DocumentKind::Profile),
        (false, true) => Some(DocumentKind::Catalog),
        (false, false) => None,
    }
}

pub use model::{Catalog, Profile};

/// Parses an OSCAL catalog document (`{"catalog": …}`).
pub fn parse_catalog(text: &str) -> Result<Catalog, LibraryError> {
    model::parse::<model::CatalogDocument>(text, "catalog").map(|d| d.catalog)
}

/// Parses an OSCAL profile document (`{"profile": …}`).
pub fn parse_profile(text: &str) -> Result<Profile, LibraryError> {
    model::parse::<model::ProfileDocument>(text, "profile").map(|d| d.profile)
}

/// Parses one JSON object holding a profile and the catalog it imports.
pub fn parse_profile_with_catalog(text: &str) -> Result<(Profile, Catalog), LibraryError> {
    model::parse::<model::ProfileWithCatalog>(text, "profile").map(|d| (d.profile, d.catalog))
}

/// The format a library was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceFormat {
    /// Rampart's own library format (YAML, or the same structure as JSON).
    Rampart,
    Oscal,
}

/// Reads a library from text in any format Rampart takes, told apart by
/// content: an OSCAL catalog, an OSCAL profile (resolved against `catalog`,
/// or against the catalog sent beside it in the same JSON object), or
/// Rampart's own format.
pub fn read_library(
    text: &str,
    catalog: Option<&str>,
    options: &ReadOptions,
) -> Result<(Library, SourceFormat), LibraryError> {
    let library = match kind_of(text) {
        None if text.trim_start().starts_with('{') => {
            // JSON that is not OSCAL may still be Rampart's format written as
            // JSON, but broken JSON is reported as such, not as YAML.
            if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(text) {
                let reason = e.to_string();
                let reason = reason.split(" at line ").next().unwrap_or(&reason).to_string();
                return Err(LibraryError::new("document", Some(e.line()), format!("is not valid JSON: {reason}")));
            }
            return read_rampart(text, options);
        }
        None => return read_rampart(text, options),
        Some(DocumentKind::Catalog) => catalog_library(&parse_catalog(text)?, options)?,
        Some(DocumentKind::ProfileWithCatalog) => {
            let (profile, catalog) = parse_profile_with_catalog(text)?;
            resolve(&profile, &catalog, options)?
        }
        Some(DocumentKind::Profile) => {
            let Some(catalog) = catalog else {
                return Err(LibraryError::new(
                    "profile",
                    None,
                    "is an OSCAL profile: give the catalog it imports too (--catalog FILE, or send {\"profile\": …, \"catalog\": …})",
                ));
            };
            resolve(&parse_profile(text)?, &parse_catalog(catalog)?, options)?
        }
    };
    Ok((library, SourceFormat::Oscal))
}

fn read_rampart(text: &str, options: &ReadOptions) -> Result<(Library, SourceFormat), LibraryError> {
    let mut library = rampart_frameworks::parse_yaml(text)?;
    if let Some(urn) = &options.urn {
        library.urn = urn.clone();
        library = library.checked()?;
    }
    Ok((library, SourceFormat::Rampart))
}
