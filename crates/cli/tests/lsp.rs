//! `fgac lsp` driven over its real stdio with JSON-RPC, as an editor drives it: diagnostics as
//! the text changes, the did-you-mean quick fix, hover, go to definition, formatting, the
//! outline, running a file's tests, and shutdown.

use fgac_test_support::lsp::{Client, uri};
use serde_json::{Value, json};

const FGAC: &str = env!("CARGO_BIN_EXE_fgac");

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("fgac-lsp-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const POLICY: &str = "key \"svc\" {\n    expires 2027-06-01T00:00:00Z\n    allow readwrit cache \"orders\"\n}\n\ntest \"svc writes orders\" {\n    expect allow \"svc\" set cache \"orders\" item \"o-1\" at 2027-01-01T00:00:00Z\n}\n";

fn position(line: u32, character: u32) -> Value {
    json!({ "line": line, "character": character })
}

fn at(uri: &str, line: u32, character: u32) -> Value {
    json!({ "textDocument": { "uri": uri }, "position": position(line, character) })
}

#[test]
fn an_editor_session() {
    let dir = scratch("session");
    let path = dir.join("policy.fgac");
    std::fs::write(&path, POLICY).unwrap();
    let uri = uri(&path);
    let (mut lsp, capabilities) = Client::start(FGAC);
    assert_eq!(capabilities["hoverProvider"], true);
    assert_eq!(capabilities["documentFormattingProvider"], true);
    assert_eq!(capabilities["textDocumentSync"], 2, "incremental");

    // Open with an error: one diagnostic, where the misspelt role is, with its help.
    lsp.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri, "languageId": "fgac", "version": 1, "text": POLICY } }),
    );
    let published = lsp.notification("textDocument/publishDiagnostics");
    let diagnostics = published["params"]["diagnostics"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(diagnostics.len(), 1, "{published}");
    let d = &diagnostics[0];
    assert_eq!(
        (d["severity"].as_u64(), d["code"].as_str()),
        (Some(1), Some("syntax"))
    );
    assert_eq!(d["range"]["start"], position(2, 10));
    assert!(
        d["message"]
            .as_str()
            .unwrap()
            .contains("did you mean `readwrite`?"),
        "{d}"
    );

    // The quick fix replaces the word.
    let actions = lsp.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": uri }, "range": d["range"], "context": { "diagnostics": diagnostics } }),
    );
    let fix = &actions["result"][0];
    assert_eq!(fix["kind"], "quickfix");
    let edit = &fix["edit"]["changes"][&uri][0];
    assert_eq!(edit["newText"], "readwrite");
    assert_eq!(edit["range"], d["range"]);

    // Typing the missing letter (an incremental change) clears it.
    lsp.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": uri, "version": 2 },
            "contentChanges": [{ "range": { "start": position(2, 18), "end": position(2, 18) }, "text": "e" }],
        }),
    );
    let published = lsp.notification("textDocument/publishDiagnostics");
    assert_eq!(published["params"]["diagnostics"], json!([]), "{published}");

    // Hover on the rule, then on the credential's header.
    let hover = lsp.request("textDocument/hover", at(&uri, 2, 8));
    let text = hover["result"]["contents"]["value"]
        .as_str()
        .unwrap_or_else(|| panic!("{hover}"));
    assert!(
        text.contains("rule #0** of `svc`: allow `readwrite`"),
        "{text}"
    );
    assert!(
        text.contains("covers: `allow readwrite cache \"orders\"`"),
        "{text}"
    );
    assert_eq!(hover["result"]["range"]["start"], position(2, 4));
    let hover = lsp.request("textDocument/hover", at(&uri, 0, 6));
    let text = hover["result"]["contents"]["value"].as_str().unwrap();
    assert!(text.contains("**API key** `svc`"), "{text}");
    assert!(text.contains("expires 2027-06-01T00:00:00Z"), "{text}");
    assert!(text.contains("1 rules"), "{text}");

    // From the test's credential name to the credential.
    let found = lsp.request("textDocument/definition", at(&uri, 6, 19));
    assert_eq!(found["result"]["uri"], uri.as_str());
    assert_eq!(found["result"]["range"]["start"], position(0, 0));
    // Elsewhere on the line: no definition.
    let found = lsp.request("textDocument/definition", at(&uri, 6, 40));
    assert_eq!(found["result"], Value::Null);

    // The outline: the credential (its rule inside) and the test.
    let symbols = lsp.request(
        "textDocument/documentSymbol",
        json!({ "textDocument": { "uri": uri } }),
    );
    let symbols = symbols["result"].as_array().unwrap();
    assert_eq!(symbols.len(), 2);
    assert_eq!(symbols[0]["name"], "svc");
    assert_eq!(symbols[0]["children"][0]["name"], "#0 allow readwrite");
    assert_eq!(symbols[1]["name"], "svc writes orders");

    // Code lenses run the tests: the result, and a message shown.
    let lenses = lsp.request(
        "textDocument/codeLens",
        json!({ "textDocument": { "uri": uri } }),
    );
    let lens = &lenses["result"][0]["command"];
    assert_eq!(lens["command"], "fgac.runTests");
    let ran = lsp.request(
        "workspace/executeCommand",
        json!({ "command": lens["command"], "arguments": lens["arguments"] }),
    );
    assert_eq!(ran["result"]["passed"], 1, "{ran}");
    assert_eq!(ran["result"]["failed"], 0, "{ran}");
    let shown = lsp.notification("window/showMessage");
    assert_eq!(shown["params"]["message"], "1 passed, 0 failed");

    // Formatting: an untidy document becomes the canonical one in one edit.
    let untidy =
        "key   \"svc\" { expires 2027-06-01T00:00:00Z\nallow readwrite cache \"orders\" }\n";
    lsp.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 3 }, "contentChanges": [{ "text": untidy }] }),
    );
    lsp.notification("textDocument/publishDiagnostics");
    let edits = lsp.request(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": uri }, "options": { "tabSize": 4, "insertSpaces": true } }),
    );
    let edits = edits["result"].as_array().unwrap();
    assert_eq!(edits.len(), 1);
    assert_eq!(
        edits[0]["newText"],
        "key \"svc\" {\n    expires 2027-06-01T00:00:00Z\n    allow readwrite cache \"orders\"\n}\n"
    );

    // A test file: from its `policy` line to the policy's file, from a name into that file. Its
    // names are checked against the policy as saved.
    std::fs::write(&path, POLICY.replace("readwrit ", "readwrite ")).unwrap();
    let tests = dir.join("policy_test.fgac");
    let tests_text = "policy \"policy.fgac\"\n\ntest \"t\" {\n    expect allow \"svc\" get cache \"orders\" item \"o\" at 2027-01-01T00:00:00Z\n}\n";
    let tests_uri = fgac_test_support::lsp::uri(&tests);
    lsp.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": tests_uri, "languageId": "fgac", "version": 1, "text": tests_text } }),
    );
    let published = lsp.notification("textDocument/publishDiagnostics");
    assert_eq!(published["params"]["uri"], tests_uri.as_str());
    assert_eq!(
        published["params"]["diagnostics"],
        json!([]),
        "no `defines no credentials` for a test file"
    );
    // A name the policy does not hold: an error where the test names it, with the nearest.
    lsp.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": tests_uri, "version": 2 },
            "contentChanges": [{ "range": { "start": position(3, 18), "end": position(3, 18) }, "text": "x" }],
        }),
    );
    let published = lsp.notification("textDocument/publishDiagnostics");
    let d = &published["params"]["diagnostics"][0];
    assert_eq!(d["code"], "test", "{published}");
    assert!(
        d["message"]
            .as_str()
            .unwrap()
            .contains("did you mean `svc`?"),
        "{d}"
    );
    lsp.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": tests_uri, "version": 3 },
            "contentChanges": [{ "range": { "start": position(3, 18), "end": position(3, 19) }, "text": "" }],
        }),
    );
    let published = lsp.notification("textDocument/publishDiagnostics");
    assert_eq!(published["params"]["diagnostics"], json!([]));
    let found = lsp.request("textDocument/definition", at(&tests_uri, 0, 10));
    assert_eq!(found["result"]["uri"], uri.as_str());
    let found = lsp.request("textDocument/definition", at(&tests_uri, 3, 19));
    assert_eq!(found["result"]["uri"], uri.as_str(), "{found}");

    // An unknown request is an error, not a crash.
    let reply = lsp.request("textDocument/rename", at(&uri, 0, 0));
    assert_eq!(reply["error"]["code"], -32601);

    let status = lsp.stop();
    assert!(status.success(), "{status}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A 1 MB document and 100 edits, each answered with the diagnostics of the edited text. The
/// time each takes is measured in `benches/lsp.rs`, not asserted here.
#[test]
fn a_large_document_and_a_hundred_edits() {
    let dir = scratch("large");
    let path = dir.join("large.fgac");
    let mut text = String::new();
    let mut i = 0;
    while text.len() < 1 << 20 {
        text.push_str(&format!(
            "key \"svc-{i}\" {{\n    expires 2027-06-01T00:00:00Z\n    allow readwrite cache \"orders-{i}\" items prefix \"o-\"\n}}\n\n"
        ));
        i += 1;
    }
    let uri = uri(&path);
    let (mut lsp, _) = Client::start(FGAC);
    lsp.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri, "languageId": "fgac", "version": 1, "text": text } }),
    );
    let published = lsp.notification("textDocument/publishDiagnostics");
    assert_eq!(published["params"]["diagnostics"], json!([]));
    // Each edit breaks or mends the role of one rule, in turn.
    for edit in 0..100u32 {
        let line = 2 + 5 * (edit / 2) * 7;
        let broken = edit % 2 == 0;
        lsp.notify(
            "textDocument/didChange",
            json!({
                "textDocument": { "uri": uri, "version": 2 + edit },
                "contentChanges": [{
                    "range": { "start": position(line, 10), "end": position(line, if broken { 19 } else { 18 }) },
                    "text": if broken { "readwrit" } else { "readwrite" },
                }],
            }),
        );
        let published = lsp.notification("textDocument/publishDiagnostics");
        let diagnostics = published["params"]["diagnostics"].as_array().unwrap();
        if broken {
            assert_eq!(diagnostics.len(), 1, "edit {edit}: {published}");
            assert_eq!(diagnostics[0]["range"]["start"], position(line, 10));
        } else {
            assert!(diagnostics.is_empty(), "edit {edit}: {published}");
        }
    }
    assert!(lsp.stop().success());
    let _ = std::fs::remove_dir_all(&dir);
}
