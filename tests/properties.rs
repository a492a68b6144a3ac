//! Property tests: the compiled engine agrees with the reference evaluator on random documents
//! and requests, and the JSON printer and parser are inverse.

mod common;

use common::strategies;
use fgac::{Authorizer, BatchDecision, Decision, reference};
use fgac_test_support::read;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn engine_agrees_with_the_reference_evaluator(
        doc in strategies::document(),
        requests in proptest::collection::vec(strategies::request(), 1..40),
    ) {
        let authz = Authorizer::compile(&doc).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let valid = fgac::validate(&doc, &fgac::Limits::default()).unwrap();
        for r in &requests {
            let engine = common::engine_decides(&authz, &r.key, r.op, r.resource(), r.now);
            let reference = common::reference_decides(valid, &r.key, r.op, r.resource(), r.now);
            prop_assert_eq!(engine, reference, "request {:?}", r);
        }
    }

    #[test]
    fn batches_agree_with_the_reference_evaluator(
        doc in strategies::document(),
        keys in proptest::collection::vec(strategies::small_key(0), 0..5),
        cache in strategies::small_name(true),
        op in proptest::sample::select(vec![fgac::Operation::GetBatch, fgac::Operation::SetBatch, fgac::Operation::SortedSetUnionStore]),
    ) {
        let authz = Authorizer::compile(&doc).unwrap();
        let now = fgac::Timestamp::from_unix_seconds(950);
        let valid = fgac::validate(&doc, &fgac::Limits::default()).unwrap();
        let credential = valid.credential(&doc.credentials[0].name).unwrap();
        let compiled = authz.credential(&credential.name).unwrap();
        let engine = compiled.authorize_batch(op, &cache, keys.iter().map(Vec::as_slice), now);
        let reference = reference::decide_batch(credential, op, &cache, keys.iter().map(Vec::as_slice), now);
        prop_assert_eq!(engine, reference);
        if keys.is_empty() {
            prop_assert_eq!(engine, BatchDecision::Empty);
        }
    }

    #[test]
    fn json_print_then_parse_is_the_identity(doc in strategies::any_document()) {
        let text = read::to_fgac_json(&doc);
        let parsed = read::json(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(parsed, doc);
    }

    #[test]
    fn momento_scope_print_then_parse_keeps_the_permissions(doc in strategies::document()) {
        for credential in &doc.credentials {
            // Deny rules and cache prefixes have no Momento spelling: those must be refused.
            let scope = fgac::model::Document::new(vec![credential.clone()]);
            match fgac::syntax::to_string(&scope, fgac::syntax::Format::MomentoJson) {
                Ok(text) => {
                    let parsed = read::json(&text).unwrap();
                    prop_assert_eq!(&parsed.credentials[0].permissions, &credential.permissions);
                }
                Err(e) => prop_assert!(matches!(e.kind(), fgac::ErrorKind::Unsupported)),
            }
        }
    }

    #[test]
    fn json_parser_never_panics_and_spans_stay_inside(text in "[{}\\[\\]\":,a-z0-9*\\\\ \u{e9}]{0,80}") {
        if let Err(e) = read::json(&text) {
            for d in e.diagnostics() {
                prop_assert!(d.span.start <= d.span.end && d.span.end <= text.len());
                prop_assert!(text.is_char_boundary(d.span.start) && text.is_char_boundary(d.span.end));
            }
        }
    }
}

#[test]
fn authorizer_is_send_sync_and_unwind_safe() {
    fn check<T: Send + Sync + std::panic::UnwindSafe + std::panic::RefUnwindSafe>() {}
    check::<Authorizer>();
    check::<fgac::Credential>();
    check::<Decision>();
    check::<fgac::Error>();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// A shadow reports exactly the requests its candidate decides otherwise (allow against
    /// deny) than the live store, and the live decisions are those of the live store alone.
    #[test]
    fn a_shadow_reports_exactly_the_changed_decisions(
        live in strategies::document(),
        candidate in strategies::document(),
        requests in proptest::collection::vec(strategies::request(), 1..40),
    ) {
        let live = fgac::Authorizer::compile(&live).unwrap();
        let alone = live.clone();
        let shadow = fgac::shadow::Shadow::new(fgac::Authorizer::compile(&candidate).unwrap(), 1);
        let decide = |a: &fgac::Authorizer, r: &strategies::OwnedRequest| match a.credential(&r.key) {
            Some(c) => fgac::Outcome::Decided(c.authorize(r.op, r.resource(), r.now)),
            None => fgac::Outcome::UnknownCredential,
        };
        let mut changed = 0;
        for r in &requests {
            let decided = decide(&live, r);
            let change = shadow.compare(&r.key, r.op, r.resource(), r.now, decided);
            prop_assert_eq!(decided, decide(&alone, r));
            let expected = decide(shadow.candidate(), r);
            if expected.is_allowed() == decided.is_allowed() {
                prop_assert_eq!(change, None);
            } else {
                changed += 1;
                let c = change.unwrap();
                prop_assert_eq!((c.live, c.candidate), (decided, expected));
            }
        }
        prop_assert_eq!(shadow.stats().compared, requests.len() as u64);
        prop_assert_eq!(shadow.stats().changed, changed);
    }
}
