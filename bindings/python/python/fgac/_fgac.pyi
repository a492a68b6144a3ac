"""Type stubs for fgac's native module (re-exported by the package `fgac`)."""

import os
from datetime import datetime
from typing import Any, Iterable, Literal, TypedDict, final

Time = datetime | int | str | None
"""A timezone-aware datetime, epoch seconds, or RFC 3339 text; None is the current time."""

Key = str | bytes

class FgacError(Exception):
    """A document, rule or credential fgac refuses; str() renders it as the command line does."""

    diagnostics: list[Diagnostic]

class MintRefused(FgacError):
    """mint refused: the credential asked for would exceed its parent."""

    counterexample: dict[str, Any]

class Unauthenticated(FgacError):
    """A presented credential the key ring refuses."""

    reason: str

@final
class Diagnostic:
    """One problem in a document."""

    @property
    def severity(self) -> Literal["error", "warning"]: ...
    @property
    def kind(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def help(self) -> str | None: ...
    @property
    def line(self) -> int | None: ...
    @property
    def column(self) -> int | None: ...
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...

@final
class Decision:
    """A decision: truthy only when allowed."""

    @property
    def allowed(self) -> bool: ...
    @property
    def reason(self) -> str | None: ...
    @property
    def rule(self) -> int | None: ...
    @property
    def failure(self) -> str | None: ...
    def __bool__(self) -> bool: ...

@final
class BatchDecision:
    """A decision on several keys: truthy only when every key is allowed."""

    @property
    def allowed(self) -> bool: ...
    @property
    def reason(self) -> str | None: ...
    @property
    def rule(self) -> int | None: ...
    @property
    def index(self) -> int | None: ...
    def __bool__(self) -> bool: ...

class ExplainedRule(TypedDict, total=False):
    rule: int
    text: str
    line: int
    column: int
    miss: Literal["rights", "target", "cache"]
    has: str
    needs: str

class Explanation(TypedDict):
    decision: Decision
    deciding: list[ExplainedRule]
    near_misses: list[ExplainedRule]

@final
class Credential:
    """A credential of a Policy."""

    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> Literal["api_key", "token"]: ...
    @property
    def expires(self) -> datetime | None: ...
    def authorize(
        self,
        op: str,
        *,
        cache: str | None = None,
        item: Key | None = None,
        topic: str | None = None,
        store: str | None = None,
        account: bool = False,
        now: Time = None,
    ) -> Decision: ...
    def authorize_batch(
        self, op: str, *, cache: str, items: Iterable[Key], now: Time = None
    ) -> BatchDecision: ...
    def explain(
        self,
        op: str,
        *,
        cache: str | None = None,
        item: Key | None = None,
        topic: str | None = None,
        store: str | None = None,
        account: bool = False,
        now: Time = None,
    ) -> Explanation: ...

@final
class Policy:
    """A compiled document: its credentials by name, and decisions."""

    def credential(self, name: str) -> Credential: ...
    def __getitem__(self, name: str) -> Credential: ...
    def __contains__(self, name: str) -> bool: ...
    def __len__(self) -> int: ...
    @property
    def names(self) -> list[str]: ...
    def convert(self, to: str) -> str | bytes: ...
    def authorize(
        self,
        credential: str,
        op: str,
        *,
        cache: str | None = None,
        item: Key | None = None,
        topic: str | None = None,
        store: str | None = None,
        account: bool = False,
        now: Time = None,
    ) -> Decision: ...
    def run_tests(
        self, *, now: Time = None
    ) -> tuple[int, list[tuple[str, str, str, int | None]]]: ...

def compile(
    source: str | bytes | os.PathLike[str], *, format: str | None = None
) -> Policy: ...
def diff(
    old: Policy, new: Policy, *, now: Time = None, reasons: bool = False
) -> list[dict[str, Any]]: ...
def contains(
    inner: Credential, *, within: Credential, now: Time = None
) -> dict[str, Any]: ...

@final
class PublicKey:
    """An Ed25519 public key: verifies credentials."""

    @staticmethod
    def load(path: str | os.PathLike[str]) -> PublicKey: ...
    @staticmethod
    def from_jwk(text: str) -> PublicKey: ...
    def to_jwk(self) -> str: ...
    @property
    def kid(self) -> str: ...

@final
class SigningKey:
    """An Ed25519 signing key: mints credentials."""

    @staticmethod
    def generate(kid: str | None = None) -> SigningKey: ...
    @staticmethod
    def load(path: str | os.PathLike[str]) -> SigningKey: ...
    def save(self, path: str | os.PathLike[str]) -> str: ...
    @property
    def kid(self) -> str: ...
    @property
    def public_key(self) -> PublicKey: ...

def mint(
    parent: Credential,
    *,
    key: SigningKey,
    permissions: str,
    expires: datetime | int | str,
    name: str = "token",
    api_key: bool = False,
    id: str | None = None,
    token_id: str | None = None,
    issuer: str | None = None,
    networks: list[str] | None = None,
    now: Time = None,
) -> str: ...
def inspect(token: str, *, key: PublicKey | None = None) -> dict[str, Any]: ...

@final
class Session:
    """A presented credential resolved by a Keyring."""

    def authorize(
        self,
        op: str,
        *,
        cache: str | None = None,
        item: Key | None = None,
        topic: str | None = None,
        store: str | None = None,
        account: bool = False,
        now: Time = None,
    ) -> Decision: ...
    @property
    def live(self) -> bool: ...

@final
class Keyring:
    """Resolves presented credentials: trusted keys, an optional issuer and document."""

    def __init__(
        self,
        keys: list[PublicKey],
        *,
        policy: Policy | None = None,
        issuer: str | None = None,
    ) -> None: ...
    @staticmethod
    def open(path: str | os.PathLike[str]) -> Keyring: ...
    def resolve(self, token: str, *, peer: str, now: Time = None) -> Session: ...
