//! A real three-member etcd cluster on loopback (Debian's `etcd`, on the PATH), each member its
//! own process with its own data directory, stopped, killed and restarted by its PID: for the
//! fleet's tests (`fgac-etcd`, and `fgac publish`/`revoke --etcd`/`status`).

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One member: how to start it, and its process when running.
pub struct Member {
    name: String,
    args: Vec<String>,
    /// Its client URL.
    pub client_url: String,
    child: Option<Child>,
}

/// Three members.
pub struct Cluster {
    /// The members, `m0` to `m2`.
    pub members: Vec<Member>,
    dir: PathBuf,
}

/// `n` distinct free loopback ports: every listener is held until all are known, so that no
/// port is handed out twice.
fn free_ports(n: usize) -> Vec<u16> {
    let listeners: Vec<TcpListener> = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0").expect("a free loopback port"))
        .collect();
    listeners
        .iter()
        .map(|l| l.local_addr().expect("bound").port())
        .collect()
}

impl Cluster {
    /// Three members, started, with a leader elected (waits up to 30 s).
    pub fn start(tag: &str) -> Cluster {
        let dir = std::env::temp_dir().join(format!("fgac-etcd-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a scratch directory");
        let flat = free_ports(6);
        let ports: Vec<(u16, u16)> = (0..3).map(|i| (flat[2 * i], flat[2 * i + 1])).collect();
        let initial: Vec<String> = ports
            .iter()
            .enumerate()
            .map(|(i, (_, peer))| format!("m{i}=http://127.0.0.1:{peer}"))
            .collect();
        let members = ports
            .iter()
            .enumerate()
            .map(|(i, (client, peer))| {
                let name = format!("m{i}");
                let client_url = format!("http://127.0.0.1:{client}");
                let peer_url = format!("http://127.0.0.1:{peer}");
                let args = vec![
                    format!("--name={name}"),
                    format!("--data-dir={}", dir.join(&name).display()),
                    format!("--listen-client-urls={client_url}"),
                    format!("--advertise-client-urls={client_url}"),
                    format!("--listen-peer-urls={peer_url}"),
                    format!("--initial-advertise-peer-urls={peer_url}"),
                    format!("--initial-cluster={}", initial.join(",")),
                    format!("--initial-cluster-token=fgac-{tag}-{}", std::process::id()),
                    "--initial-cluster-state=new".to_owned(),
                    "--heartbeat-interval=50".to_owned(),
                    "--election-timeout=500".to_owned(),
                    "--log-level=error".to_owned(),
                ];
                Member {
                    name,
                    args,
                    client_url,
                    child: None,
                }
            })
            .collect();
        let mut cluster = Cluster { members, dir };
        for i in 0..3 {
            cluster.start_member(i);
        }
        cluster.wait_healthy(Duration::from_secs(30));
        cluster
    }

    /// The members' client URLs.
    pub fn endpoints(&self) -> Vec<String> {
        self.members.iter().map(|m| m.client_url.clone()).collect()
    }

    /// Starts member `i` (again).
    pub fn start_member(&mut self, i: usize) {
        let m = &mut self.members[i];
        let log = std::fs::File::create(self.dir.join(format!("{}.log", m.name))).expect("a log");
        let child = Command::new("etcd")
            .args(&m.args)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("etcd starts (Debian's etcd-server, on the PATH)");
        m.child = Some(child);
    }

    /// SIGKILL, and reaped.
    pub fn kill_member(&mut self, i: usize) {
        if let Some(mut child) = self.members[i].child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Sends `signal` (`STOP`, `CONT`) to member `i`.
    pub fn signal_member(&self, i: usize, signal: &str) {
        let pid = self.members[i].child.as_ref().expect("running").id();
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(pid.to_string())
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{signal} {pid}");
    }

    /// Waits until every running member answers a linearizable read.
    pub fn wait_healthy(&self, within: Duration) {
        let deadline = Instant::now() + within;
        for m in self.members.iter().filter(|m| m.child.is_some()) {
            loop {
                let ok = Command::new("etcdctl")
                    .env("ETCDCTL_API", "3")
                    .args([
                        format!("--endpoints={}", m.client_url),
                        "--command-timeout=1s".to_owned(),
                        "endpoint".to_owned(),
                        "health".to_owned(),
                    ])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success());
                if ok {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "etcd member {} not healthy within {within:?}",
                    m.name
                );
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }

    /// `etcdctl compact` at the current revision, through member `via`.
    pub fn compact(&self, via: usize) -> i64 {
        let out = Command::new("etcdctl")
            .env("ETCDCTL_API", "3")
            .args([
                format!("--endpoints={}", self.members[via].client_url),
                "--write-out=json".to_owned(),
                "get".to_owned(),
                "x".to_owned(),
            ])
            .output()
            .expect("etcdctl runs");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        let revision = v["header"]["revision"].as_i64().expect("a revision");
        let status = Command::new("etcdctl")
            .env("ETCDCTL_API", "3")
            .args([
                format!("--endpoints={}", self.members[via].client_url),
                "compact".to_owned(),
                revision.to_string(),
            ])
            .stdout(Stdio::null())
            .status()
            .expect("etcdctl runs");
        assert!(status.success(), "compact {revision}");
        revision
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for i in 0..self.members.len() {
            // A stopped member is continued first, so that the kill is not left pending.
            if self.members[i].child.is_some() {
                let pid = self.members[i].child.as_ref().map(Child::id).unwrap_or(0);
                let _ = Command::new("kill")
                    .arg("-CONT")
                    .arg(pid.to_string())
                    .status();
            }
            self.kill_member(i);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Polls `check` every 20 ms until it holds; panics with `what` after `within`. Returns how long
/// it took.
pub fn within(within: Duration, what: &str, mut check: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    loop {
        if check() {
            return start.elapsed();
        }
        assert!(start.elapsed() < within, "{what}: not within {within:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}
