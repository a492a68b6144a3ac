//! # fgac
//!
//! An embeddable authorization engine for cache and topic servers. Permission documents, in
//! fgac's language ([`text`], grammar in `grammar/fgac.ebnf`), Momento's JSON or fgac's key-store
//! JSON ([`json`]), are parsed into a [`model`], validated and compiled into an immutable
//! [`Authorizer`]. Its credentials answer `authorize(op, resource, now)` in one hash of the cache
//! name plus one pass over the key, whatever the size of the policy, with no allocation.
//! [`analysis`] explains decisions and lints documents; [`policy_tests`] runs `test` blocks; the
//! `fgac` command line (default `cli` feature) wraps it all.
//!
//! ## Example
//!
//! ```
//! use fgac::{Authorizer, Decision, DenyReason, Operation, Resource, RuleId, Timestamp};
//!
//! let authz = Authorizer::from_json(r#"{"credentials": [{
//!     "name": "checkout", "kind": "api_key", "expires_at": 1800000000,
//!     "permissions": [
//!         {"role": "readwrite", "cache": "sessions", "item": {"keyPrefix": "user:"}},
//!         {"effect": "deny", "role": "readwrite", "cache": "sessions", "item": {"key": "user:admin"}},
//!         {"role": "subscribeonly", "cache": "*", "topic": "announcements"}
//!     ]}]}"#)?;
//! let key = authz.credential("checkout").unwrap();
//! let now = Timestamp::from_unix_seconds(1_700_000_000);
//!
//! assert_eq!(key.authorize(Operation::Set, Resource::item("sessions", b"user:1"), now), Decision::Allow);
//! assert_eq!(
//!     key.authorize(Operation::Get, Resource::item("sessions", b"user:admin"), now),
//!     Decision::Deny(DenyReason::DeniedByRule(RuleId::new(1)))
//! );
//! assert!(key.authorize(Operation::Subscribe, Resource::topic("any", "announcements"), now).is_allowed());
//! assert_eq!(
//!     key.authorize(Operation::CreateCache, Resource::cache("new"), now),
//!     Decision::Deny(DenyReason::SuperUserRequired)
//! );
//! # Ok::<(), fgac::Error>(())
//! ```
//!
//! ## Semantics
//!
//! Momento's fine-grained access control (see `MOMENTO.md` in the repository's docs), extended with
//! deny rules and cache-name prefixes:
//!
//! * default deny; a request is allowed when the union of the rights of the allow grants that
//!   cover it contains what the operation needs ([`Operation::need`]);
//! * a deny grant that covers the request and takes away a needed right overrides every allow;
//! * an expired credential is denied before anything else, then an operation on the wrong kind of
//!   resource, then a control-plane operation by anything but a super-user key;
//! * item keys match byte for byte (exact key, or byte prefix); cache and topic names likewise,
//!   with no Unicode normalization;
//! * [`oracle`] is the definition: a linear scan the compiled engine is tested against.
//!
//! ## Input safety
//!
//! Parsing and compiling are bounded by [`Limits`]; every error has a span and renders with the
//! source line and carets. `authorize` never fails, never panics, never allocates and never reads
//! the clock: the time is an argument.
//!
//! ## Performance
//!
//! See [`Authorizer::memory_usage`] for the compiled size, and `BENCHMARKS.md` for measurements
//! (about 17 ns per decision at 20 grants and 31 ns at 100,000, on the development machine).

#![forbid(unsafe_code)]

pub mod analysis;
pub mod compile;
mod decision;
mod engine;
mod error;
mod escape;
mod limits;
pub mod model;
pub mod ops;
pub mod oracle;
pub mod policy_tests;
mod suggest;
pub mod syntax;
mod time;

pub use compile::validate;
pub use decision::{Decision, DenyKind, DenyReason, OwnedResource, Resource, RuleId};
pub use engine::{Authorizer, CompiledCredential};
pub use error::{Diagnostic, Error, ErrorKind, Location, Severity};
pub use escape::escape_for_terminal;
pub use limits::Limits;
pub use model::Document;
pub use ops::{Need, Operation, Rights};
pub use syntax::{json, text};
pub use syntax::{load, load_bytes, load_with};
pub use time::{BeforeEpoch, TimeError, Timestamp};

/// The README's examples, compiled and run as doctests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
