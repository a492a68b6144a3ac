//! Bounded-exhaustive check (the small-scope hypothesis: most engine bugs show on small inputs).
//!
//! Over a tiny universe: cache selectors `*`, `"a"`, `"ab"` and `prefix "a"`; every item selector
//! over keys of length at most 2 on {a, b} (all, each exact key, each non-empty prefix); every
//! topic selector over the same names; every role; allow and deny. Every document of one grant and
//! of two grants (in both orders, since a rule's index is its id), and a random sample of
//! three-grant documents, is compiled and asked every request whose key or topic has length at
//! most 3, in caches `a`, `ab` and `b`, for each kind of need; the engine must agree with the
//! reference evaluator on every one.
//!
//! In a release build (`cargo test --release`) every document is checked; in a debug build, a
//! fixed sample of them, so that `cargo test` stays quick.

use fgac::model::{
    CacheSelector, CredentialDef, CredentialKind, Document, Effect, Expiry, Grant, ItemSelector,
    Permissions, ResourceSelector, Role, TopicSelector,
};
use fgac::{Authorizer, Need, Resource, Rights, Timestamp, reference};
use fgac_test_support::read;

/// Strings over {a, b} of length `0..=max`, shortest first.
fn words(max: usize) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut last = vec![String::new()];
    for _ in 0..max {
        last = last
            .iter()
            .flat_map(|w| [format!("{w}a"), format!("{w}b")])
            .collect();
        out.extend(last.iter().cloned());
    }
    out
}

fn universe() -> Vec<Grant> {
    let caches = [
        CacheSelector::All,
        CacheSelector::Name("a".into()),
        CacheSelector::Name("ab".into()),
        CacheSelector::Prefix("a".into()),
    ];
    let names = words(2);
    let mut items = vec![ItemSelector::All];
    let mut topics = vec![TopicSelector::All];
    for w in &names {
        items.push(ItemSelector::Key(w.as_bytes().to_vec()));
        if !w.is_empty() {
            items.push(ItemSelector::Prefix(w.as_bytes().to_vec()));
            topics.push(TopicSelector::Name(w.clone()));
            topics.push(TopicSelector::Prefix(w.clone()));
        }
    }
    let mut out = Vec::new();
    for effect in [Effect::Allow, Effect::Deny] {
        for role in Role::ALL {
            for cache in &caches {
                let resources: Vec<ResourceSelector> = if role.is_topic_role() {
                    topics
                        .iter()
                        .cloned()
                        .map(ResourceSelector::Topics)
                        .collect()
                } else {
                    items.iter().cloned().map(ResourceSelector::Items).collect()
                };
                for resource in resources {
                    out.push(Grant::new(effect, role, cache.clone(), resource));
                }
            }
        }
    }
    out
}

fn document(grants: Vec<Grant>) -> Document {
    Document::new(vec![CredentialDef::new(
        "k",
        CredentialKind::ApiKey,
        Expiry::Never,
        Permissions::Explicit(grants),
    )])
}

fn same_selectors(a: &Grant, b: &Grant) -> bool {
    a.effect == b.effect && a.cache == b.cache && a.resource == b.resource
}

struct Requests {
    targets: Vec<String>,
    caches: [&'static str; 3],
    item_needs: [Rights; 3],
    topic_needs: [Rights; 2],
}

impl Requests {
    fn new() -> Requests {
        Requests {
            targets: words(3),
            caches: ["a", "ab", "b"],
            item_needs: [Rights::READ, Rights::WRITE, Rights::READ_WRITE],
            topic_needs: [Rights::PUBLISH, Rights::SUBSCRIBE],
        }
    }

    /// Checks every request against `doc`; returns how many.
    fn check(&self, doc: &Document) -> u64 {
        let authz =
            Authorizer::compile(doc).unwrap_or_else(|e| panic!("{e}\n{}", read::to_dsl(doc)));
        let key = authz.credential("k").unwrap();
        let valid = fgac::validate(doc, &fgac::Limits::default()).unwrap();
        let credential = valid.credential("k").unwrap();
        let now = Timestamp::from_unix_seconds(0);
        // Store items are asked of documents with grants on stores (the mixed test below puts
        // cache grants beside them, so that neither namespace leaks into the other).
        let stores = doc.credentials.iter().any(|c| match &c.permissions {
            Permissions::Explicit(grants) => grants.iter().any(|g| g.resource.is_store()),
            Permissions::SuperUser { .. } => false,
        });
        let store_needs: &[Rights] = if stores { &self.item_needs } else { &[] };
        let mut n = 0;
        for &cache in &self.caches {
            for target in &self.targets {
                let needs = self
                    .item_needs
                    .iter()
                    .map(|&r| (Need::Item(r), Resource::item(cache, target.as_bytes())))
                    .chain(
                        self.topic_needs
                            .iter()
                            .map(|&r| (Need::Topic(r), Resource::topic(cache, target))),
                    )
                    .chain(store_needs.iter().map(|&r| {
                        (
                            Need::StoreItem(r),
                            Resource::store_item(cache, target.as_bytes()),
                        )
                    }));
                for (need, resource) in needs {
                    let engine = key.authorize_need(need, resource, now);
                    let reference = reference::decide(credential, need, resource, now);
                    assert_eq!(
                        engine,
                        reference,
                        "{need:?} {resource}\n{}",
                        read::to_dsl(doc)
                    );
                    n += 1;
                }
            }
        }
        n
    }
}

/// In a debug build, check one document in `STRIDE`.
const STRIDE: usize = if cfg!(debug_assertions) { 61 } else { 1 };

#[test]
fn every_one_and_two_grant_document_agrees_with_the_reference() {
    let universe = universe();
    let requests = Requests::new();
    let (mut documents, mut pairs, mut index) = (0u64, 0u64, 0usize);
    for a in &universe {
        pairs += requests.check(&document(vec![a.clone()]));
        documents += 1;
    }
    for a in &universe {
        for b in &universe {
            if same_selectors(a, b) {
                continue;
            }
            index += 1;
            if index % STRIDE != 0 {
                continue;
            }
            pairs += requests.check(&document(vec![a.clone(), b.clone()]));
            documents += 1;
        }
    }
    println!(
        "{} grants in the universe; {documents} documents of 1 and 2 grants (of {} in all), {pairs} (document, request) pairs",
        universe.len(),
        universe.len() + index
    );
}

#[test]
fn a_sample_of_three_grant_documents_agrees_with_the_reference() {
    let universe = universe();
    let requests = Requests::new();
    // A fixed linear congruential sequence: the same sample on every run.
    let mut state: u64 = 0x5eed;
    let mut next = |n: usize| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as usize % n
    };
    let samples = 60_000 / STRIDE;
    let (mut documents, mut pairs) = (0u64, 0u64);
    while documents < samples as u64 {
        let grants: Vec<Grant> = (0..3)
            .map(|_| universe[next(universe.len())].clone())
            .collect();
        if same_selectors(&grants[0], &grants[1])
            || same_selectors(&grants[0], &grants[2])
            || same_selectors(&grants[1], &grants[2])
        {
            continue;
        }
        pairs += requests.check(&document(grants));
        documents += 1;
    }
    println!("{documents} random 3-grant documents, {pairs} (document, request) pairs");
}

/// Grants on stores: every document of two store grants over a small universe, and every
/// document of one cache grant (the whole universe) beside one store grant: store names are a
/// namespace of their own, so a grant on store `a` says nothing about cache `a`, and the reverse.
#[test]
fn every_store_document_agrees_with_the_reference() {
    let stores = [
        CacheSelector::All,
        CacheSelector::Name("a".into()),
        CacheSelector::Prefix("a".into()),
    ];
    let items = [
        ItemSelector::All,
        ItemSelector::Key(b"a".to_vec()),
        ItemSelector::Key(b"ab".to_vec()),
        ItemSelector::Prefix(b"a".to_vec()),
    ];
    let mut store_grants = Vec::new();
    for effect in [Effect::Allow, Effect::Deny] {
        for role in [Role::ReadWrite, Role::ReadOnly, Role::WriteOnly] {
            for store in &stores {
                for item in &items {
                    store_grants.push(Grant::new(
                        effect,
                        role,
                        store.clone(),
                        ResourceSelector::StoreItems(item.clone()),
                    ));
                }
            }
        }
    }
    let requests = Requests::new();
    let (mut documents, mut pairs, mut index) = (0u64, 0u64, 0usize);
    for a in &store_grants {
        for b in &store_grants {
            if !same_selectors(a, b) {
                pairs += requests.check(&document(vec![a.clone(), b.clone()]));
                documents += 1;
            }
        }
    }
    for a in &universe() {
        for b in &store_grants {
            index += 1;
            if index % STRIDE != 0 {
                continue;
            }
            pairs += requests.check(&document(vec![a.clone(), b.clone()]));
            pairs += requests.check(&document(vec![b.clone(), a.clone()]));
            documents += 2;
        }
    }
    println!("{documents} documents with store grants, {pairs} (document, request) pairs");
}

/// Every set of account rights (4,096), on an API key and, with its management rights dropped, on
/// a token, super users beside them: every account need, single and combined, on the account and
/// on a cache, decides as the reference does, and exactly as holding the rights says.
#[test]
fn every_set_of_account_rights_decides_as_the_reference() {
    use fgac::AccountRights;
    let singles: Vec<AccountRights> = AccountRights::ALL.each().collect();
    let mut needs: Vec<AccountRights> = singles.clone();
    needs.push(AccountRights::NONE);
    needs.push(AccountRights::RESOURCE_WRITE.union(AccountRights::RESOURCE_LIST));
    needs.push(AccountRights::ALL);
    let now = Timestamp::from_unix_seconds(0);
    let mut asked = 0u64;
    for bits in 0u32..(1 << singles.len()) {
        let held = singles
            .iter()
            .enumerate()
            .filter(|(i, _)| bits & (1 << i) != 0)
            .fold(AccountRights::NONE, |all, (_, r)| all.union(*r));
        let mut doc = document(vec![]);
        doc.credentials[0].account = held;
        if held.is_empty() {
            // An explicit list with neither grants nor account rights is refused; give it a grant.
            doc = document(vec![Grant::allow_items(
                Role::ReadOnly,
                CacheSelector::All,
                ItemSelector::All,
            )]);
        }
        let mut token = doc.credentials[0].clone();
        token.name = "t".into();
        token.kind = CredentialKind::Token;
        token.expiry = Expiry::At(Timestamp::from_unix_seconds(100));
        token.account = held.difference(AccountRights::MANAGEMENT);
        if token.account.is_empty() {
            token.permissions = Permissions::Explicit(vec![Grant::allow_items(
                Role::ReadOnly,
                CacheSelector::All,
                ItemSelector::All,
            )]);
        }
        let mut root = doc.credentials[0].clone();
        root.name = "root".into();
        root.account = AccountRights::NONE;
        root.permissions = Permissions::super_user();
        doc.credentials.push(token);
        doc.credentials.push(root);
        let authz = Authorizer::compile(&doc).unwrap_or_else(|e| panic!("{e}"));
        let valid = fgac::validate(&doc, &fgac::Limits::default()).unwrap();
        for name in ["k", "t", "root"] {
            let compiled = authz.credential(name).unwrap();
            let def = valid.credential(name).unwrap();
            for &need in &needs {
                for resource in [Resource::Account, Resource::cache("c")] {
                    let engine = compiled.authorize_need(Need::Account(need), resource, now);
                    let truth = reference::decide(def, Need::Account(need), resource, now);
                    assert_eq!(engine, truth, "{name} holding {held} asked {need}");
                    let expected =
                        !need.is_empty() && (name == "root" || def.account.contains(need));
                    assert_eq!(
                        engine.is_allowed(),
                        expected,
                        "{name} holding {held} asked {need}"
                    );
                    asked += 1;
                }
                // An account need on an item is the wrong kind of resource.
                assert!(
                    !compiled
                        .authorize_need(Need::Account(need), Resource::item("c", b"k"), now)
                        .is_allowed()
                );
            }
        }
    }
    println!("account rights: {asked} requests");
}
