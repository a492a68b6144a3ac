//! Containment, diff and minting against brute force.
//!
//! Documents come from the property strategies (names over {a, b}, keys over {a, b, 0xff}, up to 3
//! long). Enumerating every request over a universe that reaches every region of such documents
//! (every string over the alphabet up to the selectors' length, each also continued by `c`, a byte
//! no selector holds) gives the true answer; `contains` and `diff` must give exactly it, and every
//! witness they report must decide on each side as reported.

mod common;

use common::strategies;
use fgac::analysis::{Change, ChangeKind, DiffOptions, contains, derive, diff, expires_no_later};
use fgac::model::{
    CacheSelector, CredentialDef, CredentialKind, Document, Effect, Expiry, Grant, ItemSelector,
    Permissions, Role,
};
use fgac::{Authorizer, Credential, Decision, Limits, Operation, Outcome, Resource, Timestamp};
use fgac_test_support::read;
use proptest::prelude::*;
use std::collections::BTreeSet;

/// Strings over `alphabet` of length 0 to `max`, each also continued by `c`.
fn universe(alphabet: &[u8], max: usize) -> Vec<Vec<u8>> {
    let mut out = vec![Vec::new()];
    let mut last = vec![Vec::new()];
    for _ in 0..max {
        last = last
            .iter()
            .flat_map(|w: &Vec<u8>| {
                alphabet.iter().map(move |&b| {
                    let mut x = w.clone();
                    x.push(b);
                    x
                })
            })
            .collect();
        out.extend(last.iter().cloned());
    }
    let continued: Vec<Vec<u8>> = out.iter().map(|w| [&w[..], b"c"].concat()).collect();
    out.extend(continued);
    out
}

/// Every request of the universe: (op, resource), owned.
struct Requests {
    caches: Vec<String>,
    keys: Vec<Vec<u8>>,
    topics: Vec<String>,
}

impl Requests {
    fn new() -> Requests {
        let text = |w: Vec<u8>| String::from_utf8(w).unwrap();
        Requests {
            caches: universe(b"ab", 3).into_iter().map(text).collect(),
            keys: universe(&[b'a', b'b', 0xff], 3),
            topics: universe(b"ab", 3).into_iter().map(text).collect(),
        }
    }

    /// Calls `f` with every request.
    fn each(&self, mut f: impl FnMut(Operation, Resource<'_>)) {
        // Every operation on the account: one or more for each account right.
        for &op in Operation::ALL {
            if matches!(op.need(), fgac::Need::Account(_)) {
                f(op, Resource::Account);
            }
        }
        for cache in &self.caches {
            f(Operation::CreateCache, Resource::cache(cache));
            for key in &self.keys {
                for op in [Operation::Get, Operation::Set, Operation::Increment] {
                    f(op, Resource::item(cache, key));
                }
                // The same names as stores: another namespace.
                for op in [Operation::StoreGet, Operation::StorePut] {
                    f(op, Resource::store_item(cache, key));
                }
            }
            for topic in &self.topics {
                for op in [Operation::Publish, Operation::Subscribe] {
                    f(op, Resource::topic(cache, topic));
                }
            }
        }
    }
}

fn decide(c: Option<&Credential>, op: Operation, r: Resource<'_>, now: Timestamp) -> Outcome {
    match c {
        Some(c) => Outcome::Decided(c.authorize(op, r, now)),
        None => Outcome::UnknownCredential,
    }
}

/// The true containment: no request `inner` is allowed and `outer` is not.
fn contained_by_enumeration(
    inner: &Credential,
    outer: &Credential,
    now: Timestamp,
    all: &Requests,
) -> bool {
    let mut contained = true;
    all.each(|op, r| {
        if inner.authorize(op, r, now).is_allowed() && !outer.authorize(op, r, now).is_allowed() {
            contained = false;
        }
    });
    contained
}

/// The true changes of one credential: (operation, now allowed?) for every request whose allow
/// state changes.
fn changes_by_enumeration(
    old: Option<&Credential>,
    new: Option<&Credential>,
    now: Timestamp,
    all: &Requests,
) -> BTreeSet<(Operation, bool)> {
    let mut out = BTreeSet::new();
    all.each(|op, r| {
        let (o, n) = (
            decide(old, op, r, now).is_allowed(),
            decide(new, op, r, now).is_allowed(),
        );
        if o != n {
            out.insert((op, n));
        }
    });
    out
}

const NOW: u64 = 950;

fn check_containment(
    inner: &Credential,
    outer: &Credential,
    now: Timestamp,
    all: &Requests,
) -> Result<(), TestCaseError> {
    let truth = contained_by_enumeration(inner, outer, now, all);
    match contains(inner, outer, now) {
        Ok(()) => prop_assert!(
            truth,
            "`{}` is reported within `{}`, but a request says otherwise",
            inner.name(),
            outer.name()
        ),
        Err(c) => {
            prop_assert!(
                !truth,
                "`{}` is within `{}`, but a counterexample was reported: {c}",
                inner.name(),
                outer.name()
            );
            // The witness is real: it decides as reported, on both sides.
            let r = c.resource.as_resource();
            prop_assert_eq!(inner.authorize(c.op, r, now), c.inner);
            prop_assert_eq!(outer.authorize(c.op, r, now), c.outer);
            prop_assert!(c.inner.is_allowed() && !c.outer.is_allowed());
        }
    }
    Ok(())
}

fn check_diff(
    old: &Authorizer,
    new: &Authorizer,
    now: Timestamp,
    all: &Requests,
) -> Result<(), TestCaseError> {
    let d = diff(old, new, now, DiffOptions { reasons: true });
    let mut names: BTreeSet<&str> = old.credentials().map(|c| c.name()).collect();
    names.extend(new.credentials().map(|c| c.name()));
    for name in names {
        let (o, n) = (old.credential(name), new.credential(name));
        let truth = changes_by_enumeration(o, n, now, all);
        let reported: Vec<&Change> = d
            .credentials
            .iter()
            .filter(|c| c.name == name)
            .flat_map(|c| &c.changes)
            .collect();
        let mut found = BTreeSet::new();
        for change in &reported {
            if let Change::Decision(dc) = change {
                // Every witness decides on each side as reported.
                let r = dc.resource.as_resource();
                prop_assert_eq!(decide(o, dc.op, r, now), dc.old, "{}: {}", name, dc.region);
                prop_assert_eq!(decide(n, dc.op, r, now), dc.new, "{}: {}", name, dc.region);
                match dc.kind {
                    ChangeKind::NowAllowed => {
                        prop_assert!(!dc.old.is_allowed() && dc.new.is_allowed())
                    }
                    ChangeKind::NowDenied => {
                        prop_assert!(dc.old.is_allowed() && !dc.new.is_allowed())
                    }
                    ChangeKind::Reason => prop_assert!(
                        !dc.old.is_allowed() && !dc.new.is_allowed() && dc.old != dc.new
                    ),
                }
                if dc.kind != ChangeKind::Reason {
                    found.insert((dc.op, dc.kind == ChangeKind::NowAllowed));
                }
            }
        }
        // Exact both ways: what changed somewhere is reported, for the same operation and in the
        // same direction, and nothing is reported that does not change.
        let truth_ops: BTreeSet<(Operation, bool)> = truth
            .iter()
            .map(|&(op, allowed)| (stand_in(op), allowed))
            .collect();
        prop_assert_eq!(&found, &truth_ops, "{}", name);
    }
    prop_assert_eq!(d.decisions_unchanged(), {
        let mut none = true;
        for c in old.credentials().chain(new.credentials()) {
            if !changes_by_enumeration(old.credential(c.name()), new.credential(c.name()), now, all)
                .is_empty()
            {
                none = false;
            }
        }
        none
    });
    Ok(())
}

/// The operation the diff reports for a request of `op`'s need: the catalogue's first operation
/// of one key with that need.
fn stand_in(op: Operation) -> Operation {
    Operation::ALL
        .iter()
        .copied()
        .find(|o| o.need() == op.need() && !o.is_multi_key())
        .unwrap()
}

/// Cases per property: sampled in `cargo test`, a hundred times as many in the release run CI makes
/// (`cargo test --release --test analysis`), where enumeration is fast enough to afford them.
const CASES: u32 = if cfg!(debug_assertions) { 120 } else { 12_000 };

proptest! {
    #![proptest_config(ProptestConfig { cases: CASES, ..ProptestConfig::default() })]

    /// Network containment against every address of a small space: networks inside
    /// 10.0.0.0/24, so the 256 addresses (and one outside) are the whole universe.
    #[test]
    fn network_containment_agrees_with_enumeration(
        child in proptest::collection::vec((0u32..256, 24u8..=32), 0..4),
        parent in proptest::collection::vec((0u32..256, 24u8..=32), 0..5),
    ) {
        use fgac::model::Network;
        use std::net::{IpAddr, Ipv4Addr};
        let nets = |list: &[(u32, u8)]| -> Vec<Network> {
            list.iter()
                .map(|&(host, prefix)| {
                    let mask = u32::MAX << (32 - u32::from(prefix));
                    let addr = Ipv4Addr::from_bits((0x0a00_0000 | host) & mask);
                    Network::new(IpAddr::V4(addr), prefix).unwrap()
                })
                .collect()
        };
        let (child, parent) = (nets(&child), nets(&parent));
        let in_any = |list: &[Network], a: IpAddr| list.is_empty() || list.iter().any(|n| n.contains(a));
        let space: Vec<IpAddr> = (0..256u32)
            .map(|h| IpAddr::V4(Ipv4Addr::from_bits(0x0a00_0000 | h)))
            .chain([IpAddr::V4(Ipv4Addr::new(11, 0, 0, 0)), "2001:db8::1".parse().unwrap()])
            .collect();
        let escapes: Vec<IpAddr> = space
            .iter()
            .copied()
            .filter(|&a| in_any(&child, a) && !in_any(&parent, a))
            .collect();
        match fgac::analysis::networks_within(&child, &parent) {
            None => prop_assert!(escapes.is_empty(), "missed {escapes:?}"),
            Some(a) => {
                prop_assert!(in_any(&child, a) && !in_any(&parent, a), "{a} is no escape");
            }
        }
    }

    #[test]
    fn containment_agrees_with_brute_force(a in strategies::document(), b in strategies::document()) {
        let (a, b) = (Authorizer::compile(&a).unwrap(), Authorizer::compile(&b).unwrap());
        let all = Requests::new();
        let now = Timestamp::from_unix_seconds(NOW);
        for inner in a.credentials() {
            for outer in a.credentials().chain(b.credentials()) {
                check_containment(inner, outer, now, &all)?;
            }
        }
    }

    #[test]
    fn diff_agrees_with_brute_force(a in strategies::document(), b in strategies::document()) {
        let (a, b) = (Authorizer::compile(&a).unwrap(), Authorizer::compile(&b).unwrap());
        let all = Requests::new();
        check_diff(&a, &b, Timestamp::from_unix_seconds(NOW), &all)?;
    }

    #[test]
    fn containment_is_reflexive_and_transitive(
        a in strategies::document(), b in strategies::document(), c in strategies::document(),
    ) {
        let now = Timestamp::from_unix_seconds(NOW);
        let compile = |d: &Document| Authorizer::compile(d).unwrap();
        let (a, b, c) = (compile(&a), compile(&b), compile(&c));
        let (a, b, c) = (
            a.credentials().next().unwrap(),
            b.credentials().next().unwrap(),
            c.credentials().next().unwrap(),
        );
        prop_assert!(contains(a, a, now).is_ok());
        if contains(a, b, now).is_ok() && contains(b, c, now).is_ok() {
            prop_assert!(contains(a, c, now).is_ok());
        }
    }

    #[test]
    fn a_document_differs_from_neither_itself_nor_its_formatting(doc in strategies::document()) {
        let now = Timestamp::from_unix_seconds(NOW);
        let authz = Authorizer::compile(&doc).unwrap();
        let same = diff(&authz, &authz, now, DiffOptions { reasons: true });
        prop_assert!(same.is_empty(), "{:?}", same);
        let formatted = read::to_dsl(&doc);
        let again = Authorizer::from_source(&formatted).unwrap();
        let formatted_diff = diff(&authz, &again, now, DiffOptions { reasons: true });
        prop_assert!(formatted_diff.is_empty(), "{:?}", formatted_diff);
    }

    #[test]
    fn an_allow_never_denies_and_a_deny_never_allows(
        doc in strategies::document(),
        extra in strategies::grant(),
    ) {
        let now = Timestamp::from_unix_seconds(NOW);
        let before = Authorizer::compile(&doc).unwrap();
        let mut more = doc.clone();
        let Permissions::Explicit(grants) = &mut more.credentials[0].permissions else {
            return Ok(());
        };
        if grants.iter().any(|g| g.effect == extra.effect && g.cache == extra.cache && g.resource == extra.resource)
            || grants.len() >= 20
        {
            return Ok(());
        }
        grants.push(extra.clone());
        let after = Authorizer::compile(&more).unwrap();
        let d = diff(&before, &after, now, DiffOptions::default());
        for change in d.credentials.iter().flat_map(|c| &c.changes) {
            if let Change::Decision(dc) = change {
                let wrong = match extra.effect {
                    Effect::Allow => ChangeKind::NowDenied,
                    Effect::Deny => ChangeKind::NowAllowed,
                };
                prop_assert_ne!(dc.kind, wrong, "{}", dc.region);
            }
        }
    }
}

fn key(name: &str, expiry: Expiry, grants: Vec<Grant>) -> CredentialDef {
    CredentialDef::new(
        name,
        CredentialKind::ApiKey,
        expiry,
        Permissions::Explicit(grants),
    )
}

fn token(name: &str, expires: u64, grants: Vec<Grant>) -> CredentialDef {
    let mut c = key(
        name,
        Expiry::At(Timestamp::from_unix_seconds(expires)),
        grants,
    );
    c.kind = CredentialKind::Token;
    c.token_id = Some("user-1".into());
    c
}

fn compiled(def: CredentialDef) -> Credential {
    Authorizer::compile(&Document::new(vec![def]))
        .unwrap()
        .into_credentials()
        .remove(0)
}

fn items(role: Role, cache: &str, key: ItemSelector) -> Grant {
    Grant::allow_items(role, CacheSelector::Name(cache.into()), key)
}

#[test]
fn containment_handles_expiry_and_super_users() {
    let now = Timestamp::from_unix_seconds(1_000);
    let root = compiled({
        let mut c = key("root", Expiry::Never, vec![]);
        c.permissions = Permissions::super_user();
        c
    });
    let svc = compiled(key(
        "svc",
        Expiry::At(Timestamp::from_unix_seconds(2_000)),
        vec![items(Role::ReadWrite, "c", ItemSelector::All)],
    ));
    let expired = compiled(key(
        "old",
        Expiry::At(Timestamp::from_unix_seconds(500)),
        vec![items(Role::ReadWrite, "d", ItemSelector::All)],
    ));
    // A super user holds everything, and nothing but a super user holds a super user.
    assert!(contains(&svc, &root, now).is_ok());
    let c = contains(&root, &svc, now).unwrap_err();
    assert_eq!(
        (c.op, c.resource.as_resource()),
        (Operation::DescribeAccount, Resource::Account)
    );
    assert_eq!(c.outer, Decision::Deny(fgac::DenyReason::SuperUserRequired));
    // An expired credential allows nothing: it is within anything, and holds nothing.
    assert!(contains(&expired, &svc, now).is_ok());
    assert!(contains(&svc, &expired, now).is_err());
    // Expiry is reported apart.
    assert!(expires_no_later(&svc, &root));
    assert!(!expires_no_later(&root, &svc));
}

#[test]
fn minting_hands_out_at_most_what_the_parent_holds() {
    let now = Timestamp::from_unix_seconds(1_000_000);
    let limits = Limits::default();
    let parent = compiled(key(
        "svc",
        Expiry::At(Timestamp::from_unix_seconds(2_000_000)),
        vec![
            items(
                Role::ReadWrite,
                "sessions",
                ItemSelector::Prefix(b"user:".to_vec()),
            ),
            items(
                Role::ReadWrite,
                "sessions",
                ItemSelector::Key(b"user:admin".to_vec()),
            )
            .denied(),
        ],
    ));
    let ok = token(
        "t",
        1_000_000 + 3600,
        vec![items(
            Role::ReadOnly,
            "sessions",
            ItemSelector::Key(b"user:42".to_vec()),
        )],
    );
    let minted = derive(&parent, &ok, now, &limits).expect("within the parent");
    assert!(
        minted
            .authorize(Operation::Get, Resource::item("sessions", b"user:42"), now)
            .is_allowed()
    );
    // Past a deny rule of the parent: refused with a witness the parent denies.
    let admin = token(
        "t",
        1_000_000 + 3600,
        vec![items(
            Role::ReadOnly,
            "sessions",
            ItemSelector::Prefix(b"user:".to_vec()),
        )],
    );
    match derive(&parent, &admin, now, &limits) {
        Err(fgac::analysis::DeriveError::Exceeds(c)) => {
            assert_eq!(
                c.resource.to_string(),
                r#"cache "sessions" item "user:admin""#
            );
            assert!(
                !parent
                    .authorize(c.op, c.resource.as_resource(), now)
                    .is_allowed()
            );
        }
        other => panic!("{other:?}"),
    }
    // Expiry: no later than the parent, in the future, within a token's lifetime.
    let long = token(
        "t",
        2_000_001,
        vec![items(
            Role::ReadOnly,
            "sessions",
            ItemSelector::Key(b"user:1".to_vec()),
        )],
    );
    assert!(matches!(
        derive(&parent, &long, now, &Limits::unbounded()),
        Err(fgac::analysis::DeriveError::OutlivesParent { .. })
    ));
    let day = token(
        "t",
        1_000_000 + 26 * 3600,
        vec![items(
            Role::ReadOnly,
            "sessions",
            ItemSelector::Key(b"user:1".to_vec()),
        )],
    );
    assert!(matches!(
        derive(&parent, &day, now, &limits),
        Err(fgac::analysis::DeriveError::TooLong { .. })
    ));
    let past = token(
        "t",
        999_999,
        vec![items(
            Role::ReadOnly,
            "sessions",
            ItemSelector::Key(b"user:1".to_vec()),
        )],
    );
    assert!(matches!(
        derive(&parent, &past, now, &limits),
        Err(fgac::analysis::DeriveError::AlreadyExpired { .. })
    ));
    // A token is validated like any: it must expire, and carries at most 20 grants.
    let twenty_one: Vec<Grant> = (0..21)
        .map(|i| {
            items(
                Role::ReadOnly,
                "sessions",
                ItemSelector::Key(format!("user:{i}").into_bytes()),
            )
        })
        .collect();
    assert!(matches!(
        derive(&parent, &token("t", 1_000_100, twenty_one), now, &limits),
        Err(fgac::analysis::DeriveError::Invalid(_))
    ));
    // Nothing mints a super user, not even a super user.
    let root = compiled({
        let mut c = key("root", Expiry::Never, vec![]);
        c.permissions = Permissions::super_user();
        c
    });
    let wanted = {
        let mut c = key("k", Expiry::Never, vec![]);
        c.permissions = Permissions::super_user();
        c
    };
    assert!(matches!(
        derive(&root, &wanted, now, &limits),
        Err(fgac::analysis::DeriveError::SuperUser)
    ));
    // But a super user mints any fine-grained key or token (Momento's rule, a special case).
    let anything = key(
        "k",
        Expiry::Never,
        vec![Grant::allow_items(
            Role::ReadWrite,
            CacheSelector::All,
            ItemSelector::All,
        )],
    );
    assert!(derive(&root, &anything, now, &limits).is_ok());

    // Networks: a parent restricted to networks mints only children restricted within them.
    let net = |s: &str| s.parse::<fgac::model::Network>().unwrap();
    let office = compiled({
        let mut c = key(
            "office",
            Expiry::Never,
            vec![items(Role::ReadWrite, "c", ItemSelector::All)],
        );
        c.networks = vec![net("10.0.0.0/9"), net("10.128.0.0/9")];
        c
    });
    let child = |networks: Vec<fgac::model::Network>| {
        let mut c = token(
            "t",
            1_000_000 + 3600,
            vec![items(Role::ReadOnly, "c", ItemSelector::All)],
        );
        c.networks = networks;
        c
    };
    assert!(derive(&office, &child(vec![net("10.0.0.0/8")]), now, &limits).is_ok());
    assert!(matches!(
        derive(&office, &child(vec![]), now, &limits),
        Err(fgac::analysis::DeriveError::Network { address }) if address.to_string() == "0.0.0.0"
    ));
    assert!(matches!(
        derive(&office, &child(vec![net("10.0.0.0/8"), net("192.168.0.0/16")]), now, &limits),
        Err(fgac::analysis::DeriveError::Network { address }) if address.to_string() == "192.168.0.0"
    ));
}

#[test]
fn regions_reach_deep_nested_and_non_utf8_boundaries() {
    // A topic prefix inside a two-byte character, keys that are not UTF-8, a cache name that is a
    // prefix of another: every witness must be a real request in its region.
    let old = Authorizer::from_source(
        r#"key "k" { expires never
        allow publishsubscribe cache "caf\u{e9}" topics prefix "\u{e9}t"
        allow readwrite cache "ca" items prefix "\xff\xfe"
        allow readonly cache prefix "c" item "\xff" }"#,
    )
    .unwrap();
    let new = Authorizer::from_source(
        r#"key "k" { expires never
        allow publishsubscribe cache "caf\u{e8}" topics prefix "\u{e8}t"
        allow readwrite cache "ca" items prefix "\xff\xfd"
        allow readonly cache prefix "cb" item "\xff" }"#,
    )
    .unwrap();
    let now = Timestamp::from_unix_seconds(0);
    let d = diff(&old, &new, now, DiffOptions::default());
    let changes: Vec<_> = d.credentials.iter().flat_map(|c| &c.changes).collect();
    assert!(changes.len() > 4, "{changes:#?}");
    for change in changes {
        let Change::Decision(dc) = change else {
            continue;
        };
        let (o, n) = (old.credential("k"), new.credential("k"));
        assert_eq!(
            decide(o, dc.op, dc.resource.as_resource(), now),
            dc.old,
            "{}",
            dc.region
        );
        assert_eq!(
            decide(n, dc.op, dc.resource.as_resource(), now),
            dc.new,
            "{}",
            dc.region
        );
    }
}
