"""A token vending endpoint: after your web tier has authenticated a user, it hands the user's
browser a short-lived disposable token for that user's items only, minted with fgac.

    POST /token   Authorization: Bearer <session>   ->   {"token": "...", "expires_at": "..."}

The token allows `readwrite` on the cache's keys that start with `user:<id>:`, for `ttl`
seconds, and at most what the vending credential `parent` holds (fgac refuses to mint more).
Standard library only, besides fgac. Run it (sessions here are fixed; yours come from your
login):

    python examples/token_vending.py --policy policy.fgac --parent minter \\
        --signing-key state/signing.jwk --cache app --session s3cret=42 --listen 127.0.0.1:8080
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import fgac


class Vendor:
    """Mints a user's token from `parent`, a credential of the policy at `policy`."""

    def __init__(self, policy: Path, parent: str, signing_key: Path, cache: str, ttl: timedelta) -> None:
        self.parent = fgac.compile(policy)[parent]
        self.key = fgac.SigningKey.load(signing_key)
        self.cache = cache
        self.ttl = ttl

    def token_for(self, user: str, now: datetime | None = None) -> tuple[str, datetime]:
        """A token for `user`'s keys of the cache, and when it expires."""
        if not user.isalnum():
            raise ValueError("a user id is letters and digits")
        now = now or datetime.now(timezone.utc)
        expires = now + self.ttl
        token = fgac.mint(
            self.parent,
            key=self.key,
            permissions=f'allow readwrite cache "{self.cache}" items prefix "user:{user}:"',
            expires=expires,
            token_id=f"user-{user}",
            now=now,
        )
        return token, expires


def make_server(vendor: Vendor, sessions: dict[str, str], address: tuple[str, int]) -> ThreadingHTTPServer:
    """An HTTP server answering POST /token for the users `sessions` (bearer secret -> user id)
    names; 401 for anyone else."""

    class Handler(BaseHTTPRequestHandler):
        def answer(self, status: int, body: dict[str, str]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:  # noqa: N802 (the standard library's name)
            if self.path != "/token":
                self.answer(404, {"error": "not found"})
                return
            scheme, _, secret = self.headers.get("Authorization", "").partition(" ")
            user = sessions.get(secret) if scheme == "Bearer" else None
            if user is None:
                self.answer(401, {"error": "not signed in"})
                return
            try:
                token, expires = vendor.token_for(user)
            except fgac.FgacError as e:
                # The vending credential may not give this: a configuration error, not the user's.
                self.answer(500, {"error": f"cannot mint: {e}"})
                return
            self.answer(200, {"token": token, "expires_at": expires.isoformat()})

        def do_GET(self) -> None:  # noqa: N802
            self.answer(405, {"error": "POST /token"})

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass  # keep tokens out of logs

    return ThreadingHTTPServer(address, Handler)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--policy", type=Path, required=True)
    parser.add_argument("--parent", required=True, help="the vending credential of the policy")
    parser.add_argument("--signing-key", type=Path, required=True)
    parser.add_argument("--cache", required=True)
    parser.add_argument("--ttl-seconds", type=int, default=900)
    parser.add_argument("--session", action="append", default=[], help="SECRET=USER (a demo login)")
    parser.add_argument("--listen", default="127.0.0.1:8080")
    a = parser.parse_args()
    sessions = dict(s.split("=", 1) for s in a.session)
    vendor = Vendor(a.policy, a.parent, a.signing_key, a.cache, timedelta(seconds=a.ttl_seconds))
    host, port = a.listen.rsplit(":", 1)
    server = make_server(vendor, sessions, (host, int(port)))
    bound_host, bound_port = server.server_address[:2]
    print(f"listening on {bound_host!s}:{bound_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()

