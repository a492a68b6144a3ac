//! Signed credentials and the key ring a server resolves them with (feature `credentials`).
//!
//! A client presents a secret: an API key or a disposable token. fgac's are compact JWS (JWT)
//! signed with Ed25519 (EdDSA, RFC 8037), so that a fleet of servers verifies them with public
//! keys and no shared database:
//!
//! * the header is `{"alg": "EdDSA", "kid": KID, "typ": "JWT"}` and nothing else;
//! * the claims are the standard `jti` (the credential's id, what revocation names), `sub` (its
//!   name), `iat`, `exp` (required for tokens), optional `iss` and `nbf`, and the credential in
//!   the fgac JSON's shape: `kind`, `token_id`, `networks`, and `permissions` (with fgac's
//!   deny rules and cache prefixes) or `"super_user": true` (API keys only). An API key without
//!   permissions refers by `sub` to a credential of the verifier's document.
//!
//! [`mint`] signs a credential only when it is within its parent (exactly, see
//! [`analysis::derive`](crate::analysis::derive)). A [`Keyring`] holds a [`Trust`] (public keys,
//! issuer, document, revocation log) and resolves what a client presents, for the client's
//! address, into a [`Session`] whose decisions are the compiled credential's, and which a
//! revocation reaches on its next request.
//!
//! Verification cannot be talked into anything else: only EdDSA is accepted (no `none`, no HMAC
//! keyed with a public key), an unknown or retired `kid` is refused before any signature is
//! checked, the signature is checked strictly before the claims are read, the token and its
//! permissions are bounded before parsing, duplicated and unknown claims are refused, and the
//! claims are validated exactly like a document (a token can never be a super user; the token
//! limits apply). A refusal is an [`AuthFailure`](crate::AuthFailure), never a panic.
//!
//! ```
//! use fgac::credentials::{Keyring, Revocation, SigningKey, Trust, sign_reference, MintOptions};
//! use fgac::{Authorizer, AuthFailure, Decision, DenyReason, Operation, Resource, Timestamp};
//! use fgac::model::Expiry;
//!
//! // The account's administrator: a signing key, and an API key for the checkout service whose
//! // permissions live in the policy document.
//! let signer = SigningKey::generate(None)?;
//! let document = Authorizer::builder().read(br#"key "checkout" {
//!     expires never
//!     networks "10.0.0.0/8"
//!     allow readwrite cache "sessions"
//! }"#)?;
//! let now = Timestamp::from_unix_seconds(1_795_651_200);
//! let api_key = sign_reference("checkout", Expiry::Never, &signer, &MintOptions::default(), now, &Default::default())?;
//!
//! // The server: one key ring, shared by every connection.
//! let ring = Keyring::new(Trust::builder().key(signer.public_key()).document(document).build()?)?;
//!
//! // A connection from 10.1.2.3 presents the key: resolve it once...
//! let session = ring.resolve(&api_key, "10.1.2.3".parse()?, now).expect("a valid key");
//! // ...and authorize each request without allocating.
//! assert!(session.authorize(Operation::Set, Resource::item("sessions", b"user:1"), now).is_allowed());
//!
//! // From outside its networks, the same key is refused.
//! assert_eq!(ring.resolve(&api_key, "192.0.2.1".parse()?, now).unwrap_err(), AuthFailure::NetworkNotAllowed);
//!
//! // Revoked: the live connection's next request is denied.
//! ring.revoke(Revocation::Credential(session.id().to_owned()), now)?;
//! assert_eq!(
//!     session.authorize(Operation::Get, Resource::item("sessions", b"user:1"), now),
//!     Decision::Deny(DenyReason::Unauthenticated(AuthFailure::Revoked))
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod base64url;
mod claims;
mod jws;
mod keyring;
mod keys;
mod ledger;
mod lineage;
mod linefile;
mod mint;
mod revocations;
mod trust;
mod watch;

pub use keyring::{
    DEFAULT_CACHE_CAPACITY, Keyring, LogHealth, OpenError, ReloadError, RevocationStatus, Revoked,
    Session,
};
pub use keys::{KeyError, PublicKey, SigningKey};
pub use ledger::{Issued, Ledger, covered as covered_by_revocation};
pub use lineage::MAX_LINEAGE;
pub use mint::{
    Claims, Inspection, MintError, MintOptions, Minted, SignatureCheck, inspect, mint,
    sign_reference,
};
pub use revocations::{
    COMPACTION_MARGIN_SECONDS, Compaction, LogError, Revocation, RevocationLog, RevocationRecord,
    parse_log,
};
pub use trust::{MAX_LEEWAY_SECONDS, Trust, TrustBuilder, TrustedKey};
pub use watch::{WatchEvent, Watcher};
