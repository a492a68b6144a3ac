//! A key ring's document changed by updates withdraws exactly the sessions that replacing its
//! trust with the final document, compiled at once, withdraws: those of keys whose credential
//! changed or went; every other session stays valid and decides as before.

mod common;

use common::signed::{now, peer, signer};
use fgac::credentials::{Keyring, MintOptions, Session, Trust, sign_reference};
use fgac::model::{CredentialDef, Document, Expiry};
use fgac::{Authorizer, Limits, Operation, Resource, Update};
use proptest::prelude::*;

const POOL: usize = 6;

fn name(i: usize) -> String {
    format!("k{i}")
}

/// The credential `i` in `variant`: variants differ in the item prefix they allow.
fn def(i: usize, variant: usize) -> CredentialDef {
    let text = format!(
        r#"key "k{i}" {{ expires never  allow readwrite cache "c" items prefix "v{variant}:" }}"#
    );
    fgac::syntax::parse(&text).unwrap().credentials.remove(0)
}

fn trust_of(list: &[CredentialDef]) -> Trust {
    let text =
        fgac::syntax::to_string(&Document::new(list.to_vec()), fgac::syntax::Format::Dsl).unwrap();
    let compiled = Authorizer::builder().read(text.as_bytes()).unwrap();
    Trust::builder()
        .key(signer().public_key())
        .document(compiled)
        .build()
        .unwrap()
}

fn key(i: usize) -> String {
    sign_reference(
        &name(i),
        Expiry::Never,
        &signer(),
        &MintOptions::default(),
        now(),
        &Limits::default(),
    )
    .unwrap()
}

/// What a session decides on each variant's items.
fn decisions(s: &Session) -> Vec<bool> {
    (0..4)
        .map(|v| {
            let item = format!("v{v}:x");
            s.authorize(Operation::Set, Resource::item("c", item.as_bytes()), now())
                .is_allowed()
        })
        .collect()
}

/// One update: (name, variant) pairs to put, names to remove.
fn step() -> impl Strategy<Value = (Vec<(usize, usize)>, Vec<usize>)> {
    (
        proptest::collection::vec((0..POOL, 0usize..3), 0..3),
        proptest::collection::vec(0..POOL, 0..2),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn updates_withdraw_exactly_what_a_whole_replace_withdraws(
        base in proptest::collection::vec(0usize..3, 1..=POOL),
        steps in proptest::collection::vec(step(), 1..8),
    ) {
        let mut list: Vec<CredentialDef> = base.iter().enumerate().map(|(i, &v)| def(i, v)).collect();
        let updated = Keyring::new(trust_of(&list)).unwrap();
        let replaced = Keyring::new(trust_of(&list)).unwrap();
        let keys: Vec<String> = (0..POOL).map(key).collect();
        // Sessions from every step so far, on both rings.
        let mut sessions: Vec<(usize, Session, Session)> = Vec::new();
        let open = |list: &[CredentialDef], sessions: &mut Vec<(usize, Session, Session)>| {
            for c in list {
                let i: usize = c.name[1..].parse().unwrap();
                let a = updated.resolve(&keys[i], peer(), now()).unwrap();
                let b = replaced.resolve(&keys[i], peer(), now()).unwrap();
                sessions.push((i, a, b));
            }
        };
        open(&list, &mut sessions);
        for (put, remove) in steps {
            // Only updates that agree with the document (what the engine's own property covers
            // otherwise).
            let mut named: Vec<usize> = remove.clone();
            named.extend(put.iter().map(|(i, _)| *i));
            let mut distinct = named.clone();
            distinct.sort_unstable();
            distinct.dedup();
            let held = |i: &usize| list.iter().any(|c| c.name == name(*i));
            if distinct.len() != named.len() || !remove.iter().all(held) {
                continue;
            }
            let mut next: Vec<CredentialDef> =
                list.iter().filter(|c| !remove.iter().any(|&i| c.name == name(i))).cloned().collect();
            for &(i, v) in &put {
                match next.iter_mut().find(|c| c.name == name(i)) {
                    Some(c) => *c = def(i, v),
                    None => next.push(def(i, v)),
                }
            }
            if next.is_empty() {
                continue;
            }
            let update = remove.iter().fold(
                Update::new().put_all(put.iter().map(|&(i, v)| def(i, v))),
                |u, &i| u.remove(name(i)),
            );
            updated.update_document(&update).unwrap();
            replaced.replace(trust_of(&next)).unwrap();
            list = next;
            for (i, a, b) in &sessions {
                prop_assert_eq!(a.is_live(), b.is_live(), "k{}", i);
                prop_assert_eq!(decisions(a), decisions(b), "k{}", i);
            }
            // A key of a credential now held resolves alike on both; one gone is refused alike.
            for (i, key) in keys.iter().enumerate() {
                let a = updated.resolve(key, peer(), now()).map(|s| decisions(&s));
                let b = replaced.resolve(key, peer(), now()).map(|s| decisions(&s));
                prop_assert_eq!(a, b, "k{}", i);
            }
            open(&list, &mut sessions);
        }
    }
}

#[test]
fn an_update_keeps_sessions_of_credentials_put_again_unchanged() {
    let list = vec![def(0, 0), def(1, 0)];
    let ring = Keyring::new(trust_of(&list)).unwrap();
    let (k0, k1) = (key(0), key(1));
    let s0 = ring.resolve(&k0, peer(), now()).unwrap();
    let s1 = ring.resolve(&k1, peer(), now()).unwrap();
    ring.update_document(&Update::new().put(def(0, 0)).put(def(1, 2)))
        .unwrap();
    assert!(s0.is_live(), "put again unchanged: kept");
    assert!(!s1.is_live(), "changed: withdrawn");
    assert_eq!(ring.generation(), 1);
    // A refused update leaves the trust in force as it was.
    let err = ring
        .update_document(&Update::new().remove("k7"))
        .unwrap_err();
    assert!(err.to_string().contains("`k7`"), "{err}");
    assert_eq!(ring.generation(), 1);
    assert!(s0.is_live());
    let s1 = ring.resolve(&k1, peer(), now()).unwrap();
    assert_eq!(decisions(&s1), [false, false, true, false]);
}
