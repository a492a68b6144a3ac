//! The compiled, immutable decision structure and the hot path.
//!
//! A compiled credential resolves a cache name to one **profile** (the grants of that exact name,
//! of every cache prefix it starts with, and of "all caches", merged at compile time) with one hash
//! lookup, or failing that one walk of the cache-prefix trie. A profile holds a radix trie over item
//! keys and one over topic names, whose payloads are **cells**: the allowed rights, the denied
//! rights, and for each denied right the lowest-index deny rule that denies it, with every covering
//! prefix already merged in. So a decision costs one hash of the cache name plus one pass over the
//! key, whatever the number of grants, and allocates nothing.

mod cell;
mod grant_table;
mod ids;
mod names;
mod trie;
pub(crate) mod walk;

pub(crate) use cell::Cell;
pub(crate) use grant_table::GrantTable;

use crate::decision::{AuthFailure, BatchDecision, Decision, DenyReason, Resource};
use crate::limits::{Budget, TooLarge};
use crate::model::{CredentialDef, CredentialKind, Expiry, Network, Permissions};
use crate::ops::{AccountRights, Need, Operation};
use crate::time::Timestamp;
use names::NameTable;
use std::net::IpAddr;

#[derive(Clone, Debug)]
enum Body {
    SuperUser,
    Explicit(Box<GrantTable>),
}

/// One compiled credential: what [`Authorizer::credential`] hands out, and what requests are
/// authorized against.
#[derive(Clone, Debug)]
pub struct Credential {
    name: Box<str>,
    kind: CredentialKind,
    expiry: Expiry,
    token_id: Option<Box<str>>,
    networks: Box<[Network]>,
    account: AccountRights,
    body: Body,
    /// The grants on stores' items, when it has any (a fine-grained credential only).
    stores: Option<Box<GrantTable>>,
}

impl Credential {
    /// Compiles a validated credential, charging `budget`.
    fn build(c: &CredentialDef, budget: &mut Budget) -> Result<Credential, TooLarge> {
        budget.charge(c.name.len() + c.token_id.as_ref().map_or(0, String::len))?;
        budget.charge_for::<Network>(c.networks.len())?;
        let (body, stores) = match &c.permissions {
            Permissions::SuperUser { .. } => (Body::SuperUser, None),
            Permissions::Explicit(grants) => {
                budget.charge_for::<GrantTable>(1)?;
                let caches = Box::new(GrantTable::build(grants, false, budget)?);
                let stores = if grants.iter().any(|g| g.resource.is_store()) {
                    budget.charge_for::<GrantTable>(1)?;
                    Some(Box::new(GrantTable::build(grants, true, budget)?))
                } else {
                    None
                };
                (Body::Explicit(caches), stores)
            }
        };
        Ok(Credential {
            name: c.name.as_str().into(),
            kind: c.kind,
            expiry: c.expiry,
            token_id: c.token_id.as_deref().map(Into::into),
            networks: {
                // A set: sorted, so that two credentials listing the same networks compare equal.
                let mut networks = c.networks.clone();
                networks.sort_unstable();
                networks.into_boxed_slice()
            },
            account: c.account,
            body,
            stores,
        })
    }

    /// The same credential expiring at `expiry`: for a signed key that refers to this credential
    /// and expires earlier than it.
    #[cfg(feature = "credentials")]
    pub(crate) fn with_expiry(&self, expiry: Expiry) -> Credential {
        Credential {
            expiry,
            ..self.clone()
        }
    }

    /// The networks the credential may be used from, sorted; empty for every address.
    #[must_use]
    pub fn networks(&self) -> &[Network] {
        &self.networks
    }

    /// Whether a client at `peer` may use this credential: it lists no networks, or `peer` is in
    /// one of them (an IPv4-mapped IPv6 peer matching as its IPv4 address).
    #[must_use]
    pub fn allows_peer(&self, peer: IpAddr) -> bool {
        self.networks.is_empty() || self.networks.iter().any(|n| n.contains(peer))
    }

    /// The credential's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// API key or token.
    #[must_use]
    pub fn kind(&self) -> CredentialKind {
        self.kind
    }

    /// When it expires.
    #[must_use]
    pub fn expiry(&self) -> Expiry {
        self.expiry
    }

    /// The token id, for tokens that carry one.
    #[must_use]
    pub fn token_id(&self) -> Option<&str> {
        self.token_id.as_deref()
    }

    /// The compiled grants on stores, for a fine-grained credential that has any.
    pub(crate) fn store_grants(&self) -> Option<&GrantTable> {
        self.stores.as_deref()
    }

    /// The compiled grants, for a fine-grained credential (the analyses read them).
    pub(crate) fn grants(&self) -> Option<&GrantTable> {
        match &self.body {
            Body::SuperUser => None,
            Body::Explicit(g) => Some(g),
        }
    }

    /// The rights it holds on the account as a whole ([`AccountRights`]; a super user holds them
    /// all).
    #[must_use]
    pub fn account_rights(&self) -> AccountRights {
        match self.body {
            Body::SuperUser => AccountRights::ALL,
            Body::Explicit(_) => self.account,
        }
    }

    /// Whether this is a super-user key.
    #[must_use]
    pub fn is_super_user(&self) -> bool {
        matches!(self.body, Body::SuperUser)
    }

    /// Decides whether this credential may do `op` on `resource` at `now` (epoch seconds).
    ///
    /// Never fails, never panics, never allocates, never reads the clock.
    #[inline]
    pub fn authorize(&self, op: Operation, resource: Resource<'_>, now: Timestamp) -> Decision {
        self.authorize_need(op.need(), resource, now)
    }

    /// Decides by rights instead of by operation, for embedders whose commands are not Momento's:
    /// `Need::Item(Rights::READ)`, `Need::Topic(Rights::PUBLISH)`,
    /// `Need::Account(AccountRights::RESOURCE_WRITE)`, `Need::ControlPlane`. A need with no rights
    /// is denied. An account right that is not held is denied as
    /// [`DenyReason::SuperUserRequired`]: Momento's v1 meaning, where only a super user has them.
    #[inline]
    pub fn authorize_need(&self, need: Need, resource: Resource<'_>, now: Timestamp) -> Decision {
        if self.expiry.is_expired(now) {
            return Decision::Deny(DenyReason::Expired);
        }
        // The rights needed, the structure deciding them (caches' or stores'), and the request.
        let (rights, grants, cache, topics, key) = match (need, resource) {
            (Need::ControlPlane, Resource::Cache { .. } | Resource::Account) => {
                return match self.body {
                    Body::SuperUser => Decision::Allow,
                    Body::Explicit(_) => Decision::Deny(DenyReason::SuperUserRequired),
                };
            }
            (Need::Account(rights), Resource::Cache { .. } | Resource::Account) => {
                return match self.body {
                    _ if rights.is_empty() => Decision::Deny(DenyReason::NoMatchingGrant),
                    Body::SuperUser => Decision::Allow,
                    Body::Explicit(_) if self.account.contains(rights) => Decision::Allow,
                    Body::Explicit(_) => Decision::Deny(DenyReason::SuperUserRequired),
                };
            }
            (Need::Item(rights), Resource::Item { cache, key }) => {
                (rights, self.grants(), cache, false, key)
            }
            (Need::Topic(rights), Resource::Topic { cache, topic }) => {
                (rights, self.grants(), cache, true, topic.as_bytes())
            }
            (Need::StoreItem(rights), Resource::StoreItem { store, key }) => {
                (rights, self.store_grants(), store, false, key)
            }
            _ => return Decision::Deny(DenyReason::WrongResourceKind),
        };
        if rights.is_empty() {
            return Decision::Deny(DenyReason::NoMatchingGrant);
        }
        match (&self.body, grants) {
            (Body::SuperUser, _) => Decision::Allow,
            (Body::Explicit(_), Some(grants)) => grants.decide(rights, cache, topics, key),
            // A fine-grained credential with no grant on stores.
            (Body::Explicit(_), None) => Decision::Deny(DenyReason::NoMatchingGrant),
        }
    }

    /// Decides a multi-key operation (get batch, set batch, keys exist, sorted set union store):
    /// allowed only when `op` is allowed on every key, so the keys authorized are exactly the keys
    /// the server then touches. The first denied key is named with its reason; an empty batch is
    /// [`BatchDecision::Empty`]. Allocates nothing.
    pub fn authorize_batch<'k>(
        &self,
        op: Operation,
        cache: &str,
        keys: impl IntoIterator<Item = &'k [u8]>,
        now: Timestamp,
    ) -> BatchDecision {
        let mut any = false;
        for (index, key) in keys.into_iter().enumerate() {
            any = true;
            if let Decision::Deny(reason) = self.authorize(op, Resource::item(cache, key), now) {
                return BatchDecision::Deny { index, reason };
            }
        }
        if any {
            BatchDecision::Allow
        } else {
            BatchDecision::Empty
        }
    }

    /// Bytes of heap and inline memory this credential holds.
    #[must_use]
    pub fn memory_usage(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.name.len()
            + self.token_id.as_ref().map_or(0, |t| t.len())
            + std::mem::size_of_val::<[Network]>(&self.networks)
            + match &self.body {
                Body::SuperUser => 0,
                Body::Explicit(g) => std::mem::size_of::<GrantTable>() + g.memory_usage(),
            }
            + self
                .stores
                .as_ref()
                .map_or(0, |g| std::mem::size_of::<GrantTable>() + g.memory_usage())
    }
}

/// A compiled key store: every credential of a document, immutable, `Send + Sync`, and cheap to
/// share behind an `Arc`.
///
/// ```
/// use fgac::{Authorizer, Decision, DenyReason, Operation, Resource, Timestamp};
///
/// let authz = Authorizer::from_source(r#"{"permissions": [
///     {"role": "readwrite", "cache": "sessions", "item": {"keyPrefix": "user:"}}
/// ]}"#)?;
/// let key = authz.credential("default").expect("the scope's credential");
/// let now = Timestamp::from_unix_seconds(1_800_000_000);
/// let user = Resource::item("sessions", b"user:42");
/// assert_eq!(key.authorize(Operation::Set, user, now), Decision::Allow);
/// let other = Resource::item("sessions", b"admin");
/// assert_eq!(key.authorize(Operation::Get, other, now), Decision::Deny(DenyReason::NoMatchingGrant));
/// # Ok::<(), fgac::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Authorizer {
    credentials: Vec<Credential>,
    by_name: NameTable<u32>,
}

impl Authorizer {
    /// Compiles the credentials of a validated document under a budget of `limit` bytes; on
    /// failure, the index of the credential that did not fit.
    pub(crate) fn build(credentials: &[CredentialDef], limit: usize) -> Result<Authorizer, usize> {
        let mut budget = Budget::new(limit);
        budget
            .charge_for::<Credential>(credentials.len())
            .map_err(|TooLarge| 0usize)?;
        let mut compiled = Vec::with_capacity(credentials.len());
        let mut names = Vec::with_capacity(credentials.len());
        for (index, c) in credentials.iter().enumerate() {
            compiled.push(Credential::build(c, &mut budget).map_err(|TooLarge| index)?);
            names.push((c.name.as_str(), u32::try_from(index).map_err(|_| index)?));
        }
        let last = credentials.len().saturating_sub(1);
        let by_name = NameTable::try_build(names, &mut budget).map_err(|TooLarge| last)?;
        Ok(Authorizer {
            credentials: compiled,
            by_name,
        })
    }

    /// The credential named `name` (no allocation): look it up once, when a connection presents
    /// it, then authorize each of its requests. `None` for a name the document does not hold.
    ///
    /// The name is trusted: this does not check the credential's networks. A server that knows
    /// the client's address uses [`Authorizer::credential_for`]; one that receives signed
    /// credentials, `Keyring::resolve` (feature `credentials`).
    #[inline]
    #[must_use]
    pub fn credential(&self, name: &str) -> Option<&Credential> {
        let index = self.by_name.get(name)?;
        self.credentials.get(index as usize)
    }

    /// The position of the credential named `name` in document order.
    #[cfg(feature = "credentials")]
    pub(crate) fn index_of(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).map(|i| i as usize)
    }

    /// The credential named `name`, for a client at `peer`: `None` for a name the document does
    /// not hold, [`AuthFailure::NetworkNotAllowed`] when the credential lists networks and `peer`
    /// is in none of them. For servers that learn the name from an authenticated channel (a
    /// client certificate, a service mesh identity) rather than from a signed credential, which
    /// `Keyring::resolve` (feature `credentials`) checks the same way.
    ///
    /// ```
    /// use fgac::{AuthFailure, Authorizer};
    /// let authz = Authorizer::from_source(r#"key "ops" {
    ///     expires never
    ///     networks "10.0.0.0/8", "2001:db8::/32"
    ///     allow readonly cache "c"
    /// }"#)?;
    /// assert!(authz.credential_for("ops", "10.1.2.3".parse()?).unwrap().is_ok());
    /// assert!(authz.credential_for("ops", "::ffff:10.1.2.3".parse()?).unwrap().is_ok());
    /// assert_eq!(authz.credential_for("ops", "192.0.2.1".parse()?).unwrap().unwrap_err(), AuthFailure::NetworkNotAllowed);
    /// assert!(authz.credential_for("nobody", "10.1.2.3".parse()?).is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn credential_for(
        &self,
        name: &str,
        peer: IpAddr,
    ) -> Option<Result<&Credential, AuthFailure>> {
        let c = self.credential(name)?;
        Some(if c.allows_peer(peer) {
            Ok(c)
        } else {
            Err(AuthFailure::NetworkNotAllowed)
        })
    }

    /// The name of the credential `name` is likely a typo of, for "did you mean" messages: the
    /// nearest by edit distance, when it is close enough (at most a third of the name's length).
    ///
    /// ```
    /// let authz = fgac::Authorizer::from_source(r#"key "billing-api" { expires never  allow readonly cache "c" }"#)?;
    /// assert_eq!(authz.suggest_credential("biling-api"), Some("billing-api"));
    /// assert_eq!(authz.suggest_credential("ops"), None);
    /// # Ok::<(), fgac::Error>(())
    /// ```
    #[must_use]
    pub fn suggest_credential(&self, name: &str) -> Option<&str> {
        crate::suggest::did_you_mean(name, self.credentials.iter().map(|c| c.name()))
    }

    /// Every credential, in document order.
    #[must_use]
    pub fn credentials(&self) -> &[Credential] {
        &self.credentials
    }

    /// The credentials, owned, in document order (to keep one without its store).
    #[must_use]
    pub fn into_credentials(self) -> Vec<Credential> {
        self.credentials
    }

    /// Bytes of memory the compiled structure holds.
    pub fn memory_usage(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.by_name.memory_usage()
            + self
                .credentials
                .iter()
                .map(Credential::memory_usage)
                .sum::<usize>()
            + (self.credentials.capacity() - self.credentials.len())
                * std::mem::size_of::<Credential>()
    }
}
