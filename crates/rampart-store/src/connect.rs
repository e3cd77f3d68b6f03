//! Opening the database named by a URL, with the settings each engine needs.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::Executor;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};

use crate::{Result, Store, StoreError};

/// The SQLite file used when no database URL is given, under the data directory.
pub const DEFAULT_SQLITE_FILE: &str = "rampart.db";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of_url(url: &str) -> Result<Backend> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::Connect(
                "the database URL must start with sqlite: or postgres:// (for example postgres://user@host/rampart?sslmode=require)".into(),
            ))
        }
    }
}

/// The SQLite URL for the default file under `data_dir`.
pub fn default_sqlite_url(data_dir: &Path) -> String {
    format!("sqlite://{}", data_dir.join(DEFAULT_SQLITE_FILE).display())
}

impl Store {
    /// Opens the database at `url` without migrating it.
    ///
    /// A SQLite file (and its directory) is created if missing. PostgreSQL URLs
    /// accept libpq's `sslmode` (`require`, `verify-full`, …) for TLS.
    pub async fn connect(url: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = Backend::of_url(url)?;
        let url = match backend {
            Backend::Sqlite => prepare_sqlite_url(url)?,
            Backend::Postgres => url.to_string(),
        };
        let options = AnyConnectOptions::from_str(&url).map_err(|e| StoreError::Connect(e.to_string()))?;
        let pool = match backend {
            Backend::Sqlite => {
                AnyPoolOptions::new()
                    .max_connections(8)
                    .after_connect(|conn, _meta| {
                        Box::pin(async move {
                            // WAL lets readers run beside the writer; NORMAL is durable
                            // in WAL mode across application crashes; the busy timeout
                            // makes a second writer wait instead of failing.
                            conn.execute(
                                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                                 PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
                            )
                            .await?;
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await
            }
            Backend::Postgres => {
                AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(options)
                    .await
            }
        }
        .map_err(|e| StoreError::Connect(e.to_string()))?;
        Ok(Store { pool, backend, secrets: None })
    }

    /// Opens the database at `url` and brings its schema up to date.
    pub async fn open(url: &str) -> Result<Store> {
        let store = Store::connect(url).await?;
        store.migrate().await?;
        Ok(store)
    }
}

/// Makes sure the SQLite file's directory exists and that the file is created.
fn prepare_sqlite_url(url: &str) -> Result<String> {
    let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path.is_empty() || path == ":memory:" {
        return Err(StoreError::Connect(
            "an in-memory SQLite database would lose everything at exit; give a file path".into(),
        ));
    }
    if let Some(dir) = Path::new(path).parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::Connect(format!("cannot create the data directory {}: {e}", dir.display())))?;
    }
    let query = if query.contains("mode=") {
        query.to_string()
    } else if query.is_empty() {
        "mode=rwc".into()
    } else {
        format!("{query}&mode=rwc")
    };
    Ok(format!("sqlite://{path}?{query}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_pick_the_backend() {
        assert_eq!(Backend::of_url("sqlite://x.db").unwrap(), Backend::Sqlite);
        assert_eq!(Backend::of_url("postgres://u@h/db").unwrap(), Backend::Postgres);
        assert_eq!(Backend::of_url("postgresql://u@h/db").unwrap(), Backend::Postgres);
        assert!(Backend::of_url("mysql://u@h/db").is_err());
    }

    #[test]
    fn sqlite_urls_create_the_file() {
        let dir = std::env::temp_dir().join(format!("rampart-url-{}", rampart_domain::new_id()));
        let url = prepare_sqlite_url(&format!("sqlite://{}/a.db", dir.display())).unwrap();
        assert!(url.ends_with("/a.db?mode=rwc"));
        assert!(dir.is_dir());
        assert!(prepare_sqlite_url("sqlite::memory:").is_err());
    }
}
