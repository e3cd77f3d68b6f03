//! Incident evidence and its chain of custody: who acquired a file and when,
//! and every later access to it and hand-over of it, so that the evidence can
//! be shown to be the file that was acquired (ISO/IEC 27037 asks for this of
//! digital evidence; ISO/IEC 27035 keeps it with the incident).

use serde::{Deserialize, Serialize};

use crate::Invalid;
use crate::validate::{MAX_NAME, optional_text};

named_enum! {
    /// What happened to a piece of evidence.
    CustodyAction, "action" {
        /// Recorded in Rampart: the file's SHA-256 fixed from then on.
        Acquired => "acquired",
        /// Someone took a copy.
        Downloaded => "downloaded",
        /// The evidence passed to another holder (a person, a lab, a locker).
        HandedOver => "handed-over",
        /// The stored file was hashed again and matched its SHA-256.
        Verified => "verified",
        /// The stored file was hashed again and did not match: it changed.
        Mismatch => "mismatch",
    }
}

pub const MAX_FILE_NAME: usize = 200;
pub const MAX_NOTE: usize = 2000;

/// What the analyst says of a file when recording it as evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acquisition {
    pub name: String,
    pub description: String,
    /// Unix ms: when the evidence was acquired (imaged, exported, collected),
    /// which may be before it was uploaded.
    pub acquired_at: i64,
    /// Who or what acquired it (a person, a tool); the uploader when empty.
    pub acquired_by: String,
}

impl Acquisition {
    /// Checks sizes and that the acquisition is not in the future (`now`, Unix ms).
    pub fn check(self, now: i64) -> Result<Acquisition, Invalid> {
        if self.acquired_at > now + 60_000 {
            return Err(Invalid::new("acquired_at", "is in the future: give when the evidence was acquired"));
        }
        Ok(Acquisition {
            name: crate::validate::file_name("file", &self.name, MAX_FILE_NAME)?,
            description: optional_text("description", &self.description, MAX_NOTE)?,
            acquired_at: self.acquired_at,
            acquired_by: optional_text("acquired_by", &self.acquired_by, MAX_NAME)?,
        })
    }
}

/// A hand-over: the new holder is required, the note says why or how.
pub fn hand_over(to: &str, note: &str) -> Result<(String, String), Invalid> {
    let to = optional_text("to", to, MAX_NAME)?;
    if to.is_empty() {
        return Err(Invalid::new("to", "is required: name who now holds the evidence"));
    }
    Ok((to, optional_text("note", note, MAX_NOTE)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acquisition() -> Acquisition {
        Acquisition {
            name: "C:\\cases\\fs01-memory.raw".into(),
            description: "Memory image of FS01".into(),
            acquired_at: 1_000,
            acquired_by: "DFIR on call (winpmem)".into(),
        }
    }

    #[test]
    fn an_acquisition_keeps_the_file_name_and_refuses_the_future() {
        let a = acquisition().check(2_000).unwrap();
        assert_eq!(a.name, "fs01-memory.raw", "the name is the last path segment");
        let future = Acquisition { acquired_at: 10_000_000, ..acquisition() }.check(2_000).unwrap_err();
        assert_eq!(future.field, "acquired_at");
        assert_eq!(Acquisition { name: " ".into(), ..acquisition() }.check(2_000).unwrap_err().field, "file");
        let long = Acquisition { description: "x".repeat(MAX_NOTE + 1), ..acquisition() };
        assert_eq!(long.check(2_000).unwrap_err().field, "description");
    }

    #[test]
    fn a_hand_over_names_the_new_holder() {
        assert_eq!(
            hand_over(" Forensics lab ", "sealed bag 42").unwrap(),
            ("Forensics lab".into(), "sealed bag 42".into())
        );
        assert_eq!(hand_over("", "x").unwrap_err().field, "to");
        assert_eq!(CustodyAction::parse("handed-over").unwrap(), CustodyAction::HandedOver);
    }
}
