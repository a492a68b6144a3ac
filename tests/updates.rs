//! Incremental updates: a store reached by any sequence of updates decides, orders its
//! credentials, and accepts or refuses exactly as the document it stands for compiled at once;
//! and it shares every credential an update left alone with the store before.

mod common;

use common::strategies;
use fgac::model::{CredentialDef, Document};
use fgac::{Authorizer, ErrorKind, Limits, Update};
use proptest::prelude::*;

/// The names updates draw from: more than a store holds at once, so that updates add, replace
/// and remove, and sometimes name a credential the store does not hold.
const POOL: usize = 6;

fn pool_name(i: usize) -> String {
    format!("k{i}")
}

/// One step of a sequence: credentials to put and names to remove (possibly contradictory).
#[derive(Clone, Debug)]
struct Step {
    put: Vec<CredentialDef>,
    remove: Vec<String>,
}

fn step() -> impl Strategy<Value = Step> {
    (
        proptest::collection::vec(0..POOL, 0..3),
        proptest::collection::vec(0..POOL, 0..3),
    )
        .prop_flat_map(|(put, remove)| {
            let puts: Vec<_> = put
                .into_iter()
                .map(|i| strategies::credential(pool_name(i)))
                .collect();
            (puts, Just(remove.into_iter().map(pool_name).collect()))
        })
        .prop_map(|(put, remove)| Step { put, remove })
}

/// The document a valid update leads to, as a list: a credential put replaces the one of its
/// name in place or is added at the end; one removed goes. `None` when the update contradicts
/// itself or the document (a name removed that is not there, a name twice).
fn apply_to_list(list: &[CredentialDef], step: &Step) -> Option<Vec<CredentialDef>> {
    let mut names: Vec<&str> = step.remove.iter().map(String::as_str).collect();
    names.extend(step.put.iter().map(|c| c.name.as_str()));
    let mut sorted = names.clone();
    sorted.sort_unstable();
    sorted.dedup();
    if sorted.len() != names.len() {
        return None;
    }
    if !step
        .remove
        .iter()
        .all(|n| list.iter().any(|c| &c.name == n))
    {
        return None;
    }
    let mut next: Vec<CredentialDef> = list
        .iter()
        .filter(|c| !step.remove.contains(&c.name))
        .cloned()
        .collect();
    for c in &step.put {
        match next.iter_mut().find(|old| old.name == c.name) {
            Some(old) => *old = c.clone(),
            None => next.push(c.clone()),
        }
    }
    Some(next)
}

/// The names in document order, having checked that the order holds the very credentials the
/// names find.
fn names(authz: &Authorizer) -> Vec<String> {
    authz
        .credentials()
        .map(|c| {
            let found = authz
                .credential(c.name())
                .expect("every listed name is found");
            assert!(
                std::ptr::eq(c, found),
                "the order and the names disagree on `{}`",
                c.name()
            );
            c.name().to_owned()
        })
        .collect()
}

fn limits() -> impl Strategy<Value = Limits> {
    (
        prop_oneof![Just(usize::MAX), 3usize..6],
        prop_oneof![Just(usize::MAX), 2_000usize..30_000],
    )
        .prop_map(|(max_credentials, max_compiled_bytes)| Limits {
            max_credentials,
            max_compiled_bytes,
            ..Limits::default()
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn updates_decide_as_the_final_document_compiled_at_once(
        base in strategies::document(),
        steps in proptest::collection::vec(step(), 1..8),
        limits in limits(),
        requests in proptest::collection::vec((0..POOL + 1, strategies::request()), 1..30),
    ) {
        let builder = Authorizer::builder().limits(limits.clone());
        let Ok(mut store) = builder.compile(&base) else {
            return Ok(());
        };
        let mut list = base.credentials.clone();
        for step in &steps {
            let update = Update::new().put_all(step.put.clone());
            let update = step.remove.iter().fold(update, |u, n| u.remove(n.clone()));
            let incremental = builder.update(&store, &update);
            let expected = apply_to_list(&list, step);
            let at_once = expected
                .as_ref()
                .map(|l| builder.compile(&Document::new(l.clone())));
            match (incremental, at_once) {
                (Ok(next), Some(Ok(scratch))) => {
                    prop_assert_eq!(names(&next), names(&scratch));
                    prop_assert_eq!(next.len(), scratch.len());
                    for (i, r) in &requests {
                        let name = pool_name(*i);
                        prop_assert_eq!(
                            common::engine_decides(&next, &name, r.op, r.resource(), r.now),
                            common::engine_decides(&scratch, &name, r.op, r.resource(), r.now),
                            "{} {:?}", name, r
                        );
                    }
                    // What the update left alone is shared; what it put is new.
                    for c in store.credentials() {
                        let put = step.put.iter().any(|p| p.name == c.name());
                        let removed = step.remove.iter().any(|n| n == c.name());
                        prop_assert_eq!(next.shares(&store, c.name()), !put && !removed);
                    }
                    list = expected.unwrap_or_default();
                    store = next;
                }
                (Err(e), None) => {
                    // Contradictions are named as such.
                    prop_assert!(e.diagnostics().iter().any(|d| matches!(
                        d.kind,
                        ErrorKind::UnknownCredential { .. } | ErrorKind::DuplicateCredential { .. }
                    )), "{}", e);
                }
                (Err(e), Some(Err(scratch))) => {
                    // Refused as compiling at once refuses: the same kinds of problem.
                    let kinds = |e: &fgac::Error| {
                        let mut k: Vec<&str> = e.diagnostics().iter().map(|d| d.kind.name()).collect();
                        k.sort_unstable();
                        k.dedup();
                        k
                    };
                    prop_assert_eq!(kinds(&e), kinds(&scratch));
                }
                (incremental, at_once) => {
                    return Err(TestCaseError::fail(format!(
                        "incremental {:?} but at once {:?}",
                        incremental.map(|a| names(&a)),
                        at_once.map(|r| r.map(|a| names(&a)))
                    )));
                }
            }
        }
    }
}

/// A cheap credential of a large store: one grant on a cache of its own, or, for `variant`
/// other than 0, a different grant (what an update changes).
fn cheap(i: usize, variant: usize) -> CredentialDef {
    let text = format!(
        r#"key "svc-{i}" {{ expires never  allow readonly cache "c{i}" items prefix "v{variant}:" }}"#
    );
    fgac::syntax::parse(&text).unwrap().credentials.remove(0)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Stores of thousands of credentials span several shards and chunks: updates that add,
    /// replace and remove many of them (enough to make the store rebuild its shards) keep every
    /// credential found by name, in order, and deciding as compiled at once.
    #[test]
    fn large_stores_keep_every_credential_through_updates(
        size in 1_500usize..5_000,
        steps in proptest::collection::vec(
            (proptest::collection::vec(0usize..8_000, 0..400), proptest::collection::vec(0usize..8_000, 0..1_500), 1usize..4),
            1..6,
        ),
    ) {
        let limits = Limits { max_credentials: usize::MAX, ..Limits::default() };
        let builder = Authorizer::builder().limits(limits);
        let mut list: Vec<CredentialDef> = (0..size).map(|i| cheap(i, 0)).collect();
        let mut store = builder.compile(&Document::new(list.clone())).unwrap();
        for (put, remove, variant) in steps {
            let held: std::collections::HashSet<String> = list.iter().map(|c| c.name.clone()).collect();
            let mut named = std::collections::HashSet::new();
            let remove: Vec<String> = remove
                .into_iter()
                .map(|i| format!("svc-{i}"))
                .filter(|n| held.contains(n) && named.insert(n.clone()))
                .collect();
            let put: Vec<CredentialDef> = put
                .into_iter()
                .filter(|i| named.insert(format!("svc-{i}")))
                .map(|i| cheap(i, variant))
                .collect();
            if remove.len() >= list.len() {
                continue;
            }
            let step = Step { put: put.clone(), remove: remove.clone() };
            let update = remove.iter().fold(Update::new().put_all(put), |u, n| u.remove(n.clone()));
            store = builder.update(&store, &update).unwrap();
            list = apply_to_list(&list, &step).unwrap();
            let listed: Vec<&str> = list.iter().map(|c| c.name.as_str()).collect();
            prop_assert_eq!(names(&store), listed);
            let now = fgac::Timestamp::from_unix_seconds(1_000);
            for def in &list {
                let c = store.credential(&def.name).unwrap();
                prop_assert_eq!(c.name(), def.name.as_str());
                let cache = def.name.replace("svc-", "c");
                let want = format!("{}x", match &def.permissions {
                    fgac::model::Permissions::Explicit(g) => match &g[0].resource {
                        fgac::model::ResourceSelector::Items(fgac::model::ItemSelector::Prefix(p)) => String::from_utf8(p.clone()).unwrap(),
                        _ => unreachable!(),
                    },
                    _ => unreachable!(),
                });
                prop_assert!(c.authorize(fgac::Operation::Get, fgac::Resource::item(&cache, want.as_bytes()), now).is_allowed());
                prop_assert!(!c.authorize(fgac::Operation::Get, fgac::Resource::item(&cache, b"other"), now).is_allowed());
            }
            for gone in &remove {
                prop_assert!(store.credential(gone).is_none());
            }
        }
    }
}

#[test]
fn an_update_names_what_contradicts_the_store() {
    let base = Authorizer::from_source(
        r#"key "billing" { expires never  allow readonly cache "c" }
           key "ops" { expires never  allow readwrite cache "c" }"#,
    )
    .unwrap();
    let put = |text: &str| fgac::syntax::parse(text).unwrap().credentials.remove(0);
    let err = Authorizer::builder()
        .update(&base, &Update::new().remove("biling"))
        .unwrap_err();
    let d = &err.diagnostics()[0];
    assert_eq!(
        d.message,
        "the update removes credential `biling`, which the store does not hold"
    );
    assert_eq!(d.help.as_deref(), Some("did you mean `billing`?"));
    let ops = put(r#"key "ops" { expires never  allow readonly cache "c" }"#);
    let err = Authorizer::builder()
        .update(&base, &Update::new().put(ops.clone()).remove("ops"))
        .unwrap_err();
    assert_eq!(
        err.diagnostics()[0].message,
        "the update both removes and puts credential `ops`"
    );
    let err = Authorizer::builder()
        .update(&base, &Update::new().remove("ops").remove("billing"))
        .unwrap_err();
    assert_eq!(
        err.diagnostics()[0].message,
        "the update leaves the store with no credentials"
    );
    // A credential put that does not validate is refused with its own problem and span.
    let bad = put(r#"token "ops" { expires never  allow readonly cache "c" }"#);
    let err = Authorizer::builder()
        .update(&base, &Update::new().put(bad))
        .unwrap_err();
    assert_eq!(err.diagnostics()[0].kind, ErrorKind::TokenWithoutExpiry);
    // The base is unchanged by every refusal, and by a success.
    let next = Authorizer::builder()
        .update(&base, &Update::new().put(ops))
        .unwrap();
    assert!(next.shares(&base, "billing") && !next.shares(&base, "ops"));
    assert_eq!(names(&base), ["billing", "ops"]);
    assert_eq!(names(&next), ["billing", "ops"]);
}
