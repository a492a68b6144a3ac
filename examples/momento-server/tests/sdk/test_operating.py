"""What an operator sees, on a server of its own (so that every count is known): /metrics,
checked by Prometheus's own promtool and against what the test did; /status; the decision log
(no raw item key in it); and shadow mode reporting what a candidate policy would change."""

import json
import re
import shutil
import subprocess
import urllib.request
import uuid

import pytest
from conftest import HERE, launch, wait_until
from momento.errors import MomentoErrorCode
from momento.responses import CacheGet, CacheSet
from test_sdk import assert_error

SECRET = b"decision-log-secret-of-the-test-0123456789"


@pytest.fixture(scope="module")
def observed(tmp_path_factory):
    work = tmp_path_factory.mktemp("observed")
    (work / "secret").write_bytes(SECRET)
    # The candidate: `reader` may also write its `user:` items.
    candidate = (HERE / "policy.fgac").read_text().replace(
        'allow readonly cache "app" items prefix "user:"',
        'allow readwrite cache "app" items prefix "user:"',
    )
    assert "readwrite cache \"app\" items prefix \"user:\"" in candidate
    (work / "candidate.fgac").write_text(candidate)
    args = [
        "--metrics", "127.0.0.1:0",
        "--decision-log", str(work / "decisions.jsonl"),
        "--decision-log-secret-file", str(work / "secret"),
        "--shadow", str(work / "candidate.fgac"),
    ]
    for server in launch(work, args):
        line = server.process.stdout.readline().decode()
        assert line.startswith("metrics on 127.0.0.1:"), line
        server.metrics = line.split()[-1]
        server.work = work
        yield server


def scrape(server, path="/metrics"):
    with urllib.request.urlopen(f"http://{server.metrics}{path}", timeout=10) as r:
        return r.read().decode()


def samples(text):
    """{(name, frozenset(labels)): value} of an exposition."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.fullmatch(r"([a-z_]+)(?:\{(.*)\})? (\S+)", line)
        assert m, line
        labels = frozenset(re.findall(r'(\w+)="([^"]*)"', m.group(2) or ""))
        out[(m.group(1), labels)] = float(m.group(3))
    return out


def decisions(s, family, outcome):
    return s[("fgac_decisions_total", frozenset({("family", family), ("outcome", outcome)}))]


def test_metrics_count_what_was_done_and_promtool_reads_them(observed):
    server = observed
    before = samples(scrape(server))
    keys = [f"user:{uuid.uuid4().hex[:8]}" for _ in range(5)]
    with server.cache_client(server.keys["app"]) as c:
        for k in keys:
            assert isinstance(c.set("app", k, "v"), CacheSet.Success)
            assert isinstance(c.get("app", k), CacheGet.Hit)
        for i in range(3):
            assert_error(c.set("app", f"ro:{i}", "v"), MomentoErrorCode.PERMISSION_ERROR, "denied_by_rule")
    with server.cache_client(server.keys["reader"]) as c:
        for k in keys[:2]:
            assert_error(c.set("app", k, "w"), MomentoErrorCode.PERMISSION_ERROR, "no_matching_grant")
    with server.cache_client("not-a-credential") as c:
        assert_error(c.get("app", "user:1"), MomentoErrorCode.AUTHENTICATION_ERROR)
    after = samples(scrape(server))
    delta = lambda f, o: decisions(after, f, o) - decisions(before, f, o)  # noqa: E731
    assert delta("item_read", "allow") == 5
    assert delta("item_write", "allow") == 5
    assert delta("item_write", "denied_by_rule") == 3
    assert delta("item_write", "no_matching_grant") == 2
    malformed = ("fgac_credential_resolutions_total", frozenset({("outcome", "malformed")}))
    assert after[malformed] - before.get(malformed, 0) == 1
    hits = ("fgac_keyring_events_total", frozenset({("event", "cache_hit")}))
    assert after[hits] > before[hits]

    promtool = shutil.which("promtool")
    assert promtool, "promtool (Debian's prometheus package) is needed: .ci/run installs it"
    text = scrape(server)
    checked = subprocess.run([promtool, "check", "metrics"], input=text.encode(), capture_output=True, timeout=30)
    problems = (checked.stdout + checked.stderr).decode().strip().splitlines()
    # 0: clean; 3: lint problems (1 would be text promtool cannot parse). The one problem
    # allowed: promtool reads the 0.0.4 text format, where a counter's HELP is named with its
    # `_total`; OpenMetrics (what Prometheus's client writes, and Prometheus scrapes) names the
    # family without it, so promtool finds no help text for each counter. Every other lint
    # (names, suffixes, units, types) must pass.
    assert checked.returncode in (0, 3), problems
    for p in problems:
        name = p.split()[0]
        assert p.endswith("no help text") and name.endswith("_total"), p
        assert f"# HELP {name[: -len('_total')]} " in text, p


def test_status_says_which_trust_is_in_force(observed):
    status = json.loads(scrape(observed, "/status"))
    assert status["generation"] == 0 and status["revocation_log"] == "ok", status
    assert status["last_reload_error"] is None


def test_the_decision_log_holds_denials_with_keys_redacted(observed):
    server = observed
    secret_key = "user:" + uuid.uuid4().hex
    with server.cache_client(server.keys["reader"]) as c:
        assert_error(c.set("app", secret_key, "w"), MomentoErrorCode.PERMISSION_ERROR)
    log = server.work / "decisions.jsonl"

    def lines():
        if not log.exists():
            return []
        return [json.loads(line) for line in log.read_text().splitlines() if line]

    assert wait_until(lambda: any(e["op"] == "set" and e["reason"] == "no_matching_grant" for e in lines()), seconds=10)
    raw = log.read_bytes()
    assert secret_key.encode() not in raw and secret_key[5:].encode() not in raw
    for e in lines():
        assert e["v"] == 1 and e["decision"] == "deny", e
        assert "credential" in e and e["credential"], e
        if "item" in e["resource"]:
            assert set(e["resource"]["item"]) == {"hmac_sha256"}, e
    # Keys and secrets the server holds appear nowhere.
    for k in server.keys.values():
        assert k.strip().encode() not in raw


def test_shadow_mode_reports_what_the_candidate_would_change(observed):
    server = observed
    key = "user:" + uuid.uuid4().hex[:8]
    with server.cache_client(server.keys["reader"]) as c:
        assert_error(c.set("app", key, "w"), MomentoErrorCode.PERMISSION_ERROR)
        # The live policy decides: still denied, whatever the candidate says.
        assert isinstance(c.get("app", key), CacheGet.Miss)
    changed = ("fgac_keyring_events_total", frozenset({("event", "shadow_changed")}))
    assert wait_until(lambda: samples(scrape(server)).get(changed, 0) >= 1, seconds=10)
    log = (server.work / "server.log").read_text()
    assert "fgac: shadow: set by `reader` in cache `app`: deny (no_matching_grant) now, allow by the candidate" in log, log
    assert key not in log
