//! The command line, run as a process: every subcommand, its output and its exit code, including
//! the failure paths (exit 1 for a bad document or a failed test, exit 2 for a bad command).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The repository's root: commands run there, as the README shows them.
const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

fn fgac(args: &[&str]) -> Output {
    fgac_with_stdin(args, "")
}

fn fgac_with_stdin(args: &[&str], stdin: &str) -> Output {
    fgac_with_bytes(args, stdin.as_bytes())
}

fn fgac_with_bytes(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fgac"))
        .args(args)
        .current_dir(ROOT)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the fgac binary runs");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let output = child.wait_with_output().unwrap();
    assert_no_debug_shapes(args, &output);
    output
}

/// Rust's `Debug` shapes, which no message a user sees may show (times are RFC 3339, errors are
/// sentences): each must start a word.
const DEBUG_SHAPES: &[&str] = &[
    "Some(",
    "None",
    "Ok(",
    "Err(",
    "At(",
    "Never",
    "Timestamp(",
    "Credential(",
    "Key(",
    "Os {",
    "kind: ",
    "Io {",
    "Format {",
    "Missing(",
    "Diverged {",
];

/// The `Debug` shapes in `text`.
fn debug_shapes(text: &str) -> Vec<&'static str> {
    DEBUG_SHAPES
        .iter()
        .copied()
        .filter(|shape| {
            text.match_indices(shape).any(|(i, _)| {
                !text[..i]
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_alphanumeric() || c == '_')
            })
        })
        .collect()
}

/// Every command these tests run is checked: its stdout and stderr show no `Debug` shape.
fn assert_no_debug_shapes(args: &[&str], o: &Output) {
    for (stream, bytes) in [("stdout", &o.stdout), ("stderr", &o.stderr)] {
        let text = String::from_utf8_lossy(bytes);
        let found = debug_shapes(&text);
        assert!(
            found.is_empty(),
            "`fgac {}` shows Rust's Debug shapes {found:?} on {stream}:\n{text}",
            args.join(" ")
        );
    }
}

#[test]
fn the_debug_shape_check_catches_what_it_looks_for() {
    assert_eq!(
        debug_shapes("refused: expires after its parent (At(Timestamp(1811808000)))"),
        ["At(", "Timestamp("]
    );
    assert!(debug_shapes("a CachePermitNone role; expires never; SomeCache(").is_empty());
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exited")
}

/// A fresh scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fgac-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

const CHECKOUT: &str = "grammar/examples/checkout.fgac";
const NOW: &str = "2026-11-26T00:00:00Z";

#[test]
fn check_reports_ok_warnings_and_errors() {
    let o = fgac(&["check", CHECKOUT, "grammar/examples/checkout.json"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "grammar/examples/checkout.fgac: ok\ngrammar/examples/checkout.json: ok\n"
    );

    let o = fgac(&["check", "grammar/examples/superuser.fgac"]);
    assert_eq!(code(&o), 0);
    assert!(
        stderr(&o).contains("warning: api key `break-glass` never expires"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        code(&fgac(&[
            "check",
            "--deny-warnings",
            "grammar/examples/superuser.fgac"
        ])),
        1
    );

    let o = fgac(&["check", "tests/errors/unknown-role.fgac", CHECKOUT]);
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).starts_with(
            "error: unknown role `readwrit`\n --> tests/errors/unknown-role.fgac:3:11\n"
        ),
        "{}",
        stderr(&o)
    );
    assert!(
        stdout(&o).contains("checkout.fgac: ok"),
        "the other files are still checked"
    );

    let o = fgac(&["check", "no/such/file.fgac"]);
    assert_eq!(code(&o), 2);
    assert_eq!(
        stderr(&o).lines().count(),
        1,
        "one clear line: {}",
        stderr(&o)
    );
    assert!(stderr(&o).starts_with("error: cannot read `no/such/file.fgac`"));
}

#[test]
fn check_lints_shadowed_allows() {
    let dir = scratch("lint");
    let f = write(
        &dir,
        "p.fgac",
        "key \"k\" {\n    expires 2027-01-01T00:00:00Z\n    allow readonly cache \"billing\"\n    deny  readwrite cache prefix \"bill\"\n}\n",
    );
    let o = fgac(&["check", &f]);
    assert_eq!(code(&o), 0);
    assert!(
        stderr(&o)
            .contains("warning: rule #0 of `k` allows nothing: deny rule #1 takes all its rights"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn fmt_rewrites_and_checks() {
    let dir = scratch("fmt");
    let f = write(
        &dir,
        "p.fgac",
        "key \"k\" { allow readonly cache \"c\"  expires never }\n",
    );
    let o = fgac(&["fmt", "--check", &f]);
    assert_eq!(code(&o), 1);
    assert_eq!(stdout(&o).trim(), f);
    assert_eq!(
        std::fs::read_to_string(&f).unwrap(),
        "key \"k\" { allow readonly cache \"c\"  expires never }\n",
        "--check changes nothing"
    );

    assert_eq!(code(&fgac(&["fmt", &f])), 0);
    assert_eq!(
        std::fs::read_to_string(&f).unwrap(),
        "key \"k\" {\n    expires never\n    allow readonly cache \"c\"\n}\n"
    );
    assert_eq!(code(&fgac(&["fmt", "--check", &f])), 0);

    let broken = write(&dir, "broken.fgac", "key \"k\" { expires nevr }\n");
    let o = fgac(&["fmt", &broken]);
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).contains("error: expected a time or `never` after `expires`, found `nevr`"),
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("= help: did you mean `never`?"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn every_committed_document_is_canonically_formatted() {
    let mut files = vec![];
    for dir in ["grammar/examples", "examples", "examples/mesh"] {
        for e in std::fs::read_dir(Path::new(ROOT).join(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|e| e == "fgac") {
                files.push(p.to_string_lossy().into_owned());
            }
        }
    }
    let mut args = vec!["fmt", "--check"];
    args.extend(files.iter().map(String::as_str));
    let o = fgac(&args);
    assert_eq!(code(&o), 0, "not canonical: {}", stdout(&o));
}

#[test]
fn explain_names_the_deciding_rule_or_the_near_misses() {
    // `--key`: the older name of `--credential`, kept for scripts.
    let o = fgac(&[
        "explain",
        CHECKOUT,
        "--key",
        "checkout-service",
        "--op",
        "get",
        "--cache",
        "sessions",
        "--item",
        "user:admin",
        "--now",
        NOW,
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "deny (denied_by_rule #1): `checkout-service` may not get cache \"sessions\" item \"user:admin\"\n  decided by:\n    rule #1 at grammar/examples/checkout.fgac:5:5: deny  readwrite        cache \"sessions\"    item \"user:admin\"\n"
    );

    let o = fgac(&[
        "explain",
        CHECKOUT,
        "--credential",
        "checkout-service",
        "--op",
        "set",
        "--cache",
        "catalog",
        "--item",
        "p1",
        "--now",
        NOW,
    ]);
    let out = stdout(&o);
    assert!(out.starts_with("deny (no_matching_grant): `checkout-service` may not set cache \"catalog\" item \"p1\"\n  no rule allows it; nearest:\n"), "{out}");
    assert!(
        out.contains("covers it, but `readonly` gives read and set needs write"),
        "{out}"
    );

    let o = fgac(&[
        "explain",
        CHECKOUT,
        "--credential",
        "ops",
        "--op",
        "flush_cache",
        "--cache",
        "sessions",
        "--now",
        NOW,
    ]);
    assert_eq!(
        stdout(&o),
        "allow: `ops` may flush_cache cache \"sessions\"\n  `ops` is a super user\n"
    );

    let o = fgac(&[
        "explain",
        CHECKOUT,
        "--credential",
        "browser-42",
        "--op",
        "get",
        "--cache",
        "profiles",
        "--item-b64",
        "dXNlcjo0Mg==",
        "--now",
        "1900000000",
    ]);
    assert!(stdout(&o).starts_with("deny (expired)"), "{}", stdout(&o));
}

#[test]
fn explain_rejects_bad_commands_with_one_line_and_exit_2() {
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "--credential",
                "checkout-service",
                "--op",
                "gett",
                "--cache",
                "c",
                "--item",
                "k",
            ],
            "error: unknown operation `gett`; did you mean `get`?",
        ),
        (
            &[
                "--credential",
                "checkout-servic",
                "--op",
                "get",
                "--cache",
                "c",
                "--item",
                "k",
            ],
            "error: no credential `checkout-servic` in `grammar/examples/checkout.fgac`; did you mean `checkout-service`?",
        ),
        (
            &[
                "--credential",
                "ops",
                "--op",
                "get",
                "--cache",
                "c",
                "--now",
                "2027-02-30T00:00:00Z",
            ],
            "error: bad time `2027-02-30T00:00:00Z`: day 30 does not exist",
        ),
        (
            &[
                "--credential",
                "ops",
                "--op",
                "get",
                "--cache",
                "c",
                "--now",
                "yesterday",
            ],
            "error: bad time `yesterday`",
        ),
    ];
    for (args, want) in cases {
        let mut all = vec!["explain", CHECKOUT];
        all.extend_from_slice(args);
        let o = fgac(&all);
        assert_eq!(code(&o), 2, "{args:?}: {}", stderr(&o));
        assert_eq!(stderr(&o).lines().count(), 1, "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).starts_with(want), "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn decide_answers_one_json_line_per_request() {
    let input = [
        r#"{"key":"checkout-service","op":"get","cache":"sessions","item":"user:1"}"#,
        r#"{"key":"checkout-service","op":"get","cache":"sessions","item":"user:admin"}"#,
        r#"{"key":"checkout-service","op":"publish","cache":"chat","topic":"room-1"}"#,
        r#"{"key":"checkout-service","op":"create_cache","cache":"new"}"#,
        r#"{"key":"ops","op":"list_caches"}"#,
        "",
        r#"{"key":"checkout-service","op":"gett","cache":"c","item":"k"}"#,
        "not json",
        r#"{"key":"nobody","op":"get","cache":"c","item":"k"}"#,
        r#"{"op":"get","cache":"c","item":"k"}"#,
        r#"{"key":"checkout-service","op":"get_batch","cache":"sessions","items":["user:1","user:admin"]}"#,
        r#"{"key":"checkout-service","op":"get","cache":"sessions","item_b64":"dXNlcjox"}"#,
        r#"{"key":"checkout-service","op":"get","cache":"sessions","item":"a","topic":"t"}"#,
        r#"{"key":"browser-42","op":"get","cache":"profiles","item":"user:42"}"#,
    ]
    .join("\n");
    let o = fgac_with_stdin(&["decide", CHECKOUT, "--now", NOW], &input);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[..6],
        [
            r#"{"decision":"allow"}"#,
            r#"{"decision":"deny","reason":"denied_by_rule","rule":1}"#,
            r#"{"decision":"allow"}"#,
            r#"{"decision":"deny","reason":"super_user_required"}"#,
            r#"{"decision":"allow"}"#,
            r#"{"error":"unknown operation `gett`; did you mean `get`?"}"#,
        ]
    );
    assert!(lines[6].starts_with(r#"{"error":"#), "{}", lines[6]);
    assert_eq!(
        lines[7],
        r#"{"decision":"deny","reason":"unknown_credential"}"#
    );
    assert_eq!(
        lines[8],
        r#"{"error":"`key` is required: the document holds several credentials"}"#
    );
    assert_eq!(
        lines[9],
        r#"{"decision":"deny","reason":"denied_by_rule","rule":1}"#
    );
    assert_eq!(lines[10], r#"{"decision":"allow"}"#);
    assert_eq!(
        lines[11],
        r#"{"error":"give one of `item`, `item_b64`, `items`, `items_b64` and `topic`"}"#
    );
    assert_eq!(lines[12], r#"{"decision":"allow"}"#);
    assert_eq!(lines.len(), 13, "one answer per non-blank line");
}

#[test]
fn decide_lets_a_single_credential_go_unnamed_and_reads_epoch_time() {
    let input = r#"{"op":"get","cache":"data","item":"foo"}
{"op":"set","cache":"data","item":"foo"}"#;
    let o = fgac_with_stdin(
        &[
            "decide",
            "grammar/examples/momento-documented.json",
            "--now",
            "1700000000",
        ],
        input,
    );
    assert_eq!(
        stdout(&o),
        "{\"decision\":\"allow\"}\n{\"decision\":\"deny\",\"reason\":\"no_matching_grant\"}\n"
    );
    assert_eq!(code(&fgac(&["decide", CHECKOUT, "--now", "soon"])), 2);
}

#[test]
fn test_runs_the_examples_and_reports_failures() {
    let o = fgac(&["test", "examples/"]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).ends_with("11 passed, 0 failed\n"),
        "{}",
        stdout(&o)
    );

    let dir = scratch("test");
    let policy = Path::new(ROOT).join("examples/mesh/policy.fgac");
    let f = write(
        &dir,
        "t.fgac",
        &format!(
            "policy \"{}\"\n\ntest \"wrong on purpose\" {{\n    expect allow \"reporting-reader\" get cache \"secrets-x\" item \"k\" at 2027-01-01T00:00:00Z\n}}\n\ntest \"right\" {{\n    expect allow \"reporting-reader\" get cache \"orders\" item \"k\" at 2027-01-01T00:00:00Z\n}}\n",
            policy.display()
        ),
    );
    let o = fgac(&["test", &f]);
    assert_eq!(code(&o), 1);
    let out = stdout(&o);
    assert!(
        out.contains(&format!(
            "FAIL {f}: wrong on purpose\n  {f}:4:5: expect allow \"reporting-reader\""
        )),
        "{out}"
    );
    assert!(
        out.contains(
            "    expected allow, got deny (denied_by_rule #1)\n    decided by rule #1 at "
        ),
        "{out}"
    );
    assert!(out.contains(&format!("ok   {f}: right")), "{out}");
    assert!(out.ends_with("1 passed, 1 failed\n"), "{out}");
}

#[test]
fn test_without_at_uses_now() {
    let dir = scratch("now");
    let f = write(
        &dir,
        "p.fgac",
        "key \"k\" {\n    expires 2000000000\n    allow readonly cache \"c\"\n}\n\ntest \"before expiry\" {\n    expect allow \"k\" get cache \"c\" item \"x\"\n}\n",
    );
    assert_eq!(code(&fgac(&["test", &f, "--now", "1999999999"])), 0);
    let o = fgac(&["test", &f, "--now", "2000000000"]);
    assert_eq!(code(&o), 1);
    assert!(
        stdout(&o).contains("expected allow, got deny (expired)"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn convert_between_forms() {
    let o = fgac(&[
        "convert",
        "grammar/examples/momento-documented.fgac",
        "--to",
        "momento",
    ]);
    assert_eq!(code(&o), 0);
    assert_eq!(
        stdout(&o),
        std::fs::read_to_string(Path::new(ROOT).join("grammar/examples/momento-documented.json"))
            .unwrap()
    );

    let o = fgac(&["convert", CHECKOUT, "--to", "json"]);
    assert_eq!(
        stdout(&o),
        std::fs::read_to_string(Path::new(ROOT).join("grammar/examples/checkout.json")).unwrap()
    );

    let o = fgac(&["convert", "grammar/examples/checkout.json", "--to", "fgac"]);
    let back = fgac::syntax::parse(&stdout(&o)).unwrap();
    assert_eq!(
        back,
        fgac::syntax::parse(&std::fs::read_to_string(Path::new(ROOT).join(CHECKOUT)).unwrap())
            .unwrap()
    );

    let o = fgac(&[
        "convert",
        "grammar/examples/except-billing.fgac",
        "--to",
        "momento",
    ]);
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).contains(
            "grant #1 of `analytics` is a deny rule, which Momento's JSON cannot express"
        ),
        "{}",
        stderr(&o)
    );
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(code(&fgac(&[])), 2);
    assert_eq!(code(&fgac(&["frobnicate"])), 2);
    assert_eq!(code(&fgac(&["convert", CHECKOUT, "--to", "yaml"])), 2);
}

// ---------------------------------------------------------------------------------------------
// Front doors that must keep meaning and stay quiet (each a class of defect once found).

/// The decision on `request` (a `decide` line) against `file` at `now`.
fn decision(file: &str, request: &str, now: &str) -> String {
    let o = fgac_with_stdin(&["decide", file, "--now", now], &format!("{request}\n"));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    stdout(&o)
}

#[test]
fn fmt_writes_each_file_back_in_its_own_form_and_meaning() {
    let dir = scratch("fmt-forms");
    let store = r#"{"credentials": [{"name": "t", "kind": "token", "expires_at": 1767225600, "token_id": "user-42", "permissions": [{"role": "readwrite", "cache": "c"}]}]}"#;
    let scope =
        r#"{"permissions": [{"role": "readonly", "cache": "c", "item": {"keyPrefix": "u:"}}]}"#;
    let dsl = "key \"k\" { expires 1767225600 allow readwrite cache \"c\" }";
    let requests = [
        r#"{"key":"t","op":"set","cache":"c","item":"x"}"#,
        r#"{"key":"default","op":"get","cache":"c","item":"u:1"}"#,
        r#"{"key":"k","op":"set","cache":"c","item":"x"}"#,
    ];
    for (name, text) in [
        ("trust.json", store),
        ("scope.json", scope),
        ("dsl.fgac", dsl),
    ] {
        for (variant, bytes) in [
            ("bom", format!("\u{feff}{text}\n")),
            ("crlf", format!("{text}\r\n").replace('\n', "\r\n")),
            (
                "bom-crlf",
                format!("\u{feff}{text}\n").replace('\n', "\r\n"),
            ),
        ] {
            let f = write(&dir, &format!("{variant}-{name}"), &bytes);
            let before: Vec<String> = ["2025-12-01T00:00:00Z", "2027-01-01T00:00:00Z"]
                .iter()
                .flat_map(|now| requests.map(|r| decision(&f, r, now)))
                .collect();
            let o = fgac(&["fmt", &f]);
            assert_eq!(code(&o), 0, "{variant}-{name}: {}", stderr(&o));
            let after: Vec<String> = ["2025-12-01T00:00:00Z", "2027-01-01T00:00:00Z"]
                .iter()
                .flat_map(|now| requests.map(|r| decision(&f, r, now)))
                .collect();
            assert_eq!(before, after, "fmt changed a decision of {variant}-{name}");
            let formatted = std::fs::read_to_string(&f).unwrap();
            let expect_store = name == "trust.json";
            assert_eq!(
                formatted.contains("\"credentials\""),
                expect_store,
                "{formatted}"
            );
            assert_eq!(
                code(&fgac(&["fmt", "--check", &f])),
                0,
                "formatting is idempotent"
            );
        }
    }
}

#[test]
fn convert_refuses_what_momento_json_cannot_say() {
    let dir = scratch("convert-lossy");
    for (doc, says) in [
        (
            "token \"t\" {\n    expires 2027-01-01T00:00:00Z\n    id \"u-1\"\n    allow readonly cache \"c\"\n}\n",
            &[
                "the name `t`",
                "the kind (a disposable token)",
                "the expiry (2027-01-01T00:00:00Z)",
                "the token id `u-1`",
            ][..],
        ),
        (
            "key \"default\" {\n    expires 2027-01-01T00:00:00Z\n    superuser\n}\n",
            &["the expiry (2027-01-01T00:00:00Z)"][..],
        ),
        (
            "key \"a\" {\n    expires never\n    allow readonly cache \"c\"\n}\nkey \"b\" {\n    expires never\n    allow readonly cache \"c\"\n}\n",
            &["the document holds 2 credentials"][..],
        ),
    ] {
        let f = write(&dir, "p.fgac", doc);
        let o = fgac(&["convert", &f, "--to", "momento"]);
        assert_eq!(code(&o), 1, "{doc}");
        assert!(stdout(&o).is_empty(), "nothing printed: {}", stdout(&o));
        for what in says {
            assert!(stderr(&o).contains(what), "{what}: {}", stderr(&o));
        }
    }
}

#[test]
fn a_test_naming_a_credential_the_policy_lacks_fails() {
    let dir = scratch("test-unknown");
    let f = write(
        &dir,
        "t.fgac",
        "key \"billing-api\" {\n    expires never\n    allow readonly cache \"c\"\n}\n\ntest \"misspelt\" {\n    expect deny \"biling-api\" set cache \"c\" item \"k\"\n}\n\ntest \"gone on purpose\" {\n    expect deny \"old-key\" get cache \"c\" item \"k\" reason unknown_credential\n}\n",
    );
    let o = fgac(&["test", &f]);
    assert_eq!(code(&o), 1);
    assert!(
        stdout(&o).contains(&format!("FAIL {f}: misspelt")),
        "{}",
        stdout(&o)
    );
    assert!(
        stdout(&o).contains(&format!("ok   {f}: gone on purpose")),
        "{}",
        stdout(&o)
    );
    assert!(
        stderr(&o).contains(
            "test `misspelt` names the credential `biling-api`, which the policy does not hold"
        ),
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("= help: did you mean `billing-api`?"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_policy_line_never_prints_a_file_that_is_not_a_policy() {
    let dir = scratch("policy-ref");
    write(&dir, "secret.txt", "TOP-SECRET-LINE\n");
    write(&dir, "secret.fgac", "TOP-SECRET-\u{1b}[2J-LINE\n");
    for target in ["secret.txt", "/etc/passwd", "missing.fgac", "secret.fgac"] {
        let f = write(
            &dir,
            "t.fgac",
            &format!(
                "policy \"{target}\"\n\ntest \"x\" {{\n    expect allow \"k\" get cache \"c\" item \"k\"\n}}\n"
            ),
        );
        let o = fgac(&["test", &f]);
        assert_eq!(code(&o), 1, "{target}");
        let err = stderr(&o);
        assert!(
            !err.contains("root:") && !err.contains('\u{1b}'),
            "{target}: {err}"
        );
        if target != "secret.fgac" {
            assert!(!err.contains("TOP-SECRET"), "{target}: {err}");
            assert!(
                err.contains(&format!("policy \"{target}\"")),
                "reported at the policy line: {err}"
            );
        }
    }
}

#[test]
fn decide_answers_every_line_whatever_its_bytes() {
    let mut input = Vec::new();
    input.extend_from_slice(
        br#"{"key":"checkout-service","op":"get","cache":"sessions","item":"user:1"}"#,
    );
    input.extend_from_slice(b"\n{\"key\":\"checkout-service\",\"op\":\"get\",\"cache\":\"sessions\",\"item\":\"\xff\"}\n");
    input.extend_from_slice(b"{\"key\":\"checkout-service\",\"op\":\"get\",\"cache\":\"sessions\",\"items_b64\":[\"dXNlcjox\",\"/w==\"]}\r\n");
    input.extend_from_slice(br#"{"key":"checkout-service","op":"get","cache":"sessions","items_b64":["dXNlcjox","dXNlcjoy"]}"#);
    input.extend_from_slice(b"\n{\"key\":null,\"op\":\"get\"}\n");
    input.extend_from_slice(
        br#"{"key":"checkout-service","op":"get","cache":"sessions","item":"user:2"}"#,
    );
    let o = fgac_with_bytes(&["decide", CHECKOUT, "--now", NOW], &input);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let lines: Vec<String> = stdout(&o).lines().map(str::to_owned).collect();
    assert_eq!(
        lines,
        [
            r#"{"decision":"allow"}"#,
            r#"{"error":"line 2 is not UTF-8 (at byte 64); give keys that are not UTF-8 as `item_b64` or `items_b64`"}"#,
            r#"{"decision":"deny","reason":"no_matching_grant"}"#,
            r#"{"decision":"allow"}"#,
            r#"{"error":"`key`: `null` is not a value here; `null` does not mean \"absent\": leave the field out, or give it a value"}"#,
            r#"{"decision":"allow"}"#,
        ]
    );
}

#[test]
fn a_document_that_is_not_utf8_is_a_document_error() {
    let dir = scratch("not-utf8");
    let path = dir.join("p.fgac");
    std::fs::write(
        &path,
        b"key \"k\" {\n    expires never\n    allow readonly cache \"caf\xe9\"\n}\n",
    )
    .unwrap();
    let f = path.to_string_lossy().into_owned();
    for args in [
        vec!["check", &f],
        vec!["fmt", "--check", &f],
        vec!["convert", &f, "--to", "json"],
        vec!["decide", &f],
        vec!["test", &f],
    ] {
        let o = fgac(&args);
        assert_eq!(code(&o), 1, "{args:?}: {}", stderr(&o));
        assert!(
            stderr(&o).starts_with("error: invalid UTF-8 at byte 57\n"),
            "{args:?}: {}",
            stderr(&o)
        );
    }
}

#[test]
fn a_closed_stdout_ends_every_command_quietly() {
    let dir = scratch("pipe");
    let many: String = (0..20_000)
        .map(|i| {
            format!("key \"k{i}\" {{\n    expires never\n    allow readonly cache \"c\"\n}}\n")
        })
        .collect();
    let f = write(&dir, "many.fgac", &many);
    let lines: String = (0..50_000)
        .map(|i| {
            format!(
                "{{\"key\":\"k{}\",\"op\":\"get\",\"cache\":\"c\",\"item\":\"x\"}}\n",
                i % 20_000
            )
        })
        .collect();
    for (args, stdin) in [
        (vec!["convert", f.as_str(), "--to", "json"], String::new()),
        (vec!["decide", f.as_str(), "--now", NOW], lines),
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_fgac"))
            .args(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin_pipe = child.stdin.take().unwrap();
        let feeder = std::thread::spawn(move || {
            let _ = stdin_pipe.write_all(stdin.as_bytes());
        });
        // Read one line, then close the pipe, as `| head -1` does.
        let mut out = child.stdout.take().unwrap();
        let mut first = [0u8; 64];
        let _ = std::io::Read::read(&mut out, &mut first).unwrap();
        drop(out);
        let o = child.wait_with_output().unwrap();
        feeder.join().unwrap();
        assert_eq!(code(&o), 0, "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).is_empty(), "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn commands_over_several_files_report_each_and_exit_with_the_worst() {
    let dir = scratch("several");
    let messy = write(
        &dir,
        "messy.fgac",
        "key \"k\" { expires never  allow readonly cache \"c\" }\n",
    );
    let missing = dir.join("missing.fgac").to_string_lossy().into_owned();
    let o = fgac(&["fmt", "--check", &missing, &messy]);
    assert_eq!(code(&o), 2, "a missing file is a usage error");
    assert_eq!(stdout(&o).trim(), messy, "the other file is still checked");
    assert!(
        stderr(&o).contains(&format!("cannot read `{missing}`")),
        "{}",
        stderr(&o)
    );

    let o = fgac(&["check", &missing, CHECKOUT]);
    assert_eq!(code(&o), 2);
    assert!(
        stdout(&o).contains(&format!("{CHECKOUT}: ok")),
        "{}",
        stdout(&o)
    );

    let o = fgac(&["test", &missing, "examples/"]);
    assert_eq!(code(&o), 2);
    assert!(
        stdout(&o).ends_with("11 passed, 0 failed\n"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn policy_text_reaches_the_terminal_escaped() {
    let dir = scratch("escape");
    let f = write(
        &dir,
        "p.fgac",
        "key \"a\u{1b}[2J\u{202e}b\" {\n    expires never\n    allow readonly cache \"c\u{1b}]0;x\u{7}\"\n    allow readwrit cache \"c\"\n}\n\ntest \"t\u{1b}[31m\" {\n    expect allow \"a\u{1b}[2J\u{202e}b\" set cache \"c\" item \"k\"\n}\n",
    );
    let fixed = write(
        &dir,
        "q.fgac",
        &std::fs::read_to_string(&f)
            .unwrap()
            .replace("readwrit ", "readwrite "),
    );
    for args in [
        vec!["check", f.as_str()],
        vec!["check", fixed.as_str()],
        vec!["test", fixed.as_str()],
        vec!["convert", fixed.as_str(), "--to", "json"],
        vec!["convert", fixed.as_str(), "--to", "fgac"],
        vec![
            "explain",
            fixed.as_str(),
            "--credential",
            "a\u{1b}[2J\u{202e}b",
            "--op",
            "set",
            "--cache",
            "c",
            "--item",
            "k",
        ],
    ] {
        let o = fgac(&args);
        for (stream, text) in [("stdout", stdout(&o)), ("stderr", stderr(&o))] {
            let raw = text.chars().find(|&c| {
                c != '\n' && c != '\t' && (c.is_control() || ('\u{202a}'..='\u{202e}').contains(&c))
            });
            assert_eq!(raw, None, "{args:?} {stream}: {text:?}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Analysis: diff and contains.

const BEFORE: &str = "examples/review/before.fgac";
const AFTER: &str = "examples/review/after.fgac";

#[test]
fn diff_reports_what_a_change_opens_and_every_witness_reproduces() {
    let o = fgac(&["diff", BEFORE, AFTER, "--now", NOW]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(
        stdout(&o).contains(
            r#"api-acme: now allowed on caches starting "acme-billing" any item: set, increment (e.g. cache "acme-billinga" item "a": deny (denied_by_rule #1) -> allow)"#
        ),
        "{}",
        stdout(&o)
    );

    let o = fgac(&["diff", BEFORE, AFTER, "--now", NOW, "--json"]);
    assert_eq!(code(&o), 1);
    let changes: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(changes.len() >= 3, "{changes:?}");
    // Each request is a `decide` line; `decide` answers it on each side as the diff says.
    let requests: String = changes
        .iter()
        .map(|c| format!("{}\n", c["request"]))
        .collect();
    for (file, side) in [(BEFORE, "old"), (AFTER, "new")] {
        let o = fgac_with_stdin(&["decide", file, "--now", NOW], &requests);
        let answers: Vec<serde_json::Value> = stdout(&o)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let reported: Vec<serde_json::Value> = changes.iter().map(|c| c[side].clone()).collect();
        assert_eq!(answers, reported, "{side}");
    }
    for c in &changes {
        assert_eq!(c["credential"], "api-acme");
        assert_eq!(c["change"], "now_allowed");
    }
}

#[test]
fn diff_is_quiet_and_exits_0_when_no_decision_changes() {
    // The DSL and its JSON twin, and a file and its reformatted self, decide alike.
    let o = fgac(&[
        "diff",
        CHECKOUT,
        "grammar/examples/checkout.json",
        "--now",
        NOW,
    ]);
    assert_eq!((code(&o), stdout(&o).as_str()), (0, ""), "{}", stderr(&o));
    // A credential's changes of kind or expiry are reported, decisions now aside.
    let dir = scratch("diff-meta");
    let a = write(
        &dir,
        "a.fgac",
        "key \"k\" {\n    expires 2030-01-01T00:00:00Z\n    allow readonly cache \"c\"\n}\n",
    );
    let b = write(
        &dir,
        "b.fgac",
        "key \"k\" {\n    expires 2031-01-01T00:00:00Z\n    allow readonly cache \"c\"\n}\n\nkey \"new\" {\n    expires never\n    allow readonly cache \"d\"\n}\n",
    );
    let o = fgac(&["diff", &a, &b, "--now", NOW, "--json"]);
    assert_eq!(code(&o), 1, "the new key allows what was denied");
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        r#"{"credential":"k","change":"expiry","old":1893456000,"new":1924992000}"#
    );
    assert_eq!(lines[1], r#"{"credential":"new","change":"added"}"#);
    assert!(
        lines[2].contains(r#""old":{"decision":"deny","reason":"unknown_credential"}"#),
        "{}",
        lines[2]
    );
    // Bad commands and documents that do not compile exit 2.
    assert_eq!(
        code(&fgac(&[
            "diff",
            &a,
            &dir.join("missing.fgac").to_string_lossy()
        ])),
        2
    );
    let broken = write(&dir, "broken.fgac", "key \"k\" { expires never }\n");
    assert_eq!(code(&fgac(&["diff", &a, &broken])), 2);
}

#[test]
fn contains_answers_with_a_counterexample_or_not() {
    let o = fgac(&[
        "contains",
        AFTER,
        "--credential",
        "api-acme",
        "--within",
        "billing",
        "--now",
        NOW,
        "--json",
    ]);
    assert_eq!(code(&o), 1);
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(
        (v["contained"].as_bool(), v["expiry_ok"].as_bool()),
        (Some(false), Some(true))
    );
    let answer = |file: &str| {
        let o = fgac_with_stdin(
            &["decide", file, "--now", NOW],
            &format!("{}\n", v["request"]),
        );
        serde_json::from_str::<serde_json::Value>(stdout(&o).trim()).unwrap()
    };
    assert_eq!(answer(AFTER), v["inner"], "the request, by api-acme");
    let mut as_billing = v["request"].clone();
    as_billing["credential"] = "billing".into();
    let o = fgac_with_stdin(&["decide", AFTER, "--now", NOW], &format!("{as_billing}\n"));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(stdout(&o).trim()).unwrap(),
        v["outer"]
    );

    // A credential within itself (`--key`, the older name of `--credential`); a token of the
    // billing service within it, from another file.
    let o = fgac(&[
        "contains", AFTER, "--key", "billing", "--within", "billing", "--now", NOW,
    ]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let dir = scratch("contains");
    let t = write(
        &dir,
        "t.fgac",
        "token \"t\" {\n    expires 2027-01-01T00:00:00Z\n    allow readonly cache \"acme-billing-2026\" items prefix \"inv-\"\n}\n",
    );
    let o = fgac(&[
        "contains",
        &t,
        "--credential",
        "t",
        "--within",
        "billing",
        "--within-file",
        AFTER,
        "--now",
        NOW,
    ]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(
        stdout(&o).contains("`t` expires no later than `billing`"),
        "{}",
        stdout(&o)
    );
    // Unknown names are usage errors, with a suggestion.
    let o = fgac(&[
        "contains",
        AFTER,
        "--credential",
        "biling",
        "--within",
        "billing",
    ]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("did you mean `billing`?"),
        "{}",
        stderr(&o)
    );
}

// ---------------------------------------------------------------------------------------------
// Signed credentials: keygen, mint, inspect, revoke, and decide with tokens.

#[test]
fn keygen_mint_inspect_revoke_and_decide_a_token() {
    let dir = scratch("credentials");
    let d = dir.to_string_lossy().into_owned();
    let key = format!("{d}/k1.jwk");
    let o = fgac(&["keygen", "--kid", "k1", "--out", &key]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the private key is its owner's alone");
    }
    let o = fgac(&["keygen", "--kid", "k1", "--out", &key]);
    assert_eq!(code(&o), 2, "never overwrites a key");

    let policy = write(
        &dir,
        "policy.fgac",
        "key \"billing\" {\n    expires 2027-06-01T00:00:00Z\n    allow readwrite cache \"invoices\" items prefix \"inv-\"\n    deny  readwrite cache \"invoices\" item \"inv-admin\"\n}\n",
    );
    let mint_args = |rule: &'static str| {
        vec![
            "mint",
            policy.as_str(),
            "--from",
            "billing",
            "--signing-key",
            key.as_str(),
            "--expires",
            "2026-11-26T01:00:00Z",
            "--now",
            NOW,
            "--id",
            "tok-1",
            "--token-id",
            "user-42",
            "--network",
            "10.0.0.0/8",
            rule,
        ]
    };
    let o = fgac(&mint_args(
        r#"allow readonly cache "invoices" items prefix "inv-42""#,
    ));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let token = stdout(&o).trim().to_owned();
    assert_eq!(token.matches('.').count(), 2);

    // Beyond the parent: refused with a counterexample the parent denies.
    let o = fgac(&mint_args(
        r#"allow readonly cache "invoices" items prefix "inv-""#,
    ));
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).contains(r#"get cache "invoices" item "inv-admin""#),
        "{}",
        stderr(&o)
    );
    // Not a rule, or two: a usage error.
    let o = fgac(&mint_args(
        r#"allow readonly cache "c" } key "x" { expires never superuser"#,
    ));
    assert_eq!(code(&o), 2, "{}", stderr(&o));

    // Inspect: claims in the DSL, the signature checked against the public key.
    let public = format!("{d}/k1.pub.jwk");
    let o = fgac(&["inspect", &token, "--verify-with", &public, "--now", NOW]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let shown = stdout(&o);
    for line in [
        "key id: k1",
        "signature: valid",
        "id: tok-1",
        "expires: 2026-11-26T01:00:00Z",
        "    networks \"10.0.0.0/8\"",
        "    allow readonly cache \"invoices\" items prefix \"inv-42\"",
    ] {
        assert!(shown.contains(line), "{line} in {shown}");
    }
    let other = format!("{d}/k2.jwk");
    assert_eq!(code(&fgac(&["keygen", "--kid", "k1", "--out", &other])), 0);
    let o = fgac(&[
        "inspect",
        &token,
        "--verify-with",
        &format!("{d}/k2.pub.jwk"),
        "--now",
        NOW,
    ]);
    assert_eq!(code(&o), 1);
    assert!(stdout(&o).contains("signature: INVALID"), "{}", stdout(&o));
    let o = fgac(&["inspect", &token, "--now", "2026-11-26T02:00:00Z"]);
    assert_eq!(code(&o), 1, "expired");
    assert_eq!(code(&fgac(&["inspect", "not.a.token"])), 2);

    // Decide through a trust file: the peer decides, and a revocation takes effect.
    let pk = std::fs::read_to_string(&public).unwrap();
    let store = write(
        &dir,
        "trust.json",
        &format!(
            r#"{{"keys": [{}], "document": "policy.fgac", "revocations": "revoked.log"}}"#,
            pk.trim()
        ),
    );
    let request = |peer: &str| {
        format!(
            r#"{{"token":"{token}","peer":"{peer}","op":"get","cache":"invoices","item":"inv-42-a"}}"#
        )
    };
    // The store names a log that does not exist yet: refused (it could have been moved away with
    // its revocations) until it is created.
    let o = fgac_with_stdin(&["decide", &policy, "--trust", &store], "");
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("does not exist"), "{}", stderr(&o));
    let o = fgac(&["revoke", "--trust", &store, "--create-log"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let lines = format!(
        "{}\n{}\n{}\n",
        request("10.1.1.1"),
        request("192.0.2.1"),
        r#"{"key":"billing","op":"get","cache":"invoices","item":"inv-1"}"#
    );
    let decide = |lines: &str| {
        let args = [
            "decide",
            &policy,
            "--trust",
            &store,
            "--now",
            "2026-11-26T00:10:00Z",
        ];
        stdout(&fgac_with_stdin(&args, lines))
    };
    assert_eq!(
        decide(&lines),
        "{\"decision\":\"allow\"}\n{\"decision\":\"deny\",\"reason\":\"unauthenticated\",\"failure\":\"network_not_allowed\"}\n{\"decision\":\"allow\"}\n"
    );
    let o = fgac(&["revoke", "--trust", &store, "--token", &token, "--now", NOW]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(dir.join("revoked.log")).unwrap(),
        "# fgac revocations v2\nid tok-1 2026-11-26T00:00:00Z 2026-11-26T01:00:00Z\n"
    );
    assert_eq!(
        decide(&format!("{}\n", request("10.1.1.1"))),
        "{\"decision\":\"deny\",\"reason\":\"unauthenticated\",\"failure\":\"revoked\"}\n"
    );
    assert_eq!(
        // `--store`: the older name of `--trust`, kept for scripts.
        code(&fgac(&["revoke", "--store", &store, "--id", "a b"])),
        2
    );
    // A token without --trust, and without a peer, is an error line, not a guess.
    let o = fgac_with_stdin(&["decide", &policy], &format!("{}\n", request("10.1.1.1")));
    assert!(stdout(&o).contains("needs `--trust`"), "{}", stdout(&o));
}

#[test]
fn momento_protobuf_files_are_read_and_written() {
    let binary = "tests/protobuf/api_key_mixed.binpb";
    // Read by its extension, wherever documents are read.
    let o = fgac(&["convert", binary, "--to", "json"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(
        fgac::syntax::parse(&stdout(&o)).unwrap(),
        fgac::syntax::parse(
            &std::fs::read_to_string(Path::new(ROOT).join("tests/protobuf/api_key_mixed.json"))
                .unwrap()
        )
        .unwrap()
    );
    let o = fgac_with_stdin(
        &["decide", binary, "--now", NOW],
        "{\"key\":\"default\",\"op\":\"publish\",\"cache\":\"x\",\"topic\":\"alerts\"}\n{\"key\":\"default\",\"op\":\"publish\",\"cache\":\"events\",\"topic\":\"orders\"}\n",
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].contains("\"allow\""), "{}", lines[0]);
    assert!(lines[1].contains("no_matching_grant"), "{}", lines[1]);

    // Written byte for byte as Momento's SDK writes it (stdout is a pipe here, not a terminal).
    let o = fgac(&[
        "convert",
        "tests/protobuf/api_key_mixed.json",
        "--to",
        "momento-protobuf",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(
        o.stdout,
        std::fs::read(Path::new(ROOT).join(binary)).unwrap()
    );

    // What it cannot say is refused by name, and a damaged message is refused with its offset.
    let dir = scratch("protobuf");
    let token = write(
        &dir,
        "t.fgac",
        "token \"t\" {\n    expires 2027-01-01T00:00:00Z\n    allow readonly cache \"c\"\n}\n",
    );
    let o = fgac(&["convert", &token, "--to", "momento-pb"]);
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).contains(
            "Momento's protobuf cannot express the name `t`, the kind (a disposable token)"
        ),
        "{}",
        stderr(&o)
    );
    let damaged = dir.join("damaged.binpb");
    let mut bytes = std::fs::read(Path::new(ROOT).join(binary)).unwrap();
    bytes.truncate(bytes.len() - 3);
    std::fs::write(&damaged, bytes).unwrap();
    let o = fgac(&["check", damaged.to_str().unwrap()]);
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).contains("damaged.binpb: bytes "),
        "{}",
        stderr(&o)
    );
    // `fmt` has no layout to give a binary message.
    let o = fgac(&["fmt", "--check", binary]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(stderr(&o).contains("binary"), "{}", stderr(&o));
}

#[test]
fn momento_v2_forms_are_read_and_written() {
    let dir = scratch("v2");
    let doc = write(
        &dir,
        "ops.fgac",
        "key \"default\" {\n    expires never\n    networks \"10.0.0.0/8\"\n    allow resource_write\n    allow readonly cache \"c\"\n}\n",
    );
    let o = fgac(&["convert", &doc, "--to", "momento-v2"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "{\"rules\": [\n  {\"type\": \"cache\", \"permissions\": [\"read\"], \"caches\": {\"name\": \"c\"}, \"items\": \"*\"},\n  {\"type\": \"resource_management\", \"permissions\": [\"write\"]}\n], \"conditions\": [{\"ip_filter\": {\"allowed_cidr_ranges\": [\"10.0.0.0/8\"]}}]}\n"
    );
    let json = write(&dir, "ops.json", &stdout(&o));
    // The binary v2 form, read back by its `.v2.binpb` name.
    let o = fgac(&["convert", &json, "--to", "momento-v2-protobuf"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let binary = dir.join("ops.v2.binpb");
    std::fs::write(&binary, &o.stdout).unwrap();
    let o = fgac(&["convert", binary.to_str().unwrap(), "--to", "fgac"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o), std::fs::read_to_string(&doc).unwrap());
    // v1 cannot say the networks or the account right.
    let o = fgac(&["convert", &json, "--to", "momento"]);
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).contains(
            "cannot express the networks (10.0.0.0/8), the account rights (resource_write)"
        ),
        "{}",
        stderr(&o)
    );
    // The account right decides: create_cache is allowed, minting is not.
    let o = fgac_with_stdin(
        &["decide", &json, "--now", NOW],
        "{\"key\":\"default\",\"peer\":\"10.1.2.3\",\"op\":\"create_cache\",\"cache\":\"new\"}\n{\"key\":\"default\",\"peer\":\"10.1.2.3\",\"op\":\"generate_api_key\",\"cache\":\"new\"}\n",
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].contains("\"allow\""), "{}", lines[0]);
    assert!(lines[1].contains("super_user_required"), "{}", lines[1]);
}

/// `fgac revoke`: a missing log is refused until created; lines that do not read are shown as
/// diagnostics, with the file's line and carets (never as one escaped line); a revocation by id
/// says what the issuance ledger knows it covers; compaction keeps what is in force.
#[test]
fn revoke_creates_compacts_and_reports_the_log_like_any_document() {
    let dir = scratch("revoke-log");
    let log = dir.join("revoked.log").to_string_lossy().into_owned();
    let o = fgac(&["revoke", "--log", &log, "--id", "a"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("does not exist") && stderr(&o).contains("--create-log"),
        "{}",
        stderr(&o)
    );
    let o = fgac(&[
        "revoke",
        "--log",
        &log,
        "--create-log",
        "--id",
        "a",
        "--now",
        NOW,
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stdout(&o).contains("revoked credential `a`"),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).contains("in force for good"), "{}", stdout(&o));
    // Ids are base64url: one that starts with `-` is an id, not an option.
    let other = dir.join("other.log").to_string_lossy().into_owned();
    let o = fgac(&[
        "revoke",
        "--log",
        &other,
        "--create-log",
        "--id",
        "-sXyz",
        "--now",
        NOW,
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stdout(&o).contains("revoked credential `-sXyz`"),
        "{}",
        stdout(&o)
    );
    assert!(
        stdout(&o).contains("not counted: give --trust, with an issuance ledger"),
        "{}",
        stdout(&o)
    );

    // A line someone wrote by hand that is not a revocation.
    let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    f.write_all(b"id tor\n").unwrap();
    drop(f);
    let o = fgac(&["revoke", "--log", &log, "--signing-key", "k2"]);
    assert_eq!(code(&o), 1, "revoked, and the log has a bad line");
    assert!(
        stdout(&o).contains("revoked signing key `k2`"),
        "{}",
        stdout(&o)
    );
    let err = stderr(&o);
    assert!(
        !err.contains("\\u{a}") && !err.contains("error: error:"),
        "{err}"
    );
    assert!(err.contains("error: not a revocation line\n"), "{err}");
    assert!(err.contains("revoked.log:3:1"), "{err}");
    assert!(err.contains("3 | id tor\n"), "{err}");
    assert!(err.contains("  | ^^^^^^\n"), "{err}");

    // Through a store with an issuance ledger: a key, its refreshed successor and a token
    // minted from the successor (the ledger's lines, as a key ring writes them).
    std::fs::write(&log, "# fgac revocations v2\n").unwrap();
    write(
        &dir,
        "issued.log",
        "# fgac issued v1\n\
         issued L 2026-11-20T00:00:00Z api_key 2026-12-20T00:00:00Z 2027-06-01T00:00:00Z admin\n\
         issued L~1 2026-11-25T00:00:00Z api_key 2027-01-20T00:00:00Z 2027-06-01T00:00:00Z admin\n\
         issued t1 2026-11-25T00:00:00Z token 2026-11-26T01:00:00Z - admin,L~1\n\
         issued t0 2026-11-20T00:00:00Z token 2026-11-20T01:00:00Z - admin,L\n\
         issued other 2026-11-25T00:00:00Z api_key never - admin\n",
    );
    let store = write(
        &dir,
        "trust.json",
        &format!(
            r#"{{"keys": [{}], "revocations": "revoked.log", "issued": "issued.log"}}"#,
            r#"{"kty": "OKP", "crv": "Ed25519", "kid": "k1", "x": "igr6KrBE2lWQwBF81u9hekiCbTVn8B8H-ctKjCTL8xI"}"#
        ),
    );
    let o = fgac(&["revoke", "--trust", &store, "--id", "L", "--now", NOW]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stdout(&o).contains("in force until 2027-06-01T00:00:00Z"),
        "{}",
        stdout(&o)
    );
    assert!(
        stdout(&o).contains("it covers 2 live credentials refreshed or minted from it"),
        "{}",
        stdout(&o)
    );
    assert_eq!(
        std::fs::read_to_string(&log).unwrap(),
        "# fgac revocations v2\nid L 2026-11-26T00:00:00Z 2027-06-01T00:00:00Z\n"
    );
    // Compaction keeps it (its credentials have not all expired) and drops an expired one.
    let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    f.write_all(b"id gone 2020-01-01T00:00:00Z 2020-01-02T00:00:00Z\n")
        .unwrap();
    drop(f);
    let o = fgac(&["revoke", "--trust", &store, "--compact", "--now", NOW]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stdout(&o).contains("1 revocation in force kept, 1 dropped"),
        "{}",
        stdout(&o)
    );
    assert!(
        stdout(&o).contains("4 records kept, 1 dropped"),
        "{}",
        stdout(&o)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_mint_past_the_parents_expiry_says_when_in_rfc3339() {
    let dir = scratch("mint-expiry");
    let d = dir.to_string_lossy().into_owned();
    let key = format!("{d}/k1.jwk");
    assert_eq!(code(&fgac(&["keygen", "--kid", "k1", "--out", &key])), 0);
    let policy = write(
        &dir,
        "policy.fgac",
        "key \"billing\" {\n    expires 2027-06-01T00:00:00Z\n    allow readwrite cache \"invoices\"\n}\n",
    );
    let o = fgac(&[
        "mint",
        &policy,
        "--from",
        "billing",
        "--signing-key",
        &key,
        "--api-key",
        "--expires",
        "2027-07-01T00:00:00Z",
        "--now",
        NOW,
        r#"allow readonly cache "invoices""#,
    ]);
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).contains("which expires at 2027-06-01T00:00:00Z"),
        "{}",
        stderr(&o)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A running `fgac decide --trust` follows the trust file as a server does: a revocation
/// acknowledged before a line is written is in force for that line; an edit of the document
/// is in force within the watch interval.
#[test]
fn a_running_decide_follows_revocations_and_store_edits() {
    use std::io::{BufRead, BufReader};
    let dir = scratch("decide-follows");
    let d = dir.to_string_lossy().into_owned();
    let key = format!("{d}/k1.jwk");
    assert_eq!(code(&fgac(&["keygen", "--kid", "k1", "--out", &key])), 0);
    let policy = write(
        &dir,
        "policy.fgac",
        "key \"svc\" {\n    expires never\n    allow readwrite cache \"a\"\n}\n",
    );
    let mint_key = || {
        let o = fgac(&[
            "mint",
            &policy,
            "--from",
            "svc",
            "--signing-key",
            &key,
            "--api-key",
            "--expires",
            "2030-01-01T00:00:00Z",
            r#"allow readonly cache "a""#,
        ]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        stdout(&o).trim().to_owned()
    };
    let (token, other) = (mint_key(), mint_key());
    let public = std::fs::read_to_string(format!("{d}/k1.pub.jwk")).unwrap();
    let store_text = |retired: bool| {
        let mut key = public.trim().to_owned();
        if retired {
            key = key.replacen('{', r#"{"retired": true, "#, 1);
        }
        format!(r#"{{"keys": [{key}], "document": "policy.fgac", "revocations": "revoked.log"}}"#)
    };
    let store = write(&dir, "trust.json", &store_text(false));
    assert_eq!(
        code(&fgac(&["revoke", "--trust", &store, "--create-log"])),
        0
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_fgac"))
        .args(["decide", &policy, "--trust", &store, "--watch-ms", "20"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let mut output = BufReader::new(child.stdout.take().unwrap());
    let mut ask = |token: &str| -> String {
        writeln!(
            input,
            r#"{{"token":"{token}","peer":"10.0.0.1","op":"get","cache":"a","item":"k"}}"#
        )
        .unwrap();
        input.flush().unwrap();
        let mut answer = String::new();
        output.read_line(&mut answer).unwrap();
        answer
    };
    assert_eq!(ask(&token), "{\"decision\":\"allow\"}\n");
    let o = fgac(&["revoke", "--trust", &store, "--token", &token]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    // The very next line, written after the revocation returned.
    assert_eq!(
        ask(&token),
        "{\"decision\":\"deny\",\"reason\":\"unauthenticated\",\"failure\":\"revoked\"}\n"
    );
    // An edit of the store (the signing key retired), in force within the watch interval
    // (polled, with a deadline).
    assert_eq!(ask(&other), "{\"decision\":\"allow\"}\n");
    std::fs::write(&store, store_text(true)).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let mut last = String::new();
    while std::time::Instant::now() < deadline {
        last = ask(&other);
        if !last.contains("allow") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(
        last,
        "{\"decision\":\"deny\",\"reason\":\"unauthenticated\",\"failure\":\"retired_key\"}\n"
    );
    drop(input);
    let status = child.wait().unwrap();
    assert!(status.success());
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(err.contains("trust file reloaded"), "{err}");
    assert!(debug_shapes(&err).is_empty(), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `-` is standard input for every command that reads a document; `fmt -` writes the formatted
/// document to standard output (editors format on save through a pipe), and `fmt --check -`
/// says whether it would change.
#[test]
fn a_dash_reads_standard_input() {
    let messy = "key \"a\" {\n  expires never\n        allow readonly cache \"c\"\n}\n";
    let tidy = "key \"a\" {\n    expires never\n    allow readonly cache \"c\"\n}\n";
    let o = fgac_with_stdin(&["fmt", "-"], messy);
    assert_eq!(
        (code(&o), stdout(&o)),
        (0, tidy.to_owned()),
        "{}",
        stderr(&o)
    );
    // Already formatted: written out all the same, unchanged.
    let o = fgac_with_stdin(&["fmt", "-"], tidy);
    assert_eq!((code(&o), stdout(&o)), (0, tidy.to_owned()));
    let o = fgac_with_stdin(&["fmt", "--check", "-"], messy);
    assert_eq!((code(&o), stdout(&o)), (1, "<stdin>\n".to_owned()));
    let o = fgac_with_stdin(&["fmt", "--check", "-"], tidy);
    assert_eq!((code(&o), stdout(&o)), (0, String::new()));
    let o = fgac_with_stdin(&["check", "-"], tidy);
    assert_eq!(code(&o), 0);
    assert!(
        stdout(&o).contains("<stdin>: ok, 1 warning"),
        "{}",
        stdout(&o)
    );
    assert!(stderr(&o).contains("--> <stdin>:1:1"), "{}", stderr(&o));
    // Errors point into standard input's text.
    let o = fgac_with_stdin(
        &["check", "-"],
        "key \"a\" {\n    allow readwrit cache \"c\"\n}\n",
    );
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("--> <stdin>:2:11"), "{}", stderr(&o));
    // JSON is told apart by its content.
    let json = r#"{"credentials": [{"name": "a", "kind": "api_key", "expires_at": 1801440000, "permissions": [{"role": "readonly", "cache": "c"}]}]}"#;
    let o = fgac_with_stdin(&["check", "-"], json);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = fgac_with_stdin(&["convert", "-", "--to", "dsl"], json);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stdout(&o).contains("allow readonly cache \"c\""),
        "{}",
        stdout(&o)
    );
}

/// `fgac test` on files or folders without a single test exits 3 (a mistyped path must not
/// pass CI), and says so.
#[test]
fn test_without_a_test_exits_3() {
    let dir = std::env::temp_dir().join(format!("fgac-cli-notest-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let d = dir.to_str().unwrap();
    let o = fgac(&["test", d]);
    assert_eq!(code(&o), 3);
    assert!(stderr(&o).contains("no test found"), "{}", stderr(&o));
    std::fs::write(dir.join("p.fgac"), "key \"a\" {\n    expires never\n}\n").unwrap();
    let o = fgac(&["test", d]);
    assert_eq!(
        (code(&o), stdout(&o)),
        (3, "0 passed, 0 failed\n".to_owned())
    );
    // A test that passes: 0; a failing one still 1.
    std::fs::write(
        dir.join("p.fgac"),
        "key \"a\" {\n    expires never\n    allow readonly cache \"c\"\n}\ntest \"reads\" {\n    expect allow \"a\" get cache \"c\" item \"k\" at 2026-01-01T00:00:00Z\n}\n",
    )
    .unwrap();
    let o = fgac(&["test", d]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let _ = std::fs::remove_dir_all(&dir);
}

/// An expectation without `at` is decided at the current time, so its test rots when a
/// credential expires: a warning under `check`, a failure under `test --strict`.
#[test]
fn expectations_without_at_warn_and_fail_under_strict() {
    let dir = std::env::temp_dir().join(format!("fgac-cli-clock-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("p.fgac");
    std::fs::write(
        &file,
        "key \"a\" {\n    expires 2099-01-01T00:00:00Z\n    allow readonly cache \"c\"\n}\ntest \"reads\" {\n    expect allow \"a\" get cache \"c\" item \"k\"\n}\n",
    )
    .unwrap();
    let f = file.to_str().unwrap();
    let o = fgac(&["check", f]);
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).ends_with(": ok, 1 warning\n"), "{}", stdout(&o));
    assert!(
        stderr(&o).contains("this expectation has no `at`"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains(":6:5"), "{}", stderr(&o));
    let o = fgac(&["check", "--deny-warnings", f]);
    assert_eq!(code(&o), 1);
    let o = fgac(&["test", f]);
    assert_eq!(code(&o), 0);
    assert!(
        stdout(&o).ends_with("1 passed, 0 failed\n"),
        "{}",
        stdout(&o)
    );
    let o = fgac(&["test", "--strict", f]);
    assert_eq!(
        (code(&o), stdout(&o)),
        (1, "0 passed, 1 failed\n".to_owned())
    );
    assert!(
        stderr(&o).contains("1 expectation without `at` (--strict): its 1 test fails"),
        "{}",
        stderr(&o)
    );
    // With a time, --strict passes.
    let with_at = std::fs::read_to_string(&file)
        .unwrap()
        .replace("item \"k\"\n", "item \"k\" at 2030-01-01T00:00:00Z\n");
    std::fs::write(&file, with_at).unwrap();
    let o = fgac(&["test", "--strict", f]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Completion scripts for every shell clap_complete knows, and the man page, from the same
/// definitions as `--help`: each names every subcommand; bash reads its script.
#[test]
fn completions_and_the_man_page_cover_every_subcommand() {
    let subcommands = [
        "check", "fmt", "explain", "decide", "keygen", "mint", "inspect", "revoke", "test", "diff",
        "contains", "convert",
    ];
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let o = fgac(&["completions", shell]);
        assert_eq!(code(&o), 0, "{shell}: {}", stderr(&o));
        let script = stdout(&o);
        for s in subcommands {
            assert!(script.contains(s), "{shell} lacks {s}");
        }
        if shell == "bash" && Command::new("bash").arg("--version").output().is_ok() {
            let mut check = Command::new("bash")
                .arg("-n")
                .stdin(Stdio::piped())
                .spawn()
                .unwrap();
            check
                .stdin
                .take()
                .unwrap()
                .write_all(script.as_bytes())
                .unwrap();
            assert!(
                check.wait().unwrap().success(),
                "bash -n refused the script"
            );
        }
    }
    let o = fgac(&["completions", "tcsh"]);
    assert_eq!(code(&o), 2);
    let o = fgac(&["man"]);
    assert_eq!(code(&o), 0);
    let page = stdout(&o);
    assert!(page.contains(".TH fgac 1"), "{page}");
    for s in subcommands {
        assert!(page.contains(s), "the man page lacks {s}");
    }
}

/// The JSON reports parse, carry `command` and `version`, and say what text says.
fn json_of(o: &Output) -> serde_json::Value {
    serde_json::from_str(&stdout(o)).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

/// Compares `actual` with the expected file `name` (written anew with `FGAC_BLESS=1`).
fn expect_file(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/expected")
        .join(name);
    if std::env::var_os("FGAC_BLESS").is_some() {
        std::fs::write(&path, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        actual,
        expected,
        "{} differs (FGAC_BLESS=1 rewrites it)",
        path.display()
    );
}

#[test]
fn check_writes_a_json_report() {
    let dir = scratch("check-json");
    let ok = write(
        &dir,
        "ok.fgac",
        "key \"a\" {\n    expires never\n    allow readonly cache \"c\"\n}\n",
    );
    let bad = write(
        &dir,
        "bad.fgac",
        "key \"a\" {\n    allow readwrit cache \"c\"\n}\n",
    );
    let o = fgac(&["check", "--format", "json", &ok, &bad, "missing.fgac"]);
    assert_eq!(code(&o), 2, "the worst: a file that cannot be read");
    assert_eq!(stderr(&o), "", "the report says it all");
    let r = json_of(&o);
    assert_eq!(
        (r["command"].as_str(), r["version"].as_u64()),
        (Some("check"), Some(1))
    );
    assert_eq!(r["status"], "usage");
    let files = r["files"].as_array().unwrap();
    assert_eq!(files.len(), 3);
    // A key that never expires: the `never_expires` lint, as a warning at its line.
    assert_eq!(files[0]["status"], "ok");
    let warning = &files[0]["diagnostics"][0];
    assert_eq!(
        (warning["severity"].as_str(), warning["kind"].as_str()),
        (Some("warning"), Some("lint"))
    );
    assert_eq!(warning["lint"], "never_expires");
    assert_eq!(files[1]["status"], "failed");
    let error = &files[1]["diagnostics"][0];
    assert_eq!(
        (error["severity"].as_str(), error["kind"].as_str()),
        (Some("error"), Some("syntax"))
    );
    assert_eq!(
        (
            error["range"]["line"].as_u64(),
            error["range"]["column"].as_u64()
        ),
        (Some(2), Some(11))
    );
    assert!(
        error["help"].as_str().unwrap().contains("readwrite"),
        "{error}"
    );
    assert_eq!(files[2]["status"], "usage");
    assert!(files[2]["error"].as_str().unwrap().contains("missing.fgac"));
    // junit is for `test` alone.
    assert_eq!(code(&fgac(&["check", "--format", "junit", &ok])), 2);
}

/// `fgac test --coverage` and `--format junit|json` on the examples, against expected files; a
/// failing test's report in each form; `--min-coverage`.
#[test]
fn test_reports_coverage_junit_and_json() {
    let now = "2026-12-01T00:00:00Z";
    let o = fgac(&["test", "examples/", "--coverage", "--now", now]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let text = stdout(&o);
    let coverage = &text[text.find("coverage:").expect("a coverage report")..];
    expect_file("coverage.txt", coverage);
    let o = fgac(&["test", "examples/", "--format", "junit", "--now", now]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    expect_file("junit.xml", &stdout(&o));
    // --min-coverage: the examples reach 75% of some policies' rules.
    let o = fgac(&["test", "examples/", "--min-coverage", "80", "--now", now]);
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).contains("is below --min-coverage 80%"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        code(&fgac(&[
            "test",
            "examples/",
            "--min-coverage",
            "75",
            "--now",
            now
        ])),
        0
    );
    assert_eq!(
        code(&fgac(&["test", "examples/", "--min-coverage", "101"])),
        2
    );

    // A failing test, a passing one, and a file that does not parse.
    let dir = scratch("test-reports");
    write(
        &dir,
        "p.fgac",
        "key \"a\" {\n    expires never\n    allow readonly cache \"c\"\n    allow readwrite cache \"d\"\n}\n\
         test \"reads <c>\" {\n    expect allow \"a\" get cache \"c\" item \"k\" at 2026-01-01T00:00:00Z\n}\n\
         test \"writes & fails\" {\n    expect allow \"a\" set cache \"c\" item \"k\" at 2026-01-01T00:00:00Z\n}\n",
    );
    write(
        &dir,
        "q.fgac",
        "key \"a\" {\n    allow readwrit cache \"c\"\n}\ntest \"t\" {}\n",
    );
    let d = dir.to_str().unwrap();
    let o = fgac(&["test", d, "--format", "junit"]);
    assert_eq!(code(&o), 1);
    let xml = stdout(&o);
    let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}: {xml}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    assert_eq!(
        (
            root.attribute("tests"),
            root.attribute("failures"),
            root.attribute("errors")
        ),
        (Some("3"), Some("1"), Some("1"))
    );
    let suites: Vec<_> = root
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    assert_eq!(suites.len(), 2);
    let cases: Vec<_> = suites[0]
        .children()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases[0].attribute("name"), Some("reads <c>"));
    assert!(
        cases[0].children().all(|n| !n.is_element()),
        "a pass has no child"
    );
    let failure = cases[1]
        .children()
        .find(|n| n.has_tag_name("failure"))
        .expect("a failure");
    assert_eq!(cases[1].attribute("name"), Some("writes & fails"));
    assert_eq!(
        failure.attribute("message"),
        Some("expected allow, got deny (no_matching_grant)")
    );
    assert!(
        failure.text().unwrap().contains("nearest rule #0 at"),
        "{xml}"
    );
    assert!(
        suites[1].descendants().any(|n| n.has_tag_name("error")),
        "{xml}"
    );

    let o = fgac(&["test", d, "--format", "json", "--coverage"]);
    assert_eq!(code(&o), 1);
    let r = json_of(&o);
    assert_eq!(
        (r["command"].as_str(), r["version"].as_u64()),
        (Some("test"), Some(1))
    );
    assert_eq!(
        (r["passed"].as_u64(), r["failed"].as_u64()),
        (Some(1), Some(2))
    );
    let p = &r["files"][0];
    assert_eq!(p["tests"][0]["outcome"], "passed");
    let failed = &p["tests"][1];
    assert_eq!(failed["outcome"], "failed");
    assert_eq!(failed["failures"][0]["expected"], "allow");
    assert_eq!(failed["failures"][0]["actual"], "deny (no_matching_grant)");
    assert_eq!(failed["failures"][0]["range"]["line"], 10);
    assert_eq!(failed["failures"][0]["nearest"]["rule"], 0);
    assert_eq!(
        r["files"][1]["errors"][0]["diagnostics"][0]["kind"],
        "syntax"
    );
    // Coverage: rule #0 decided or came nearest; rule #1 (cache "d") reached by nothing.
    let c = &r["coverage"][0];
    assert_eq!(
        (c["rules"].as_u64(), c["reached"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(c["not_reached"][0]["rule"], 1);
    assert_eq!(c["not_reached"][0]["range"]["line"], 4);
}

#[test]
fn explain_and_inspect_write_json_reports() {
    let explain = |credential: &str, op: &str, cache: &str| {
        json_of(&fgac(&[
            "explain",
            "examples/saas.fgac",
            "--credential",
            credential,
            "--op",
            op,
            "--cache",
            cache,
            "--item",
            "x",
            "--now",
            "2026-12-01T00:00:00Z",
            "--format",
            "json",
        ]))
    };
    let r = explain("api-acme", "set", "globex-app");
    assert_eq!(
        (r["command"].as_str(), r["version"].as_u64()),
        (Some("explain"), Some(1))
    );
    assert_eq!(r["decision"], "deny");
    assert_eq!(r["reason"], "no_matching_grant");
    let miss = &r["near_misses"][0];
    assert_eq!(miss["miss"], "cache");
    assert_eq!(miss["text"], "allow readwrite     cache prefix \"acme-\"");
    assert_eq!(miss["range"]["line"], 6);
    let r = explain("api-acme", "set", "acme-billing");
    assert_eq!(r["reason"], "denied_by_rule");
    assert_eq!(r["deciding"][0]["rule"], 1);
    let o = fgac(&[
        "explain",
        "examples/saas.fgac",
        "--credential",
        "billing",
        "--op",
        "get",
        "--cache",
        "acme-billing",
        "--item",
        "x",
        "--now",
        "2026-12-01T00:00:00Z",
        "--format",
        "json",
    ]);
    let r = json_of(&o);
    assert_eq!(
        (r["decision"].as_str(), r["reason"].as_null()),
        (Some("allow"), Some(()))
    );
    assert_eq!(r["deciding"].as_array().unwrap().len(), 1);

    let dir = scratch("inspect-json");
    let d = dir.to_string_lossy().into_owned();
    let key = format!("{d}/k1.jwk");
    assert_eq!(code(&fgac(&["keygen", "--kid", "k1", "--out", &key])), 0);
    let policy = write(
        &dir,
        "p.fgac",
        "key \"svc\" {\n    expires 2027-06-01T00:00:00Z\n    allow readwrite cache \"c\"\n}\n",
    );
    let o = fgac(&[
        "mint",
        &policy,
        "--from",
        "svc",
        "--signing-key",
        &key,
        "--expires",
        "2026-12-02T00:00:00Z",
        "--now",
        "2026-12-01T00:00:00Z",
        "--id",
        "tok-9",
        r#"allow readonly cache "c""#,
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let token = stdout(&o).trim().to_owned();
    let public = format!("{d}/k1.pub.jwk");
    let o = fgac(&[
        "inspect",
        &token,
        "--verify-with",
        &public,
        "--now",
        "2026-12-01T00:00:00Z",
        "--format",
        "json",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let r = json_of(&o);
    assert_eq!(
        (r["command"].as_str(), r["signature"].as_str()),
        (Some("inspect"), Some("valid"))
    );
    assert_eq!(r["claims"]["id"], "tok-9");
    assert_eq!(r["claims"]["expires"], "2026-12-02T00:00:00Z");
    assert!(
        r["claims"]["document"]
            .as_str()
            .unwrap()
            .contains("allow readonly cache \"c\"")
    );
    // Expired at the time asked: status failed, exit 1.
    let o = fgac(&[
        "inspect",
        &token,
        "--now",
        "2027-01-01T00:00:00Z",
        "--format",
        "json",
    ]);
    assert_eq!(code(&o), 1);
    let r = json_of(&o);
    assert_eq!(
        (r["status"].as_str(), r["claims"]["expired"].as_bool()),
        (Some("failed"), Some(true))
    );
    assert_eq!(r["signature"], "not_checked");
}

/// Colour: never into a pipe by default, always with `--color always` unless... `NO_COLOR` only
/// governs `auto`; `--color never` is plain.
#[test]
fn colour_follows_color_and_no_color() {
    let args = [
        "test",
        "examples/chat.fgac",
        "--now",
        "2026-12-01T00:00:00Z",
    ];
    let plain = fgac(&args);
    assert!(!stdout(&plain).contains('\x1b'), "a pipe gets no colour");
    let mut always = args.to_vec();
    always.extend(["--color", "always"]);
    let o = fgac(&always);
    assert!(stdout(&o).contains("\x1b[32mok\x1b[0m"), "{:?}", stdout(&o));
    let mut never = args.to_vec();
    never.extend(["--color=never"]);
    assert_eq!(stdout(&fgac(&never)), stdout(&plain));
    // An error's `error` word on stderr, and clap's own usage errors.
    let o = fgac_with_stdin(&["check", "--color", "always", "-"], "key \"a\" {\n");
    assert!(
        stderr(&o).contains("\x1b[1;31merror\x1b[0m"),
        "{:?}",
        stderr(&o)
    );
    let o = Command::new(env!("CARGO_BIN_EXE_fgac"))
        .args(["check", "--color", "auto", "--bogus"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(code(&o), 2);
    assert!(!stderr(&o).contains('\x1b'), "{:?}", stderr(&o));
}

/// Help is wrapped: no line of any subcommand's help runs past 100 columns when it is not a
/// terminal's (clap's default width for a pipe).
#[test]
fn help_lines_are_wrapped() {
    let o = fgac(&["--help"]);
    let mut commands = vec![String::new()];
    commands.extend(
        stdout(&o)
            .lines()
            .skip_while(|l| !l.starts_with("Commands:"))
            .skip(1)
            .take_while(|l| l.starts_with("  "))
            // A command's line; a wrapped description continues further in.
            .filter(|l| !l.starts_with("   "))
            .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
            .filter(|c| c != "help"),
    );
    assert!(commands.len() > 10, "{commands:?}");
    for command in &commands {
        let mut args: Vec<&str> = Vec::new();
        if !command.is_empty() {
            args.push(command);
        }
        args.push("--help");
        let o = fgac(&args);
        assert_eq!(code(&o), 0);
        for line in stdout(&o).lines() {
            assert!(
                line.chars().count() <= 100,
                "`fgac {command} --help` has a line of {} columns: {line}",
                line.chars().count()
            );
        }
    }
}

/// A file of tests for another file's policy is checked as such: the policy compiles, and every
/// credential its tests name is the policy's (a misspelt name, with the nearest one).
#[test]
fn check_takes_a_file_of_tests_for_another_policy() {
    let o = fgac(&["check", "examples/mesh/policy_test.fgac"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stdout(&o).contains("ok (tests of another file's policy)"),
        "{}",
        stdout(&o)
    );
    let dir = scratch("check-tests");
    std::fs::copy(
        Path::new(ROOT).join("examples/mesh/policy.fgac"),
        dir.join("policy.fgac"),
    )
    .unwrap();
    let tests = std::fs::read_to_string(Path::new(ROOT).join("examples/mesh/policy_test.fgac"))
        .unwrap()
        .replacen("\"orders-writer\"", "\"orders-writr\"", 1);
    let path = write(&dir, "policy_test.fgac", &tests);
    let o = fgac(&["check", &path]);
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).contains("names the credential `orders-writr`"),
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("did you mean `orders-writer`?"),
        "{}",
        stderr(&o)
    );
    // A policy that does not exist is named at the `policy` line.
    std::fs::remove_file(dir.join("policy.fgac")).unwrap();
    let o = fgac(&["check", &path]);
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).contains("cannot read the policy `policy.fgac`"),
        "{}",
        stderr(&o)
    );
}
