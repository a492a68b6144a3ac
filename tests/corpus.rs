//! The shared corpus: every case in `tests/corpus/*.json` goes through the JSON front end (as
//! written, and printed then parsed again), the compiled engine and the reference evaluator, and
//! each must give the expected decision.

mod common;

use common::Answer;
use common::{Case, answer_name, load_corpus};
use fgac::model::ValidDocument;
use fgac::{Authorizer, reference};
use fgac_test_support::read;

/// The answer of the compiled engine.
fn engine(authz: &Authorizer, name: &str, case: &Case) -> Answer {
    let Some(credential) = authz.credential(name) else {
        return Answer::UnknownCredential;
    };
    let (op, need) = case.need();
    if let Some(batch) = case.batch() {
        let op = op.expect("a batch names its op");
        let cache = case.cache.as_deref().expect("a batch names its cache");
        return Answer::Batch(credential.authorize_batch(
            op,
            cache,
            batch.iter().map(|k| k.as_slice()),
            case.now(),
        ));
    }
    let key = case.item_bytes().unwrap_or_default();
    let resource = case.resource(&key);
    let decision = credential.authorize_need(need, resource, case.now());
    if let Some(op) = op {
        // The by-operation entry point agrees with the by-need one.
        assert_eq!(credential.authorize(op, resource, case.now()), decision);
    }
    Answer::Decision(decision)
}

/// The answer of the reference evaluator.
fn reference(doc: ValidDocument<'_>, name: &str, case: &Case) -> Answer {
    let Some(credential) = doc.credential(name) else {
        return Answer::UnknownCredential;
    };
    let (op, need) = case.need();
    if let Some(batch) = case.batch() {
        let cache = case.cache.as_deref().unwrap();
        return Answer::Batch(reference::decide_batch(
            credential,
            op.unwrap(),
            cache,
            batch.iter().map(|k| k.as_slice()),
            case.now(),
        ));
    }
    let key = case.item_bytes().unwrap_or_default();
    Answer::Decision(reference::decide(
        credential,
        need,
        case.resource(&key),
        case.now(),
    ))
}

#[test]
fn corpus_decisions_agree_across_front_end_engine_and_reference() {
    let mut cases = 0;
    let mut failures = Vec::new();
    for (file, corpus) in load_corpus() {
        for suite in &corpus.suites {
            let text = serde_json::to_string_pretty(&suite.document).unwrap();
            let doc = read::json(&text).unwrap_or_else(|e| panic!("{file} / {}: {e}", suite.name));
            let reprinted = read::json(&read::to_fgac_json(&doc)).expect("printed JSON parses");
            assert_eq!(reprinted, doc, "{file} / {}: print then parse", suite.name);
            let authz = Authorizer::compile(&doc)
                .unwrap_or_else(|e| panic!("{file} / {}: {}", suite.name, e.with_source(&text)));
            let authz_reprinted = Authorizer::compile(&reprinted).unwrap();
            let valid = fgac::validate(&doc, &fgac::Limits::default()).unwrap();
            let only = match doc.credentials.as_slice() {
                [one] => one.name.as_str(),
                _ => "",
            };
            for case in &suite.cases {
                cases += 1;
                let name = case.key_or(only);
                let want = &case.expect;
                let got = [
                    ("engine", engine(&authz, name, case)),
                    (
                        "engine after print/parse",
                        engine(&authz_reprinted, name, case),
                    ),
                    ("reference", reference(valid, name, case)),
                ];
                for (who, answer) in got {
                    let decision = answer_name(answer);
                    if &decision != want {
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
            let err = match Authorizer::from_source(&text) {
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
