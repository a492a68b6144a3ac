//! Containment: is credential A at most credential B? Exact, with a concrete request as evidence
//! when it is not; and safe minting, which hands out a credential only when it is.

use super::regions::{Found, Region, Scope, compare, needs_of};
use crate::compile::AuthorizerBuilder;
use crate::decision::{Decision, OwnedResource};
use crate::engine::Credential;
use crate::error::Error;
use crate::limits::Limits;
use crate::model::{CredentialDef, CredentialKind, Document, Expiry, Network, Permissions};
use crate::ops::{Need, Operation};
use crate::time::Timestamp;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::ops::ControlFlow;

/// A request the inner credential is allowed and the outer one is not: why `inner ⊆ outer` fails.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Counterexample {
    /// The region of requests that all fail alike.
    pub region: Region,
    /// The operation of the witness request.
    pub op: Operation,
    /// The resource of the witness request.
    pub resource: OwnedResource,
    /// The inner credential's decision on it (an allow).
    pub inner: Decision,
    /// The outer credential's decision on it (a deny).
    pub outer: Decision,
}

impl fmt::Display for Counterexample {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} is allowed ({}) but not by the outer credential ({}); so is every {} on {}",
            self.op, self.resource, self.inner, self.outer, self.op, self.region
        )
    }
}

/// Whether `inner ⊆ outer` at `now`: for every request (every operation, cache, item key or topic),
/// `outer` allows whatever `inner` allows. On failure, a witness request `inner` is allowed and
/// `outer` is not, with both decisions, from the engine itself.
///
/// An expired `inner` allows nothing, so it is contained; a super-user `outer` (not expired)
/// contains everything; a super-user `inner` is contained only in a super-user `outer`. Expiry is
/// reported apart: see [`expires_no_later`].
///
/// ```
/// use fgac::analysis::contains;
/// let authz = fgac::Authorizer::from_source(r#"
///     key "parent" { expires never  allow readwrite cache "c" items prefix "user:" }
///     token "child" { expires 2027-01-01T00:00:00Z  allow readonly cache "c" item "user:1" }
///     token "greedy" { expires 2027-01-01T00:00:00Z  allow readonly cache "c" items prefix "u" }
/// "#)?;
/// let now = fgac::Timestamp::from_unix_seconds(1_795_651_200);
/// let (parent, child, greedy) = (
///     authz.credential("parent").unwrap(),
///     authz.credential("child").unwrap(),
///     authz.credential("greedy").unwrap(),
/// );
/// assert!(contains(child, parent, now).is_ok());
/// let no = contains(greedy, parent, now).unwrap_err();
/// assert!(no.inner.is_allowed() && !no.outer.is_allowed());
/// assert_eq!(no.resource.to_string(), r#"cache "c" item "ua""#);
/// # Ok::<(), fgac::Error>(())
/// ```
pub fn contains(
    inner: &Credential,
    outer: &Credential,
    now: Timestamp,
) -> Result<(), Box<Counterexample>> {
    let mut found: Option<Box<Counterexample>> = None;
    let _ = compare(
        Some(inner),
        Some(outer),
        now,
        Scope::WhereAAllows,
        &mut |f: Found<'_>| {
            let extra = f.a.effective().difference(f.b.effective());
            for &(need, op) in needs_of(&f.region.target) {
                // The need is allowed inside and not outside: a right of it is in `extra`. Single
                // rights are needs of their own (get, set, publish, subscribe), so a region with
                // any extra right has such a witness.
                let gives = match need {
                    Need::Item(r) | Need::Topic(r) | Need::StoreItem(r) => {
                        r.intersects(extra) && f.a.effective().contains(r)
                    }
                    Need::Account(_) | Need::ControlPlane => !extra.is_empty(),
                };
                if !gives {
                    continue;
                }
                let resource = f.witness.as_resource();
                let (a, b) = (
                    inner.authorize(op, resource, now),
                    outer.authorize(op, resource, now),
                );
                if a.is_allowed() && !b.is_allowed() {
                    found = Some(Box::new(Counterexample {
                        region: f.region.clone(),
                        op,
                        resource: f.witness.clone(),
                        inner: a,
                        outer: b,
                    }));
                    return ControlFlow::Break(());
                }
            }
            ControlFlow::Continue(())
        },
    );
    found.map_or(Ok(()), Err)
}

/// Whether `inner` expires no later than `outer` (never is the latest): the minting rule, apart
/// from the rights [`contains`] compares.
#[must_use]
pub fn expires_no_later(inner: &Credential, outer: &Credential) -> bool {
    inner.expiry().is_within(outer.expiry())
}

/// Why [`derive()`] refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DeriveError {
    /// The parent had expired at the time of minting.
    #[error("the parent credential has expired")]
    ParentExpired,
    /// The requested credential is not valid on its own (a token that never expires, more grants
    /// than a token may hold, ...).
    #[error("the requested credential is not valid: {0}")]
    Invalid(Error),
    /// No call mints a super user (Momento's rule: super-user keys come from the account).
    #[error("a super user cannot be minted")]
    SuperUser,
    /// The requested credential would be expired from the start.
    #[error("the requested credential expires at {expiry}, not after now ({now})")]
    AlreadyExpired {
        /// Its expiry.
        expiry: Timestamp,
        /// The time of minting.
        now: Timestamp,
    },
    /// A token would live longer than [`Limits::max_token_lifetime_seconds`].
    #[error("the token would live {seconds} seconds; tokens live at most {max}")]
    TooLong {
        /// How long it would live.
        seconds: u64,
        /// The limit.
        max: u64,
    },
    /// The requested credential would outlive its parent.
    #[error("the requested credential expires after its parent, which expires at {parent}")]
    OutlivesParent {
        /// The parent's expiry.
        parent: Expiry,
    },
    /// The requested credential would be allowed something its parent is not.
    #[error("the requested credential exceeds its parent: {0}")]
    Exceeds(Box<Counterexample>),
    /// The requested credential could be used from an address its parent cannot: `address`,
    /// the first address of the requested network that reaches beyond the parent's (or of every
    /// address, for a request without networks).
    #[error("the requested credential could be used from {address}, which its parent cannot")]
    Network {
        /// An address the child would accept and the parent does not.
        address: IpAddr,
    },
}

/// An address in the union of `child` (every address, when empty) that no network of `parent`
/// holds, or `None` when the child's networks lie within the parent's (always, for a parent
/// without networks). Exact for unions: a child network covered only by several parent networks
/// together is within them.
///
/// ```
/// use fgac::analysis::networks_within;
/// let nets = |list: &[&str]| list.iter().map(|n| n.parse().unwrap()).collect::<Vec<fgac::model::Network>>();
/// assert_eq!(networks_within(&nets(&["10.0.0.0/8"]), &nets(&["10.0.0.0/9", "10.128.0.0/9"])), None);
/// assert_eq!(networks_within(&nets(&["10.0.0.0/8"]), &nets(&["10.0.0.0/9"])), Some("10.128.0.0".parse().unwrap()));
/// assert_eq!(networks_within(&[], &nets(&["10.0.0.0/8"])), Some("0.0.0.0".parse().unwrap()));
/// assert_eq!(networks_within(&nets(&["192.0.2.0/24"]), &[]), None);
/// ```
#[must_use]
pub fn networks_within(child: &[Network], parent: &[Network]) -> Option<IpAddr> {
    if parent.is_empty() {
        return None;
    }
    let every = [
        Network::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0),
        Network::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0),
    ];
    let everywhere: Vec<Network> = every.into_iter().filter_map(Result::ok).collect();
    let child = if child.is_empty() {
        &everywhere[..]
    } else {
        child
    };
    child.iter().find_map(|&c| uncovered(c, parent))
}

/// The first address of `net` that no network of `cover` holds. Splits `net` in halves only
/// where a network of `cover` lies strictly inside it, so the work is bounded by the size of
/// `cover` times the address length.
fn uncovered(net: Network, cover: &[Network]) -> Option<IpAddr> {
    let holds = |outer: Network, inner: Network| {
        outer.prefix() <= inner.prefix() && outer.contains(inner.addr())
    };
    if cover.iter().any(|&p| holds(p, net)) {
        return None;
    }
    if !cover.iter().any(|&p| holds(net, p)) {
        return Some(net.addr());
    }
    let bits = match net.addr() {
        IpAddr::V4(_) => 32,
        IpAddr::V6(_) => 128,
    };
    let prefix = net.prefix() + 1;
    // Some network of `cover` lies strictly inside `net`, so `net` is wider than one address.
    let low = Network::new(net.addr(), prefix).ok()?;
    let high_addr = match net.addr() {
        IpAddr::V4(a) => IpAddr::V4(Ipv4Addr::from_bits(
            a.to_bits() | (1u32 << (bits - u32::from(prefix))),
        )),
        IpAddr::V6(a) => IpAddr::V6(Ipv6Addr::from_bits(
            a.to_bits() | (1u128 << (bits - u32::from(prefix))),
        )),
    };
    let high = Network::new(high_addr, prefix).ok()?;
    uncovered(low, cover).or_else(|| uncovered(high, cover))
}

/// Derives `child` from `parent` at `now`: the compiled credential a parent may hand out (what
/// `credentials::mint` signs), only ever for at most what the parent holds (`child ⊆ parent`, checked exactly), expiring no later than the parent and, for a
/// token, within `limits.max_token_lifetime_seconds`, and usable from no address the parent is
/// not ([`networks_within`]). Anyone may mint this way, so Momento's "only
/// a super-user key mints" is the special case of a super-user parent, which holds everything (it
/// still cannot mint a super user).
///
/// ```
/// use fgac::analysis::{derive, DeriveError};
/// let authz = fgac::Authorizer::from_source(
///     r#"key "svc" { expires 2027-06-01T00:00:00Z  allow readwrite cache "sessions" items prefix "user:" }"#,
/// )?;
/// let parent = authz.credential("svc").unwrap();
/// let now = fgac::Timestamp::from_unix_seconds(1_795_651_200);
/// let wanted = |rule: &str| fgac::syntax::parse(&format!(
///     r#"token "browser" {{ expires 2026-11-27T00:00:00Z  {rule} }}"#
/// )).map(|mut doc| doc.credentials.remove(0));
/// let limits = fgac::Limits::default();
/// let token = derive(parent, &wanted(r#"allow readonly cache "sessions" item "user:42""#)?, now, &limits).unwrap();
/// assert!(token.authorize(fgac::Operation::Get, fgac::Resource::item("sessions", b"user:42"), now).is_allowed());
/// let refused = derive(parent, &wanted(r#"allow readonly cache "sessions""#)?, now, &limits).unwrap_err();
/// assert!(matches!(refused, DeriveError::Exceeds(_)));
/// # Ok::<(), fgac::Error>(())
/// ```
pub fn derive(
    parent: &Credential,
    child: &CredentialDef,
    now: Timestamp,
    limits: &Limits,
) -> Result<Credential, DeriveError> {
    if parent.expiry().is_expired(now) {
        return Err(DeriveError::ParentExpired);
    }
    let minted = compile_child(child, now, limits)?;
    if !expires_no_later(&minted, parent) {
        return Err(DeriveError::OutlivesParent {
            parent: parent.expiry(),
        });
    }
    within(&minted, parent, now)?;
    Ok(minted)
}

/// Compiles `child`, a credential to be minted at `now`, refusing what may never be minted: a
/// super user, a credential expired from the start, a token that would live longer than
/// [`Limits::max_token_lifetime_seconds`], and anything that is not a valid credential.
pub fn compile_child(
    child: &CredentialDef,
    now: Timestamp,
    limits: &Limits,
) -> Result<Credential, DeriveError> {
    if matches!(child.permissions, Permissions::SuperUser { .. }) {
        return Err(DeriveError::SuperUser);
    }
    match child.expiry {
        Expiry::At(at) if at <= now => {
            return Err(DeriveError::AlreadyExpired { expiry: at, now });
        }
        Expiry::At(at) if child.kind == CredentialKind::Token => {
            let seconds = at.unix_seconds() - now.unix_seconds();
            if seconds > limits.max_token_lifetime_seconds {
                return Err(DeriveError::TooLong {
                    seconds,
                    max: limits.max_token_lifetime_seconds,
                });
            }
        }
        _ => {}
    }
    let doc = Document {
        credentials: vec![child.clone()],
    };
    let compiled = AuthorizerBuilder::default()
        .limits(limits.clone())
        .compile(&doc)
        .map_err(DeriveError::Invalid)?;
    compiled
        .into_credentials()
        .pop()
        .ok_or_else(|| DeriveError::Invalid(Error::from_diagnostics(Vec::new())))
}

/// Whether `child` holds at most what `parent` holds at `now`, expiry aside: every request it is
/// allowed ([`contains`], exactly) and every address it may be used from ([`networks_within`]).
/// The minting rule without its expiry part, which refreshing replaces with its own.
pub fn within(child: &Credential, parent: &Credential, now: Timestamp) -> Result<(), DeriveError> {
    if let Some(address) = networks_within(child.networks(), parent.networks()) {
        return Err(DeriveError::Network { address });
    }
    contains(child, parent, now).map_err(DeriveError::Exceeds)
}
