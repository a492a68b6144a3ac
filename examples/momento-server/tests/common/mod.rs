//! Starting the real server binary for a test: on loopback, with the SDK suite's policy, keys
//! issued for its credentials, stopped by its PID when dropped.

#![allow(dead_code)]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE;
use momento::CacheClient;
use momento::CredentialProvider;
use momento::cache::configurations;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub struct Server {
    child: Child,
    pub port: u16,
    pub dir: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        // Stopped by its PID, whatever the test did.
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                let _ = std::fs::remove_dir_all(&self.dir);
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

const NAMES: [&str; 5] = ["admin", "app", "minter", "reader", "narrow"];

pub fn start() -> Server {
    start_with(&[])
}

/// The server with `extra` arguments (more caches, other limits).
pub fn start_with(extra: &[&str]) -> Server {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!(
        "fgac-momento-server-{}-{nanos}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let policy = dir.join("policy.fgac");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/policy.fgac"),
        &policy,
    )
    .unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fgac-momento-server"));
    cmd.arg("--policy")
        .arg(&policy)
        .arg("--state")
        .arg(dir.join("state"))
        .args(["--listen", "127.0.0.1:0", "--cache", "app"])
        .args(extra);
    for name in NAMES {
        cmd.arg("--issue")
            .arg(format!("{name}={}", dir.join(name).display()));
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line
        .trim()
        .strip_prefix("listening on 127.0.0.1:")
        .unwrap_or_else(|| panic!("the server did not start: {line:?}"))
        .parse()
        .unwrap();
    Server { child, port, dir }
}

impl Server {
    /// The server's revocation log.
    pub fn revocation_log(&self) -> PathBuf {
        self.dir.join("state").join("revocations.log")
    }

    pub fn key(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.join(name)).unwrap()
    }

    /// The server's address as a URI.
    pub fn uri(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// A plaintext gRPC channel to the server.
    pub async fn channel(&self) -> tonic::transport::Channel {
        tonic::transport::Channel::from_shared(self.uri())
            .unwrap()
            .connect()
            .await
            .unwrap()
    }

    /// A credential provider for `key` that talks plaintext gRPC to this server.
    /// (`from_string` is deprecated for Momento's v2 keys, but is the SDK's one way in for a key
    /// that is not Momento's own JWT.)
    #[allow(deprecated)]
    pub fn provider(&self, key: &str) -> CredentialProvider {
        // The SDK's legacy wrapper: base64 with padding, URL-safe alphabet.
        let wrapped = URL_SAFE.encode(format!(r#"{{"endpoint":"127.0.0.1","api_key":"{key}"}}"#));
        CredentialProvider::from_string(wrapped)
            .unwrap()
            .insecure_endpoint_override(&self.uri())
    }

    pub fn cache(&self, key: &str) -> CacheClient {
        CacheClient::builder()
            .default_ttl(Duration::from_secs(60))
            .configuration(configurations::Laptop::latest())
            .credential_provider(self.provider(key))
            .build()
            .unwrap()
    }
}
