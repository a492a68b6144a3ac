//! The language server's keystroke budget: a 1 MB document open in `fgac lsp`, one edit sent,
//! and the time until its diagnostics come back (the whole round trip an editor waits for:
//! JSON-RPC both ways, applying the edit, parsing, validating and linting the whole document).

use criterion::{Criterion, criterion_group, criterion_main};
use fgac_test_support::lsp::{Client, uri};
use serde_json::json;
use std::time::{Duration, Instant};

/// A document of about `bytes` bytes: API keys of one rule each.
fn document(bytes: usize) -> String {
    let mut text = String::new();
    let mut i = 0;
    while text.len() < bytes {
        text.push_str(&format!(
            "key \"svc-{i}\" {{\n    expires 2027-06-01T00:00:00Z\n    allow readwrite cache \"orders-{i}\" items prefix \"o-\"\n}}\n\n"
        ));
        i += 1;
    }
    text
}

fn keystroke(c: &mut Criterion) {
    let mut group = c.benchmark_group("lsp");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(20));
    for (name, bytes) in [("10 KB", 10 << 10), ("1 MB", 1 << 20)] {
        let text = document(bytes);
        let path = std::env::temp_dir().join(format!("fgac-bench-{}.fgac", std::process::id()));
        let uri = uri(&path);
        let (mut lsp, _) = Client::start(env!("CARGO_BIN_EXE_fgac"));
        lsp.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri, "languageId": "fgac", "version": 1, "text": text } }),
        );
        lsp.notification("textDocument/publishDiagnostics");
        let mut version = 1u64;
        group.bench_function(format!("an edit answered with diagnostics, {name} document"), |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                for _ in 0..iters {
                    version += 1;
                    // Type a character into the first key's name, then take it out again.
                    let change = if version.is_multiple_of(2) {
                        json!({ "range": { "start": { "line": 0, "character": 9 }, "end": { "line": 0, "character": 9 } }, "text": "x" })
                    } else {
                        json!({ "range": { "start": { "line": 0, "character": 9 }, "end": { "line": 0, "character": 10 } }, "text": "" })
                    };
                    lsp.notify(
                        "textDocument/didChange",
                        json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": [change] }),
                    );
                    lsp.notification("textDocument/publishDiagnostics");
                }
                start.elapsed()
            })
        });
        assert!(lsp.stop().success());
    }
    group.finish();
}

criterion_group!(benches, keystroke);
criterion_main!(benches);
