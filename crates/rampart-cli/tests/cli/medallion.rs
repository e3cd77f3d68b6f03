//! medallion, the OASIS reference TAXII 2.1 server (PyPI), on loopback:
//! one empty writable collection in memory, user `admin`, password
//! `Password0`, pages of at most `max_page_size` objects. Stopped when dropped.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The id of medallion's one collection.
pub const COLLECTION: &str = "91a7b528-80eb-42ed-a74d-c6fbd5a26116";
pub const USER: &str = "admin";
pub const PASSWORD: &str = "Password0";

pub struct Medallion {
    child: Child,
    dir: std::path::PathBuf,
    /// host:port
    pub addr: String,
}

/// True when medallion is here; false (skip) or a failure (with
/// RAMPART_ORACLES=1, where it must be) when not.
pub fn installed() -> bool {
    if Command::new("medallion").arg("--help").output().is_ok() {
        return true;
    }
    assert!(
        std::env::var("RAMPART_ORACLES").as_deref() != Ok("1"),
        "medallion is not installed (pip install medallion)"
    );
    eprintln!("SKIPPED: medallion is not installed (pip install medallion taxii2-client)");
    false
}

impl Medallion {
    pub async fn start(max_page_size: usize) -> Medallion {
        let dir = std::env::temp_dir().join(format!("rampart-medallion-{}", rampart_domain::new_id()));
        std::fs::create_dir_all(&dir).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port().to_string();
        let root = format!("http://127.0.0.1:{port}/api1/");
        let data = serde_json::json!({
            "/discovery": {"title": "medallion", "default": root, "api_roots": [root]},
            "api1": {"information": {"title": "api1", "versions": ["application/taxii+json;version=2.1"], "max_content_length": 104857600},
                     "status": [],
                     "collections": [{"id": COLLECTION, "title": "ICS ATT&CK", "description": "", "can_read": true, "can_write": true,
                                      "media_types": ["application/stix+json;version=2.1"], "objects": [], "manifest": []}]}
        });
        std::fs::write(dir.join("data.json"), data.to_string()).unwrap();
        let config = serde_json::json!({"backend": {"module": "medallion.backends.memory_backend", "module_class": "MemoryBackend", "filename": dir.join("data.json")},
                                        "users": {USER: PASSWORD}, "taxii": {"max_page_size": max_page_size}});
        std::fs::write(dir.join("config.json"), config.to_string()).unwrap();
        let child = Command::new("medallion")
            .args(["--host", "127.0.0.1", "--port", &port, dir.join("config.json").to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let addr = format!("127.0.0.1:{port}");
        for _ in 0..200 {
            if std::net::TcpStream::connect(&addr).is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Medallion { child, dir, addr }
    }

    /// Its API root.
    pub fn api_root(&self) -> String {
        format!("http://{}/api1/", self.addr)
    }
}

impl Drop for Medallion {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
