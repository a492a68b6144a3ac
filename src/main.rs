//! `fgac`: check, format, explain, decide, test and convert permission documents.
//!
//! Exit codes: 0 success; 1 a document has errors, a test failed, or `fmt --check` found a file to
//! reformat; 2 the command itself is wrong (a missing file, an unknown operation or credential, a
//! bad time).

use base64::Engine as _;
use clap::{Parser, Subcommand, ValueEnum};
use fgac::analysis::{self, Miss};
use fgac::model::{Document, Span, Timestamp};
use fgac::policy_tests::{self, Target};
use fgac::syntax::suggest::did_you_mean;
use fgac::{Authorizer, Decision, Format, Location, Operation, Resource, Severity, json, text};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "fgac",
    version,
    about = "Check, format, explain, test and decide fine-grained access control documents"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Parse, validate and lint documents (`.fgac` or `.json`); exit 1 on errors.
    Check {
        /// The documents.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Treat warnings (lints) as errors.
        #[arg(long)]
        deny_warnings: bool,
    },
    /// Rewrite documents in canonical form.
    Fmt {
        /// Change nothing; name the files that would change and exit 1 if any would.
        #[arg(long)]
        check: bool,
        /// The documents.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Show the decision on one request, the rules that made it, and for a request no rule
    /// allows, the rules that almost did.
    Explain {
        /// The document.
        file: PathBuf,
        /// The credential's name.
        #[arg(long)]
        key: String,
        /// The operation (`get`, `set`, `publish`, `create_cache`, ...).
        #[arg(long)]
        op: String,
        /// The cache.
        #[arg(long, required_unless_present = "account")]
        cache: Option<String>,
        /// The item key.
        #[arg(long, conflicts_with_all = ["topic", "item_b64", "account"])]
        item: Option<String>,
        /// The item key, as base64 (for bytes that are not UTF-8).
        #[arg(long, conflicts_with_all = ["topic", "account"])]
        item_b64: Option<String>,
        /// The topic.
        #[arg(long, conflicts_with = "account")]
        topic: Option<String>,
        /// The account as a whole (control-plane operations).
        #[arg(long, conflicts_with = "cache")]
        account: bool,
        /// The time: RFC 3339 (`2027-01-31T00:00:00Z`) or epoch seconds; default now.
        #[arg(long)]
        now: Option<String>,
    },
    /// Decide requests read as JSON lines on stdin; write one JSON line per request.
    Decide {
        /// The document.
        file: PathBuf,
        /// The time: RFC 3339 or epoch seconds; default the time each request is read.
        #[arg(long)]
        now: Option<String>,
    },
    /// Run the `test` blocks of documents (files, or directories searched for `.fgac` files).
    Test {
        /// Files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// The time for expectations without `at`: RFC 3339 or epoch seconds; default now.
        #[arg(long)]
        now: Option<String>,
    },
    /// Print a document in another form.
    Convert {
        /// The document.
        file: PathBuf,
        /// The form to print.
        #[arg(long)]
        to: ConvertTo,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum ConvertTo {
    /// fgac's key-store JSON (says everything but comments).
    Json,
    /// Momento's scope JSON, for a document of one credential without deny rules or cache prefixes.
    Momento,
    /// fgac's permission language.
    Fgac,
}

/// A command-line problem: one line on stderr, exit 2.
struct Usage(String);

type Outcome = Result<ExitCode, Usage>;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Check {
            files,
            deny_warnings,
        } => check(&files, deny_warnings),
        Command::Fmt { check, files } => fmt(&files, check),
        Command::Explain {
            file,
            key,
            op,
            cache,
            item,
            item_b64,
            topic,
            account,
            now,
        } => explain(
            &file,
            &key,
            &op,
            cache,
            item,
            item_b64,
            topic,
            account,
            now.as_deref(),
        ),
        Command::Decide { file, now } => decide(&file, now.as_deref()),
        Command::Test { paths, now } => test(&paths, now.as_deref()),
        Command::Convert { file, to } => convert(&file, to),
    };
    match outcome {
        Ok(code) => code,
        Err(Usage(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

fn read(path: &Path) -> Result<String, Usage> {
    std::fs::read_to_string(path)
        .map_err(|e| Usage(format!("cannot read `{}`: {e}", path.display())))
}

/// The format of `path`: by extension, else by content.
fn format_of(path: &Path, text: &str) -> Format {
    match path.extension().and_then(|e| e.to_str()) {
        Some("json") => Format::Json,
        Some("fgac") => Format::Text,
        _ => Format::detect(text),
    }
}

fn parse(path: &Path, text: &str) -> Result<Document, fgac::Error> {
    let limits = fgac::Limits::default();
    match format_of(path, text) {
        Format::Json => json::parse_with(text, &limits),
        Format::Text => text::parse_with(text, &limits),
    }
}

/// Reads, parses and compiles `path`; prints the errors and returns `None` when it does not
/// compile.
fn load(path: &Path) -> Result<Option<(String, Document, Authorizer)>, Usage> {
    let text = read(path)?;
    let origin = path.display().to_string();
    let result = parse(path, &text).and_then(|doc| {
        let authz = Authorizer::compile(&doc).map_err(|e| e.with_source(&text))?;
        Ok((doc, authz))
    });
    match result {
        Ok((doc, authz)) => Ok(Some((text, doc, authz))),
        Err(e) => {
            eprint!("{}", e.with_origin(origin));
            Ok(None)
        }
    }
}

fn parse_time(text: &str) -> Result<Timestamp, Usage> {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text
            .parse()
            .map(Timestamp)
            .map_err(|_| Usage(format!("bad time `{text}`: epoch seconds out of range")));
    }
    fgac::syntax::time::parse_rfc3339(text)
        .map_err(|e| Usage(format!("bad time `{text}`: {}; {}", e.message, e.help)))
}

fn now_or(given: Option<&str>) -> Result<Option<Timestamp>, Usage> {
    given.map(parse_time).transpose()
}

fn system_now() -> Timestamp {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    Timestamp(secs)
}

fn operation(name: &str) -> Result<Operation, String> {
    Operation::from_name(name).ok_or_else(|| {
        match did_you_mean(name, Operation::ALL.iter().map(|op| op.name())) {
            Some(s) => format!("unknown operation `{name}`; did you mean `{s}`?"),
            None => format!("unknown operation `{name}`; operations are snake_case Momento names such as `get`, `set`, `publish`, `create_cache`"),
        }
    })
}

// ---------------------------------------------------------------------------------------------

fn check(files: &[PathBuf], deny_warnings: bool) -> Outcome {
    let mut failed = false;
    for path in files {
        let text = read(path)?;
        let origin = path.display().to_string();
        let compiled = parse(path, &text).and_then(|doc| {
            Authorizer::compile(&doc).map_err(|e| e.with_source(&text))?;
            Ok(doc)
        });
        match compiled {
            Err(e) => {
                eprint!("{}", e.with_origin(origin));
                failed = true;
            }
            Ok(doc) => {
                let warnings = analysis::lint(&doc);
                for w in &warnings {
                    eprint!("{}", render_one(w.clone(), &text, &origin));
                }
                failed |= deny_warnings && !warnings.is_empty();
                if warnings.is_empty() {
                    println!("{origin}: ok");
                } else {
                    println!(
                        "{origin}: ok, {} warning{}",
                        warnings.len(),
                        if warnings.len() == 1 { "" } else { "s" }
                    );
                }
            }
        }
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn render_one(d: fgac::Diagnostic, text: &str, origin: &str) -> String {
    let severity = d.severity;
    let mut out = fgac::Error::from_diagnostics(vec![d])
        .with_source(text)
        .with_origin(origin)
        .to_string();
    if severity == Severity::Warning {
        out.push('\n');
    }
    out
}

fn fmt(files: &[PathBuf], check: bool) -> Outcome {
    let mut changed = Vec::new();
    let mut failed = false;
    for path in files {
        let text = read(path)?;
        let formatted = match format_of(path, &text) {
            Format::Text => text::format_source(&text),
            Format::Json => json::parse(&text).and_then(|doc| {
                let is_store = serde_json::from_str::<serde_json::Value>(&text)
                    .is_ok_and(|v| v.get("credentials").is_some());
                match (is_store, doc.credentials.as_slice()) {
                    (false, [one]) => json::to_momento_scope(one).map(|s| s + "\n"),
                    _ => Ok(json::to_string(&doc) + "\n"),
                }
            }),
        };
        match formatted {
            Err(e) => {
                eprint!("{}", e.with_origin(path.display().to_string()));
                failed = true;
            }
            Ok(formatted) if formatted != text => {
                if check {
                    println!("{}", path.display());
                } else {
                    std::fs::write(path, &formatted)
                        .map_err(|e| Usage(format!("cannot write `{}`: {e}", path.display())))?;
                }
                changed.push(path);
            }
            Ok(_) => {}
        }
    }
    Ok(if failed || (check && !changed.is_empty()) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// `file:line:column: source text` of a rule or line.
fn located(origin: &str, text: &str, span: Span) -> String {
    let loc = Location::find(text, span);
    let snippet = text.get(span.start..span.end).unwrap_or_default();
    let snippet = snippet.lines().next().unwrap_or_default().trim();
    format!("{origin}:{}:{}: {snippet}", loc.line, loc.column)
}

#[allow(clippy::too_many_arguments)]
fn explain(
    file: &Path,
    key: &str,
    op: &str,
    cache: Option<String>,
    item: Option<String>,
    item_b64: Option<String>,
    topic: Option<String>,
    account: bool,
    now: Option<&str>,
) -> Outcome {
    let op = operation(op).map_err(Usage)?;
    let now = now_or(now)?.unwrap_or_else(system_now);
    let Some((text, doc, authz)) = load(file)? else {
        return Ok(ExitCode::from(1));
    };
    if authz.credential(key).is_none() {
        let names = doc.credentials.iter().map(|c| c.name.as_str());
        return Err(Usage(match did_you_mean(key, names) {
            Some(s) => format!(
                "no credential `{key}` in `{}`; did you mean `{s}`?",
                file.display()
            ),
            None => format!("no credential `{key}` in `{}`", file.display()),
        }));
    }
    let key_bytes = match (&item, &item_b64) {
        (Some(k), _) => Some(k.as_bytes().to_vec()),
        (None, Some(b)) => Some(
            base64::engine::general_purpose::STANDARD
                .decode(b)
                .map_err(|e| Usage(format!("bad --item-b64 `{b}`: {e}")))?,
        ),
        (None, None) => None,
    };
    let cache = cache.unwrap_or_default();
    let resource = match (account, &key_bytes, &topic) {
        (true, _, _) => Resource::Account,
        (false, Some(k), _) => Resource::item(&cache, k),
        (false, None, Some(t)) => Resource::topic(&cache, t),
        (false, None, None) => Resource::cache(&cache),
    };
    let decision = authz.authorize(key, op, resource, now);
    let e = analysis::explain(&doc, key, op.need(), resource, now);
    // The engine decides; the explanation follows the reference, and both must agree.
    if e.decision != decision {
        return Err(Usage(format!(
            "internal error: the engine decided {decision} but the reference evaluator {}; please report this",
            e.decision
        )));
    }
    let origin = file.display().to_string();
    let verb = if decision.is_allowed() {
        "may"
    } else {
        "may not"
    };
    println!("{decision}: `{key}` {verb} {op} {resource}");
    match decision {
        Decision::Allow if e.deciding.is_empty() => println!("  `{key}` is a super user"),
        Decision::Deny(fgac::DenyReason::Expired) => {
            println!(
                "  the credential expired at {}",
                describe_expiry(e.credential.map(|c| c.expiry))
            )
        }
        Decision::Deny(fgac::DenyReason::SuperUserRequired) => {
            println!("  {op} is a control-plane operation: only a super-user key may do it")
        }
        Decision::Deny(fgac::DenyReason::WrongResourceKind) => {
            println!(
                "  {op} acts on {}, not on this resource",
                match op.need() {
                    fgac::Need::Item(_) => "a cache item (--cache and --item)",
                    fgac::Need::Topic(_) => "a topic (--cache and --topic)",
                    fgac::Need::ControlPlane => "a cache or the account",
                }
            )
        }
        _ => {}
    }
    if !e.deciding.is_empty() {
        println!("  decided by:");
        for &rule in &e.deciding {
            if let Some(g) = e.grant(rule) {
                println!("    rule {rule} at {}", located(&origin, &text, g.span));
            }
        }
    }
    if decision == Decision::Deny(fgac::DenyReason::NoMatchingGrant) {
        if e.near_misses.is_empty() {
            println!(
                "  no rule of `{key}` comes near: add one for this cache and {}",
                if topic.is_some() { "topic" } else { "item" }
            );
        } else {
            println!("  no rule allows it; nearest:");
            for m in &e.near_misses {
                let Some(g) = e.grant(m.rule) else { continue };
                println!("    rule {} at {}", m.rule, located(&origin, &text, g.span));
                println!(
                    "      {}",
                    match m.miss {
                        Miss::Rights { has, needs } => format!(
                            "covers it, but `{}` gives {has} and {op} needs {needs}",
                            g.role
                        ),
                        Miss::Target => "covers the cache, but another item or topic".to_owned(),
                        Miss::Cache => "covers the item or topic, but in other caches".to_owned(),
                    }
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn describe_expiry(expiry: Option<fgac::model::Expiry>) -> String {
    match expiry {
        Some(fgac::model::Expiry::At(t)) => {
            fgac::syntax::time::format_rfc3339(t).unwrap_or_else(|| t.0.to_string())
        }
        _ => "an unknown time".to_owned(),
    }
}

// ---------------------------------------------------------------------------------------------
// decide: JSON lines in, JSON lines out.

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Request {
    key: Option<String>,
    op: String,
    cache: Option<String>,
    item: Option<String>,
    item_b64: Option<String>,
    items: Option<Vec<String>>,
    topic: Option<String>,
}

fn decide(file: &Path, now: Option<&str>) -> Outcome {
    let fixed_now = now_or(now)?;
    let Some((_, doc, authz)) = load(file)? else {
        return Ok(ExitCode::from(1));
    };
    let only = match doc.credentials.as_slice() {
        [one] => Some(one.name.clone()),
        _ => None,
    };
    let stdin = std::io::stdin().lock();
    let mut out = std::io::LineWriter::new(std::io::stdout().lock());
    for line in stdin.lines() {
        let line = line.map_err(|e| Usage(format!("cannot read stdin: {e}")))?;
        if line.trim().is_empty() {
            continue;
        }
        let now = fixed_now.unwrap_or_else(system_now);
        let answer = match decide_line(&authz, only.as_deref(), &line, now) {
            Ok(Decision::Allow) => serde_json::json!({ "decision": "allow" }),
            Ok(Decision::Deny(reason)) => match reason.rule() {
                Some(rule) => {
                    serde_json::json!({ "decision": "deny", "reason": reason.as_str(), "rule": rule.0 })
                }
                None => serde_json::json!({ "decision": "deny", "reason": reason.as_str() }),
            },
            Err(message) => serde_json::json!({ "error": message }),
        };
        if writeln!(out, "{answer}").is_err() {
            // The reader went away (a closed pipe): stop quietly.
            return Ok(ExitCode::SUCCESS);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn decide_line(
    authz: &Authorizer,
    only: Option<&str>,
    line: &str,
    now: Timestamp,
) -> Result<Decision, String> {
    let r: Request = serde_json::from_str(line).map_err(|e| e.to_string())?;
    let op = operation(&r.op)?;
    let key = match (&r.key, only) {
        (Some(k), _) => k.as_str(),
        (None, Some(only)) => only,
        (None, None) => {
            return Err("`key` is required: the document holds several credentials".to_owned());
        }
    };
    let decode = |b: &str| {
        base64::engine::general_purpose::STANDARD
            .decode(b)
            .map_err(|e| format!("`item_b64` is not base64: {e}"))
    };
    let item = match (&r.item, &r.item_b64) {
        (Some(_), Some(_)) => return Err("give `item` or `item_b64`, not both".to_owned()),
        (Some(i), None) => Some(i.as_bytes().to_vec()),
        (None, Some(b)) => Some(decode(b)?),
        (None, None) => None,
    };
    let cache = r.cache.as_deref();
    match (cache, item, &r.items, &r.topic) {
        (_, Some(_), Some(_), _) | (_, _, Some(_), Some(_)) => {
            Err("give one of `item`, `items` and `topic`".to_owned())
        }
        (_, Some(_), _, Some(_)) => Err("give `item` or `topic`, not both".to_owned()),
        (None, Some(_), _, _) | (None, _, Some(_), _) | (None, _, _, Some(_)) => {
            Err("`cache` is required with `item`, `items` or `topic`".to_owned())
        }
        (Some(cache), None, Some(items), None) => Ok(match authz.credential(key) {
            Some(c) => c.authorize_batch(op, cache, items.iter().map(|k| k.as_bytes()), now),
            None => Decision::Deny(fgac::DenyReason::UnknownCredential),
        }),
        (Some(cache), Some(key_bytes), None, None) => {
            Ok(authz.authorize(key, op, Resource::item(cache, &key_bytes), now))
        }
        (Some(cache), None, None, Some(topic)) => {
            Ok(authz.authorize(key, op, Resource::topic(cache, topic), now))
        }
        (Some(cache), None, None, None) => {
            Ok(authz.authorize(key, op, Resource::cache(cache), now))
        }
        (None, None, None, None) => Ok(authz.authorize(key, op, Resource::Account, now)),
    }
}

// ---------------------------------------------------------------------------------------------
// test

/// `.fgac` files under `paths` (directories are searched recursively), sorted.
fn test_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Usage> {
    let mut out = Vec::new();
    let mut stack: Vec<PathBuf> = paths.to_vec();
    while let Some(path) = stack.pop() {
        let meta = std::fs::metadata(&path)
            .map_err(|e| Usage(format!("cannot read `{}`: {e}", path.display())))?;
        if meta.is_dir() {
            let entries = std::fs::read_dir(&path)
                .map_err(|e| Usage(format!("cannot read `{}`: {e}", path.display())))?;
            for entry in entries {
                let entry =
                    entry.map_err(|e| Usage(format!("cannot read `{}`: {e}", path.display())))?;
                let p = entry.path();
                if p.is_dir() || p.extension().is_some_and(|e| e == "fgac") {
                    stack.push(p);
                }
            }
        } else {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

fn test(paths: &[PathBuf], now: Option<&str>) -> Outcome {
    let now = now_or(now)?.unwrap_or_else(system_now);
    let (mut passed, mut failed) = (0usize, 0usize);
    for path in test_files(paths)? {
        let text = read(&path)?;
        let origin = path.display().to_string();
        let tests = match policy_tests::parse(&text) {
            Ok(t) => t,
            Err(e) => {
                eprint!("{}", e.with_origin(origin));
                failed += 1;
                continue;
            }
        };
        if tests.tests.is_empty() {
            continue;
        }
        // The policy: the file named by `policy`, or this file's own credentials.
        let (policy_path, policy_text) = match &tests.policy {
            Some((name, _)) => {
                let p = path.parent().unwrap_or(Path::new(".")).join(name);
                let t = read(&p)?;
                (p, t)
            }
            None => (path.clone(), text.clone()),
        };
        if tests.policy.is_some() && !text::parse(&text).is_ok_and(|d| d.credentials.is_empty()) {
            eprintln!(
                "error: {origin} names its policy with `policy` and also defines credentials; keep tests and policy apart, or drop `policy`"
            );
            failed += tests.tests.len();
            continue;
        }
        let policy_origin = policy_path.display().to_string();
        let compiled = parse(&policy_path, &policy_text).and_then(|doc| {
            let authz = Authorizer::compile(&doc).map_err(|e| e.with_source(&policy_text))?;
            Ok((doc, authz))
        });
        let (doc, authz) = match compiled {
            Ok(pair) => pair,
            Err(e) => {
                eprint!("{}", e.with_origin(policy_origin));
                failed += tests.tests.len();
                continue;
            }
        };
        for case in &tests.tests {
            let failures = policy_tests::run(&authz, case, now);
            if failures.is_empty() {
                passed += 1;
                println!("ok   {origin}: {}", case.name);
                continue;
            }
            failed += 1;
            println!("FAIL {origin}: {}", case.name);
            for f in failures {
                let e = f.expectation;
                println!("  {}", located(&origin, &text, e.span));
                println!("    expected {}, got {}", e.expected, f.actual);
                let at = e.at.unwrap_or(now);
                let explanation =
                    analysis::explain(&doc, &e.key, e.op.need(), e.target.resource(), at);
                if explanation.credential.is_none() {
                    let names = doc.credentials.iter().map(|c| c.name.as_str());
                    if let Some(s) = did_you_mean(&e.key, names) {
                        println!("    no credential `{}`; did you mean `{s}`?", e.key);
                    }
                }
                for &rule in &explanation.deciding {
                    if let Some(g) = explanation.grant(rule) {
                        println!(
                            "    decided by rule {rule} at {}",
                            located(&policy_origin, &policy_text, g.span)
                        );
                    }
                }
                if let Some(m) = explanation.near_misses.first()
                    && let Some(g) = explanation.grant(m.rule)
                {
                    println!(
                        "    nearest rule {} at {}",
                        m.rule,
                        located(&policy_origin, &policy_text, g.span)
                    );
                }
                if f.actual == Decision::Deny(fgac::DenyReason::WrongResourceKind) {
                    println!(
                        "    {} acts on another kind of resource than {}",
                        e.op,
                        describe_target(&e.target)
                    );
                }
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    Ok(if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn describe_target(t: &Target) -> &'static str {
    match t {
        Target::Item { .. } => "an item",
        Target::Topic { .. } => "a topic",
        Target::Cache { .. } => "a cache",
        Target::Account => "the account",
    }
}

// ---------------------------------------------------------------------------------------------

fn convert(file: &Path, to: ConvertTo) -> Outcome {
    let text = read(file)?;
    let origin = file.display().to_string();
    let doc = match parse(file, &text) {
        Ok(doc) => doc,
        Err(e) => {
            eprint!("{}", e.with_origin(origin));
            return Ok(ExitCode::from(1));
        }
    };
    let out = match to {
        ConvertTo::Json => Ok(json::to_string(&doc)),
        ConvertTo::Fgac => Ok(text::format(&doc).trim_end().to_owned()),
        ConvertTo::Momento => match doc.credentials.as_slice() {
            [one] => json::to_momento_scope(one).map_err(|e| e.with_source(&text)),
            _ => {
                return Err(Usage(format!(
                    "`{origin}` holds {} credentials; Momento's JSON holds one (use `--to json`)",
                    doc.credentials.len()
                )));
            }
        },
    };
    match out {
        Ok(s) => {
            println!("{s}");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprint!("{}", e.with_origin(origin));
            Ok(ExitCode::from(1))
        }
    }
}
