"""The Python module against the library's own fixtures and the command line: the shared
request corpus decides as `fgac decide` does, errors carry positions, every format reads, the
analyses print what the command line prints, and signed credentials cross between Python and
Rust both ways."""

from __future__ import annotations

import base64
import json
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

import fgac
from conftest import ROOT

CORPUS = ROOT / "tests" / "corpus"
DEFAULT_NOW = 1_700_000_000  # tests/common/mod.rs: the corpus's time when a case gives none


def run(binary: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [binary, *args], input=stdin, capture_output=True, text=True, timeout=120, check=False
    )


def answer_of(decision: fgac.Decision | fgac.BatchDecision) -> str:
    """A decision in the corpus's `expect` form: `allow`, a reason, or `denied_by_rule:N`."""
    if decision.allowed:
        return "allow"
    assert decision.reason is not None
    if decision.rule is not None:
        return f"{decision.reason}:{decision.rule}"
    return decision.reason


def answer_of_line(line: dict[str, Any]) -> str:
    if line["decision"] == "allow":
        return "allow"
    if "rule" in line:
        return f"{line['reason']}:{line['rule']}"
    return str(line["reason"])


def python_decides(policy: fgac.Policy, case: dict[str, Any]) -> str:
    name = case["key"] if "key" in case else policy.names[0]
    now = case.get("now", DEFAULT_NOW)
    if name not in policy:
        return "unknown_credential"
    credential = policy[name]
    if "items" in case or "items_b64" in case:
        keys: list[str | bytes] = list(case.get("items", []))
        keys += [base64.b64decode(k) for k in case.get("items_b64", [])]
        return answer_of(credential.authorize_batch(case["op"], cache=case["cache"], items=keys, now=now))
    item: str | bytes | None = case.get("item")
    if "item_b64" in case:
        item = base64.b64decode(case["item_b64"])
    return answer_of(
        credential.authorize(
            case["op"],
            cache=case.get("cache"),
            item=item,
            topic=case.get("topic"),
            store=case.get("store"),
            account=bool(case.get("account")),
            now=now,
        )
    )


def corpus_suites() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for path in sorted(CORPUS.glob("*.json")):
        for suite in json.loads(path.read_text()).get("suites", []):
            out.append((f"{path.stem}: {suite['name']}", suite))
    return out


@pytest.mark.parametrize(("name", "suite"), corpus_suites(), ids=[n for n, _ in corpus_suites()])
def test_the_corpus_decides_as_fgac_decide(
    name: str, suite: dict[str, Any], fgac_bin: str, tmp_path: Path
) -> None:
    document = json.dumps(suite["document"])
    policy = fgac.compile(document)
    path = tmp_path / "document.json"
    path.write_text(document)
    # Cases that name a need rather than an operation are the engine's own (no request line).
    cases = [c for c in suite["cases"] if "op" in c]
    assert cases, name
    lines = []
    for case in cases:
        request = {k: v for k, v in case.items() if k not in ("expect", "now", "key", "account")}
        if "key" in case:
            request["credential"] = case["key"]
        lines.append(json.dumps(request))
    # One `decide` per time the suite's cases ask at.
    for now in sorted({c.get("now", DEFAULT_NOW) for c in cases}):
        chosen = [i for i, c in enumerate(cases) if c.get("now", DEFAULT_NOW) == now]
        out = run(fgac_bin, "decide", str(path), "--now", str(now), stdin="\n".join(lines[i] for i in chosen) + "\n")
        assert out.returncode == 0, out.stderr
        answers = [json.loads(line) for line in out.stdout.splitlines()]
        assert len(answers) == len(chosen)
        for i, answer in zip(chosen, answers):
            case = cases[i]
            assert python_decides(policy, case) == answer_of_line(answer), (name, case, answer)
            assert python_decides(policy, case) == case["expect"], (name, case)


def test_errors_carry_every_diagnostic_with_its_position() -> None:
    text = 'key "a" {\n    expires never\n    allow readwrit cache "c"\n}\nkey "a" {\n    expires never\n    superuser\n}\n'
    with pytest.raises(fgac.FgacError) as raised:
        fgac.compile(text)
    [d] = raised.value.diagnostics
    assert (d.severity, d.kind, d.line, d.column) == ("error", "syntax", 3, 11)
    assert d.message == "unknown role `readwrit`"
    assert d.help == "did you mean `readwrite`?"
    # Rendered as the command line renders it: the line, and carets under the word.
    assert "--> <string>:3:11" in str(raised.value)
    assert "^^^^^^^^" in str(raised.value)
    # Validation errors come all at once.
    with pytest.raises(fgac.FgacError) as raised:
        fgac.compile('key "a" { expires never  superuser }\nkey "a" { expires never  superuser }\ntoken "t" { expires never  superuser }\n')
    kinds = sorted(d.kind for d in raised.value.diagnostics)
    assert "duplicate_credential" in kinds and len(kinds) >= 2, kinds
    assert all(d.line is not None for d in raised.value.diagnostics)
    # JSON: positions too; `null` is not absent.
    with pytest.raises(fgac.FgacError) as raised:
        fgac.compile('{"credentials": [{"name": "a", "kind": "api_key", "expires_at": null, "permissions": []}]}')
    assert raised.value.diagnostics[0].line == 1


def test_every_format_reads_and_decides_alike(tmp_path: Path) -> None:
    policy = fgac.compile(ROOT / "grammar" / "examples" / "momento-documented.fgac")
    name = policy.names[0]
    requests = [("get", "foo"), ("set", "foo"), ("list_push_back", "user:7"), ("get", "bar")]
    expected = [answer_of(policy[name].authorize(op, cache="data", item=k)) for op, k in requests]
    for fmt in ["fgac-json", "momento-json", "momento-v2-json", "momento-protobuf", "momento-v2-protobuf"]:
        written = policy.convert(fmt)
        if isinstance(written, bytes):
            again = fgac.compile(written, format=fmt)
        else:
            again = fgac.compile(written)
        other = again.names[0]
        got = [answer_of(again[other].authorize(op, cache="data", item=k)) for op, k in requests]
        assert got == expected, fmt
    # A path's format is told by its name.
    path = tmp_path / "policy.fgac.json"
    path.write_text(str(policy.convert("fgac-json")))
    assert fgac.compile(path).names == policy.names
    # A format that cannot say it: refused, naming what.
    deny = fgac.compile(ROOT / "grammar" / "examples" / "except-billing.fgac")
    with pytest.raises(fgac.FgacError, match="deny rule"):
        deny.convert("momento-json")


def test_times_keys_and_decisions() -> None:
    policy = fgac.compile(
        'token "t" { expires 2030-01-01T00:00:00Z  allow readwrite cache "c" items prefix "\\xff" }'
    )
    t = policy["t"]
    assert t.kind == "token"
    assert t.expires == datetime(2030, 1, 1, tzinfo=timezone.utc)
    before = datetime(2029, 12, 31, 23, 59, 59, tzinfo=timezone.utc)
    after = before + timedelta(seconds=1)
    assert t.authorize("get", cache="c", item=b"\xff1", now=before)
    assert not t.authorize("get", cache="c", item=b"\xfe1", now=before)
    expired = t.authorize("get", cache="c", item=b"\xff1", now=after)
    assert (expired.allowed, expired.reason, bool(expired)) == (False, "expired", False)
    # Other time zones are the same instant; epoch seconds and RFC 3339 text too.
    tz = timezone(timedelta(hours=-5))
    assert t.authorize("get", cache="c", item=b"\xff", now=before.astimezone(tz))
    assert t.authorize("get", cache="c", item=b"\xff", now=1_800_000_000)
    assert not t.authorize("get", cache="c", item=b"\xff", now="2031-01-01T00:00:00Z")
    with pytest.raises(ValueError, match="naive datetime"):
        t.authorize("get", cache="c", item="x", now=datetime(2029, 1, 1))
    with pytest.raises(ValueError, match="did you mean `get`"):
        t.authorize("gett", cache="c", item="x")
    with pytest.raises(TypeError):
        t.authorize("get", cache="c", item="x", topic="y")
    with pytest.raises(KeyError, match="did you mean `t`"):
        policy["tt"]
    assert repr(t.authorize("set", cache="d", item="x", now=before)) == "Decision(deny: no_matching_grant)"


def test_explain_names_the_rules() -> None:
    policy = fgac.compile(ROOT / "grammar" / "examples" / "except-billing.fgac")
    name = policy.names[0]
    e = policy[name].explain("get", cache="billing-eu", item="x", now=DEFAULT_NOW)
    assert e["decision"].reason == "denied_by_rule"
    [rule] = e["deciding"]
    assert rule["text"].startswith("deny")
    assert rule["line"] > 0


def test_diff_and_contains_print_what_the_command_line_prints(fgac_bin: str, tmp_path: Path) -> None:
    old = tmp_path / "old.fgac"
    new = tmp_path / "new.fgac"
    old.write_text('key "svc" {\n    expires never\n    allow readonly cache "catalog"\n}\n')
    new.write_text('key "svc" {\n    expires never\n    allow readwrite cache "catalog"\n    deny readonly cache "catalog" item "secret"\n}\n')
    changes = fgac.diff(fgac.compile(old), fgac.compile(new), now=DEFAULT_NOW)
    out = run(fgac_bin, "diff", str(old), str(new), "--json", "--now", str(DEFAULT_NOW))
    assert out.returncode == 1
    assert changes == [json.loads(line) for line in out.stdout.splitlines()]
    assert {c["change"] for c in changes} == {"now_allowed", "now_denied"}
    both = fgac.compile(new)
    reader = fgac.compile('key "r" {\n    expires never\n    allow readonly cache "catalog"\n}\n')
    found = fgac.contains(reader["r"], within=both["svc"], now=DEFAULT_NOW)
    assert found["contained"] is False
    assert found["request"]["item"] == "secret"
    cli = tmp_path / "both.fgac"
    cli.write_text(new.read_text() + 'key "r" {\n    expires never\n    allow readonly cache "catalog"\n}\n')
    out = run(fgac_bin, "contains", str(cli), "--credential", "r", "--within", "svc", "--json", "--now", str(DEFAULT_NOW))
    assert json.loads(out.stdout) == found


def trust_file(tmp_path: Path, public: fgac.PublicKey, document: Path) -> Path:
    trust = tmp_path / "trust.json"
    trust.write_text(json.dumps({"keys": [json.loads(public.to_jwk())], "document": str(document)}))
    return trust


POLICY = 'key "vendor" {\n    expires 2030-01-01T00:00:00Z\n    allow readwrite cache "app" items prefix "user:"\n}\n'


def test_a_token_minted_in_python_resolves_in_rust(fgac_bin: str, tmp_path: Path) -> None:
    document = tmp_path / "policy.fgac"
    document.write_text(POLICY)
    key = fgac.SigningKey.generate("py-1")
    now = datetime(2026, 12, 1, tzinfo=timezone.utc)
    token = fgac.mint(
        fgac.compile(document)["vendor"],
        key=key,
        permissions='allow readwrite cache "app" items prefix "user:42:"',
        expires=now + timedelta(minutes=15),
        id="browser-42",
        now=now,
    )
    trust = trust_file(tmp_path, key.public_key, document)
    requests = [
        {"token": token, "peer": "127.0.0.1", "op": "set", "cache": "app", "item": "user:42:cart"},
        {"token": token, "peer": "127.0.0.1", "op": "set", "cache": "app", "item": "user:7:cart"},
    ]
    out = run(fgac_bin, "decide", str(document), "--trust", str(trust), "--now", "2026-12-01T00:05:00Z",
              stdin="\n".join(json.dumps(r) for r in requests) + "\n")
    assert out.returncode == 0, out.stderr
    answers = [json.loads(line) for line in out.stdout.splitlines()]
    assert answers == [{"decision": "allow"}, {"decision": "deny", "reason": "no_matching_grant"}]
    # And the command line reads its claims back, the signature checked.
    (tmp_path / "py-1.pub.jwk").write_text(key.public_key.to_jwk())
    out = run(fgac_bin, "inspect", token, "--verify-with", str(tmp_path / "py-1.pub.jwk"), "--now", "2026-12-01T00:05:00Z", "--format", "json")
    assert json.loads(out.stdout)["signature"] == "valid"
    # Beyond the parent: refused with a counterexample request.
    with pytest.raises(fgac.MintRefused) as refused:
        fgac.mint(fgac.compile(document)["vendor"], key=key, permissions='allow readwrite cache "app"',
                  expires=now + timedelta(minutes=15), now=now)
    assert refused.value.counterexample["request"]["cache"] == "app"
    assert refused.value.counterexample["outer"]["reason"] == "no_matching_grant"


def test_a_token_minted_in_rust_resolves_in_python(fgac_bin: str, tmp_path: Path) -> None:
    document = tmp_path / "policy.fgac"
    document.write_text(POLICY)
    private = tmp_path / "rs-1.jwk"
    assert run(fgac_bin, "keygen", "--kid", "rs-1", "--out", str(private)).returncode == 0
    out = run(fgac_bin, "mint", str(document), "--from", "vendor", "--signing-key", str(private),
              "--expires", "2026-12-01T01:00:00Z", "--now", "2026-12-01T00:00:00Z",
              'allow readonly cache "app" items prefix "user:9:"')
    assert out.returncode == 0, out.stderr
    token = out.stdout.strip()
    public = fgac.PublicKey.load(tmp_path / "rs-1.pub.jwk")
    ring = fgac.Keyring([public], policy=fgac.compile(document))
    session = ring.resolve(token, peer="127.0.0.1", now="2026-12-01T00:30:00Z")
    assert session.authorize("get", cache="app", item="user:9:x", now="2026-12-01T00:30:00Z")
    assert not session.authorize("set", cache="app", item="user:9:x", now="2026-12-01T00:30:00Z")
    assert fgac.inspect(token, key=public)["signature"] == "valid"
    # Expired, or altered: refused, with the reason.
    with pytest.raises(fgac.Unauthenticated) as refused:
        ring.resolve(token, peer="127.0.0.1", now="2026-12-01T02:00:00Z")
    assert refused.value.reason == "expired"
    with pytest.raises(fgac.Unauthenticated):
        ring.resolve(token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB"), peer="127.0.0.1")
    # The same key ring from the trust file the command line reads.
    ring = fgac.Keyring.open(trust_file(tmp_path, public, document))
    assert ring.resolve(token, peer="::1", now="2026-12-01T00:30:00Z").live


def test_signing_keys_round_trip_through_files(tmp_path: Path) -> None:
    key = fgac.SigningKey.generate("k-9")
    public_path = key.save(tmp_path / "k-9.jwk")
    assert oct((tmp_path / "k-9.jwk").stat().st_mode & 0o777) == "0o600"
    assert fgac.SigningKey.load(tmp_path / "k-9.jwk").kid == "k-9"
    assert fgac.PublicKey.load(public_path).to_jwk() == key.public_key.to_jwk()
    with pytest.raises(OSError):
        key.save(tmp_path / "k-9.jwk")  # never overwrites
