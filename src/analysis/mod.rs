//! Analysis: exact containment of one credential in another, with a counterexample request when it
//! fails; the diff of two key stores, region by region, each with a witness request; safe minting
//! on top of containment; explanations of decisions; and lints.
//!
//! Containment and diff compare compiled credentials region by region ([`Region`]): a finite
//! partition of every request, on each part of which both sides decide uniformly, walked over the
//! two compiled structures side by side. No sampling and no solver: a reported "contained" or "no
//! change" holds for every request, and every witness is a real request whose decisions come from
//! the engine.

mod contain;
mod diff;
mod explain;
mod lint;
mod regions;

pub use contain::{
    Counterexample, DeriveError, compile_child, contains, derive, expires_no_later,
    networks_within, within,
};
pub use diff::{Change, ChangeKind, CredentialDiff, DecisionChange, Diff, DiffOptions, diff};
pub use explain::{Explanation, Miss, NearMiss, explain};
pub use lint::lint;
pub use regions::{Class, Region, Target};
