//! Fresh databases for tests: a new SQLite file, or a new PostgreSQL database
//! when `RAMPART_TEST_DATABASE_URL` names a server.
//!
//! Used by this crate's and the server's tests; every test gets its own
//! database so tests can run in parallel and never see each other's rows.

use crate::{Backend, Result, Store, StoreError};

/// The environment variable naming the PostgreSQL server tests may use.
pub const POSTGRES_ENV: &str = "RAMPART_TEST_DATABASE_URL";

/// A database that exists for one test.
#[derive(Debug)]
pub struct TestDatabase {
    pub url: String,
    pub store: Store,
    cleanup: Cleanup,
}

#[derive(Debug)]
enum Cleanup {
    File(std::path::PathBuf),
    Database { admin_url: String, name: String },
}

/// The PostgreSQL admin URL from the environment, or `None` with a notice on
/// stderr so a skipped run says so.
pub fn postgres_admin_url(test: &str) -> Option<String> {
    match std::env::var(POSTGRES_ENV) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            eprintln!("SKIPPED {test} on PostgreSQL: set {POSTGRES_ENV}=postgres://… to run it");
            None
        }
    }
}

impl TestDatabase {
    /// An empty, migrated database of the given backend; `None` when
    /// PostgreSQL is asked for and not configured.
    pub async fn new(backend: Backend, test: &str) -> Option<TestDatabase> {
        let db = match backend {
            Backend::Sqlite => Self::sqlite().await,
            Backend::Postgres => Self::postgres(&postgres_admin_url(test)?).await,
        };
        Some(db.unwrap_or_else(|e| panic!("cannot create a test database: {e}")))
    }

    async fn sqlite() -> Result<TestDatabase> {
        let dir = std::env::temp_dir().join("rampart-tests");
        let path = dir.join(format!("{}.db", rampart_domain::new_id()));
        let url = format!("sqlite://{}", path.display());
        let store = Store::open(&url).await?;
        Ok(TestDatabase { url, store, cleanup: Cleanup::File(path) })
    }

    async fn postgres(admin_url: &str) -> Result<TestDatabase> {
        let name = format!("rampart_t_{}", rampart_domain::new_id().replace('-', ""));
        let admin = Store::connect(admin_url).await?;
        admin.execute_raw_for_tests(&format!("CREATE DATABASE {name}")).await?;
        admin.close().await;
        let url = replace_database(admin_url, &name)?;
        let store = Store::open(&url).await?;
        Ok(TestDatabase { url, store, cleanup: Cleanup::Database { admin_url: admin_url.to_string(), name } })
    }

    /// Closes the store and removes the database.
    pub async fn cleanup(self) {
        self.store.close().await;
        match self.cleanup {
            Cleanup::File(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::Database { admin_url, name } => {
                if let Ok(admin) = Store::connect(&admin_url).await {
                    let _ = admin.execute_raw_for_tests(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
                    admin.close().await;
                }
            }
        }
    }
}

/// `postgres://u@h:5432/old?x=y` with the database name replaced.
pub fn replace_database(url: &str, name: &str) -> Result<String> {
    let (base, query) = url.split_once('?').map(|(b, q)| (b, format!("?{q}"))).unwrap_or((url, String::new()));
    let scheme_end = base.find("://").map(|i| i + 3).ok_or_else(|| StoreError::Connect(format!("not a URL: {url}")))?;
    let host_and_path = &base[scheme_end..];
    let host = host_and_path.split('/').next().unwrap_or(host_and_path);
    Ok(format!("{}{host}/{name}{query}", &base[..scheme_end]))
}

/// Defines a test that runs once on SQLite and once on PostgreSQL (which skips
/// with a notice when not configured). The body gets `store: &Store`.
#[macro_export]
macro_rules! store_test {
    ($(#[$meta:meta])* $name:ident, |$store:ident| $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn __body($store: &$crate::Store) { $body }

            async fn run(backend: $crate::Backend) {
                let Some(db) = $crate::testing::TestDatabase::new(backend, stringify!($name)).await else { return };
                __body(&db.store).await;
                db.cleanup().await;
            }

            $(#[$meta])*
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() { run($crate::Backend::Sqlite).await }

            $(#[$meta])*
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() { run($crate::Backend::Postgres).await }
        }
    };
}

#[cfg(test)]
mod tests {
    #[test]
    fn database_names_are_replaced_keeping_options() {
        assert_eq!(
            super::replace_database("postgres://postgres@127.0.0.1:5432/test?sslmode=disable", "x").unwrap(),
            "postgres://postgres@127.0.0.1:5432/x?sslmode=disable"
        );
        assert_eq!(super::replace_database("postgres://h", "x").unwrap(), "postgres://h/x");
    }
}
