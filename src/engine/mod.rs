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
mod directory;
mod grant_table;
mod ids;
mod names;
mod trie;
pub(crate) mod walk;

pub(crate) use cell::Cell;
pub use directory::Credentials;
pub(crate) use grant_table::GrantTable;

use crate::decision::{AuthFailure, BatchDecision, Decision, DenyReason, Resource};
use crate::limits::{Budget, TooLarge};
use crate::model::{CredentialDef, CredentialKind, Expiry, Network, Permissions};
use crate::ops::{AccountRights, Need, Operation};
use crate::time::Timestamp;
use directory::Directory;
use std::net::IpAddr;
use std::sync::Arc;

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
    /// The bytes its compiling was charged: what an update gives back when it goes.
    charged: usize,
    /// Its definition, when the store keeps them ([`Authorizer::with_definitions`]).
    definition: Option<Box<CredentialDef>>,
}

impl Credential {
    /// Compiles a validated credential, charging `budget` the peak of its compiling.
    fn build(c: &CredentialDef, budget: &mut Budget) -> Result<Credential, TooLarge> {
        budget.settle();
        let before = budget.left();
        budget.charge_for::<Credential>(1)?;
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
            charged: {
                budget.settle();
                before - budget.left()
            },
            definition: None,
        })
    }

    /// The same credential expiring at `expiry`: for a signed key that refers to this credential
    /// and expires earlier than it.
    #[cfg(feature = "credentials")]
    pub(crate) fn with_expiry(&self, expiry: Expiry) -> Credential {
        Credential {
            expiry,
            body: self.body.clone(),
            stores: self.stores.clone(),
            name: self.name.clone(),
            token_id: self.token_id.clone(),
            networks: self.networks.clone(),
            definition: None,
            ..*self
        }
    }

    /// Its definition, when its store keeps them (a key ring's trust keeps its document's: what
    /// a refresh mints from and a reload compares); `None` for a store compiled on its own.
    #[must_use]
    pub fn definition(&self) -> Option<&CredentialDef> {
        self.definition.as_deref()
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
            + self.definition.as_ref().map_or(0, |d| {
                std::mem::size_of::<CredentialDef>() + d.memory_usage()
            })
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
    directory: Directory,
    /// The bytes its compiling was charged, the directory's tables included.
    charged: usize,
    /// Whether each credential keeps its definition ([`Authorizer::with_definitions`]).
    definitions: bool,
}

impl Authorizer {
    /// Compiles the credentials of a validated document under a budget of `limit` bytes; on
    /// failure, the index of the credential that did not fit.
    pub(crate) fn build(credentials: &[CredentialDef], limit: usize) -> Result<Authorizer, usize> {
        let mut budget = Budget::new(limit);
        let mut compiled = Vec::with_capacity(credentials.len());
        let mut name_bytes = 0usize;
        for (index, c) in credentials.iter().enumerate() {
            compiled.push(Arc::new(
                Credential::build(c, &mut budget).map_err(|TooLarge| index)?,
            ));
            name_bytes += c.name.len();
        }
        let last = credentials.len().saturating_sub(1);
        directory::charge(credentials.len(), name_bytes)
            .ok_or(TooLarge)
            .and_then(|bytes| budget.charge(bytes))
            .map_err(|TooLarge| last)?;
        let directory = Directory::build(compiled).map_err(|TooLarge| last)?;
        Ok(Authorizer {
            directory,
            charged: limit - budget.left(),
            definitions: false,
        })
    }

    /// The same store keeping each credential's definition beside it (`definitions` are the
    /// store's, in its order): what a key ring compares across a reload and mints refreshed
    /// keys from.
    #[cfg(feature = "credentials")]
    pub(crate) fn with_definitions(
        self,
        definitions: Vec<CredentialDef>,
    ) -> Result<Authorizer, TooLarge> {
        let charged = self.charged;
        let mut kept = Vec::with_capacity(self.directory.len());
        for (c, def) in self.directory.into_shared().into_iter().zip(definitions) {
            debug_assert_eq!(c.name(), def.name);
            let mut c = Arc::try_unwrap(c).unwrap_or_else(|c| (*c).clone());
            c.definition = Some(Box::new(def));
            kept.push(Arc::new(c));
        }
        Ok(Authorizer {
            directory: Directory::build(kept)?,
            charged,
            definitions: true,
        })
    }

    /// Applies `update` under a budget of `limit` bytes: compiles only the credentials it puts
    /// and shares every other with `self`. The caller validated them, and checked that every
    /// name removed is here and that no name is removed or put twice.
    pub(crate) fn apply(
        &self,
        remove: &[&str],
        put: &[CredentialDef],
        limit: usize,
    ) -> Result<Authorizer, UpdateTooLarge> {
        // What goes: the credentials removed and those replaced.
        let mut freed = 0usize;
        let mut name_bytes = self.directory.name_bytes();
        let mut len = self.directory.len();
        for name in remove {
            let c = self.credential(name).ok_or(UpdateTooLarge::Directory)?;
            freed += c.charged;
            name_bytes -= name.len();
            len -= 1;
        }
        for def in put {
            match self.credential(&def.name) {
                Some(old) => freed += old.charged,
                None => {
                    name_bytes += def.name.len();
                    len += 1;
                }
            }
        }
        let old_directory =
            directory::charge(self.directory.len(), self.directory.name_bytes()).unwrap_or(0);
        let kept = self.charged.saturating_sub(freed + old_directory);
        let mut budget = Budget::new(limit);
        budget
            .charge(kept)
            .map_err(|TooLarge| UpdateTooLarge::Directory)?;
        let mut compiled = Vec::with_capacity(put.len());
        for (index, def) in put.iter().enumerate() {
            let mut c = Credential::build(def, &mut budget)
                .map_err(|TooLarge| UpdateTooLarge::Put(index))?;
            if self.definitions {
                c.definition = Some(Box::new(def.clone()));
            }
            compiled.push(Arc::new(c));
        }
        directory::charge(len, name_bytes)
            .ok_or(TooLarge)
            .and_then(|bytes| budget.charge(bytes))
            .map_err(|TooLarge| UpdateTooLarge::Directory)?;
        let directory = self
            .directory
            .update(remove, compiled)
            .map_err(|TooLarge| UpdateTooLarge::Directory)?;
        Ok(Authorizer {
            directory,
            charged: limit - budget.left(),
            definitions: self.definitions,
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
        self.directory.get(name).map(|c| &**c)
    }

    /// The credential named `name`, shared: to keep it without its store (a compiled store
    /// holds each credential once, shared with the stores updated from it).
    #[must_use]
    pub fn share(&self, name: &str) -> Option<Arc<Credential>> {
        self.directory.get(name).cloned()
    }

    /// Whether the credential named `name` is the very one (the same compiled credential,
    /// shared) in `self` and in `other`: true of every credential an update left alone.
    #[must_use]
    pub fn shares(&self, other: &Authorizer, name: &str) -> bool {
        match (self.directory.get(name), other.directory.get(name)) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
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
        crate::suggest::did_you_mean(name, self.credentials().map(|c| c.name()))
    }

    /// Every credential, in document order. A store reached by
    /// [updates](crate::AuthorizerBuilder::update) keeps each credential where it was, a
    /// replaced one in the place of the one it replaced, and adds new ones after the last.
    #[must_use]
    pub fn credentials(&self) -> Credentials<'_> {
        self.directory.iter()
    }

    /// How many credentials it holds.
    #[must_use]
    pub fn len(&self) -> usize {
        self.directory.len()
    }

    /// A store of no credentials: it knows no name (what a first publish is compared against).
    #[must_use]
    pub fn empty() -> Authorizer {
        Authorizer {
            directory: Directory::empty(),
            charged: 0,
            definitions: false,
        }
    }

    /// Whether it holds no credential (a compiled document holds at least one).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.directory.len() == 0
    }

    /// The credentials, owned, in document order (to keep one without its store).
    #[must_use]
    pub fn into_credentials(self) -> Vec<Credential> {
        self.directory
            .into_shared()
            .into_iter()
            .map(|c| Arc::try_unwrap(c).unwrap_or_else(|c| (*c).clone()))
            .collect()
    }

    /// Bytes of memory the compiled structure holds (counting credentials it shares with other
    /// stores as its own).
    #[must_use]
    pub fn memory_usage(&self) -> usize {
        std::mem::size_of::<Self>() + self.directory.memory_usage()
    }
}

/// Why an update did not fit its budget.
#[derive(Debug)]
pub(crate) enum UpdateTooLarge {
    /// Compiling the credential put at this index.
    Put(usize),
    /// The store as a whole.
    Directory,
}
