//! Diff: which requests change decision between two versions of a document, region by region,
//! each with a witness request; and which credentials were added, removed, or changed kind,
//! expiry, super-user status or networks.

use super::regions::{Found, Region, Scope, compare, needs_of};
use crate::decision::{Outcome, OwnedResource};
use crate::engine::{Authorizer, Credential};
use crate::model::{CredentialKind, Expiry, Network};
use crate::ops::Operation;
use crate::time::Timestamp;
use std::collections::HashSet;
use std::fmt;
use std::ops::ControlFlow;

/// What to report besides changes of allow and deny.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DiffOptions {
    /// Also report requests denied on both sides for different reasons (deny by rule #2 against
    /// no matching grant), where both sides decide by their grants.
    pub reasons: bool,
}

/// How a request's decision changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChangeKind {
    /// Denied before, allowed now.
    NowAllowed,
    /// Allowed before, denied now.
    NowDenied,
    /// Denied both times, for another reason (only with [`DiffOptions::reasons`]).
    Reason,
}

impl ChangeKind {
    /// `now_allowed`, `now_denied` or `reason`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            ChangeKind::NowAllowed => "now_allowed",
            ChangeKind::NowDenied => "now_denied",
            ChangeKind::Reason => "reason",
        }
    }
}

/// A region of requests whose decision changed, with one witness request and its decision on each
/// side (what `fgac decide` answers on that side).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecisionChange {
    /// How the decision changed.
    pub kind: ChangeKind,
    /// The requests that changed alike.
    pub region: Region,
    /// The witness request's operation (standing for its need: get for read, set for write,
    /// increment for read+write, publish, subscribe, list_caches for the control plane).
    pub op: Operation,
    /// The witness request's resource.
    pub resource: OwnedResource,
    /// The decision before.
    pub old: Outcome,
    /// The decision now.
    pub new: Outcome,
}

/// One change of one credential.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// The credential is new.
    Added,
    /// The credential is gone.
    Removed,
    /// It changed kind (API key, token).
    Kind {
        /// Before.
        old: CredentialKind,
        /// Now.
        new: CredentialKind,
    },
    /// It changed expiry.
    Expiry {
        /// Before.
        old: Expiry,
        /// Now.
        new: Expiry,
    },
    /// It became, or stopped being, a super user.
    SuperUser {
        /// Before.
        old: bool,
        /// Now.
        new: bool,
    },
    /// The networks it may be used from changed (empty: every address).
    Networks {
        /// Before.
        old: Vec<Network>,
        /// Now.
        new: Vec<Network>,
    },
    /// Requests changed decision.
    Decision(DecisionChange),
}

/// The changes of one credential, by name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialDiff {
    /// The credential's name.
    pub name: String,
    /// Its changes: what it is first (added, removed, kind, expiry, super user), then the requests
    /// that changed decision.
    pub changes: Vec<Change>,
}

/// Every change between two key stores.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[must_use]
pub struct Diff {
    /// The credentials that changed, the old store's order first, then the new ones.
    pub credentials: Vec<CredentialDiff>,
}

impl Diff {
    /// Whether no request changes between allow and deny at the diff's time (changes of reason,
    /// and of kind or expiry that change no decision then, aside).
    #[must_use]
    pub fn decisions_unchanged(&self) -> bool {
        !self
            .credentials
            .iter()
            .flat_map(|c| &c.changes)
            .any(|change| matches!(change, Change::Decision(d) if d.kind != ChangeKind::Reason))
    }

    /// Whether nothing changed at all.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.credentials.is_empty()
    }
}

impl fmt::Display for CredentialDiff {
    /// One line per change, `NAME: ...`; the operations a region changes for alike share a line:
    /// `api: now allowed on caches starting "tmp-" any item: set, increment (e.g. cache "tmp-a"
    /// item "a": deny (no_matching_grant) -> allow)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut i = 0;
        while let Some(change) = self.changes.get(i) {
            i += 1;
            let Change::Decision(d) = change else {
                writeln!(f, "{}: {change}", self.name)?;
                continue;
            };
            let mut ops = vec![d.op];
            while let Some(Change::Decision(next)) = self.changes.get(i)
                && next.kind == d.kind
                && next.region == d.region
                && next.resource == d.resource
            {
                ops.push(next.op);
                i += 1;
            }
            let ops: Vec<&str> = ops.iter().map(|op| op.name()).collect();
            writeln!(
                f,
                "{}: {} on {}: {} (e.g. {}: {} -> {})",
                self.name,
                match d.kind {
                    ChangeKind::NowAllowed => "now allowed",
                    ChangeKind::NowDenied => "now denied",
                    ChangeKind::Reason => "reason changed",
                },
                d.region,
                ops.join(", "),
                d.resource,
                d.old,
                d.new
            )?;
        }
        Ok(())
    }
}

fn describe_expiry(e: Expiry) -> String {
    match e {
        Expiry::Never => "never".to_owned(),
        Expiry::At(t) => t.to_string(),
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::Added => f.write_str("added"),
            Change::Removed => f.write_str("removed"),
            Change::Kind { old, new } => {
                write!(f, "kind: {} -> {}", old.as_str(), new.as_str())
            }
            Change::Expiry { old, new } => write!(
                f,
                "expiry: {} -> {}",
                describe_expiry(*old),
                describe_expiry(*new)
            ),
            Change::SuperUser { old, new } => write!(f, "super user: {old} -> {new}"),
            Change::Networks { old, new } => {
                let list = |n: &[Network]| {
                    if n.is_empty() {
                        "any address".to_owned()
                    } else {
                        n.iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                };
                write!(f, "networks: {} -> {}", list(old), list(new))
            }
            Change::Decision(d) => write!(
                f,
                "{}: {} on {}, e.g. {} {} ({} -> {})",
                match d.kind {
                    ChangeKind::NowAllowed => "now allowed",
                    ChangeKind::NowDenied => "now denied",
                    ChangeKind::Reason => "reason changed",
                },
                d.op,
                d.region,
                d.op,
                d.resource,
                d.old,
                d.new
            ),
        }
    }
}

/// What `credential` (if any) decides on `op` at `resource` at `now`.
fn outcome(
    credential: Option<&Credential>,
    op: Operation,
    resource: &OwnedResource,
    now: Timestamp,
) -> Outcome {
    match credential {
        Some(c) => Outcome::Decided(c.authorize(op, resource.as_resource(), now)),
        None => Outcome::UnknownCredential,
    }
}

/// The changes of the credential named `name` between `old` and `new` (each `None` when absent).
fn credential_diff(
    old: Option<&Credential>,
    new: Option<&Credential>,
    now: Timestamp,
    options: DiffOptions,
) -> Vec<Change> {
    let mut changes = Vec::new();
    match (old, new) {
        (None, Some(_)) => changes.push(Change::Added),
        (Some(_), None) => changes.push(Change::Removed),
        (Some(o), Some(n)) => {
            if o.kind() != n.kind() {
                changes.push(Change::Kind {
                    old: o.kind(),
                    new: n.kind(),
                });
            }
            if o.expiry() != n.expiry() {
                changes.push(Change::Expiry {
                    old: o.expiry(),
                    new: n.expiry(),
                });
            }
            if o.is_super_user() != n.is_super_user() {
                changes.push(Change::SuperUser {
                    old: o.is_super_user(),
                    new: n.is_super_user(),
                });
            }
            if o.networks() != n.networks() {
                changes.push(Change::Networks {
                    old: o.networks().to_vec(),
                    new: n.networks().to_vec(),
                });
            }
        }
        (None, None) => {}
    }
    // Reasons differ everywhere between an absent or expired side and one deciding by grants:
    // that is said once, by the lines above, not region by region.
    let both_decide = old
        .zip(new)
        .is_some_and(|(o, n)| !o.expiry().is_expired(now) && !n.expiry().is_expired(now));
    let _ = compare(old, new, now, Scope::Everywhere, &mut |f: Found<'_>| {
        for &(_, op) in needs_of(&f.region.target) {
            let (o, n) = (
                outcome(old, op, f.witness, now),
                outcome(new, op, f.witness, now),
            );
            let kind = match (o.is_allowed(), n.is_allowed()) {
                (false, true) => ChangeKind::NowAllowed,
                (true, false) => ChangeKind::NowDenied,
                (false, false) if options.reasons && both_decide && o != n => ChangeKind::Reason,
                _ => continue,
            };
            changes.push(Change::Decision(DecisionChange {
                kind,
                region: f.region.clone(),
                op,
                resource: f.witness.clone(),
                old: o,
                new: n,
            }));
        }
        ControlFlow::Continue(())
    });
    changes
}

/// Every change between `old` and `new` at `now`: for each credential, the regions of requests
/// whose decision (allow or deny) changes, each with a witness request and the decision each side
/// gives it; and the credentials added, removed, or whose kind, expiry or super-user status
/// changed. Exact both ways: a region not reported decides alike on both sides for every request
/// in it.
///
/// ```
/// use fgac::analysis::{diff, ChangeKind, Change, DiffOptions};
/// let old = fgac::Authorizer::from_source(r#"key "api" { expires never  allow readonly cache "orders" }"#)?;
/// let new = fgac::Authorizer::from_source(r#"key "api" { expires never  allow readwrite cache prefix "order" }"#)?;
/// let now = fgac::Timestamp::from_unix_seconds(1_795_651_200);
/// let d = diff(&old, &new, now, DiffOptions::default());
/// assert!(!d.decisions_unchanged());
/// let opened: Vec<String> = d.credentials[0].changes.iter().filter_map(|c| match c {
///     Change::Decision(d) if d.kind == ChangeKind::NowAllowed => Some(format!("{} {}", d.op, d.resource)),
///     _ => None,
/// }).collect();
/// assert!(opened.contains(&r#"set cache "orders" item "a""#.to_owned()));
/// assert!(opened.contains(&r#"get cache "ordera" item "a""#.to_owned()));
/// # Ok::<(), fgac::Error>(())
/// ```
pub fn diff(old: &Authorizer, new: &Authorizer, now: Timestamp, options: DiffOptions) -> Diff {
    let mut names: Vec<&str> = Vec::new();
    let mut seen: HashSet<&str> = HashSet::new();
    for c in old.credentials().chain(new.credentials()) {
        if seen.insert(c.name()) {
            names.push(c.name());
        }
    }
    let credentials = names
        .into_iter()
        .filter_map(|name| {
            let changes = credential_diff(old.credential(name), new.credential(name), now, options);
            (!changes.is_empty()).then(|| CredentialDiff {
                name: name.to_owned(),
                changes,
            })
        })
        .collect();
    Diff { credentials }
}
