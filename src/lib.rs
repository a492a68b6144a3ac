//! # fgac
//!
//! An embeddable authorization engine for cache and topic servers. Permission documents, in
//! fgac's language (grammar in `grammar/fgac.ebnf`), fgac's JSON or Momento's JSON and protobuf
//! formats ([`syntax::Format`]), are read into a [`model`] ([`syntax::Reader`]), validated and compiled into an
//! immutable [`Authorizer`]. Its [`Credential`]s answer `authorize(op, resource, now)` in one hash
//! of the cache name plus one pass over the key, whatever the size of the policy, with no
//! allocation. [`analysis`] explains decisions and lints documents; [`policy_tests`] runs `test`
//! blocks; [`reference`](mod@reference) is the reference evaluator, the definition the engine is tested against;
//! the `fgac` command line (the `fgac-cli` crate beside it) wraps it all.
//!
//! ## Example
//!
//! ```
//! use fgac::{Authorizer, Decision, DenyReason, Operation, Resource, RuleId, Timestamp};
//!
//! let authz = Authorizer::from_source(r#"{"credentials": [{
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
//! ## Stages
//!
//! Data flows one way: text or JSON ([`syntax`]) → [`model`] → validation and compilation
//! ([`Authorizer::compile`], [`validate`]) → the compiled engine ([`Authorizer`], [`Credential`])
//! → a [`Decision`]. Each stage depends only on those before it (`DESIGN.md` draws them; a test
//! checks the imports).
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
//! * [`reference`](mod@reference) is the definition: a linear scan the compiled engine is tested against.
//!
//! ## Misuse resistance
//!
//! Decisions are `#[must_use]`: a dropped decision decides nothing, so dropping one is a warning
//! (an error under `deny(unused_must_use)`):
//!
//! ```compile_fail
//! #![deny(unused_must_use)]
//! let authz = fgac::Authorizer::from_source(r#"key "k" { expires never  allow readonly cache "c" }"#).unwrap();
//! let key = authz.credential("k").unwrap();
//! key.authorize(fgac::Operation::Get, fgac::Resource::item("c", b"x"), fgac::Timestamp::now());
//! ```
//!
//! There is no default time: every decision is made at a time the caller chose, and a forgotten
//! argument cannot mean 1970, when every expired credential was still valid:
//!
//! ```compile_fail
//! let now = fgac::Timestamp::default();
//! ```
//!
//! Only validated documents are decided on outside the engine ([`model::ValidDocument`]), and a
//! lookup of an unknown credential is `None`, not a decision.
//!
//! ## Input safety
//!
//! Parsing and compiling are bounded by [`Limits`]; every error has a span and renders with the
//! source line and carets, with everything taken from the policy escaped for the terminal.
//! `authorize` never fails, never panics, never allocates and never reads the clock: the time is
//! an argument.
//!
//! ## Performance
//!
//! See [`Authorizer::memory_usage`] for the compiled size, and `BENCHMARKS.md` for measurements
//! (about 18 ns per decision at 20 grants and 28 ns at 100,000, on the development machine).

#![forbid(unsafe_code)]
#![warn(clippy::must_use_candidate)]
// docs.rs builds with every feature and `--cfg docsrs`: feature-gated items say which feature.
#![cfg_attr(docsrs, feature(doc_cfg))]

// Stage 0: vocabulary shared by every stage.
mod decision;
mod escape;
mod limits;
pub mod metrics;
mod ops;
mod suggest;
mod time;
// Stage 1: the document model, and the error that points into its source.
mod error;
pub mod model;
// Stage 2: the front ends.
pub mod syntax;
// Stage 3: the compiled engine and its builders; stage 4: validation and compilation.
mod compile;
mod engine;
// Stage 5: the reference evaluator, analyses, policy tests.
pub mod analysis;
pub mod lines;
pub mod policy_tests;
pub mod reference;
pub mod shadow;
// Stage 5 too: the decision log, beside the analyses (it writes what the engine decided).
#[cfg(feature = "decision-log")]
#[cfg_attr(docsrs, doc(cfg(feature = "decision-log")))]
pub mod decision_log;
// Stage 6: signed credentials and the key ring that resolves them.
#[cfg(feature = "credentials")]
#[cfg_attr(docsrs, doc(cfg(feature = "credentials")))]
pub mod credentials;

pub use compile::{AuthorizerBuilder, Compiled, Update, validate};
pub use decision::{
    AuthFailure, BatchDecision, Decision, DenyKind, DenyReason, Outcome, OwnedResource, Resource,
    RuleId,
};
pub use engine::{Authorizer, Credential, Credentials};
pub use error::{Diagnostic, Error, ErrorKind, Location, Severity};
pub use escape::{escape_for_terminal, escape_lines_for_terminal};
pub use limits::Limits;
pub use ops::{AccountRights, Need, Operation, Rights, UnknownOperation};
pub use time::{BeforeEpoch, TimeError, Timestamp};

/// The README's and the guide's Rust examples, compiled and run as doctests so that they stay true
/// (some use the `credentials` feature, which `cargo test` at the root turns on through the
/// command line; `crates/cli/tests/docs.rs` checks that every page with Rust code is here).
#[cfg(all(doctest, feature = "credentials"))]
pub mod doc_pages {
    #[doc = include_str!("../README.md")]
    pub struct Readme;
    #[doc = include_str!("../docs/src/embed.md")]
    pub struct Embed;
    #[doc = include_str!("../docs/src/signed-credentials.md")]
    pub struct SignedCredentials;
}
