//! `null` is never "absent": no JSON document with a `null` where a value is expected is
//! accepted, whichever field of whichever shape it stands in, and the error underlines the `null`.
//!
//! The documents are generated (both JSON forms, every shape and selector spelling), then each
//! is rewritten once per value it holds, with that value replaced by `null`, and once per
//! optional field its objects leave out, with that field added as `null`.

mod common;

use common::strategies;
use fgac::syntax::Format;
use fgac_test_support::read;
use proptest::prelude::*;
use serde_json::Value;

/// The fields each shape knows, so that the ones left out can be added as `null`.
const TOP: &[&str] = &[
    "credentials",
    "permissions",
    "super_user",
    "networks",
    "rules",
    "conditions",
];
const CREDENTIAL: &[&str] = &[
    "name",
    "kind",
    "expires_at",
    "token_id",
    "permissions",
    "super_user",
    "networks",
    "account_rights",
];
const PERMISSION: &[&str] = &["effect", "role", "cache", "store", "item", "topic"];

#[derive(Clone, Copy, PartialEq)]
enum Shape {
    Top,
    Credential,
    Permission,
    /// A selector object, or any other value: no fields to add.
    Other,
}

/// Every document that is `doc` with one value replaced by `null`, or one missing field of a
/// known shape added as `null`.
fn nulled(doc: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    walk(doc, Shape::Top, &mut |edit| {
        let mut copy = doc.clone();
        edit(&mut copy);
        out.push(copy);
    });
    out
}

type Edit = Box<dyn Fn(&mut Value)>;

/// Calls `emit` with one edit per nulled variant of `value` (at the path the edits navigate).
fn walk(value: &Value, shape: Shape, emit: &mut dyn FnMut(Edit)) {
    match value {
        Value::Object(map) => {
            let known: &[&str] = match shape {
                Shape::Top => TOP,
                Shape::Credential => CREDENTIAL,
                Shape::Permission => PERMISSION,
                Shape::Other => &[],
            };
            for &field in known {
                if !map.contains_key(field) {
                    emit(Box::new(move |v: &mut Value| {
                        if let Value::Object(m) = v {
                            m.insert(field.to_owned(), Value::Null);
                        }
                    }));
                }
            }
            for (key, child) in map {
                let key = key.clone();
                let k = key.clone();
                emit(Box::new(move |v: &mut Value| set(v, &k, Value::Null)));
                let child_shape = match (shape, key.as_str()) {
                    (Shape::Top, "credentials") => Shape::Credential,
                    (Shape::Top | Shape::Credential, "permissions") => Shape::Permission,
                    _ => Shape::Other,
                };
                walk(child, child_shape, &mut |edit: Edit| {
                    let key = key.clone();
                    emit(Box::new(move |v: &mut Value| {
                        if let Some(c) = v.get_mut(&key) {
                            edit(c)
                        }
                    }))
                });
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                emit(Box::new(move |v: &mut Value| {
                    if let Some(c) = v.get_mut(i) {
                        *c = Value::Null
                    }
                }));
                // The elements of `credentials` and `permissions` have the array's shape.
                walk(child, shape, &mut |edit: Edit| {
                    emit(Box::new(move |v: &mut Value| {
                        if let Some(c) = v.get_mut(i) {
                            edit(c)
                        }
                    }))
                });
            }
        }
        _ => {}
    }
}

fn set(v: &mut Value, key: &str, to: Value) {
    if let Value::Object(m) = v {
        m.insert(key.to_owned(), to);
    }
}

/// `doc` must be refused, with its first error underlining the one `null` it holds.
fn refused_at_the_null(doc: &Value) -> Result<(), TestCaseError> {
    let text = serde_json::to_string_pretty(doc).unwrap();
    match read::json(&text) {
        Ok(_) => Err(TestCaseError::fail(format!("accepted a null:\n{text}"))),
        Err(e) => {
            let d = &e.diagnostics()[0];
            let at = &text[d.span.start..d.span.end];
            prop_assert_eq!(at, "null", "{}\n{}", e, text);
            Ok(())
        }
    }
}

/// The key-store document and, where Momento's form holds it, the scope document of each of
/// `doc`'s credentials.
fn json_forms(doc: &fgac::model::Document) -> Vec<Value> {
    let mut forms = vec![serde_json::from_str(&read::to_fgac_json(doc)).unwrap()];
    for c in &doc.credentials {
        let mut scope = c.clone();
        scope.name = "default".into();
        scope.kind = fgac::model::CredentialKind::ApiKey;
        scope.expiry = fgac::model::Expiry::Never;
        scope.token_id = None;
        let scope = fgac::model::Document::new(vec![scope]);
        for format in [Format::MomentoJson, Format::MomentoV2Json] {
            if let Ok(text) = fgac::syntax::to_string(&scope, format) {
                forms.push(serde_json::from_str(&text).unwrap());
            }
        }
    }
    forms
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn a_null_anywhere_is_refused_at_the_null(doc in strategies::any_document()) {
        for form in json_forms(&doc) {
            prop_assert!(read::json(&form.to_string()).is_ok(), "the base document parses");
            for variant in nulled(&form) {
                refused_at_the_null(&variant)?;
            }
        }
    }
}

#[test]
fn every_spelling_of_every_selector_refuses_null() {
    // The generated documents print one spelling of each selector; these are the others.
    let base = r#"{"permissions": [
        {"effect": "deny", "role": "readonly", "cache": {"all": true}, "item": {"all": true}},
        {"role": "readonly", "cache": {"name": "c"}, "item": {"keyBase64": "/w=="}},
        {"role": "readonly", "cache": {"namePrefix": "c"}, "item": {"keyPrefixBase64": "/w=="}},
        {"role": "readonly", "cache": "c", "item": {"key": "k"}},
        {"role": "readonly", "cache": "d", "item": {"keyPrefix": "k"}},
        {"role": "publishonly", "cache": "c", "topic": {"name": "t"}},
        {"role": "publishonly", "cache": "d", "topic": {"namePrefix": "t"}},
        {"role": "publishonly", "cache": "e", "topic": {"all": true}}
    ]}"#;
    let doc: Value = serde_json::from_str(base).unwrap();
    assert!(read::json(base).is_ok());
    let variants = nulled(&doc);
    assert!(variants.len() > 40, "{} variants", variants.len());
    for variant in &variants {
        refused_at_the_null(variant).unwrap();
    }
    // And the issue's five reproducers, by name.
    for text in [
        r#"{"permissions":[{"role":"readonly","cache":"data","item":null}]}"#,
        r#"{"permissions":[{"role":"publishsubscribe","cache":"data","topic":null}]}"#,
        r#"{"permissions":[{"effect":null,"role":"readonly","cache":"data"}]}"#,
        r#"{"credentials": null, "super_user": true}"#,
        r#"{"permissions": null, "super_user": true}"#,
    ] {
        refused_at_the_null(&serde_json::from_str(text).unwrap()).unwrap();
    }
}
