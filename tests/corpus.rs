//! The shared corpus: every case in `tests/corpus/*.json` goes through the JSON front end (as
//! written, and printed then parsed again), the compiled engine and the reference evaluator, and
//! each must give the expected decision.

mod common;

use common::{Case, load_corpus};
use fgac::{Authorizer, Decision, DenyReason, Document, json, oracle};

/// The decision of the compiled engine.
fn engine(authz: &Authorizer, name: &str, case: &Case) -> Decision {
    let Some(credential) = authz.credential(name) else {
        return Decision::Deny(DenyReason::UnknownCredential);
    };
    let (op, need) = case.need();
    if let Some(batch) = case.batch() {
        let op = op.expect("a batch names its op");
        let cache = case.cache.as_deref().expect("a batch names its cache");
        return credential.authorize_batch(
            op,
            cache,
            batch.iter().map(|k| k.as_slice()),
            case.now(),
        );
    }
    let key = case.item_bytes().unwrap_or_default();
    let resource = case.resource(&key);
    let decision = credential.authorize_need(need, resource, case.now());
    if let Some(op) = op {
        // The by-operation and by-name entry points agree with the by-need one.
        assert_eq!(credential.authorize(op, resource, case.now()), decision);
        assert_eq!(authz.authorize(name, op, resource, case.now()), decision);
    }
    decision
}

/// The decision of the reference evaluator.
fn reference(doc: &Document, name: &str, case: &Case) -> Decision {
    let Some(credential) = doc.credentials.iter().find(|c| c.name == name) else {
        return Decision::Deny(DenyReason::UnknownCredential);
    };
    let (op, need) = case.need();
    if let Some(batch) = case.batch() {
        let cache = case.cache.as_deref().unwrap();
        return oracle::decide_batch(
            credential,
            op.unwrap(),
            cache,
            batch.iter().map(|k| k.as_slice()),
            case.now(),
        );
    }
    let key = case.item_bytes().unwrap_or_default();
    oracle::decide_for(credential, need, case.resource(&key), case.now())
}

#[test]
fn corpus_decisions_agree_across_front_end_engine_and_oracle() {
    let mut cases = 0;
    let mut failures = Vec::new();
    for (file, corpus) in load_corpus() {
        for suite in &corpus.suites {
            let text = serde_json::to_string_pretty(&suite.document).unwrap();
            let doc = json::parse(&text).unwrap_or_else(|e| panic!("{file} / {}: {e}", suite.name));
            let reprinted = json::parse(&json::to_string(&doc)).expect("printed JSON parses");
            assert_eq!(reprinted, doc, "{file} / {}: print then parse", suite.name);
            let authz = Authorizer::compile(&doc)
                .unwrap_or_else(|e| panic!("{file} / {}: {}", suite.name, e.with_source(&text)));
            let authz_reprinted = Authorizer::compile(&reprinted).unwrap();
            let only = match doc.credentials.as_slice() {
                [one] => one.name.as_str(),
                _ => "",
            };
            for case in &suite.cases {
                cases += 1;
                let name = case.key_or(only);
                let want = case.expected();
                let got = [
                    ("engine", engine(&authz, name, case)),
                    (
                        "engine after print/parse",
                        engine(&authz_reprinted, name, case),
                    ),
                    ("oracle", reference(&doc, name, case)),
                ];
                for (who, decision) in got {
                    if decision != want {
                        failures.push(format!(
                            "{file} / {}: {case:?}\n    {who}: {decision:?}, expected {want:?}",
                            suite.name
                        ));
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(cases >= 150, "the corpus has only {cases} cases");
    println!("{cases} corpus cases agree");
}

#[test]
fn corpus_invalid_documents_fail_with_their_error() {
    let mut count = 0;
    for (file, corpus) in load_corpus() {
        for invalid in &corpus.invalid {
            count += 1;
            let text = serde_json::to_string_pretty(&invalid.document).unwrap();
            let err = match Authorizer::from_json(&text) {
                Ok(_) => panic!(
                    "{file} / {}: compiled, expected `{}`",
                    invalid.name, invalid.error
                ),
                Err(e) => e.to_string(),
            };
            assert!(
                err.contains(&invalid.error),
                "{file} / {}: expected `{}` in:\n{err}",
                invalid.name,
                invalid.error
            );
        }
    }
    assert!(count >= 10, "only {count} invalid documents");
}
