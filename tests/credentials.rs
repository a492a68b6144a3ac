//! Signed credentials and the key ring: every way to tamper with a credential is refused with its
//! reason; minting then resolving decides exactly as the document would; revocations and store
//! swaps under load; revocations that survive `kill -9`; reloads that keep the last good store.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::signed::*;
use fgac::credentials::{
    Keyring, MintOptions, Revocation, RevocationLog, SigningKey, Trust, mint, sign_reference,
};
use fgac::model::{CredentialDef, CredentialKind, Document, Expiry, Permissions};
use fgac::{AuthFailure, Authorizer, Decision, DenyReason, Limits, Operation, Resource, Timestamp};
use proptest::prelude::*;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

#[test]
fn every_tampering_class_is_refused_with_its_reason() {
    let ring = ring_with(|b| b);
    let good = forge(HEADER, &token_claims("t1", READ_C), &SECRET);
    let session = resolve(&ring, &good).expect("the untampered token resolves");
    assert!(
        session
            .authorize(Operation::Get, Resource::item("c", b"k"), now())
            .is_allowed()
    );
    let refused = |token: &str| resolve(&ring, token).map(|_| ()).unwrap_err();

    // A flipped bit anywhere in the signature, or in the signed claims.
    let (signed, sig) = good.rsplit_once('.').unwrap();
    let mut raw = URL_SAFE_NO_PAD.decode(sig).unwrap();
    raw[17] ^= 0x01;
    assert_eq!(
        refused(&format!("{signed}.{}", b64(&raw))),
        AuthFailure::BadSignature
    );
    let altered = forge(HEADER, &token_claims("t1", READ_C), &SECRET).replacen(
        &b64(token_claims("t1", READ_C).as_bytes()),
        &b64(token_claims("t1", r#"{"role":"readwrite","cache":"c"}"#).as_bytes()),
        1,
    );
    assert_eq!(refused(&altered), AuthFailure::BadSignature);

    // `alg: none`, and HS256 keyed with the public key (the classic confusion): a valid MAC.
    let none = format!(
        "{}.{}.",
        b64(br#"{"alg":"none","kid":"k1"}"#),
        b64(token_claims("t2", READ_C).as_bytes())
    );
    assert_eq!(refused(&none), AuthFailure::UnsupportedAlgorithm);
    let hs_input = format!(
        "{}.{}",
        b64(br#"{"alg":"HS256","kid":"k1","typ":"JWT"}"#),
        b64(token_claims("t3", r#"{"role":"readwrite","cache":"*"}"#).as_bytes())
    );
    let public = ed25519_dalek::SigningKey::from_bytes(&SECRET)
        .verifying_key()
        .to_bytes();
    let mac = {
        use hmac::{KeyInit, Mac};
        let mut m = hmac::Hmac::<sha2::Sha256>::new_from_slice(&public).unwrap();
        m.update(hs_input.as_bytes());
        m.finalize().into_bytes()
    };
    assert_eq!(
        refused(&format!("{hs_input}.{}", b64(&mac))),
        AuthFailure::UnsupportedAlgorithm
    );

    // Unknown and retired keys: refused before any signature is checked.
    let other = forge(
        r#"{"alg":"EdDSA","kid":"k9"}"#,
        &token_claims("t4", READ_C),
        &[9; 32],
    );
    assert_eq!(refused(&other), AuthFailure::UnknownKey);
    let retired = ring_with(|_| Trust::builder().retired_key(signer().public_key()));
    assert_eq!(
        resolve(&retired, &good).unwrap_err(),
        AuthFailure::RetiredKey
    );
    // Right kid, wrong key.
    let impostor = forge(HEADER, &token_claims("t5", READ_C), &[9; 32]);
    assert_eq!(refused(&impostor), AuthFailure::BadSignature);

    // Expired, and not yet valid (by `nbf` or by a future `iat`), with and without leeway.
    let expired = forge(
        HEADER,
        &token_claims("t6", READ_C).replace(
            &format!("\"exp\":{}", NOW + 3600),
            &format!("\"exp\":{NOW}"),
        ),
        &SECRET,
    );
    assert_eq!(refused(&expired), AuthFailure::Expired);
    let later = |claims: String| forge(HEADER, &claims, &SECRET);
    let nbf = later(
        token_claims("t7", READ_C).replace("\"kind\"", &format!("\"nbf\":{},\"kind\"", NOW + 60)),
    );
    assert_eq!(refused(&nbf), AuthFailure::NotYetValid);
    let iat = later(
        token_claims("t8", READ_C)
            .replace(&format!("\"iat\":{NOW}"), &format!("\"iat\":{}", NOW + 60)),
    );
    assert_eq!(refused(&iat), AuthFailure::NotYetValid);
    let lenient = ring_with(|b| b.leeway_seconds(60));
    assert!(resolve(&lenient, &nbf).is_ok() && resolve(&lenient, &iat).is_ok());
    assert!(
        resolve(&ring, &nbf).is_err(),
        "a rejection is not cached as a success"
    );
    // A token without `exp` is refused (a token must expire); an API key may leave it out.
    let endless =
        later(token_claims("t9", READ_C).replace(&format!(",\"exp\":{}", NOW + 3600), ""));
    assert_eq!(refused(&endless), AuthFailure::InvalidClaims);

    // Oversized: refused on its length alone.
    let huge = later(token_claims("t10", READ_C).replace(
        "\"sub\"",
        &format!("\"iss\":\"{}\",\"sub\"", "x".repeat(70_000)),
    ));
    assert_eq!(refused(&huge), AuthFailure::Oversized);

    // Valid signatures over claims that are not a valid token.
    let twenty_one: Vec<String> = (0..21)
        .map(|i| format!(r#"{{"role":"readonly","cache":"c{i}"}}"#))
        .collect();
    assert_eq!(
        refused(&later(token_claims("t11", &twenty_one.join(",")))),
        AuthFailure::InvalidClaims
    );
    let root = later(format!(
        r#"{{"sub":"t","jti":"t12","iat":{NOW},"exp":{},"kind":"token","super_user":true}}"#,
        NOW + 60
    ));
    assert_eq!(refused(&root), AuthFailure::InvalidClaims);
    let twice = later(token_claims("t13", READ_C).replace(
        "\"kind\":\"token\"",
        "\"kind\":\"token\",\"kind\":\"api_key\"",
    ));
    assert_eq!(refused(&twice), AuthFailure::InvalidClaims);
    let unknown = later(token_claims("t14", READ_C).replace("\"kind\"", "\"admin\":true,\"kind\""));
    assert_eq!(refused(&unknown), AuthFailure::InvalidClaims);
    let null = later(token_claims("t15", READ_C).replace("\"kind\"", "\"nbf\":null,\"kind\""));
    assert_eq!(refused(&null), AuthFailure::InvalidClaims);

    // Issuers, when the store requires one.
    let strict = ring_with(|b| b.issuer("auth.example"));
    let with_iss = |iss: &str, id: &str| {
        later(token_claims(id, READ_C).replace("\"sub\"", &format!("\"iss\":\"{iss}\",\"sub\"")))
    };
    assert!(resolve(&strict, &with_iss("auth.example", "t16")).is_ok());
    assert_eq!(
        resolve(&strict, &with_iss("evil.example", "t17")).unwrap_err(),
        AuthFailure::WrongIssuer
    );
    assert_eq!(
        resolve(&strict, &good).unwrap_err(),
        AuthFailure::WrongIssuer
    );

    // Networks, checked for the peer on every resolution (IPv4-mapped peers as IPv4).
    let fenced = later(token_claims("t18", READ_C).replace(
        "\"permissions\"",
        "\"networks\":[\"10.0.0.0/8\"],\"permissions\"",
    ));
    assert!(
        ring.resolve(&fenced, "::ffff:10.9.9.9".parse().unwrap(), now())
            .is_ok()
    );
    assert_eq!(
        ring.resolve(&fenced, "192.0.2.1".parse().unwrap(), now())
            .unwrap_err(),
        AuthFailure::NetworkNotAllowed
    );

    // Keys that refer to a document credential that is not there.
    assert_eq!(
        refused(&later(format!(
            r#"{{"sub":"ghost","jti":"t19","iat":{NOW},"kind":"api_key"}}"#
        ))),
        AuthFailure::UnknownCredential
    );

    // Not a credential at all.
    for junk in [
        "",
        "...",
        "a.b.c",
        "Bearer x",
        &good[..good.len() - 1],
        &format!("{good}.x"),
    ] {
        assert_eq!(refused(junk), AuthFailure::Malformed, "{junk}");
    }

    // Revoked after it was cached: the live session's next decision is a deny, and so is every
    // later resolution; revoking the key refuses everything it signed.
    ring.revoke(Revocation::Credential("t1".into()), now())
        .unwrap();
    assert_eq!(
        session.authorize(Operation::Get, Resource::item("c", b"k"), now()),
        Decision::Deny(DenyReason::Unauthenticated(AuthFailure::Revoked))
    );
    assert_eq!(refused(&good), AuthFailure::Revoked);
    let other_token = resolve(&ring, &fenced).unwrap();
    ring.revoke(Revocation::Key("k1".into()), now()).unwrap();
    assert!(!other_token.is_live());
    assert_eq!(
        refused(&later(token_claims("t20", READ_C))),
        AuthFailure::Revoked
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Any one byte of a valid token changed, or the token cut short, is refused: nothing but the
    /// exact signed text resolves.
    #[test]
    fn every_altered_byte_is_refused(at in any::<prop::sample::Index>(), byte in any::<u8>(), cut in any::<bool>()) {
        let ring = ring_with(|b| b);
        let good = forge(HEADER, &token_claims("p1", READ_C), &SECRET);
        let i = at.index(good.len());
        let altered = if cut {
            good.as_bytes()[..i].to_vec()
        } else {
            let mut b = good.clone().into_bytes();
            prop_assume!(b[i] != byte);
            b[i] = byte;
            b
        };
        if let Ok(text) = String::from_utf8(altered) {
            prop_assert!(resolve(&ring, &text).is_err(), "{text}");
        }
    }

    /// For random permission sets: minted, then resolved, a token decides exactly as the same
    /// permissions compiled as a document.
    #[test]
    fn minted_tokens_decide_as_their_document(
        grants in proptest::collection::vec(common::strategies::grant(), 1..=20),
        networks in proptest::collection::vec(common::strategies::network(), 0..2),
    ) {
        let mut seen = std::collections::HashSet::new();
        let grants: Vec<_> = grants
            .into_iter()
            .filter(|g| seen.insert((g.effect, g.cache.clone(), g.resource.clone())))
            .collect();
        let mut networks = networks;
        networks.sort();
        networks.dedup();
        let def = {
let mut c = CredentialDef::new("t", CredentialKind::Token, Expiry::At(Timestamp::from_unix_seconds(NOW + 600)), Permissions::Explicit(grants));
c.token_id = Some("user-1".into());
c.networks = networks.clone();
c
};
        let root = Authorizer::from_source(r#"key "root" { expires never  superuser }"#).unwrap();
        let token = mint(root.credential("root").unwrap(), &def, &signer(), &MintOptions::default(), now(), &Limits::default()).unwrap();
        let ring = ring_with(|b| b);
        let peer = networks.first().map_or(peer(), |n| n.addr());
        let session = ring.resolve(&token, peer, now()).unwrap();
        let doc = Authorizer::compile(&Document::new(vec![def])).unwrap();
        let expected = doc.credential("t").unwrap();
        prop_assert_eq!(session.credential().networks(), expected.networks());
        prop_assert_eq!(session.credential().token_id(), Some("user-1"));
        for at in [NOW, NOW + 599, NOW + 600] {
            let at = Timestamp::from_unix_seconds(at);
            for cache in ["", "a", "ab", "b", "ba", "abc"] {
                for key in [&b""[..], b"a", b"ab", b"b\xff", b"aab", b"ba"] {
                    for op in [Operation::Get, Operation::Set, Operation::Increment, Operation::DeleteCache] {
                        let r = Resource::item(cache, key);
                        prop_assert_eq!(session.authorize(op, r, at), expected.authorize(op, r, at), "{} {}", op, r);
                    }
                }
                for topic in ["", "a", "ab", "b"] {
                    for op in [Operation::Publish, Operation::Subscribe] {
                        let r = Resource::topic(cache, topic);
                        prop_assert_eq!(session.authorize(op, r, at), expected.authorize(op, r, at), "{} {}", op, r);
                    }
                }
            }
        }
    }
}

/// A document of one API key, `svc`, that may read and write the cache `cache`.
fn svc_document(cache: &str) -> fgac::Compiled {
    Authorizer::builder()
        .read(
            format!(r#"key "svc" {{ expires never  allow readwrite cache "{cache}" }}"#).as_bytes(),
        )
        .unwrap()
}

/// An API key that refers to the document's `svc`, expiring at `expires`.
fn svc_key(expires: Expiry) -> String {
    sign_reference(
        "svc",
        expires,
        &signer(),
        &MintOptions::default(),
        now(),
        &Limits::default(),
    )
    .unwrap()
}

#[test]
fn keys_that_refer_to_the_document_follow_it() {
    let doc = svc_document;
    let store = |cache: &str| {
        Trust::builder()
            .key(signer().public_key())
            .document(doc(cache))
            .build()
            .unwrap()
    };
    let ring = Keyring::new(store("a")).unwrap();
    let expires = Expiry::At(Timestamp::from_unix_seconds(NOW + 100));
    let key = svc_key(expires);
    let session = resolve(&ring, &key).unwrap();
    assert!(session.is_reference());
    assert!(
        session
            .authorize(Operation::Set, Resource::item("a", b"k"), now())
            .is_allowed()
    );
    // Expires with the key, though the document's credential never does.
    assert_eq!(session.credential().expiry(), expires);
    // The document changes: live sessions of that credential are withdrawn; resolving again
    // gives the new permissions. A change elsewhere in the document withdraws nothing.
    ring.replace(store("b")).unwrap();
    assert!(!session.is_live());
    let again = resolve(&ring, &key).unwrap();
    assert!(
        again
            .authorize(Operation::Set, Resource::item("b", b"k"), now())
            .is_allowed()
    );
    assert!(
        !again
            .authorize(Operation::Set, Resource::item("a", b"k"), now())
            .is_allowed()
    );
    let with_more = Authorizer::builder()
        .read(
            br#"key "svc" { expires never  allow readwrite cache "b" }
                  key "other" { expires never  allow readonly cache "x" }"#,
        )
        .unwrap();
    ring.replace(
        Trust::builder()
            .key(signer().public_key())
            .document(with_more)
            .build()
            .unwrap(),
    )
    .unwrap();
    assert!(again.is_live(), "svc did not change");
}

#[test]
fn rotation_refreshes_keys_and_retires_signing_keys() {
    let old_signer = signer();
    let new_signer = SigningKey::from_secret_bytes("k2", &[8; 32]).unwrap();
    let store = |retire_old: bool| {
        let b = Trust::builder()
            .signing_key(old_signer.clone())
            .signing_key(new_signer.clone())
            .key(new_signer.public_key());
        let b = if retire_old {
            b.retired_key(old_signer.public_key())
        } else {
            b.key(old_signer.public_key())
        };
        b.issuer("auth.example").build().unwrap()
    };
    let ring = Keyring::new(store(false)).unwrap();
    assert_eq!(
        ring.trust().signer().map(|s| s.kid()),
        Some("k2"),
        "the newest signs"
    );

    // An API key minted (by a parent signed with the old signing key) and refreshed with a
    // later expiry (RefreshApiToken): with its refresh secret, as the next generation.
    let parent_claims = format!(
        r#"{{"iss":"auth.example","sub":"svc","jti":"parent","iat":{NOW},"exp":{},"kind":"api_key","permissions":[{READ_C}]}}"#,
        NOW + 30 * 86_400
    );
    let parent = resolve(&ring, &forge(HEADER, &parent_claims, &SECRET)).unwrap();
    let wanted = fgac::syntax::parse(
        r#"key "app" { expires 2026-11-26T00:01:40Z  allow readonly cache "c" }"#,
    )
    .unwrap();
    let minted = ring.mint(&parent, &wanted.credentials[0], now()).unwrap();
    let secret = minted
        .refresh_secret
        .clone()
        .expect("an API key is refreshable");
    let old = resolve(&ring, &minted.credential).unwrap();
    assert_eq!(old.lineage().collect::<Vec<_>>(), ["parent"]);
    let later = Expiry::At(Timestamp::from_unix_seconds(NOW + 86_400));
    let successor = ring.refresh(&old, &old, &secret, later, now()).unwrap();
    assert_eq!(successor.id, format!("{}~1", old.id()));
    let new = resolve(&ring, &successor.credential).unwrap();
    assert_eq!((new.kid(), new.credential().expiry()), ("k2", later));
    assert!(
        new.authorize(Operation::Get, Resource::item("c", b"k"), now())
            .is_allowed()
    );
    assert!(
        old.is_live(),
        "both are valid until the old one expires or is revoked"
    );
    let after = Timestamp::from_unix_seconds(NOW + 200);
    assert!(
        !old.authorize(Operation::Get, Resource::item("c", b"k"), after)
            .is_allowed()
    );
    assert!(
        new.authorize(Operation::Get, Resource::item("c", b"k"), after)
            .is_allowed()
    );
    // A disposable token is not refreshed; a revoked key is not either.
    let token = resolve(
        &ring,
        &forge(
            HEADER,
            &token_claims("tok", READ_C).replace("\"sub\"", "\"iss\":\"auth.example\",\"sub\""),
            &SECRET,
        ),
    )
    .unwrap();
    assert!(matches!(
        ring.refresh(&token, &token, &secret, later, now()),
        Err(fgac::credentials::MintError::NotAnApiKey)
    ));

    // Retiring the old signing key withdraws what it signed, live sessions included; what the
    // new one signed stays.
    let parent_key = forge(HEADER, &parent_claims, &SECRET);
    ring.replace(store(true)).unwrap();
    assert!(!parent.is_live() && !token.is_live());
    assert!(old.is_live() && new.is_live());
    assert_eq!(
        resolve(&ring, &parent_key).unwrap_err(),
        AuthFailure::RetiredKey
    );

    // Minting through the ring: within the parent, signed by the newest key, with the issuer.
    let wanted = fgac::syntax::parse(
        r#"token "b" { expires 2026-11-26T00:30:00Z  allow readonly cache "c" item "k" }"#,
    )
    .unwrap();
    let minted = ring.mint(&new, &wanted.credentials[0], now()).unwrap();
    let child = resolve(&ring, &minted.credential).unwrap();
    let too_much = fgac::syntax::parse(
        r#"token "b" { expires 2026-11-26T00:30:00Z  allow readwrite cache "c" }"#,
    )
    .unwrap();
    assert!(matches!(
        ring.mint(&new, &too_much.credentials[0], now()),
        Err(fgac::credentials::MintError::Mint(_))
    ));

    // Revoking the first key revokes its successor and what was minted from it, and a revoked
    // key is refreshed no more.
    ring.revoke(Revocation::Credential(old.id().to_owned()), now())
        .unwrap();
    assert!(!old.is_live() && !new.is_live() && !child.is_live());
    assert!(matches!(
        ring.refresh(&old, &old, &secret, later, now()),
        Err(fgac::credentials::MintError::NotValid(AuthFailure::Revoked))
    ));
}

/// Threads authorize in a loop while another swaps the store 1,000 times between two documents
/// and another revokes 200 tokens one by one: a session's decisions all come from one store
/// (never cache "a" from one and cache "b" from the other), and once a revocation returns, no
/// later request with that token is allowed. Bounded in count and in time.
#[test]
fn swaps_and_revocations_under_load() {
    let doc = svc_document;
    let a = Trust::builder()
        .key(signer().public_key())
        .document(doc("a"))
        .build()
        .unwrap();
    let b = Trust::builder()
        .key(signer().public_key())
        .document(doc("b"))
        .build()
        .unwrap();
    let ring = Arc::new(Keyring::new(a.clone()).unwrap());
    let reference = svc_key(Expiry::Never);
    const TOKENS: usize = 200;
    let tokens: Arc<Vec<String>> = Arc::new(
        (0..TOKENS)
            .map(|i| forge(HEADER, &token_claims(&format!("x{i}"), READ_C), &SECRET))
            .collect(),
    );
    let revoked_upto = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let deadline = Instant::now() + Duration::from_secs(60);

    let rounds = Arc::new(AtomicUsize::new(0));
    let swapper = {
        let (ring, rounds) = (Arc::clone(&ring), Arc::clone(&rounds));
        std::thread::spawn(move || {
            for i in 0..1000 {
                ring.replace(if i % 2 == 0 { b.clone() } else { a.clone() })
                    .unwrap();
                // Let the readers see each store: wait for a round of theirs (bounded).
                let seen = rounds.load(Ordering::SeqCst);
                while rounds.load(Ordering::SeqCst) == seen && Instant::now() < deadline {
                    std::thread::yield_now();
                }
            }
        })
    };
    let revoker = {
        let (ring, revoked_upto) = (Arc::clone(&ring), Arc::clone(&revoked_upto));
        std::thread::spawn(move || {
            for i in 0..TOKENS {
                ring.revoke(Revocation::Credential(format!("x{i}")), now())
                    .unwrap();
                revoked_upto.store(i + 1, Ordering::SeqCst);
                std::thread::sleep(Duration::from_micros(200));
            }
        })
    };
    let readers: Vec<_> = (0..2)
        .map(|seed| {
            let (ring, tokens, revoked_upto, done) = (
                Arc::clone(&ring),
                Arc::clone(&tokens),
                Arc::clone(&revoked_upto),
                Arc::clone(&done),
            );
            let rounds_done = Arc::clone(&rounds);
            let reference = reference.clone();
            std::thread::spawn(move || {
                let (mut saw_a, mut saw_b, mut rounds) = (0usize, 0usize, 0usize);
                let mut state = 0x9e37_79b9_u64 + seed;
                while !done.load(Ordering::SeqCst)
                    && rounds < 2_000_000
                    && Instant::now() < deadline
                {
                    rounds += 1;
                    rounds_done.fetch_add(1, Ordering::SeqCst);
                    if let Ok(s) = ring.resolve(&reference, peer(), now()) {
                        let on = |cache: &str| {
                            s.authorize(Operation::Get, Resource::item(cache, b"k"), now())
                        };
                        let (da, db) = (on("a"), on("b"));
                        for d in [da, db] {
                            assert!(
                                matches!(
                                    d,
                                    Decision::Allow
                                        | Decision::Deny(
                                            DenyReason::NoMatchingGrant
                                                | DenyReason::Unauthenticated(AuthFailure::Revoked)
                                        )
                                ),
                                "{d:?}"
                            );
                        }
                        assert!(
                            !(da.is_allowed() && db.is_allowed()),
                            "one session decided from two stores"
                        );
                        saw_a += usize::from(da.is_allowed());
                        saw_b += usize::from(db.is_allowed());
                    }
                    state = state
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    let j = (state >> 33) as usize % TOKENS;
                    let before = revoked_upto.load(Ordering::SeqCst);
                    match ring.resolve(&tokens[j], peer(), now()) {
                        Ok(s) => {
                            assert!(j >= before, "x{j} resolved after its revocation returned");
                            let before = revoked_upto.load(Ordering::SeqCst);
                            let d = s.authorize(Operation::Get, Resource::item("c", b"k"), now());
                            if j < before {
                                assert_eq!(
                                    d,
                                    Decision::Deny(DenyReason::Unauthenticated(
                                        AuthFailure::Revoked
                                    ))
                                );
                            }
                        }
                        Err(why) => assert_eq!(why, AuthFailure::Revoked),
                    }
                }
                (saw_a, saw_b, rounds)
            })
        })
        .collect();
    swapper.join().unwrap();
    revoker.join().unwrap();
    done.store(true, Ordering::SeqCst);
    let mut total = (0, 0, 0);
    for r in readers {
        let (a, b, n) = r.join().unwrap();
        total = (total.0 + a, total.1 + b, total.2 + n);
    }
    assert!(Instant::now() < deadline, "the load test ran out of time");
    println!(
        "{} rounds; cache a allowed {} times, cache b {}",
        total.2, total.0, total.1
    );
    assert!(
        total.0 > 0 && total.1 > 0,
        "the readers saw both stores: {total:?}"
    );
    for t in tokens.iter() {
        assert_eq!(resolve(&ring, t).unwrap_err(), AuthFailure::Revoked);
    }
}

/// The child of the durability test: revokes in a loop, printing each id once `revoke` has
/// returned. Run only by that test (it is ignored otherwise).
#[test]
#[ignore = "run by revocations_survive_sigkill as a child process"]
fn revoking_child() {
    let Ok(log) = std::env::var("FGAC_TEST_REVOCATION_LOG") else {
        return;
    };
    let round = std::env::var("FGAC_TEST_ROUND").unwrap_or_default();
    let store = Trust::builder()
        .key(signer().public_key())
        .revocation_log(&log)
        .build()
        .unwrap();
    let ring = Keyring::new(store).unwrap();
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    // The harness has printed `test revoking_child ... ` without a line break: end that line.
    writeln!(out).unwrap();
    for i in 0..100_000 {
        let id = format!("r{round}-{i}");
        ring.revoke(Revocation::Credential(id.clone()), now())
            .unwrap();
        writeln!(out, "done {id}").unwrap();
        out.flush().unwrap();
    }
}

/// A process revoking in a loop is killed with SIGKILL at pseudo-random moments, five times:
/// every revocation it reported done is in force when the log is opened again.
#[test]
fn revocations_survive_sigkill() {
    let dir = scratch("sigkill");
    let log = dir.join("revocations.log");
    RevocationLog::create(&log).unwrap();
    let mut acknowledged = Vec::new();
    let mut state = 0x5eed_u64;
    for round in 0..5 {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--ignored",
                "--exact",
                "revoking_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("FGAC_TEST_REVOCATION_LOG", &log)
            .env("FGAC_TEST_ROUND", round.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .filter_map(|l| l.strip_prefix("done ").map(str::to_owned))
                .collect::<Vec<String>>()
        });
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        std::thread::sleep(Duration::from_millis(150 + (state >> 33) % 400));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let done = reader.join().unwrap();
        println!(
            "round {round}: {} revocations acknowledged before the kill",
            done.len()
        );
        acknowledged.extend(done);
    }
    assert!(!acknowledged.is_empty(), "the child acknowledged nothing");
    let revoked: std::collections::HashSet<Revocation> = RevocationLog::read(&log)
        .unwrap()
        .into_iter()
        .map(|r| r.revocation)
        .collect();
    for id in &acknowledged {
        assert!(
            revoked.contains(&Revocation::Credential(id.clone())),
            "{id} was acknowledged but is not in force"
        );
    }
    // And a key ring opened on the log refuses them.
    let store = Trust::builder()
        .key(signer().public_key())
        .revocation_log(&log)
        .build()
        .unwrap();
    let ring = Keyring::new(store).unwrap();
    let last = acknowledged.last().unwrap();
    let token = forge(HEADER, &token_claims(last, READ_C), &SECRET);
    assert_eq!(resolve(&ring, &token).unwrap_err(), AuthFailure::Revoked);
    let _ = std::fs::remove_dir_all(&dir);
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

#[test]
fn reload_keeps_the_last_good_store_and_says_where_it_is_wrong() {
    let dir = scratch("reload");
    let store_file = dir.join("store.json");
    let pk = signer().public_key().to_jwk();
    let store_text = |extra: &str| {
        format!(
            "{{\n  \"keys\": [{}],\n  \"document\": \"policy.fgac\",\n  \"revocations\": \"revoked.log\"{extra}\n}}\n",
            pk.trim()
        )
    };
    write(
        &dir.join("policy.fgac"),
        "key \"svc\" {\n    expires never\n    allow readwrite cache \"a\"\n}\n",
    );
    write(&store_file, &store_text(""));
    RevocationLog::create(&dir.join("revoked.log")).unwrap();
    let metrics = Arc::new(fgac::metrics::Metrics::new());
    let ring = Arc::new(
        Keyring::open(&store_file)
            .unwrap()
            .with_metrics(Arc::clone(&metrics)),
    );
    let key = svc_key(Expiry::Never);
    let session = resolve(&ring, &key).unwrap();

    // A broken store file: reported with its line and column, the store in force kept.
    write(
        &store_file,
        &store_text(",\n  \"leeway_seconds\": \"soon\""),
    );
    let err = ring.reload().unwrap_err().to_string();
    assert!(err.contains("store.json:5:21"), "{err}");
    assert!(ring.last_error().is_some());
    assert!(session.is_live() && resolve(&ring, &key).is_ok());
    // A broken document likewise.
    write(&store_file, &store_text(""));
    write(
        &dir.join("policy.fgac"),
        "key \"svc\" {\n    expires never\n    allow readwrit cache \"a\"\n}\n",
    );
    let err = ring.reload().unwrap_err().to_string();
    assert!(
        err.contains("policy.fgac:3:11") && err.contains("did you mean `readwrite`?"),
        "{err}"
    );
    assert!(session.is_live());
    let counted = |e| metrics.snapshot().event(e);
    use fgac::metrics::Event;
    assert_eq!(
        (counted(Event::ReloadRefused), counted(Event::ReloadApplied)),
        (2, 0)
    );

    // The watcher: a fixed document reloads by itself; a line appended to the log by another
    // process (fgac revoke) is applied.
    let events = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = Arc::clone(&events);
    let watcher = ring
        .watch(Duration::from_millis(20), move |e| {
            seen.lock().unwrap().push(format!("{e:?}"))
        })
        .unwrap();
    write(
        &dir.join("policy.fgac"),
        "key \"svc\" {\n    expires never\n    allow readwrite cache \"b\"\n}\n",
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while session.is_live() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(
        !session.is_live(),
        "the watcher reloaded the changed document: {:?}",
        events.lock().unwrap()
    );
    assert!(counted(Event::ReloadApplied) >= 1 && counted(Event::SessionWithdrawn) == 1);
    let fresh = resolve(&ring, &key).unwrap();
    assert!(
        fresh
            .authorize(Operation::Get, Resource::item("b", b"k"), now())
            .is_allowed()
    );
    {
        use std::io::Write as _;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(dir.join("revoked.log"))
            .unwrap();
        writeln!(f, "id {} 2026-11-26T00:00:00Z", fresh.id()).unwrap();
    }
    while fresh.is_live() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(
        !fresh.is_live(),
        "the watcher applied the appended revocation: {:?}",
        events.lock().unwrap()
    );
    drop(watcher);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A key ring's metrics count exactly what was done, from several threads at once: every
/// resolution failure, every deny reason, allows, cache hits and misses, revocations applied,
/// sessions withdrawn, trusts applied.
#[test]
fn metrics_count_exactly_what_several_threads_did() {
    use fgac::metrics::{Event, Metrics, OpFamily, Verdict};
    use fgac::{DenyKind, RuleId};
    let retired = SigningKey::from_secret_bytes("k2", &[3; 32]).unwrap();
    let metrics = Arc::new(Metrics::new());
    let ring = Keyring::new(
        Trust::builder()
            .key(signer().public_key())
            .retired_key(retired.public_key())
            .issuer("auth.example")
            .build()
            .unwrap(),
    )
    .unwrap()
    .with_metrics(Arc::clone(&metrics));
    let iss = |claims: String| claims.replace("\"sub\"", "\"iss\":\"auth.example\",\"sub\"");
    let signed = |claims: String| forge(HEADER, &iss(claims), &SECRET);
    // Reads of cache `c`, but not of its items under `secret:`.
    let grants = format!(
        "{READ_C},{}",
        r#"{"effect":"deny","role":"readonly","cache":"c","item":{"keyPrefix":"secret:"}}"#
    );
    let good = signed(token_claims("good", &grants));
    let doomed = signed(token_claims("doomed", READ_C));
    let withdrawn = resolve(&ring, &doomed).unwrap();
    ring.revoke(Revocation::Credential("doomed".into()), now())
        .unwrap();
    assert!(!withdrawn.is_live());
    let refused: Vec<(String, AuthFailure)> = vec![
        ("a.b.c".into(), AuthFailure::Malformed),
        (
            signed(token_claims("big", READ_C).replace(
                "\"sub\"",
                &format!("\"aud\":\"{}\",\"sub\"", "x".repeat(70_000)),
            )),
            AuthFailure::Oversized,
        ),
        (
            format!(
                "{}.{}.",
                b64(br#"{"alg":"none","kid":"k1"}"#),
                b64(iss(token_claims("none", READ_C)).as_bytes())
            ),
            AuthFailure::UnsupportedAlgorithm,
        ),
        (
            forge(
                r#"{"alg":"EdDSA","kid":"k9"}"#,
                &iss(token_claims("k9", READ_C)),
                &[9; 32],
            ),
            AuthFailure::UnknownKey,
        ),
        (
            forge(
                r#"{"alg":"EdDSA","kid":"k2"}"#,
                &iss(token_claims("k2", READ_C)),
                &[3; 32],
            ),
            AuthFailure::RetiredKey,
        ),
        (
            forge(HEADER, &iss(token_claims("forged", READ_C)), &[9; 32]),
            AuthFailure::BadSignature,
        ),
        (
            signed(format!(
                r#"{{"sub":"t","jti":"root","iat":{NOW},"exp":{},"kind":"token","super_user":true}}"#,
                NOW + 60
            )),
            AuthFailure::InvalidClaims,
        ),
        (
            forge(HEADER, &token_claims("no-iss", READ_C), &SECRET),
            AuthFailure::WrongIssuer,
        ),
        (
            signed(
                token_claims("later", READ_C)
                    .replace("\"kind\"", &format!("\"nbf\":{},\"kind\"", NOW + 60)),
            ),
            AuthFailure::NotYetValid,
        ),
        (
            signed(token_claims("old", READ_C).replace(
                &format!("\"exp\":{}", NOW + 3600),
                &format!("\"exp\":{NOW}"),
            )),
            AuthFailure::Expired,
        ),
        (doomed.clone(), AuthFailure::Revoked),
        (
            signed(token_claims("fenced", READ_C).replace(
                "\"permissions\"",
                "\"networks\":[\"192.168.0.0/16\"],\"permissions\"",
            )),
            AuthFailure::NetworkNotAllowed,
        ),
        (
            signed(format!(
                r#"{{"sub":"ghost","jti":"ghost","iat":{NOW},"kind":"api_key"}}"#
            )),
            AuthFailure::UnknownCredential,
        ),
    ];
    assert_eq!(refused.len(), AuthFailure::ALL.len());
    let later = Timestamp::from_unix_seconds(NOW + 7200);
    // One round: each refused credential once through `resolve` and once through `authorize`;
    // the good one resolved once, then deciding each outcome once.
    let round = || {
        for (token, why) in &refused {
            assert_eq!(resolve(&ring, token).unwrap_err(), *why);
            assert_eq!(
                ring.authorize(
                    token,
                    peer(),
                    Operation::Set,
                    Resource::item("c", b"k"),
                    now()
                ),
                Decision::Deny(DenyReason::Unauthenticated(*why))
            );
        }
        let s = resolve(&ring, &good).unwrap();
        assert!(
            s.authorize(Operation::Get, Resource::item("c", b"k"), now())
                .is_allowed()
        );
        let deny = |op, resource| match s.authorize(op, resource, now()) {
            Decision::Deny(r) => r.kind(),
            Decision::Allow => panic!("allowed"),
        };
        assert_eq!(
            s.authorize(Operation::Get, Resource::item("c", b"k"), later),
            Decision::Deny(DenyReason::Expired)
        );
        assert_eq!(
            deny(Operation::Publish, Resource::item("c", b"k")),
            DenyKind::WrongResourceKind
        );
        assert_eq!(
            deny(Operation::FlushCache, Resource::cache("c")),
            DenyKind::SuperUserRequired
        );
        assert_eq!(
            deny(Operation::Get, Resource::item("d", b"k")),
            DenyKind::NoMatchingGrant
        );
        assert_eq!(
            s.authorize(Operation::Get, Resource::item("c", b"secret:1"), now()),
            Decision::Deny(DenyReason::DeniedByRule(RuleId::new(1)))
        );
        // A batch is one decision.
        assert!(
            s.authorize_batch(Operation::GetBatch, "c", [&b"a"[..], b"b"], now())
                .is_allowed()
        );
        assert_eq!(
            withdrawn.authorize(Operation::Get, Resource::item("c", b"k"), now()),
            Decision::Deny(DenyReason::Unauthenticated(AuthFailure::Revoked))
        );
    };
    let (threads, rounds) = (4u64, 25u64);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                for _ in 0..rounds {
                    round();
                }
            });
        }
    });
    // A trust that requires another issuer: what was resolved under the old one is withdrawn.
    ring.replace(
        Trust::builder()
            .key(signer().public_key())
            .issuer("other.example")
            .build()
            .unwrap(),
    )
    .unwrap();
    let n = threads * rounds;
    let s = metrics.snapshot();
    // Resolutions: the good one per round, each refusal twice per round, and the doomed one
    // once before it was revoked.
    assert_eq!(s.resolution(Ok(())), n + 1);
    for (_, why) in &refused {
        assert_eq!(s.resolution(Err(*why)), 2 * n, "{why}");
    }
    let resolutions: u64 = s.resolutions().map(|r| r.1).sum();
    assert_eq!(
        s.event(Event::CacheHit) + s.event(Event::CacheMiss),
        resolutions
    );
    // Misses: every refusal made before caching (all but a credential used too early or from
    // the wrong network, which is verified, cached, and refused on admission), and at least the
    // first sight of each good credential.
    assert!(s.event(Event::CacheMiss) >= 2 * n * (refused.len() as u64 - 2) + 2);
    // Hits: the good credential once a round and the two refused on admission twice, but for
    // first sights: each thread may miss each of the three before one of them has cached it
    // (the threads start together and a first sight takes a signature check).
    assert!(s.event(Event::CacheHit) >= 2 * n * 2 + n - 3 * threads);
    let read = OpFamily::ItemRead;
    let denied = |family, kind| s.decision(family, Verdict::Deny(kind));
    assert_eq!(s.decision(read, Verdict::Allow), 2 * n);
    assert_eq!(s.verdicts(Verdict::Allow), 2 * n);
    assert_eq!(denied(read, DenyKind::Expired), n);
    assert_eq!(denied(OpFamily::TopicWrite, DenyKind::WrongResourceKind), n);
    assert_eq!(denied(OpFamily::Account, DenyKind::SuperUserRequired), n);
    assert_eq!(denied(read, DenyKind::NoMatchingGrant), n);
    assert_eq!(denied(read, DenyKind::DeniedByRule), n);
    // Refused through `authorize` (a write) and the withdrawn session's reads.
    assert_eq!(
        denied(OpFamily::ItemWrite, DenyKind::Unauthenticated),
        n * refused.len() as u64
    );
    assert_eq!(denied(read, DenyKind::Unauthenticated), n);
    let decisions: u64 = s.decisions().map(|d| d.2).sum();
    assert_eq!(decisions, n * (8 + refused.len() as u64));
    assert_eq!(s.event(Event::RevocationApplied), 1);
    // The doomed session, withdrawn by its revocation, and the good credential's entries (and
    // the others cached) by the new trust.
    assert!(s.event(Event::SessionWithdrawn) >= 2);
    assert_eq!(s.event(Event::ReloadApplied), 1);
    assert_eq!(s.event(Event::ReloadRefused), 0);
}

/// A Kubernetes ConfigMap volume: every file is a symlink through `..data` to a directory of
/// the version in force, and an update writes a new version's directory, points a new symlink at
/// it and renames that over `..data` (atomically), then deletes the old directory. The watcher
/// applies each version whole, and never a mix of two.
#[cfg(unix)]
#[test]
fn a_configmap_style_update_swapping_the_data_symlink_is_applied_whole() {
    use std::os::unix::fs::symlink;
    let dir = scratch("configmap");
    let pk = signer().public_key().to_jwk();
    let version = |n: u32, cache: &str| {
        let v = dir.join(format!("..2026_12_05_{n:04}"));
        std::fs::create_dir(&v).unwrap();
        write(
            &v.join("trust.json"),
            &format!(
                "{{\"keys\": [{}], \"document\": \"policy.fgac\"}}",
                pk.trim()
            ),
        );
        write(
            &v.join("policy.fgac"),
            &format!("key \"svc\" {{ expires never  allow readwrite cache \"{cache}\" }}\n"),
        );
        v
    };
    let first = version(1, "a");
    symlink(first.file_name().unwrap(), dir.join("..data")).unwrap();
    for f in ["trust.json", "policy.fgac"] {
        symlink(Path::new("..data").join(f), dir.join(f)).unwrap();
    }
    let ring = Arc::new(Keyring::open(&dir.join("trust.json")).unwrap());
    let key = svc_key(Expiry::Never);
    let allows = |cache: &str| {
        resolve(&ring, &key)
            .map(|s| {
                s.authorize(Operation::Set, Resource::item(cache, b"k"), now())
                    .is_allowed()
            })
            .unwrap_or(false)
    };
    assert!(allows("a") && !allows("b"));
    let _watcher = ring.watch(Duration::from_millis(20), |_| {}).unwrap();
    for (n, cache) in [(2, "b"), (3, "c")] {
        let next = version(n, cache);
        let tmp = dir.join("..data_tmp");
        symlink(next.file_name().unwrap(), &tmp).unwrap();
        let old = std::fs::read_link(dir.join("..data")).unwrap();
        std::fs::rename(&tmp, dir.join("..data")).unwrap();
        std::fs::remove_dir_all(dir.join(old)).unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while !allows(cache) {
            assert!(
                std::time::Instant::now() < deadline,
                "version {n} not applied"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(ring.generation(), u64::from(n - 1));
        assert!(!allows("a"));
    }
    let _ = std::fs::remove_dir_all(&dir);
}
