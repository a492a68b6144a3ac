//! The operation catalogue: every Momento operation, the resource it acts on, and the rights it needs.
//!
//! The table at the bottom of this file is the only place that says what an operation needs. The
//! rule it follows (MOMENTO.md): reads need `read`; blind writes that return nothing about stored
//! state need `write`; writes that are conditional or return stored state need `read+write`; topics
//! need `publish` or `subscribe`; control-plane operations need a super-user key or the management
//! right of Momento's v2 permission rules the table names ([`AccountRights`]).
//!
//! The management rights each control-plane operation needs (**fgac rules**, where Momento's
//! `permissionrules.proto` comments leave the mapping open):
//!
//! | operation | needs |
//! | --- | --- |
//! | `create_cache`, `delete_cache`, `flush_cache` | `resource_write` (flushing changes a resource as a whole) |
//! | `list_caches` | `resource_list` |
//! | `put_webhook`, `delete_webhook`, `rotate_webhook_secret` | `resource_write` |
//! | `get_webhook_secret` | `resource_write` (retrieving a secret counts as write, as Momento says for auth) |
//! | `list_webhooks` | `resource_list` |
//! | `create_signing_key`, `revoke_signing_key` | `auth_write` |
//! | `list_signing_keys` | `auth_list` |
//! | `generate_api_key`, `refresh_api_key`, `generate_disposable_token` | `auth_write` (and minting never gives more than the minter holds) |
//!
//! | `describe_account`, `update_account`, `list_accounts` | `account_read`, `account_write`, `account_list` |
//! | `describe_signing_key` | `auth_read` |
//! | `describe_cache` | `resource_read` |
//! | `list_keys`, `list_topics`, `list_store_keys` | `cache_list`, `topic_list`, `store_list` |
//!
//! A super-user key holds every right. The operations of the last four rows are fgac's names for
//! what the rights of Momento's v2 rules allow: Momento's protocol (momento-protos 0.139) has no
//! call for them yet, so that each right has an operation that asks for it. The list rights are
//! "always total" in v2: no selector restricts them, so they are account rights too.

use std::fmt;
use std::str::FromStr;

/// The operations of a set of named rights held in the bits of `$repr`: the one definition of
/// [`Rights`] and [`AccountRights`], two distinct types so that the data plane's rights and the
/// account's can never be mixed up.
macro_rules! bit_set {
    ($t:ident, $repr:ty, $all:expr, $named:expr) => {
        impl $t {
            /// No rights.
            pub const NONE: $t = $t(0);
            /// Every right.
            pub const ALL: $t = $t($all);
            /// Each right with its name, in bit order: the names the DSL and the JSON forms
            /// spell.
            pub const NAMED: &'static [($t, &'static str)] = &$named;

            /// The one right named `name`.
            #[must_use]
            pub fn from_name(name: &str) -> Option<$t> {
                $t::NAMED.iter().find(|(_, n)| *n == name).map(|(r, _)| *r)
            }

            /// The name of a single right; `None` for a set of several or none.
            #[must_use]
            pub fn name(self) -> Option<&'static str> {
                $t::NAMED.iter().find(|(r, _)| *r == self).map(|(_, n)| *n)
            }

            /// Whether no right is set.
            #[must_use]
            pub const fn is_empty(self) -> bool {
                self.0 == 0
            }

            /// Whether every right of `other` is in `self`.
            #[must_use]
            pub const fn contains(self, other: $t) -> bool {
                self.0 & other.0 == other.0
            }

            /// Whether `self` and `other` share a right.
            #[must_use]
            pub const fn intersects(self, other: $t) -> bool {
                self.0 & other.0 != 0
            }

            /// Rights in either.
            #[must_use]
            pub const fn union(self, other: $t) -> $t {
                $t(self.0 | other.0)
            }

            /// Rights in both.
            #[must_use]
            pub const fn intersection(self, other: $t) -> $t {
                $t(self.0 & other.0)
            }

            /// Rights in `self` and not in `other`.
            #[must_use]
            pub const fn difference(self, other: $t) -> $t {
                $t(self.0 & !other.0)
            }

            /// Each right of the set on its own, in bit order.
            pub fn each(self) -> impl Iterator<Item = $t> {
                $t::NAMED
                    .iter()
                    .map(|(r, _)| *r)
                    .filter(move |r| self.contains(*r))
            }
        }

        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({self})", stringify!($t))
            }
        }

        impl fmt::Display for $t {
            /// The names joined by `+` (`read+write`), or `none`.
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                if self.is_empty() {
                    return f.write_str("none");
                }
                for (i, name) in self.each().filter_map($t::name).enumerate() {
                    if i > 0 {
                        f.write_str("+")?;
                    }
                    f.write_str(name)?;
                }
                Ok(())
            }
        }
    };
}

/// A set of data-plane rights, as a small bit set.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Rights(u8);

bit_set!(
    Rights,
    u8,
    0b1111,
    [
        (Rights::READ, "read"),
        (Rights::WRITE, "write"),
        (Rights::PUBLISH, "publish"),
        (Rights::SUBSCRIBE, "subscribe"),
    ]
);

impl Rights {
    /// Read cache items.
    pub const READ: Rights = Rights(1);
    /// Write cache items.
    pub const WRITE: Rights = Rights(2);
    /// Read and write cache items.
    pub const READ_WRITE: Rights = Rights(1 | 2);
    /// Publish to topics.
    pub const PUBLISH: Rights = Rights(4);
    /// Subscribe to topics.
    pub const SUBSCRIBE: Rights = Rights(8);
    /// Publish and subscribe.
    pub const PUBLISH_SUBSCRIBE: Rights = Rights(4 | 8);
    /// The number of distinct right bits.
    pub const BITS: usize = 4;

    /// The raw bits.
    #[must_use]
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// The rights of `bits`, ignoring bits that name no right.
    #[must_use]
    pub const fn from_bits_truncate(bits: u8) -> Rights {
        Rights(bits & Rights::ALL.0)
    }
}

/// The rights no selector restricts, held by a credential for the account as a whole: Momento's
/// v2 management rights (account, auth, resource management; each read, write, list) and its list
/// rights of caches, topics and stores ("always total": a selector cannot restrict them).
///
/// ```
/// use fgac::AccountRights;
/// let ops = AccountRights::RESOURCE_WRITE.union(AccountRights::RESOURCE_LIST);
/// assert!(ops.contains(AccountRights::RESOURCE_LIST));
/// assert_eq!(ops.to_string(), "resource_write+resource_list");
/// assert_eq!(AccountRights::from_name("auth_write"), Some(AccountRights::AUTH_WRITE));
/// ```
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountRights(u16);

bit_set!(
    AccountRights,
    u16,
    (1 << 12) - 1,
    [
        (AccountRights::ACCOUNT_READ, "account_read"),
        (AccountRights::ACCOUNT_WRITE, "account_write"),
        (AccountRights::ACCOUNT_LIST, "account_list"),
        (AccountRights::AUTH_READ, "auth_read"),
        (AccountRights::AUTH_WRITE, "auth_write"),
        (AccountRights::AUTH_LIST, "auth_list"),
        (AccountRights::RESOURCE_READ, "resource_read"),
        (AccountRights::RESOURCE_WRITE, "resource_write"),
        (AccountRights::RESOURCE_LIST, "resource_list"),
        (AccountRights::CACHE_LIST, "cache_list"),
        (AccountRights::TOPIC_LIST, "topic_list"),
        (AccountRights::STORE_LIST, "store_list"),
    ]
);

/// Arbitrary sets hold named rights only.
#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for AccountRights {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<AccountRights> {
        Ok(AccountRights(u16::arbitrary(u)? & AccountRights::ALL.0))
    }

    fn size_hint(depth: usize) -> (usize, Option<usize>) {
        u16::size_hint(depth)
    }
}

impl AccountRights {
    /// Read the account's settings.
    pub const ACCOUNT_READ: AccountRights = AccountRights(1);
    /// Change the account's settings.
    pub const ACCOUNT_WRITE: AccountRights = AccountRights(1 << 1);
    /// List the account's members and settings.
    pub const ACCOUNT_LIST: AccountRights = AccountRights(1 << 2);
    /// Read signing keys and credentials (never their secrets).
    pub const AUTH_READ: AccountRights = AccountRights(1 << 3);
    /// Create, revoke and mint signing keys, API keys and tokens.
    pub const AUTH_WRITE: AccountRights = AccountRights(1 << 4);
    /// List signing keys and credentials.
    pub const AUTH_LIST: AccountRights = AccountRights(1 << 5);
    /// Describe a resource (a cache, a store, a webhook).
    pub const RESOURCE_READ: AccountRights = AccountRights(1 << 6);
    /// Create, delete, flush and configure resources.
    pub const RESOURCE_WRITE: AccountRights = AccountRights(1 << 7);
    /// List resources.
    pub const RESOURCE_LIST: AccountRights = AccountRights(1 << 8);
    /// List the items of caches.
    pub const CACHE_LIST: AccountRights = AccountRights(1 << 9);
    /// List the topics of caches.
    pub const TOPIC_LIST: AccountRights = AccountRights(1 << 10);
    /// List the items of stores.
    pub const STORE_LIST: AccountRights = AccountRights(1 << 11);
    /// The management rights (account, auth, resource), which disposable tokens never hold.
    pub const MANAGEMENT: AccountRights = AccountRights((1 << 9) - 1);
}

/// What an operation needs: rights on an item, rights on a topic, rights on the account, or a
/// super-user key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Need {
    /// These rights on a cache item.
    Item(Rights),
    /// These rights on a topic.
    Topic(Rights),
    /// These rights (read, write) on an item of a store (Momento Storage).
    StoreItem(Rights),
    /// These rights on the account (a cache as a whole, or the account): management and list
    /// rights, held by super-user keys and by credentials that Momento's v2 rules give them.
    Account(AccountRights),
    /// Only a super-user key may do it (for embedders' own operations; the catalogue names the
    /// management right of each of Momento's).
    ControlPlane,
}

macro_rules! catalogue {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal => $need:expr, multi: $multi:literal; )*) => {
        /// Every operation fgac knows, data plane and control plane.
        ///
        /// Names parse from and print to snake_case (`get`, `set_if_not_exists`, `publish`,
        /// `create_cache`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Operation {
            $( $(#[$doc])* $variant, )*
        }

        impl Operation {
            /// Every operation, in catalogue order.
            pub const ALL: &'static [Operation] = &[ $( Operation::$variant, )* ];

            /// The snake_case name.
            #[must_use]
            pub const fn name(self) -> &'static str {
                match self { $( Operation::$variant => $name, )* }
            }

            /// What the operation needs.
            #[inline]
            #[must_use]
            pub const fn need(self) -> Need {
                match self { $( Operation::$variant => $need, )* }
            }

            /// Whether the operation touches several keys at once (a batch): it is allowed only
            /// when every key it touches is allowed (see
            /// [`Credential::authorize_batch`](crate::Credential::authorize_batch)).
            #[must_use]
            pub const fn is_multi_key(self) -> bool {
                match self { $( Operation::$variant => $multi, )* }
            }
        }
    };
}

const R: Need = Need::Item(Rights::READ);
const W: Need = Need::Item(Rights::WRITE);
const RW: Need = Need::Item(Rights::READ_WRITE);
const RESOURCE_WRITE: Need = Need::Account(AccountRights::RESOURCE_WRITE);
const RESOURCE_LIST: Need = Need::Account(AccountRights::RESOURCE_LIST);
const AUTH_WRITE: Need = Need::Account(AccountRights::AUTH_WRITE);
const AUTH_LIST: Need = Need::Account(AccountRights::AUTH_LIST);

catalogue! {
    // Scalar items.
    /// Get one item.
    Get = "get" => R, multi: false;
    /// Get one item and the hash of its value (for a later hash-conditioned write).
    GetWithHash = "get_with_hash" => R, multi: false;
    /// Get several items.
    GetBatch = "get_batch" => R, multi: true;
    /// Set one item.
    Set = "set" => W, multi: false;
    /// Set several items.
    SetBatch = "set_batch" => W, multi: true;
    /// Delete an item.
    Delete = "delete" => W, multi: false;
    /// Increment a counter and return its new value.
    Increment = "increment" => RW, multi: false;
    /// Set an item if it does not exist.
    SetIfNotExists = "set_if_not_exists" => RW, multi: false;
    /// Set an item if it is absent.
    SetIfAbsent = "set_if_absent" => RW, multi: false;
    /// Set an item if it is present.
    SetIfPresent = "set_if_present" => RW, multi: false;
    /// Set an item if it equals a value.
    SetIfEqual = "set_if_equal" => RW, multi: false;
    /// Set an item if it does not equal a value.
    SetIfNotEqual = "set_if_not_equal" => RW, multi: false;
    /// Set an item if it is present and does not equal a value.
    SetIfPresentAndNotEqual = "set_if_present_and_not_equal" => RW, multi: false;
    /// Set an item if it is absent or equals a value.
    SetIfAbsentOrEqual = "set_if_absent_or_equal" => RW, multi: false;
    /// Set an item on a condition about the hash of its stored value (or unconditionally),
    /// returning the new hash: conditional, so read and write (fgac rule, as `set_if_*`).
    SetIfHash = "set_if_hash" => RW, multi: false;
    /// Whether one key exists.
    KeyExists = "key_exists" => R, multi: false;
    /// Whether each of several keys exists.
    KeysExist = "keys_exist" => R, multi: true;
    /// The type of an item.
    ItemGetType = "item_get_type" => R, multi: false;
    /// The remaining time to live of an item.
    ItemGetTtl = "item_get_ttl" => R, multi: false;
    /// Replace an item's time to live.
    UpdateTtl = "update_ttl" => RW, multi: false;
    /// Increase an item's time to live.
    IncreaseTtl = "increase_ttl" => RW, multi: false;
    /// Decrease an item's time to live.
    DecreaseTtl = "decrease_ttl" => RW, multi: false;

    // Dictionaries.
    /// Fetch a whole dictionary.
    DictionaryFetch = "dictionary_fetch" => R, multi: false;
    /// Get one field of a dictionary.
    DictionaryGetField = "dictionary_get_field" => R, multi: false;
    /// Get several fields of a dictionary.
    DictionaryGetFields = "dictionary_get_fields" => R, multi: false;
    /// The number of fields of a dictionary.
    DictionaryLength = "dictionary_length" => R, multi: false;
    /// Set one field of a dictionary.
    DictionarySetField = "dictionary_set_field" => W, multi: false;
    /// Set several fields of a dictionary.
    DictionarySetFields = "dictionary_set_fields" => W, multi: false;
    /// Remove one field of a dictionary.
    DictionaryRemoveField = "dictionary_remove_field" => W, multi: false;
    /// Remove several fields of a dictionary.
    DictionaryRemoveFields = "dictionary_remove_fields" => W, multi: false;
    /// Increment a dictionary field and return its new value.
    DictionaryIncrement = "dictionary_increment" => RW, multi: false;

    // Sets.
    /// Fetch a whole set.
    SetFetch = "set_fetch" => R, multi: false;
    /// Whether a set contains an element.
    SetContainsElement = "set_contains_element" => R, multi: false;
    /// Whether a set contains each of several elements.
    SetContainsElements = "set_contains_elements" => R, multi: false;
    /// The number of elements of a set.
    SetLength = "set_length" => R, multi: false;
    /// A random sample of a set.
    SetSample = "set_sample" => R, multi: false;
    /// Add one element to a set.
    SetAddElement = "set_add_element" => W, multi: false;
    /// Add several elements to a set.
    SetAddElements = "set_add_elements" => W, multi: false;
    /// Remove one element from a set.
    SetRemoveElement = "set_remove_element" => W, multi: false;
    /// Remove several elements from a set.
    SetRemoveElements = "set_remove_elements" => W, multi: false;
    /// Remove and return random elements of a set.
    SetPop = "set_pop" => RW, multi: false;

    // Lists.
    /// Fetch a whole list or a slice of it.
    ListFetch = "list_fetch" => R, multi: false;
    /// The length of a list.
    ListLength = "list_length" => R, multi: false;
    /// Push to the front of a list (returns the new length).
    ListPushFront = "list_push_front" => RW, multi: false;
    /// Push to the back of a list (returns the new length).
    ListPushBack = "list_push_back" => RW, multi: false;
    /// Concatenate values to the front of a list (returns the new length).
    ListConcatenateFront = "list_concatenate_front" => RW, multi: false;
    /// Concatenate values to the back of a list (returns the new length).
    ListConcatenateBack = "list_concatenate_back" => RW, multi: false;
    /// Pop the front of a list.
    ListPopFront = "list_pop_front" => RW, multi: false;
    /// Pop the back of a list.
    ListPopBack = "list_pop_back" => RW, multi: false;
    /// Erase ranges of a list, or all of it (returns the new length).
    ListErase = "list_erase" => RW, multi: false;
    /// Remove every occurrence of a value from a list.
    ListRemoveValue = "list_remove_value" => W, multi: false;
    /// Keep only a slice of a list.
    ListRetain = "list_retain" => RW, multi: false;

    // Sorted sets.
    /// Fetch elements of a sorted set by rank.
    SortedSetFetchByRank = "sorted_set_fetch_by_rank" => R, multi: false;
    /// Fetch elements of a sorted set by score.
    SortedSetFetchByScore = "sorted_set_fetch_by_score" => R, multi: false;
    /// The score of one element.
    SortedSetGetScore = "sorted_set_get_score" => R, multi: false;
    /// The scores of several elements.
    SortedSetGetScores = "sorted_set_get_scores" => R, multi: false;
    /// The rank of an element.
    SortedSetGetRank = "sorted_set_get_rank" => R, multi: false;
    /// The number of elements of a sorted set.
    SortedSetLength = "sorted_set_length" => R, multi: false;
    /// The number of elements in a score range.
    SortedSetLengthByScore = "sorted_set_length_by_score" => R, multi: false;
    /// Put one element with its score.
    SortedSetPutElement = "sorted_set_put_element" => W, multi: false;
    /// Put several elements with their scores.
    SortedSetPutElements = "sorted_set_put_elements" => W, multi: false;
    /// Remove one element.
    SortedSetRemoveElement = "sorted_set_remove_element" => W, multi: false;
    /// Remove several elements.
    SortedSetRemoveElements = "sorted_set_remove_elements" => W, multi: false;
    /// Increment an element's score and return the new score.
    SortedSetIncrementScore = "sorted_set_increment_score" => RW, multi: false;
    /// Store the union of sorted sets in a destination key (touches every source and the
    /// destination; each needs read+write).
    SortedSetUnionStore = "sorted_set_union_store" => RW, multi: true;

    // Topics.
    /// Publish a message to a topic.
    Publish = "publish" => Need::Topic(Rights::PUBLISH), multi: false;
    /// Subscribe to a topic.
    Subscribe = "subscribe" => Need::Topic(Rights::SUBSCRIBE), multi: false;

    // Control plane.
    /// Create a cache.
    CreateCache = "create_cache" => RESOURCE_WRITE, multi: false;
    /// Delete a cache.
    DeleteCache = "delete_cache" => RESOURCE_WRITE, multi: false;
    /// Flush every item of a cache.
    FlushCache = "flush_cache" => RESOURCE_WRITE, multi: false;
    /// List the caches of the account.
    ListCaches = "list_caches" => RESOURCE_LIST, multi: false;
    /// Create a vector index.
    CreateIndex = "create_index" => RESOURCE_WRITE, multi: false;
    /// Delete a vector index.
    DeleteIndex = "delete_index" => RESOURCE_WRITE, multi: false;
    /// List the vector indexes of the account.
    ListIndexes = "list_indexes" => RESOURCE_LIST, multi: false;
    /// Create a signing key.
    CreateSigningKey = "create_signing_key" => AUTH_WRITE, multi: false;
    /// Revoke a signing key.
    RevokeSigningKey = "revoke_signing_key" => AUTH_WRITE, multi: false;
    /// List signing keys.
    ListSigningKeys = "list_signing_keys" => AUTH_LIST, multi: false;
    /// Create or replace a webhook.
    PutWebhook = "put_webhook" => RESOURCE_WRITE, multi: false;
    /// Delete a webhook.
    DeleteWebhook = "delete_webhook" => RESOURCE_WRITE, multi: false;
    /// List webhooks.
    ListWebhooks = "list_webhooks" => RESOURCE_LIST, multi: false;
    /// Read a webhook's secret.
    GetWebhookSecret = "get_webhook_secret" => RESOURCE_WRITE, multi: false;
    /// Rotate a webhook's secret.
    RotateWebhookSecret = "rotate_webhook_secret" => RESOURCE_WRITE, multi: false;
    /// Mint an API key.
    GenerateApiKey = "generate_api_key" => AUTH_WRITE, multi: false;
    /// Refresh an API key.
    RefreshApiKey = "refresh_api_key" => AUTH_WRITE, multi: false;
    /// Mint a disposable token.
    GenerateDisposableToken = "generate_disposable_token" => AUTH_WRITE, multi: false;

    // Stores (Momento Storage): items read and written by key, needing v2's store read and
    // write.
    /// Get one item of a store.
    StoreGet = "store_get" => Need::StoreItem(Rights::READ), multi: false;
    /// Put one item in a store.
    StorePut = "store_put" => Need::StoreItem(Rights::WRITE), multi: false;
    /// Delete one item of a store.
    StoreDelete = "store_delete" => Need::StoreItem(Rights::WRITE), multi: false;

    // Momento's v2 management and list rights: one operation for each right no call above needs,
    // so that every right has an operation that asks for it (and analysis a witness for it).
    /// Describe the account's settings.
    DescribeAccount = "describe_account" => Need::Account(AccountRights::ACCOUNT_READ), multi: false;
    /// Change the account's settings.
    UpdateAccount = "update_account" => Need::Account(AccountRights::ACCOUNT_WRITE), multi: false;
    /// List the accounts of the organisation.
    ListAccounts = "list_accounts" => Need::Account(AccountRights::ACCOUNT_LIST), multi: false;
    /// Describe a signing key or credential (never its secret).
    DescribeSigningKey = "describe_signing_key" => Need::Account(AccountRights::AUTH_READ), multi: false;
    /// Describe a cache (its settings and limits).
    DescribeCache = "describe_cache" => Need::Account(AccountRights::RESOURCE_READ), multi: false;
    /// List the keys of a cache.
    ListKeys = "list_keys" => Need::Account(AccountRights::CACHE_LIST), multi: false;
    /// List the topics of a cache.
    ListTopics = "list_topics" => Need::Account(AccountRights::TOPIC_LIST), multi: false;
    /// List the keys of a store.
    ListStoreKeys = "list_store_keys" => Need::Account(AccountRights::STORE_LIST), multi: false;
}

impl Operation {
    /// The operation named `name` (exact snake_case).
    #[must_use]
    pub fn from_name(name: &str) -> Option<Operation> {
        Operation::ALL.iter().copied().find(|op| op.name() == name)
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// The error of parsing an unknown operation name: the name, and the nearest operation when the
/// name looks like a typo of one.
///
/// ```
/// let e = "gett".parse::<fgac::Operation>().unwrap_err();
/// assert_eq!(e.suggestion(), Some(fgac::Operation::Get));
/// assert_eq!(e.to_string(), "unknown operation `gett`; did you mean `get`?");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownOperation {
    name: String,
    suggestion: Option<Operation>,
}

impl UnknownOperation {
    /// The name that was not recognised.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The operation the name is closest to, if it is close enough to be a typo.
    #[must_use]
    pub fn suggestion(&self) -> Option<Operation> {
        self.suggestion
    }
}

impl fmt::Display for UnknownOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown operation `{}`; ", self.name)?;
        match self.suggestion {
            Some(op) => write!(f, "did you mean `{op}`?"),
            None => f.write_str(
                "operations are snake_case Momento names such as `get`, `set_if_not_exists`, `list_push_back`, `publish`, `create_cache`",
            ),
        }
    }
}

impl std::error::Error for UnknownOperation {}

impl FromStr for Operation {
    type Err = UnknownOperation;

    fn from_str(s: &str) -> Result<Operation, UnknownOperation> {
        Operation::from_name(s).ok_or_else(|| UnknownOperation {
            name: s.to_owned(),
            suggestion: crate::suggest::did_you_mean(s, Operation::ALL.iter().map(|op| op.name()))
                .and_then(Operation::from_name),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for &op in Operation::ALL {
            assert!(seen.insert(op.name()), "duplicate name {}", op.name());
            assert_eq!(op.name().parse::<Operation>(), Ok(op));
            assert!(
                op.name()
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'_')
            );
        }
        assert!("Get".parse::<Operation>().is_err());
    }

    #[test]
    fn the_momento_rule_holds_on_the_edge_cases() {
        use Operation::*;
        assert_eq!(Get.need(), Need::Item(Rights::READ));
        assert_eq!(Set.need(), Need::Item(Rights::WRITE));
        for op in [SetIfNotExists, Increment, ListPushBack, SetPop, UpdateTtl] {
            assert_eq!(op.need(), Need::Item(Rights::READ_WRITE), "{op}");
        }
        assert_eq!(ListRemoveValue.need(), Need::Item(Rights::WRITE));
        assert_eq!(
            CreateCache.need(),
            Need::Account(AccountRights::RESOURCE_WRITE)
        );
        assert_eq!(
            ListCaches.need(),
            Need::Account(AccountRights::RESOURCE_LIST)
        );
        assert_eq!(
            GenerateDisposableToken.need(),
            Need::Account(AccountRights::AUTH_WRITE)
        );
        assert_eq!(Publish.need(), Need::Topic(Rights::PUBLISH));
    }

    #[test]
    fn rights_print_readably() {
        assert_eq!(Rights::READ_WRITE.to_string(), "read+write");
        assert_eq!(Rights::NONE.to_string(), "none");
        assert_eq!(Rights::SUBSCRIBE.to_string(), "subscribe");
    }
}
