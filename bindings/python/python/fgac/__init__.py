"""fgac from Python: Momento-style fine-grained access control, compiled.

Compile a document (fgac's language, its JSON, Momento's JSON forms or protobuf messages), look
a credential up and authorize requests; explain a decision; compare two versions of a document
(`diff`) or two credentials (`contains`); generate signing keys, `mint` signed tokens for at most
what a credential holds, `inspect` them, and resolve presented tokens with a `Keyring`.

>>> import fgac
>>> policy = fgac.compile('key "svc" { expires never  allow readonly cache "catalog" }')
>>> bool(policy["svc"].authorize("get", cache="catalog", item="p1"))
True
>>> policy["svc"].authorize("set", cache="catalog", item="p1")
Decision(deny: no_matching_grant)
"""

from fgac._fgac import (
    BatchDecision,
    Credential,
    Decision,
    Diagnostic,
    FgacError,
    Keyring,
    MintRefused,
    Policy,
    PublicKey,
    Session,
    SigningKey,
    Unauthenticated,
    compile,
    contains,
    diff,
    inspect,
    mint,
)

__all__ = [
    "BatchDecision",
    "Credential",
    "Decision",
    "Diagnostic",
    "FgacError",
    "Keyring",
    "MintRefused",
    "Policy",
    "PublicKey",
    "Session",
    "SigningKey",
    "Unauthenticated",
    "compile",
    "contains",
    "diff",
    "inspect",
    "mint",
]
