//! The command line, run as a process: every subcommand, its output and its exit code, including
//! the failure paths (exit 1 for a bad document or a failed test, exit 2 for a bad command).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn fgac(args: &[&str]) -> Output {
    fgac_with_stdin(args, "")
}

fn fgac_with_stdin(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fgac"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the fgac binary runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
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
        for e in std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(dir)).unwrap() {
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
        "--key",
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
        "--key",
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
        "--key",
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
                "--key",
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
                "--key",
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
                "--key",
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
                "--key",
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
    let policy = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/mesh/policy.fgac");
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
        std::fs::read_to_string("grammar/examples/momento-documented.json").unwrap()
    );

    let o = fgac(&["convert", CHECKOUT, "--to", "json"]);
    assert_eq!(
        stdout(&o),
        std::fs::read_to_string("grammar/examples/checkout.json").unwrap()
    );

    let o = fgac(&["convert", "grammar/examples/checkout.json", "--to", "fgac"]);
    let back = fgac::text::parse(&stdout(&o)).unwrap();
    assert_eq!(
        back,
        fgac::text::parse(&std::fs::read_to_string(CHECKOUT).unwrap()).unwrap()
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
