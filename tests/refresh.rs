//! The refresh rule (`Keyring::refresh`, which the Momento-compatible server's RefreshApiToken
//! calls): the three ways the security review got a working successor it should not have, and a
//! property over random parents, callers and keys: a successor is always within both the caller
//! and the refreshed key, never expires after the key's parent (nor, for another caller, after
//! the caller), and is revoked with the key.

mod common;

use common::signed::*;
use common::strategies::credential;
use fgac::analysis::{DeriveError, within};
use fgac::credentials::{Keyring, MintError, MintOptions, Revocation, Session, Trust, mint};
use fgac::model::{CredentialDef, CredentialKind, Expiry, Permissions};
use fgac::{AuthFailure, Authorizer, Limits, Operation, Resource, Timestamp};
use proptest::prelude::*;

/// A key ring that can mint (its store holds the signing key), and a super-user root to mint
/// the tests' parents and callers from.
fn minting_ring() -> Keyring {
    Keyring::new(
        Trust::builder()
            .key(signer().public_key())
            .signing_key(signer())
            .build()
            .unwrap(),
    )
    .unwrap()
}

fn root() -> fgac::Compiled {
    Authorizer::builder()
        .read(br#"key "root" { expires never  superuser }"#)
        .unwrap()
}

/// `def`, signed as if minted by an administrator from the super-user root, resolved.
fn signed(ring: &Keyring, def: &CredentialDef, now: Timestamp) -> Session {
    let root = root();
    let token = mint(
        root.authorizer().credential("root").unwrap(),
        def,
        &signer(),
        &MintOptions::default(),
        now,
        &Limits::default(),
    )
    .unwrap();
    ring.resolve(&token, peer_of(def), now).unwrap()
}

/// An address `def` may be used from.
fn peer_of(def: &CredentialDef) -> std::net::IpAddr {
    def.networks
        .first()
        .map_or("10.1.2.3".parse().unwrap(), |n| n.addr())
}

fn parse_one(text: &str) -> CredentialDef {
    fgac::syntax::parse(text).unwrap().credentials.remove(0)
}

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// (a) A key minted to expire with its parent, refreshed 5 s before the end for its own
/// lifetime, outlived the parent by almost that whole lifetime. Now it expires with the parent.
#[test]
fn a_successor_never_outlives_the_parent_of_the_refreshed_key() {
    let ring = minting_ring();
    let start = at("2026-11-26T00:00:00Z");
    let parent = signed(
        &ring,
        &parse_one(r#"key "p" { expires 2026-11-27T00:00:00Z  allow readwrite cache "app" }"#),
        start,
    );
    let key = ring
        .mint(
            &parent,
            &parse_one(r#"key "k" { expires 2026-11-27T00:00:00Z  allow readonly cache "app" }"#),
            start,
        )
        .unwrap();
    let now = at("2026-11-26T23:59:55Z");
    let k = ring
        .resolve(&key.credential, "10.1.2.3".parse().unwrap(), now)
        .unwrap();
    let lifetime = 86_400;
    let wanted = Expiry::At(now.saturating_add(lifetime));
    let next = ring
        .refresh(&k, &k, key.refresh_secret.as_deref().unwrap(), wanted, now)
        .unwrap();
    assert_eq!(next.expiry, Expiry::At(at("2026-11-27T00:00:00Z")));
    // Refreshed again from the successor: still bounded by the first parent.
    let s = ring
        .resolve(&next.credential, "10.1.2.3".parse().unwrap(), now)
        .unwrap();
    let again = ring
        .refresh(&s, &s, next.refresh_secret.as_deref().unwrap(), wanted, now)
        .unwrap();
    assert_eq!(again.expiry, Expiry::At(at("2026-11-27T00:00:00Z")));
    assert_eq!(again.id, format!("{}~2", key.id));
}

/// (b) A caller denied `cache "app" item "secret"` refreshed a wider key it never held, with the
/// key's id as the refresh token. Now the id is not the secret, and with the secret the
/// successor must still be within the caller.
#[test]
fn a_caller_cannot_refresh_its_way_to_rights_it_does_not_hold() {
    let ring = minting_ring();
    let now = at("2026-11-26T00:00:00Z");
    let admin = signed(
        &ring,
        &parse_one(r#"key "admin" { expires 2027-01-01T00:00:00Z  allow readwrite cache "app" }"#),
        now,
    );
    let wide = ring
        .mint(
            &admin,
            &parse_one(
                r#"key "wide" { expires 2026-12-01T00:00:00Z  allow readwrite cache "app" }"#,
            ),
            now,
        )
        .unwrap();
    let w = ring
        .resolve(&wide.credential, "10.1.2.3".parse().unwrap(), now)
        .unwrap();
    let narrow = signed(
        &ring,
        &parse_one(
            r#"key "narrow" {
                expires 2027-01-01T00:00:00Z
                allow readwrite cache "app"
                deny  readwrite cache "app" item "secret"
            }"#,
        ),
        now,
    );
    let later = Expiry::At(at("2026-12-20T00:00:00Z"));
    assert!(matches!(
        ring.refresh(&narrow, &w, &wide.id, later, now),
        Err(MintError::WrongRefreshSecret)
    ));
    let secret = wide.refresh_secret.as_deref().unwrap();
    match ring.refresh(&narrow, &w, secret, later, now) {
        Err(MintError::Mint(DeriveError::Exceeds(c))) => {
            assert_eq!(
                c.resource.as_resource(),
                Resource::item("app", b"secret"),
                "{c}"
            );
            assert!(
                !narrow
                    .authorize(c.op, c.resource.as_resource(), now)
                    .is_allowed()
            );
        }
        other => panic!("refreshed past the caller: {other:?}"),
    }
    // Within the caller, another caller may refresh the key, for no longer than it lives itself.
    let short = signed(
        &ring,
        &parse_one(r#"key "ops" { expires 2026-12-10T00:00:00Z  allow readwrite cache * }"#),
        now,
    );
    let done = ring.refresh(&short, &w, secret, later, now).unwrap();
    assert_eq!(done.expiry, Expiry::At(at("2026-12-10T00:00:00Z")));
}

/// (c) Revoking the original by id left the successor allowed. Now a revocation covers the
/// later generations and everything minted from them, in this key ring and in any other that
/// applies the revocation.
#[test]
fn revoking_a_key_revokes_its_successors_and_what_they_minted() {
    let ring = minting_ring();
    let now = at("2026-11-26T00:00:00Z");
    let peer = "10.1.2.3".parse().unwrap();
    let admin = signed(
        &ring,
        &parse_one(r#"key "admin" { expires never  allow readwrite cache "app" }"#),
        now,
    );
    let key = ring
        .mint(
            &admin,
            &parse_one(r#"key "k" { expires 2026-12-01T00:00:00Z  allow readwrite cache "app" }"#),
            now,
        )
        .unwrap();
    let k = ring.resolve(&key.credential, peer, now).unwrap();
    let later = Expiry::At(at("2026-12-20T00:00:00Z"));
    let next = ring
        .refresh(&k, &k, key.refresh_secret.as_deref().unwrap(), later, now)
        .unwrap();
    let n = ring.resolve(&next.credential, peer, now).unwrap();
    let token = ring
        .mint(
            &n,
            &parse_one(r#"token "t" { expires 2026-11-26T01:00:00Z  allow readonly cache "app" }"#),
            now,
        )
        .unwrap();
    let t = ring.resolve(&token.credential, peer, now).unwrap();
    assert_eq!(
        t.lineage().collect::<Vec<_>>(),
        [admin.id(), next.id.as_str()]
    );
    let revoked = ring
        .revoke(Revocation::Credential(key.id.clone()), now)
        .unwrap();
    assert_eq!(revoked.withdrawn, 3, "the key, its successor and the token");
    for s in [&k, &n, &t] {
        assert!(!s.is_live());
    }
    // Another key ring, told only of the revocation, refuses all three from their ids alone.
    let other = minting_ring();
    other
        .revoke(Revocation::Credential(key.id.clone()), now)
        .unwrap();
    for c in [&key.credential, &next.credential, &token.credential] {
        assert_eq!(
            other.resolve(c, peer, now).unwrap_err(),
            AuthFailure::Revoked
        );
    }
    // Revoking a later generation leaves the earlier one, and cuts the line from there on: a
    // new refresh of the earlier one is the revoked generation again.
    let ring = minting_ring();
    let key = ring
        .mint(
            &signed(
                &ring,
                &parse_one(r#"key "admin" { expires never  allow readwrite cache "app" }"#),
                now,
            ),
            &parse_one(r#"key "k" { expires 2026-12-01T00:00:00Z  allow readwrite cache "app" }"#),
            now,
        )
        .unwrap();
    let k = ring.resolve(&key.credential, peer, now).unwrap();
    let secret = key.refresh_secret.as_deref().unwrap();
    let first = ring.refresh(&k, &k, secret, later, now).unwrap();
    ring.revoke(Revocation::Credential(first.id.clone()), now)
        .unwrap();
    assert!(k.is_live());
    let again = ring.refresh(&k, &k, secret, later, now).unwrap();
    assert_eq!(again.id, first.id);
    assert_eq!(
        ring.resolve(&again.credential, peer, now).unwrap_err(),
        AuthFailure::Revoked
    );
}

#[test]
fn what_cannot_be_refreshed_is_refused_by_name() {
    let ring = minting_ring();
    let now = at("2026-11-26T00:00:00Z");
    let later = Expiry::At(at("2026-12-20T00:00:00Z"));
    // A key an administrator signed directly has no refresh secret.
    let admin = signed(
        &ring,
        &parse_one(r#"key "admin" { expires never  allow readwrite cache "app" }"#),
        now,
    );
    assert!(matches!(
        ring.refresh(&admin, &admin, "anything", later, now),
        Err(MintError::NotRefreshable)
    ));
    // A token minted by the ring.
    let token = ring
        .mint(
            &admin,
            &parse_one(r#"token "t" { expires 2026-11-26T01:00:00Z  allow readonly cache "app" }"#),
            now,
        )
        .unwrap();
    assert!(token.refresh_secret.is_none());
    let t = ring
        .resolve(&token.credential, "10.1.2.3".parse().unwrap(), now)
        .unwrap();
    assert!(matches!(
        ring.refresh(&t, &t, "anything", later, now),
        Err(MintError::NotAnApiKey)
    ));
    // A chosen id cannot look like a generation.
    let root = root();
    let chosen = mint(
        root.authorizer().credential("root").unwrap(),
        &parse_one(r#"key "k" { expires never  allow readonly cache "app" }"#),
        &signer(),
        &MintOptions {
            id: Some("victim~1".into()),
            ..MintOptions::default()
        },
        now,
        &Limits::default(),
    );
    assert!(matches!(chosen, Err(MintError::BadId(_))));
}

/// A parent, a key minted from it (half the time with the parent's own permissions, so that most
/// cases mint), a caller (the key itself, or another credential), and the expiry asked for.
fn case() -> impl Strategy<Value = (CredentialDef, CredentialDef, Option<CredentialDef>, Expiry)> {
    let key = |d: CredentialDef| {
        let mut c = d;
        c.kind = CredentialKind::ApiKey;
        c.token_id = None;
        c
    };
    let explicit = |d: &CredentialDef| matches!(d.permissions, Permissions::Explicit(_));
    (
        credential("p".into()).prop_filter("a parent that can be minted", explicit),
        credential("k".into()).prop_filter("explicit", explicit),
        any::<bool>(),
        prop_oneof![
            1 => Just(None),
            2 => credential("c".into()).prop_filter("explicit", explicit).prop_map(Some),
        ],
        prop_oneof![1 => Just(Expiry::Never), 3 => (801u64..1300).prop_map(|t| Expiry::At(Timestamp::from_unix_seconds(t)))],
    )
        .prop_map(move |(p, k, same, caller, wanted)| {
            let p = key(p);
            let mut k = key(k);
            if same {
                k.permissions = p.permissions.clone();
                k.account = p.account;
                k.networks = p.networks.clone();
            }
            k.expiry = k.expiry.earlier(p.expiry);
            (p, k, caller, wanted)
        })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: if cfg!(debug_assertions) { 96 } else { 2_000 },
        ..ProptestConfig::default()
    })]

    #[test]
    fn a_successor_is_within_the_caller_and_the_key_and_dies_with_the_key(
        (p, k, c, wanted) in case()
    ) {
        let now = Timestamp::from_unix_seconds(800);
        let ring = minting_ring();
        let parent = signed(&ring, &p, now);
        let Ok(minted) = ring.mint(&parent, &k, now) else {
            // Not within the parent: nothing to refresh (minting's own tests cover that).
            return Ok(());
        };
        let peer = peer_of(&k);
        let Ok(key) = ring.resolve(&minted.credential, peer, now) else {
            return Ok(());
        };
        let caller = match &c {
            Some(def) => signed(&ring, def, now),
            None => key.clone(),
        };
        let secret = minted.refresh_secret.clone().unwrap();
        match ring.refresh(&caller, &key, &secret, wanted, now) {
            Ok(next) => {
                let s = ring.resolve(&next.credential, peer, now).expect("a successor resolves");
                prop_assert!(within(s.credential(), caller.credential(), now).is_ok());
                prop_assert!(within(s.credential(), key.credential(), now).is_ok());
                prop_assert!(next.expiry.is_within(p.expiry), "outlives the key's parent");
                prop_assert!(next.expiry.is_within(wanted));
                if c.is_some() {
                    prop_assert!(next.expiry.is_within(caller.credential().expiry()));
                }
                ring.revoke(Revocation::Credential(key.id().to_owned()), now).unwrap();
                prop_assert!(!s.is_live());
                prop_assert_eq!(
                    ring.resolve(&next.credential, peer, now).unwrap_err(),
                    AuthFailure::Revoked
                );
            }
            Err(MintError::Mint(DeriveError::Exceeds(ce))) => {
                // A real request: the key is allowed it, the caller is not.
                let r = ce.resource.as_resource();
                prop_assert!(key.authorize(ce.op, r, now).is_allowed());
                prop_assert!(!caller.authorize(ce.op, r, now).is_allowed());
            }
            Err(MintError::Mint(DeriveError::Network { address })) => {
                prop_assert!(key.credential().allows_peer(address));
                prop_assert!(!caller.credential().allows_peer(address));
            }
            Err(MintError::Mint(DeriveError::AlreadyExpired { expiry, .. })) => {
                prop_assert!(expiry <= now);
            }
            Err(e) => prop_assert!(false, "unexpected refusal: {e}"),
        }
    }
}

#[test]
fn a_successor_decides_as_the_key_does() {
    let ring = minting_ring();
    let now = at("2026-11-26T00:00:00Z");
    let admin = signed(
        &ring,
        &parse_one(r#"key "admin" { expires never  allow readwrite cache "app" }"#),
        now,
    );
    let key = ring
        .mint(
            &admin,
            &parse_one(
                r#"key "k" {
                    expires 2026-12-01T00:00:00Z
                    allow readwrite cache "app" items prefix "u:"
                    deny  readwrite cache "app" item "u:admin"
                }"#,
            ),
            now,
        )
        .unwrap();
    let peer = "10.1.2.3".parse().unwrap();
    let k = ring.resolve(&key.credential, peer, now).unwrap();
    let next = ring
        .refresh(
            &k,
            &k,
            key.refresh_secret.as_deref().unwrap(),
            Expiry::Never,
            now,
        )
        .unwrap();
    let n = ring.resolve(&next.credential, peer, now).unwrap();
    for (op, item) in [
        (Operation::Get, &b"u:1"[..]),
        (Operation::Set, b"u:admin"),
        (Operation::Get, b"other"),
    ] {
        assert_eq!(
            n.authorize(op, Resource::item("app", item), now),
            k.authorize(op, Resource::item("app", item), now)
        );
    }
    assert_eq!(next.expiry, Expiry::Never, "the admin never expires");
}
