"""Starts the real server (the binary .ci/run built) on loopback and hands its keys to tests.

Environment: FGAC_SERVER_BIN (the server binary) and FGAC_BIN (the fgac command line, for
revocations). The server is stopped by its PID when the session ends.
"""

import os
import shutil
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import pytest
from momento import (
    AuthClient,
    CacheClient,
    Configurations,
    CredentialProvider,
    TopicClient,
    TopicConfigurations,
)
from momento.config.auth_configurations import AuthConfigurations

HERE = Path(__file__).parent
CREDENTIALS = ["admin", "app", "reader", "minter", "narrow", "offsite"]


class Server:
    def __init__(self, port, state, policy, keys, process):
        self.port = port
        self.state = state
        self.policy = policy
        self.keys = keys
        self.process = process

    def provider(self, key):
        return CredentialProvider(key, "127.0.0.1", "127.0.0.1", "127.0.0.1", self.port)

    def cache_client(self, key):
        return CacheClient.create(
            Configurations.Laptop.v1(),
            self.provider(key),
            timedelta(seconds=60),
            eager_connection_timeout=timedelta(seconds=5),
        )

    def topic_client(self, key):
        return TopicClient(TopicConfigurations.Default.v1(), self.provider(key))

    def auth_client(self, key):
        return AuthClient(AuthConfigurations.Laptop.latest(), self.provider(key))

    def revoke(self, token):
        """Revokes a credential with the fgac command line (the server's log is watched)."""
        subprocess.run(
            [os.environ["FGAC_BIN"], "revoke", "--trust", str(self.state / "trust.json"), "--token", "-"],
            input=token.encode(),
            check=True,
            timeout=30,
            capture_output=True,
        )


def wait_until(condition, seconds=10.0, step=0.05):
    """Polls `condition` until it is true or `seconds` pass (bounded); returns its last value."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step)


def stop(process):
    """Stops a process this suite started, by its PID: SIGTERM, then SIGKILL after 10 s."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def launch(work, extra_args=()):
    """Starts the server in `work` with the suite's policy and `extra_args`; yields a Server and
    stops it by its PID (printing its log) when done."""
    binary = os.environ["FGAC_SERVER_BIN"]
    policy = work / "policy.fgac"
    shutil.copy(HERE / "policy.fgac", policy)
    state = work / "state"
    args = [binary, "--policy", str(policy), "--state", str(state), "--listen", "127.0.0.1:0",
            "--cache", "app", "--recheck-ms", "100", "--watch-ms", "100", *extra_args]
    for name in CREDENTIALS:
        args += ["--issue", f"{name}={work / (name + '.key')}"]
    log = open(work / "server.log", "wb")
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log)
    try:
        line = process.stdout.readline().decode()
        assert line.startswith("listening on 127.0.0.1:"), f"server did not start: {line!r}"
        port = int(line.rsplit(":", 1)[1])
        keys = {name: (work / (name + ".key")).read_text() for name in CREDENTIALS}
        for name in CREDENTIALS:
            assert oct((work / (name + ".key")).stat().st_mode & 0o777) == "0o600"
        yield Server(port, state, policy, keys, process)
    finally:
        stop(process)
        log.close()
        print((work / "server.log").read_text())


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    yield from launch(tmp_path_factory.mktemp("server"))
