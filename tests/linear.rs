//! Parsing, validating, rendering errors and compiling are linear in the input, whatever its shape:
//! one line or many, long nested cache prefixes, thousands of identical errors.
//!
//! Each test compares the cost of two shapes of the same input, or of the same shape at two sizes,
//! as a ratio of the best of several interleaved runs (noise only ever adds time, so the best run
//! is the cost). The bounds sit far above the measured ratios (about 1) and far below what the
//! quadratic versions these tests guard against gave: 37x for 10,000 rules on one line, and a
//! per-byte cost that grew with the input for the others. `cargo bench --bench parse` reports the
//! same shapes in MiB/s.

use fgac::{Authorizer, Limits};
use fgac_test_support::read;
use std::hint::black_box;
use std::time::{Duration, Instant};

/// The best time of `runs` runs of each of `a` and `b`, run alternately.
fn best_of_both(runs: usize, mut a: impl FnMut(), mut b: impl FnMut()) -> (Duration, Duration) {
    let (mut best_a, mut best_b) = (Duration::MAX, Duration::MAX);
    for _ in 0..runs {
        let start = Instant::now();
        a();
        best_a = best_a.min(start.elapsed());
        let start = Instant::now();
        b();
        best_b = best_b.min(start.elapsed());
    }
    (best_a, best_b)
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64().max(1e-9)
}

fn rules(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("allow readonly cache \"c{i}\" item \"key-{i}\""))
        .collect()
}

#[test]
fn one_line_parses_as_fast_as_many_lines() {
    let rules = rules(5_000);
    let many = format!(
        "key \"k\" {{\n    expires never\n    {}\n}}\n",
        rules.join("\n    ")
    );
    let one = format!("key \"k\" {{ expires never {} }}\n", rules.join(" "));
    assert_eq!(read::dsl(&many).unwrap(), read::dsl(&one).unwrap());
    let (t_one, t_many) = best_of_both(
        5,
        || {
            black_box(read::dsl(&one).unwrap());
        },
        || {
            black_box(read::dsl(&many).unwrap());
        },
    );
    let r = ratio(t_one, t_many);
    println!("5,000 rules: one line {t_one:?}, one per line {t_many:?}: {r:.2}x");
    assert!(r < 3.0, "one line costs {r:.2}x as much as many");

    // Test blocks too: expectations on one line.
    let lines: Vec<String> = (0..5_000)
        .map(|i| format!("expect allow \"k\" get cache \"c{i}\" item \"key-{i}\""))
        .collect();
    let tests_many = format!("test \"t\" {{\n    {}\n}}\n", lines.join("\n    "));
    let tests_one = format!("test \"t\" {{ {} }}\n", lines.join(" "));
    let (t_one, t_many) = best_of_both(
        5,
        || {
            black_box(read::reformat_dsl(&tests_one).unwrap());
        },
        || {
            black_box(read::reformat_dsl(&tests_many).unwrap());
        },
    );
    let r = ratio(t_one, t_many);
    println!("5,000 expectations: one line {t_one:?}, one per line {t_many:?}: {r:.2}x");
    assert!(r < 3.0, "one line costs {r:.2}x as much as many");
}

#[test]
fn thousands_of_errors_cost_what_their_input_costs() {
    // Identical rules: every one after the first is a validation error. The error keeps 50 and
    // counts the rest; finding and rendering them is linear.
    let doc = |n: usize| {
        format!(
            "key \"k\" {{\n    expires never\n{}}}\n",
            "    allow readonly cache *\n".repeat(n)
        )
    };
    let (small, large) = (doc(5_000), doc(20_000));
    let check = |src: &str| {
        let e = Authorizer::from_source(src).unwrap_err();
        black_box(e.to_string());
        e.omitted()
    };
    assert_eq!(check(&large), 20_000 - 1 - 50);
    let (t_small, t_large) = best_of_both(
        5,
        || {
            black_box(check(&small));
        },
        || {
            black_box(check(&large));
        },
    );
    let per_rule = ratio(t_large, t_small) / 4.0;
    println!("duplicate rules: 5,000 {t_small:?}, 20,000 {t_large:?}: {per_rule:.2}x per rule");
    assert!(
        per_rule < 2.5,
        "a rule costs {per_rule:.2}x as much at 4x the rules"
    );
}

#[test]
fn thousands_of_lint_warnings_cost_what_their_input_costs() {
    // Keys that never expire: one warning each. `fgac check` once rendered each warning against
    // the whole document (5k / 10k / 20k keys: 0.95 / 2.95 / 10.5 s). Now the first 50 are
    // shown, the rest counted, located in one pass.
    let doc = |n: usize| {
        (0..n)
            .map(|i| {
                format!("key \"k{i}\" {{\n    expires never\n    allow readonly cache \"c\"\n}}\n")
            })
            .collect::<String>()
    };
    let (small, large) = (doc(5_000), doc(20_000));
    let check = |src: &str| {
        let compiled = Authorizer::builder().read(src.as_bytes()).unwrap();
        let warnings = fgac::analysis::lint(compiled.valid());
        let n = warnings.len();
        let shown = fgac::Error::from_diagnostics(warnings).with_source(src);
        black_box(shown.to_string());
        (n, shown.omitted())
    };
    assert_eq!(check(&large), (20_000, 20_000 - 50));
    let (t_small, t_large) = best_of_both(
        3,
        || {
            black_box(check(&small));
        },
        || {
            black_box(check(&large));
        },
    );
    let per_key = ratio(t_large, t_small) / 4.0;
    println!("never-expiring keys: 5,000 {t_small:?}, 20,000 {t_large:?}: {per_key:.2}x per key");
    assert!(
        per_key < 2.5,
        "a warning costs {per_key:.2}x as much at 4x the keys"
    );
}

/// Cache prefixes `x`, `xx`, ... up to `depth` x's, and `2 * depth` names of `depth + 6` bytes that
/// every prefix covers.
fn nested_prefixes(depth: usize) -> String {
    let mut out = String::from("key \"k\" {\n    expires never\n");
    for len in 1..=depth {
        out += &format!("    allow readonly cache prefix \"{}\"\n", "x".repeat(len));
    }
    for i in 0..2 * depth {
        out += &format!(
            "    allow writeonly cache \"{}{i:06}\"\n",
            "x".repeat(depth)
        );
    }
    out + "}\n"
}

#[test]
fn nested_cache_prefixes_compile_in_time_linear_in_their_bytes() {
    let limits = Limits::unbounded();
    let (small, large) = (nested_prefixes(150), nested_prefixes(600));
    let (small_doc, large_doc) = (
        read::dsl_with(&small, &limits).unwrap(),
        read::dsl_with(&large, &limits).unwrap(),
    );
    let (t_small, t_large) = best_of_both(
        5,
        || {
            black_box(
                Authorizer::builder()
                    .limits(limits.clone())
                    .compile(&small_doc)
                    .unwrap(),
            );
        },
        || {
            black_box(
                Authorizer::builder()
                    .limits(limits.clone())
                    .compile(&large_doc)
                    .unwrap(),
            );
        },
    );
    let bytes = ratio(
        Duration::from_nanos(large.len() as u64),
        Duration::from_nanos(small.len() as u64),
    );
    let per_byte = ratio(t_large, t_small) / bytes;
    println!(
        "nested prefixes: {} bytes {t_small:?}, {} bytes {t_large:?}: {per_byte:.2}x per byte",
        small.len(),
        large.len()
    );
    assert!(
        per_byte < 2.5,
        "a byte costs {per_byte:.2}x as much at {bytes:.1}x the bytes"
    );
    // And the names decide as their prefixes say.
    let authz = Authorizer::builder()
        .limits(limits.clone())
        .compile(&large_doc)
        .unwrap();
    let name = format!("{}{:06}", "x".repeat(600), 7);
    let now = fgac::Timestamp::from_unix_seconds(0);
    let key = authz.credential("k").unwrap();
    let item = fgac::Resource::item(&name, b"any");
    assert!(key.authorize(fgac::Operation::Set, item, now).is_allowed());
    assert!(key.authorize(fgac::Operation::Get, item, now).is_allowed());
}

/// Momento's protobuf forms: reading a message of many permissions, each on its own cache and
/// key, costs the same per permission at 4x the permissions (v1 `Permissions`, and v2
/// `PermissionSet` written from the same document).
#[cfg(feature = "protobuf")]
#[test]
fn protobuf_messages_read_in_time_linear_in_their_permissions() {
    use fgac::syntax::{self, Format, Reader};
    let message = |n: usize, form: Format| {
        let grants: Vec<String> = (0..n)
            .map(|i| format!("    allow readwrite cache \"c{i}\" items prefix \"user:{i}:\"\n"))
            .collect();
        let text = format!(
            "key \"default\" {{\n    expires never\n{}}}\n",
            grants.concat()
        );
        let doc = read::dsl_with(&text, &Limits::unbounded()).unwrap();
        syntax::to_bytes(&doc, form).unwrap()
    };
    for form in [Format::MomentoProtobuf, Format::MomentoV2Protobuf] {
        let (small, large) = (message(10_000, form), message(40_000, form));
        let read = |bytes: &[u8]| {
            let loaded = Reader::new()
                .format(form)
                .limits(Limits::unbounded())
                .read(bytes)
                .unwrap();
            black_box(loaded.document.credentials.len())
        };
        let (t_small, t_large) = best_of_both(
            5,
            || {
                read(&small);
            },
            || {
                read(&large);
            },
        );
        let per_permission = ratio(t_large, t_small) / 4.0;
        println!(
            "{form:?}: 10,000 permissions {t_small:?}, 40,000 {t_large:?}: {per_permission:.2}x per permission"
        );
        assert!(
            per_permission < 2.5,
            "{form:?}: a permission costs {per_permission:.2}x as much at 4x the permissions"
        );
    }
}
