//! The compiled, immutable decision structure and the hot path.
//!
//! A compiled credential resolves a cache name to one **profile** (the grants of that exact name,
//! of every cache prefix it starts with, and of "all caches", merged at compile time) with one hash
//! lookup, or failing that one walk of the cache-prefix trie. A profile holds a radix trie over item
//! keys and one over topic names, whose payloads are **cells**: the allowed rights, the denied
//! rights, and for each denied right the lowest-index deny rule that denies it, with every covering
//! prefix already merged in. So a decision costs one hash of the cache name plus one pass over the
//! key, whatever the number of grants, and allocates nothing.

pub(crate) mod names;
pub(crate) mod trie;

use crate::decision::{Decision, DenyReason, Resource, RuleId};
use crate::model::{CredentialKind, Expiry};
use crate::ops::{Need, Operation, Rights};
use crate::time::Timestamp;
use names::NameTable;
use trie::{Arena, NONE};

/// Merged rights at one point of a trie.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Cell {
    pub(crate) allow: Rights,
    pub(crate) deny: Rights,
    /// For each right bit set in `deny`, the lowest index of a deny rule that denies it.
    pub(crate) deny_rule: [u32; Rights::BITS],
}

impl Cell {
    pub(crate) const EMPTY: Cell = Cell {
        allow: Rights::NONE,
        deny: Rights::NONE,
        deny_rule: [NONE; Rights::BITS],
    };

    #[inline]
    fn decide(&self, need: Rights) -> Decision {
        let denied = self.deny.intersection(need);
        if !denied.is_empty() {
            let mut rule = NONE;
            for (bit, &id) in self.deny_rule.iter().enumerate() {
                if denied.bits() & (1 << bit) != 0 {
                    rule = rule.min(id);
                }
            }
            return Decision::Deny(DenyReason::DeniedByRule(RuleId::new(rule)));
        }
        if !need.is_empty() && self.allow.contains(need) {
            Decision::Allow
        } else {
            Decision::Deny(DenyReason::NoMatchingGrant)
        }
    }
}

/// The roots of one cache's item trie and topic trie ([`NONE`] when empty).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Profile {
    pub(crate) items: u32,
    pub(crate) topics: u32,
}

/// The compiled grants of a fine-grained credential.
#[derive(Clone, Debug, Default)]
pub(crate) struct Grants {
    /// Exact cache names to their profile.
    pub(crate) exact: NameTable,
    /// Root of the cache-prefix trie in `caches`, whose payloads are profile indices; its root's
    /// `below` is the all-caches profile.
    pub(crate) cache_root: u32,
    pub(crate) caches: Arena,
    pub(crate) profiles: Vec<Profile>,
    /// Cell 0 is [`Cell::EMPTY`].
    pub(crate) cells: Vec<Cell>,
    /// The item and topic tries of every profile; their payloads are cell indices.
    pub(crate) arena: Arena,
}

impl Grants {
    #[inline]
    fn profile(&self, cache: &str) -> Option<&Profile> {
        let index = match self.exact.get(cache) {
            Some(index) => index,
            None => self.caches.walk(self.cache_root, cache.as_bytes()),
        };
        self.profiles.get(index as usize)
    }

    #[inline]
    fn decide(&self, need: Rights, cache: &str, topics: bool, key: &[u8]) -> Decision {
        let root = match self.profile(cache) {
            Some(p) if topics => p.topics,
            Some(p) => p.items,
            None => NONE,
        };
        let cell = self.arena.walk(root, key);
        self.cells
            .get(cell as usize)
            .unwrap_or(&Cell::EMPTY)
            .decide(need)
    }

    fn memory_usage(&self) -> usize {
        self.exact.memory_usage()
            + self.profiles.capacity() * std::mem::size_of::<Profile>()
            + self.cells.capacity() * std::mem::size_of::<Cell>()
            + self.caches.memory_usage()
            + self.arena.memory_usage()
    }
}

#[derive(Clone, Debug)]
pub(crate) enum Body {
    SuperUser,
    Explicit(Box<Grants>),
}

/// One compiled credential: what [`Authorizer::credential`] hands out, and what requests are
/// authorized against.
#[derive(Clone, Debug)]
pub struct CompiledCredential {
    pub(crate) name: Box<str>,
    pub(crate) kind: CredentialKind,
    pub(crate) expiry: Expiry,
    pub(crate) token_id: Option<Box<str>>,
    pub(crate) body: Body,
}

impl CompiledCredential {
    /// The credential's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// API key or token.
    pub fn kind(&self) -> CredentialKind {
        self.kind
    }

    /// When it expires.
    pub fn expiry(&self) -> Expiry {
        self.expiry
    }

    /// The token id, for tokens that carry one.
    pub fn token_id(&self) -> Option<&str> {
        self.token_id.as_deref()
    }

    /// Whether this is a super-user key.
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
    /// `Need::Item(Rights::READ)`, `Need::Topic(Rights::PUBLISH)`, `Need::ControlPlane`. A need
    /// with no rights is denied.
    #[inline]
    pub fn authorize_need(&self, need: Need, resource: Resource<'_>, now: Timestamp) -> Decision {
        if self.expiry.is_expired(now) {
            return Decision::Deny(DenyReason::Expired);
        }
        let (rights, cache, topics, key) = match (need, resource) {
            (Need::ControlPlane, Resource::Cache { .. } | Resource::Account) => {
                return match self.body {
                    Body::SuperUser => Decision::Allow,
                    Body::Explicit(_) => Decision::Deny(DenyReason::SuperUserRequired),
                };
            }
            (Need::Item(rights), Resource::Item { cache, key }) => (rights, cache, false, key),
            (Need::Topic(rights), Resource::Topic { cache, topic }) => {
                (rights, cache, true, topic.as_bytes())
            }
            _ => return Decision::Deny(DenyReason::WrongResourceKind),
        };
        if rights.is_empty() {
            return Decision::Deny(DenyReason::NoMatchingGrant);
        }
        match &self.body {
            Body::SuperUser => Decision::Allow,
            Body::Explicit(grants) => grants.decide(rights, cache, topics, key),
        }
    }

    /// Decides a multi-key operation (get batch, set batch, keys exist, sorted set union store):
    /// allowed only when `op` is allowed on every key, so the keys authorized are exactly the keys
    /// the server then touches. The first denied key's decision is returned; an empty batch is
    /// denied ([`DenyReason::EmptyBatch`]).
    pub fn authorize_batch<'k>(
        &self,
        op: Operation,
        cache: &str,
        keys: impl IntoIterator<Item = &'k [u8]>,
        now: Timestamp,
    ) -> Decision {
        let mut any = false;
        for key in keys {
            any = true;
            let decision = self.authorize(op, Resource::item(cache, key), now);
            if !decision.is_allowed() {
                return decision;
            }
        }
        if any {
            Decision::Allow
        } else {
            Decision::Deny(DenyReason::EmptyBatch)
        }
    }

    /// Bytes of heap and inline memory this credential holds.
    pub fn memory_usage(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.name.len()
            + self.token_id.as_ref().map_or(0, |t| t.len())
            + match &self.body {
                Body::SuperUser => 0,
                Body::Explicit(g) => std::mem::size_of::<Grants>() + g.memory_usage(),
            }
    }
}

/// A compiled key store: every credential of a document, immutable, `Send + Sync`, and cheap to
/// share behind an `Arc`.
///
/// ```
/// use fgac::{Authorizer, Decision, DenyReason, Operation, Resource, Timestamp};
///
/// let authz = Authorizer::from_json(r#"{"permissions": [
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
    pub(crate) credentials: Vec<CompiledCredential>,
    pub(crate) by_name: NameTable,
}

impl Authorizer {
    /// The credential named `name`; no allocation.
    #[inline]
    pub fn credential(&self, name: &str) -> Option<&CompiledCredential> {
        let index = self.by_name.get(name)?;
        self.credentials.get(index as usize)
    }

    /// Looks `name` up and decides `op` on `resource` at `now`; an unknown name is denied with
    /// [`DenyReason::UnknownCredential`].
    #[inline]
    pub fn authorize(
        &self,
        name: &str,
        op: Operation,
        resource: Resource<'_>,
        now: Timestamp,
    ) -> Decision {
        match self.credential(name) {
            Some(c) => c.authorize(op, resource, now),
            None => Decision::Deny(DenyReason::UnknownCredential),
        }
    }

    /// The name of the credential `name` is likely a typo of, for "did you mean" messages: the
    /// nearest by edit distance, when it is close enough (at most a third of the name's length).
    ///
    /// ```
    /// let authz = fgac::Authorizer::from_text(r#"key "billing-api" { expires never  allow readonly cache "c" }"#)?;
    /// assert_eq!(authz.suggest_credential("biling-api"), Some("billing-api"));
    /// assert_eq!(authz.suggest_credential("ops"), None);
    /// # Ok::<(), fgac::Error>(())
    /// ```
    pub fn suggest_credential(&self, name: &str) -> Option<&str> {
        crate::suggest::did_you_mean(name, self.credentials.iter().map(|c| c.name()))
    }

    /// Every credential, in document order.
    pub fn credentials(&self) -> &[CompiledCredential] {
        &self.credentials
    }

    /// Bytes of memory the compiled structure holds.
    pub fn memory_usage(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.by_name.memory_usage()
            + self
                .credentials
                .iter()
                .map(|c| c.memory_usage() + c.name.len())
                .sum::<usize>()
            + (self.credentials.capacity() - self.credentials.len())
                * std::mem::size_of::<CompiledCredential>()
    }
}
