"""Three servers on one fleet's etcd (a real three-member cluster on loopback, Debian's etcd),
driven by Momento's SDK: a revocation acknowledged by `fgac revoke --etcd` is in force on every
server within a bound, a published edit changes every server's decisions, and a server killed
with SIGKILL, restarted after a revocation, refuses the revoked key on its first request.

Environment: FGAC_SERVER_BIN, and FGAC_BIN (the command line built with its `etcd` feature).
Every process is stopped by its PID; every wait is bounded.
"""

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import stop, wait_until
from momento import CacheClient, Configurations, CredentialProvider
from momento.errors import MomentoErrorCode
from momento.responses import CacheGet, CacheSet

HERE = Path(__file__).parent
PREFIX = "/fgac/sdk"
BOUND = 5.0


def free_ports(n):
    """`n` distinct free loopback ports (all held open until each is known, so none repeats)."""
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


class Etcd:
    """Three members, each its own process and data directory."""

    def __init__(self, work):
        self.work = work
        flat = free_ports(6)
        ports = [(flat[2 * i], flat[2 * i + 1]) for i in range(3)]
        self.urls = [f"http://127.0.0.1:{c}" for c, _ in ports]
        initial = ",".join(f"m{i}=http://127.0.0.1:{p}" for i, (_, p) in enumerate(ports))
        self.args = [
            [
                "etcd", f"--name=m{i}", f"--data-dir={work / f'm{i}'}",
                f"--listen-client-urls={self.urls[i]}", f"--advertise-client-urls={self.urls[i]}",
                f"--listen-peer-urls=http://127.0.0.1:{p}", f"--initial-advertise-peer-urls=http://127.0.0.1:{p}",
                f"--initial-cluster={initial}", "--initial-cluster-state=new",
                f"--initial-cluster-token=fgac-sdk-{os.getpid()}", "--heartbeat-interval=50",
                "--election-timeout=500", "--log-level=error",
            ]
            for i, (_, p) in enumerate(ports)
        ]
        self.processes = [subprocess.Popen(a, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for a in self.args]
        try:
            for url in self.urls:
                healthy = wait_until(
                    lambda url=url: subprocess.run(
                        ["etcdctl", f"--endpoints={url}", "--command-timeout=1s", "endpoint", "health"],
                        env={**os.environ, "ETCDCTL_API": "3"}, capture_output=True, timeout=10,
                    ).returncode == 0,
                    seconds=30, step=0.1,
                )
                assert healthy, f"etcd member at {url} not healthy"
        except BaseException:
            self.stop()
            raise

    def stop(self):
        for p in self.processes:
            if p.poll() is None:
                p.kill()
            p.wait(timeout=10)


class Fleet:
    def __init__(self, work, etcd):
        self.work, self.etcd = work, etcd
        self.servers = []
        self.metrics = {}

    def status(self, i):
        import urllib.request
        with urllib.request.urlopen(f"http://{self.metrics[i]}/status", timeout=5) as r:
            return json.loads(r.read())["fleet"]

    def fgac(self, *args, stdin=None):
        return subprocess.run(
            [os.environ["FGAC_BIN"], *args], input=stdin, capture_output=True, timeout=60,
        )

    def at(self):
        return ["--etcd", ",".join(self.etcd.urls), "--prefix", PREFIX]

    def server_args(self, i, issue=(), extra=()):
        args = [
            os.environ["FGAC_SERVER_BIN"], *self.at(), "--server-id", f"s{i}",
            "--signing-key", str(self.work / "k1.jwk"), "--listen", "127.0.0.1:0",
            "--cache", "app", "--recheck-ms", "100",
        ]
        for name, path in issue:
            args += ["--issue", f"{name}={path}"]
        return [*args, *extra]

    def start(self, i, issue=(), extra=()):
        log = open(self.work / f"s{i}.log", "ab")
        process = subprocess.Popen(self.server_args(i, issue, extra), stdout=subprocess.PIPE, stderr=log)
        line = process.stdout.readline().decode()
        assert line.startswith("listening on 127.0.0.1:"), f"server {i} did not start: {line!r}"
        port = int(line.rsplit(":", 1)[1])
        if "--metrics" in extra:
            line = process.stdout.readline().decode()
            assert line.startswith("metrics on "), line
            self.metrics[i] = line.split()[-1]
        while len(self.servers) <= i:
            self.servers.append(None)
        self.servers[i] = (process, port, log)
        return port

    def kill(self, i):
        process, _, log = self.servers[i]
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        log.close()

    def stop_all(self):
        for entry in self.servers:
            if entry is None:
                continue
            process, _, log = entry
            stop(process)
            log.close()

    def client(self, i, key):
        port = self.servers[i][1]
        return CacheClient.create(
            Configurations.Laptop.v1(),
            CredentialProvider(key, "127.0.0.1", "127.0.0.1", "127.0.0.1", port),
            timedelta(seconds=60),
            eager_connection_timeout=timedelta(seconds=5),
        )


@pytest.fixture()
def fleet(tmp_path):
    etcd = Etcd(tmp_path)
    fleet = Fleet(tmp_path, etcd)
    try:
        keygen = fleet.fgac("keygen", "--kid", "k1", "--out", str(tmp_path / "k1.jwk"))
        assert keygen.returncode == 0, keygen.stderr
        shutil.copy(HERE / "policy.fgac", tmp_path / "policy.fgac")
        public = json.loads((tmp_path / "k1.pub.jwk").read_text())
        (tmp_path / "trust.json").write_text(json.dumps({"keys": [public], "document": "policy.fgac"}))
        published = fleet.fgac("publish", *fleet.at(), "--yes", str(tmp_path / "trust.json"))
        assert published.returncode == 0, published.stderr
        yield fleet
    finally:
        fleet.stop_all()
        etcd.stop()
        for f in sorted(tmp_path.glob("s*.log")):
            print(f.name, f.read_text(errors="replace")[-4000:])


def denied(client, reason):
    got = client.get("app", "k")
    return getattr(got, "error_code", None) == MomentoErrorCode.AUTHENTICATION_ERROR and reason in got.message


def test_a_revocation_is_in_force_on_every_server_and_on_a_restarted_one_first(fleet):
    work = fleet.work
    fleet.start(0, issue=[("app", work / "app.key"), ("app", work / "app2.key")])
    fleet.start(1)
    fleet.start(2)
    key, key2 = (work / "app.key").read_text(), (work / "app2.key").read_text()
    with contextlib.ExitStack() as stack:
        clients = [stack.enter_context(fleet.client(i, key)) for i in range(3)]
        for c in clients:
            assert isinstance(c.set("app", "k", "v"), CacheSet.Success)
        revoked = fleet.fgac("revoke", *fleet.at(), "--token", "-", stdin=key.encode())
        assert revoked.returncode == 0, revoked.stderr
        acknowledged = time.monotonic()
        for i, c in enumerate(clients):
            assert wait_until(lambda c=c: denied(c, "revoked"), seconds=BOUND), f"server {i}"
        print(f"revocation in force on three servers {time.monotonic() - acknowledged:.3f} s after its acknowledgment")
    # A server killed; a revocation while it is down; restarted, it refuses the key on its first
    # request (it serves nothing before it has read the whole state).
    with fleet.client(2, key2) as c:
        assert isinstance(c.get("app", "k"), CacheGet.Hit)
    fleet.kill(2)
    revoked = fleet.fgac("revoke", *fleet.at(), "--token", "-", stdin=key2.encode())
    assert revoked.returncode == 0, revoked.stderr
    fleet.start(2)
    with fleet.client(2, key2) as c:
        assert denied(c, "revoked")


def test_a_published_edit_changes_every_server(fleet):
    work = fleet.work
    fleet.start(0, issue=[("app", work / "app.key")])
    fleet.start(1)
    fleet.start(2)
    key = (work / "app.key").read_text()
    with contextlib.ExitStack() as stack:
        clients = [stack.enter_context(fleet.client(i, key)) for i in range(3)]
        for c in clients:
            assert isinstance(c.set("app", "user:1", "v"), CacheSet.Success)
        policy = (work / "policy.fgac").read_text()
        edited = policy.replace('allow readwrite        cache "app"\n', 'allow readonly         cache "app"\n', 1)
        assert edited != policy
        (work / "policy.fgac").write_text(edited)
        published = fleet.fgac("publish", *fleet.at(), "--yes", str(work / "trust.json"))
        assert published.returncode == 0, published.stderr
        for i, c in enumerate(clients):
            assert wait_until(
                lambda c=c: getattr(c.set("app", "user:1", "v"), "error_code", None) == MomentoErrorCode.PERMISSION_ERROR,
                seconds=BOUND,
            ), f"server {i}"
            assert isinstance(c.get("app", "user:1"), CacheGet.Hit)
    status = fleet.fgac("status", *fleet.at(), "--json")
    assert status.returncode == 0, status.stderr
    report = json.loads(status.stdout)
    ids = sorted(s["id"] for s in report["servers"])
    assert ids == ["s0", "s1", "s2"], report


def test_a_stopped_server_catches_up_across_a_compaction(fleet):
    work = fleet.work
    fleet.start(0, issue=[("app", work / "app.key"), ("reader", work / "reader.key")])
    fleet.start(1)
    key, reader = (work / "app.key").read_text(), (work / "reader.key").read_text()
    process = fleet.servers[1][0]
    process.send_signal(signal.SIGSTOP)
    try:
        revoked = fleet.fgac("revoke", *fleet.at(), "--token", "-", stdin=key.encode())
        assert revoked.returncode == 0, revoked.stderr
        # Revisions it has not seen are compacted away while it cannot hear.
        env = {**os.environ, "ETCDCTL_API": "3"}
        got = subprocess.run(
            ["etcdctl", f"--endpoints={fleet.etcd.urls[0]}", "--write-out=json", "get", "x"],
            env=env, capture_output=True, timeout=30, check=True,
        )
        revision = json.loads(got.stdout)["header"]["revision"]
        subprocess.run(
            ["etcdctl", f"--endpoints={fleet.etcd.urls[0]}", "compact", str(revision)],
            env=env, capture_output=True, timeout=30, check=True,
        )
    finally:
        process.send_signal(signal.SIGCONT)
    with fleet.client(1, key) as c, fleet.client(1, reader) as r:
        assert wait_until(lambda: denied(c, "revoked"), seconds=BOUND)
        assert not denied(r, "revoked")


def etcd_keys(fleet, prefix):
    got = subprocess.run(
        ["etcdctl", f"--endpoints={','.join(fleet.etcd.urls)}", "get", "--prefix", "--keys-only", prefix],
        env={**os.environ, "ETCDCTL_API": "3"}, capture_output=True, timeout=30, check=True,
    )
    return [line for line in got.stdout.decode().splitlines() if line]


def test_one_member_dead_leaves_a_working_fleet(fleet):
    work = fleet.work
    fleet.start(0, issue=[("app", work / "app.key"), ("reader", work / "reader.key")])
    fleet.start(1)
    key = (work / "app.key").read_text()
    fleet.etcd.processes[0].send_signal(signal.SIGKILL)
    fleet.etcd.processes[0].wait(timeout=10)
    revoked = fleet.fgac("revoke", *fleet.at(), "--token", "-", stdin=key.encode())
    assert revoked.returncode == 0, revoked.stderr
    for i in range(2):
        with fleet.client(i, key) as c:
            assert wait_until(lambda c=c: denied(c, "revoked"), seconds=BOUND), f"server {i}"
    # Two operators publish at once, each comparing against the same store: one wins, the
    # other exits 2 naming the revision that won.
    policy = (work / "policy.fgac").read_text()
    base = revision(fleet)
    racers = []
    for n in (1, 2):
        d = work / f"racer{n}"
        d.mkdir()
        (d / "policy.fgac").write_text(policy.replace('key "offsite"', f'key "offsite{n}"', 1))
        shutil.copy(work / "trust.json", d / "trust.json")
        racers.append(subprocess.Popen(
            [os.environ["FGAC_BIN"], "publish", *fleet.at(), "--yes", "--if-revision", str(base), str(d / "trust.json")],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        ))
    outcomes = sorted((p.wait(timeout=60), p.stdout.read().decode(), p.stderr.read().decode()) for p in racers)
    (won, won_out, _), (lost, _, lost_err) = outcomes
    assert (won, lost) == (0, 2), outcomes
    winner = int(won_out.rsplit("revision ", 1)[1])
    assert f"the store is at revision {winner}" in lost_err, lost_err
    fleet.etcd.processes[0] = subprocess.Popen(fleet.etcd.args[0], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def revision(fleet):
    status = fleet.fgac("status", *fleet.at(), "--json")
    assert status.returncode == 0, status.stderr
    return json.loads(status.stdout)["store_revision"]


def minted_token(fleet, seconds):
    """A disposable token for items `user:1:*` of cache `app`, minted by server 0 (started here,
    with the `minter` key) through Momento's SDK; it expires in `seconds`."""
    import base64

    from momento import AuthClient
    from momento.auth.access_control.disposable_token_scopes import DisposableTokenScopes
    from momento.config.auth_configurations import AuthConfigurations
    from momento.utilities.expiration import ExpiresIn

    work = fleet.work
    fleet.start(0, issue=[("minter", work / "minter.key")])
    port = fleet.servers[0][1]
    provider = CredentialProvider((work / "minter.key").read_text(), "127.0.0.1", "127.0.0.1", "127.0.0.1", port)
    with AuthClient(AuthConfigurations.Laptop.latest(), provider) as a:
        minted = a.generate_disposable_token(
            DisposableTokenScopes.cache_key_prefix_read_write("app", "user:1:"), ExpiresIn.seconds(seconds)
        )
    return json.loads(base64.b64decode(minted.auth_token))["api_key"]


def test_a_revocation_lapses_with_its_lease_and_the_token_stays_refused(fleet):
    token = minted_token(fleet, seconds=3)
    revoked = fleet.fgac("revoke", *fleet.at(), "--token", "-", stdin=token.encode())
    assert revoked.returncode == 0, revoked.stderr
    assert any("/revocations/" in k for k in etcd_keys(fleet, PREFIX))
    with fleet.client(0, token) as c:
        assert wait_until(lambda: denied(c, "revoked"), seconds=BOUND)
        # The lease ends when the token has expired (the fleet's leeway is 0): the key goes.
        assert wait_until(lambda: not any("/revocations/" in k for k in etcd_keys(fleet, PREFIX)), seconds=20)
        got = c.get("app", "user:1:a")
        assert getattr(got, "error_code", None) == MomentoErrorCode.AUTHENTICATION_ERROR, got


def test_what_a_server_mints_is_recorded_so_a_revocation_by_id_knows_its_reach(fleet):
    import base64

    token = minted_token(fleet, seconds=60)
    payload = token.split(".")[1]
    jti = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["jti"]
    assert f"{PREFIX}/issued/{jti}" in etcd_keys(fleet, PREFIX)
    revoked = fleet.fgac("revoke", *fleet.at(), "--id", jti)
    assert revoked.returncode == 0, revoked.stderr
    out = revoked.stdout.decode()
    assert "in force until" in out and "it covers 0 live credentials" in out, out
    with fleet.client(0, token) as c:
        assert wait_until(lambda: denied(c, "revoked"), seconds=BOUND)


def test_without_a_quorum_servers_keep_deciding_then_do_what_their_mode_says(fleet):
    work = fleet.work
    quick = ["--max-staleness-seconds", "3", "--metrics", "127.0.0.1:0"]
    fleet.start(0, issue=[("app", work / "app.key")], extra=[*quick, "--when-stale", "keep-serving"])
    fleet.start(1, extra=[*quick, "--when-stale", "refuse"])
    key = (work / "app.key").read_text()
    with fleet.client(0, key) as keeps, fleet.client(1, key) as refuses:
        for c in (keeps, refuses):
            assert isinstance(c.set("app", "k", "v"), CacheSet.Success)
        for m in (1, 2):
            fleet.etcd.processes[m].send_signal(signal.SIGKILL)
            fleet.etcd.processes[m].wait(timeout=10)
        # Both decide on their last state at once.
        for c in (keeps, refuses):
            assert isinstance(c.set("app", "k", "v"), CacheSet.Success)
        # Never acknowledged without a quorum.
        refused = fleet.fgac("revoke", *fleet.at(), "--patience", "2", "--id", "nobody")
        assert refused.returncode == 2 and b"not revoked" in refused.stderr, refused.stderr
        # Past the bound both say they are stale; one refuses every credential.
        assert wait_until(lambda: fleet.status(0)["stale"] and fleet.status(1)["stale"], seconds=10)
        assert wait_until(lambda: denied(refuses, "fgac"), seconds=BOUND)
        assert fleet.status(1)["refusing"] and not fleet.status(0)["refusing"]
        assert isinstance(keeps.set("app", "k", "v"), CacheSet.Success)
        # A quorum back: both hear etcd again and serve.
        for m in (1, 2):
            fleet.etcd.processes[m] = subprocess.Popen(fleet.etcd.args[m], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert wait_until(lambda: not fleet.status(1)["stale"] and not fleet.status(1)["refusing"], seconds=20)
        assert wait_until(lambda: isinstance(refuses.set("app", "k", "v"), CacheSet.Success), seconds=BOUND)
        assert wait_until(lambda: not fleet.status(0)["stale"], seconds=20)
