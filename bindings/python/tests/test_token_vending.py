"""examples/token_vending.py: a signed-in user gets a token for their own keys only; anyone else
gets 401. The server runs on loopback in a thread and is shut down when the test ends."""

from __future__ import annotations

import importlib.util
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from types import ModuleType

import pytest

import fgac
from conftest import ROOT


def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("token_vending", ROOT / "examples" / "token_vending.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture()
def vending(tmp_path: Path) -> Iterator[tuple[str, fgac.Keyring]]:
    example = load_example()
    policy = tmp_path / "policy.fgac"
    policy.write_text('key "minter" {\n    expires never\n    allow readwrite cache "app" items prefix "user:"\n}\n')
    key = fgac.SigningKey.generate("vending")
    key.save(tmp_path / "vending.jwk")
    vendor = example.Vendor(policy, "minter", tmp_path / "vending.jwk", "app", timedelta(minutes=15))
    server = example.make_server(vendor, {"s3cret": "42"}, ("127.0.0.1", 0))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host}:{port}", fgac.Keyring([key.public_key])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        assert not thread.is_alive()


def post(url: str, secret: str | None) -> tuple[int, dict[str, str]]:
    request = urllib.request.Request(url, method="POST", data=b"")
    if secret is not None:
        request.add_header("Authorization", f"Bearer {secret}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_a_signed_in_user_gets_a_token_for_their_keys_only(vending: tuple[str, fgac.Keyring]) -> None:
    url, ring = vending
    status, body = post(url + "/token", "s3cret")
    assert status == 200, body
    session = ring.resolve(body["token"], peer="127.0.0.1")
    assert session.authorize("set", cache="app", item="user:42:cart")
    assert session.authorize("get", cache="app", item="user:42:cart")
    assert not session.authorize("get", cache="app", item="user:7:cart")
    assert not session.authorize("flush_cache", cache="app")
    claims = fgac.inspect(body["token"], key=None)["claims"]
    assert claims["kind"] == "token"
    # Whole seconds, as fgac's times are.
    assert claims["expires"] == datetime.fromisoformat(body["expires_at"]).replace(microsecond=0)


def test_anyone_else_is_refused(vending: tuple[str, fgac.Keyring]) -> None:
    url, _ = vending
    assert post(url + "/token", "wrong")[0] == 401
    assert post(url + "/token", None)[0] == 401
    assert post(url + "/other", "s3cret")[0] == 404
