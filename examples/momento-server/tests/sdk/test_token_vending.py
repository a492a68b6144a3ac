"""The token vending flow end to end: Python mints a browser's disposable token with the fgac
module (examples/token_vending.py's Vendor, signed with the server's own signing key, from the
policy's `minter`), and Momento's Python SDK uses it against the server: the user's keys work,
anyone else's are refused with fgac's reason."""

import importlib.util
from datetime import timedelta
from pathlib import Path

from momento.errors import MomentoErrorCode
from momento.responses import CacheGet, CacheSet

ROOT = Path(__file__).resolve().parents[4]


def vendor_class():
    spec = importlib.util.spec_from_file_location("token_vending", ROOT / "examples" / "token_vending.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.Vendor


def test_a_token_minted_in_python_works_against_the_server(server):
    vendor = vendor_class()(server.policy, "minter", server.state / "signing.jwk", "app", timedelta(minutes=5))
    token, _ = vendor.token_for("42")
    with server.cache_client(token) as c:
        assert isinstance(c.set("app", "user:42:cart", "2 items"), CacheSet.Success)
        got = c.get("app", "user:42:cart")
        assert isinstance(got, CacheGet.Hit) and got.value_string == "2 items"
        denied = c.set("app", "user:7:cart", "x")
        assert denied.error_code == MomentoErrorCode.PERMISSION_ERROR, denied
        assert "no_matching_grant" in denied.message
