//! File bodies kept content-addressed on disk: each under the hex SHA-256 of
//! its bytes, so a body is written once however often it is uploaded, and
//! several servers can share the directory on a volume.

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// Where the body with this SHA-256 lives: `DIR/ab/abcdef…`.
pub fn path(dir: &Path, sha256: &str) -> PathBuf {
    dir.join(&sha256[..2]).join(sha256)
}

/// Stores `bytes` and returns their SHA-256. The body is written to a temporary
/// file and renamed into place, so a reader never sees half a file.
pub fn put(dir: &Path, bytes: &[u8]) -> std::io::Result<String> {
    let sha256 = sha256(bytes);
    let target = path(dir, &sha256);
    if target.exists() {
        return Ok(sha256);
    }
    let parent = target.parent().unwrap_or(dir);
    std::fs::create_dir_all(parent)?;
    let temporary = parent.join(format!(".{sha256}.{}", rampart_domain::new_id()));
    let mut file = std::fs::File::create(&temporary)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&temporary, &target)?;
    Ok(sha256)
}

/// Stores an uploaded body off the async runtime and returns its SHA-256; a
/// failure is logged and answered as an internal error (the client can retry).
pub async fn save(dir: &Path, bytes: &[u8]) -> Result<String, crate::Problem> {
    let (dir, bytes) = (dir.to_path_buf(), bytes.to_vec());
    tokio::task::spawn_blocking(move || put(&dir, &bytes)).await.map_err(|_| crate::Problem::internal())?.map_err(|e| {
        tracing::error!(error = %e, "cannot store an uploaded file");
        crate::Problem::internal()
    })
}

/// The stored body with this SHA-256; a missing body is logged and answered
/// as an internal error (the files directory lost it).
pub async fn read(dir: &Path, sha256: &str) -> Result<Vec<u8>, crate::Problem> {
    tokio::fs::read(path(dir, sha256)).await.map_err(|err| {
        tracing::error!(error = %err, sha256, "a stored file is missing from the files directory");
        crate::Problem::internal()
    })
}

/// The SHA-256 of a body, as 64 lowercase hexadecimal digits.
pub fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A body as a download named `name` (quotes and control characters replaced).
pub fn attachment(name: &str, content_type: &str, bytes: Vec<u8>) -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    let name: String = name.chars().map(|c| if c == '"' || c.is_control() { '_' } else { c }).collect();
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        bytes,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_is_stored_once_under_its_hash() {
        let dir = std::env::temp_dir().join(format!("rampart-files-{}", rampart_domain::new_id()));
        let a = put(&dir, b"restore test passed").unwrap();
        let b = put(&dir, b"restore test passed").unwrap();
        assert_eq!(a, b);
        assert_eq!(a, "1025889300d180e7e34b13c6b6d7528a32a6fbef797f150a90851794676bd5c5");
        assert_eq!(std::fs::read(path(&dir, &a)).unwrap(), b"restore test passed");
        assert_eq!(
            std::fs::read_dir(path(&dir, &a).parent().unwrap()).unwrap().count(),
            1,
            "no temporary file is left"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
