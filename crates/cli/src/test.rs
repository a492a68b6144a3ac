//! `fgac test PATH...`: run the `test` blocks of `.fgac` files against their own credentials, or
//! against the document their `policy "file"` line names; report as text, JSON or JUnit XML, and
//! with `--coverage`, which rules of each policy the tests reach.

use crate::input::{self, located};
use crate::out::{Paint, Status, Stop, paint, report, say};
use crate::schema::{self, Report};
use fgac::model::{Span, TestFile};
use fgac::policy_tests::{self, Coverage};
use fgac::{Authorizer, Compiled, Decision, DenyReason, Outcome, OwnedResource};
use fgac::{analysis, escape_for_terminal as shown};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// What `fgac test` was asked for.
pub struct Options<'a> {
    pub now: Option<&'a str>,
    pub strict: bool,
    pub format: Report,
    pub coverage: bool,
    pub min_coverage: Option<f64>,
}

pub fn run(paths: &[PathBuf], options: &Options<'_>) -> Result<Status, Stop> {
    let now = input::now_or(options.now)?;
    let mut run = Run {
        text: options.format == Report::Text,
        coverage: options.coverage.then(BTreeMap::new),
        ..Run::default()
    };
    for path in input::files_under(paths, "fgac") {
        let name = match &path {
            Ok(path) => input::name_of(path),
            Err(_) => String::new(),
        };
        let mut file = FileReport {
            file: name,
            ..FileReport::default()
        };
        let outcome = path.and_then(|path| one(&path, now, options.strict, &mut run, &mut file));
        match outcome {
            Ok(()) => {}
            Err(Stop::Usage(message)) => {
                if run.text {
                    report(&format!("error: {}\n", shown(&message)));
                }
                file.problems.push(json!({ "error": message }));
                run.worst = run.worst.max(Status::Usage);
            }
            Err(stop) => return Err(stop),
        }
        run.files.push(file);
    }
    let (passed, failed) = run.tally();
    let mut status = if failed > 0 {
        Status::Failed
    } else if passed == 0 {
        if run.text {
            report("error: no test found: no `test` block in the files given\n");
        }
        Status::NoTests
    } else {
        Status::Ok
    };
    if run.text {
        say!(
            "{} passed, {} failed",
            passed,
            if failed > 0 {
                paint(Paint::Fail, &failed.to_string())
            } else {
                failed.to_string()
            }
        )?;
    }
    let coverage = run.coverage.take().unwrap_or_default();
    for c in coverage.values() {
        if options
            .min_coverage
            .is_some_and(|min| c.coverage.percent() < min)
        {
            status = status.max(Status::Failed);
        }
    }
    let status = run.worst.max(status);
    match options.format {
        Report::Text => coverage_text(&coverage, options.min_coverage)?,
        Report::Json => {
            let mut report = json!({
                "status": schema::status_name(status),
                "passed": passed,
                "failed": failed,
                "files": run.files.iter().map(FileReport::json).collect::<Vec<_>>(),
            });
            if options.coverage {
                report["coverage"] = coverage
                    .values()
                    .map(|c| c.json(options.min_coverage))
                    .collect();
            }
            schema::emit("test", report)?;
        }
        Report::Junit => crate::out::text(&junit(&run.files))?,
    }
    Ok(status)
}

/// Everything a run found.
#[derive(Default)]
struct Run {
    /// Whether to print for people as the run goes.
    text: bool,
    files: Vec<FileReport>,
    worst: Status,
    /// By policy file (canonical path), when `--coverage` asks.
    coverage: Option<BTreeMap<String, PolicyCoverage>>,
}

impl Run {
    fn tally(&self) -> (usize, usize) {
        let tests = self.files.iter().flat_map(|f| &f.tests);
        let passed = tests.clone().filter(|t| t.passed()).count();
        let failed = tests.filter(|t| !t.passed()).count()
            + self
                .files
                .iter()
                .map(|f| f.failed_without_running)
                .sum::<usize>();
        (passed, failed)
    }
}

/// One file's tests.
#[derive(Default)]
struct FileReport {
    file: String,
    /// The policy the tests ran against, when it is another file.
    policy: Option<String>,
    /// What kept tests from running, as JSON (diagnostics, or a usage error).
    problems: Vec<Value>,
    tests: Vec<TestReport>,
    /// Tests that could not run (the file or its policy has errors), counted as failed; 1 for
    /// a file that does not parse.
    failed_without_running: usize,
}

impl FileReport {
    /// Records that the file's `count` tests (or the file itself, for 0) could not run.
    fn could_not_run(&mut self, count: usize, problem: Value) {
        self.problems.push(problem);
        self.failed_without_running = count.max(1);
    }

    fn json(&self) -> Value {
        json!({
            "file": self.file,
            "policy": self.policy,
            "errors": self.problems,
            "not_run": self.failed_without_running,
            "tests": self.tests.iter().map(TestReport::json).collect::<Vec<_>>(),
        })
    }
}

/// One test block's result.
struct TestReport {
    name: String,
    range: Value,
    line: usize,
    /// The failed expectations.
    failures: Vec<FailureReport>,
    /// What kept it from running (an unknown credential), rendered and as JSON.
    error: Option<(String, Value)>,
}

impl TestReport {
    fn passed(&self) -> bool {
        self.failures.is_empty() && self.error.is_none()
    }

    fn json(&self) -> Value {
        json!({
            "name": self.name,
            "range": self.range,
            "outcome": if self.error.is_some() {
                "error"
            } else if self.failures.is_empty() {
                "passed"
            } else {
                "failed"
            },
            "failures": self.failures.iter().map(FailureReport::json).collect::<Vec<_>>(),
            "error": self.error.as_ref().map(|(_, v)| v),
        })
    }
}

/// An expectation that did not hold.
struct FailureReport {
    /// `file:line:column: source`.
    located: String,
    range: Value,
    expected: String,
    actual: String,
    decided_by: Vec<RuleRef>,
    nearest: Option<RuleRef>,
    /// Why, when the operation acts on another kind of resource.
    note: Option<String>,
}

impl FailureReport {
    fn json(&self) -> Value {
        json!({
            "range": self.range,
            "expected": self.expected,
            "actual": self.actual,
            "decided_by": self.decided_by.iter().map(RuleRef::json).collect::<Vec<_>>(),
            "nearest": self.nearest.as_ref().map(RuleRef::json),
            "note": self.note,
        })
    }

    /// The lines under `FAIL`, as text prints them and JUnit's failure body holds them.
    fn lines(&self) -> Vec<String> {
        let mut out = vec![
            format!("  {}", self.located),
            format!("    expected {}, got {}", self.expected, self.actual),
        ];
        for r in &self.decided_by {
            out.push(format!("    decided by rule {} at {}", r.rule, r.located));
        }
        if let Some(r) = &self.nearest {
            out.push(format!("    nearest rule {} at {}", r.rule, r.located));
        }
        if let Some(note) = &self.note {
            out.push(format!("    {note}"));
        }
        out
    }
}

/// A rule of the policy, where it is written.
struct RuleRef {
    rule: fgac::RuleId,
    file: String,
    range: Value,
    located: String,
}

impl RuleRef {
    fn new(rule: fgac::RuleId, policy: &Policy, span: Span) -> RuleRef {
        RuleRef {
            rule,
            file: policy.origin.clone(),
            range: policy.positions.range(&policy.text, span),
            located: located(&policy.origin, &policy.text, span),
        }
    }

    fn json(&self) -> Value {
        json!({ "rule": self.rule.index(), "file": self.file, "range": self.range })
    }
}

/// The rules of one policy file and which the tests reached.
struct PolicyCoverage {
    origin: String,
    text: String,
    coverage: Coverage,
}

impl PolicyCoverage {
    fn json(&self, min: Option<f64>) -> Value {
        let positions = schema::Positions::new(&self.text);
        json!({
            "policy": self.origin,
            "rules": self.coverage.rules().len(),
            "reached": self.coverage.reached(),
            "percent": self.coverage.percent(),
            "below_minimum": min.is_some_and(|m| self.coverage.percent() < m),
            "not_reached": self.coverage.rules().iter().filter(|r| !r.reached).map(|r| json!({
                "credential": r.credential,
                "rule": r.rule.index(),
                "range": positions.range(&self.text, r.span),
            })).collect::<Vec<_>>(),
        })
    }
}

/// `coverage: FILE: R of N rules (P%)`, then each rule no test reached.
fn coverage_text(
    coverage: &BTreeMap<String, PolicyCoverage>,
    min: Option<f64>,
) -> Result<(), Stop> {
    for c in coverage.values() {
        let (reached, all, percent) = (
            c.coverage.reached(),
            c.coverage.rules().len(),
            c.coverage.percent(),
        );
        say!(
            "coverage: {}: {reached} of {all} rules ({percent:.1}%)",
            shown(&c.origin)
        )?;
        for r in c.coverage.rules().iter().filter(|r| !r.reached) {
            say!(
                "  not reached: rule {} of `{}` at {}",
                r.rule,
                shown(&r.credential),
                located(&c.origin, &c.text, r.span)
            )?;
        }
        if let Some(min) = min
            && percent < min
        {
            report(&format!(
                "error: {}: coverage {percent:.1}% is below --min-coverage {min}%\n",
                shown(&c.origin)
            ));
        }
    }
    Ok(())
}

/// The document tests run against: the file's own, or the one its `policy` line names.
struct Policy {
    origin: String,
    /// Where its lines start, for the ranges of its rules.
    positions: schema::Positions,
    /// The canonical path, which names it in the coverage report whichever test file reached it.
    key: String,
    text: String,
    compiled: Compiled,
}

/// Records `e` (located in `text` of `path`) as what kept `count` tests from running.
fn problem(
    run: &Run,
    file: &mut FileReport,
    path: &Path,
    text: &str,
    e: fgac::Error,
    count: usize,
) {
    file.could_not_run(count, schema::diagnostics(&e, text));
    if run.text {
        input::print_error(path, e);
    }
}

fn one(
    path: &Path,
    now: fgac::Timestamp,
    strict: bool,
    run: &mut Run,
    file: &mut FileReport,
) -> Result<(), Stop> {
    let bytes = input::read(path)?;
    let loaded = match input::reader_for(path).read(&bytes) {
        Ok(loaded) => loaded,
        Err(e) => {
            let text = input::text_of(&bytes, fgac::syntax::Format::Dsl);
            problem(run, file, path, &text, e, 0);
            return Ok(());
        }
    };
    let text = input::text_of(&bytes, loaded.format);
    if loaded.tests.tests.is_empty() {
        return Ok(());
    }
    let count = loaded.tests.tests.len();
    let tests = loaded.tests.clone();
    let origin = input::name_of(path);
    let clock = policy_tests::clock_dependent(&tests);
    if strict && !clock.is_empty() {
        let n = clock.len();
        let e = fgac::Error::from_diagnostics(clock).with_source(&text);
        problem(run, file, path, &text, e, count);
        if run.text {
            let (what, tests) = (
                if n == 1 {
                    "expectation"
                } else {
                    "expectations"
                },
                if count == 1 {
                    "test fails"
                } else {
                    "tests fail"
                },
            );
            report(&format!(
                "error: {}: {n} {what} without `at` (--strict): its {count} {tests}\n",
                shown(&origin)
            ));
        }
        return Ok(());
    }
    let builder = Authorizer::builder();
    let policy = match policy_tests::policy_path(path, &tests, &loaded.document) {
        Err(e) => {
            problem(run, file, path, &text, e.with_source(&text), count);
            return Ok(());
        }
        // The file's own credentials: the one parse already made.
        Ok(None) => match builder.compile_loaded(loaded, &text) {
            Ok(compiled) => Policy {
                origin: origin.clone(),
                positions: schema::Positions::new(&text),
                key: canonical(path),
                text: text.clone(),
                compiled,
            },
            Err(e) => {
                problem(run, file, path, &text, e, count);
                return Ok(());
            }
        },
        Ok(Some(policy_path)) => {
            file.policy = Some(policy_path.display().to_string());
            match referenced_policy(path, &text, &tests, &policy_path, run, file, count) {
                Some(policy) => policy,
                None => return Ok(()),
            }
        }
    };
    if let Some(coverage) = &mut run.coverage {
        let valid = policy.compiled.valid();
        let entry = coverage
            .entry(policy.key.clone())
            .or_insert_with(|| PolicyCoverage {
                origin: policy.origin.clone(),
                text: policy.text.clone(),
                coverage: Coverage::new(valid),
            });
        for case in &tests.tests {
            entry.coverage.record(valid, case, now);
        }
    }
    run_tests(&tests, &policy, &origin, &text, now, run.text, file)
}

/// The canonical path of `path`, or the path as given when it has none (standard input).
fn canonical(path: &Path) -> String {
    std::fs::canonicalize(path)
        .unwrap_or_else(|_| path.to_owned())
        .display()
        .to_string()
}

/// Reads and compiles the document a `policy` line names; a file that cannot be read is reported
/// at the `policy` line, by path, without showing anything of it.
fn referenced_policy(
    path: &Path,
    text: &str,
    tests: &TestFile,
    policy: &Path,
    run: &Run,
    file: &mut FileReport,
    count: usize,
) -> Option<Policy> {
    let bytes = match std::fs::read(policy) {
        Ok(bytes) => bytes,
        Err(e) => {
            let (name, span) = tests.policy.as_ref()?;
            let d = fgac::Diagnostic::new(
                fgac::ErrorKind::Test,
                *span,
                format!("cannot read the policy `{name}`: {e}"),
            )
            .with_help("the path is relative to this test file");
            let e = fgac::Error::from_diagnostics(vec![d]).with_source(text);
            problem(run, file, path, text, e, count);
            return None;
        }
    };
    match Authorizer::builder()
        .reader(fgac::syntax::Reader::for_path(policy))
        .read(&bytes)
    {
        Ok(compiled) => Some(Policy {
            origin: policy.display().to_string(),
            positions: schema::Positions::new(&input::text_of(&bytes, compiled.loaded().format)),
            key: canonical(policy),
            text: input::text_of(&bytes, compiled.loaded().format),
            compiled,
        }),
        Err(e) => {
            let policy_text = input::text_of(&bytes, fgac::syntax::Format::Dsl);
            problem(run, file, policy, &policy_text, e, count);
            None
        }
    }
}

fn run_tests(
    tests: &TestFile,
    policy: &Policy,
    origin: &str,
    text: &str,
    now: fgac::Timestamp,
    print: bool,
    file: &mut FileReport,
) -> Result<(), Stop> {
    let authz = policy.compiled.authorizer();
    let positions = schema::Positions::new(text);
    for case in &tests.tests {
        let range = positions.range(text, case.span);
        let line = range["line"].as_u64().unwrap_or(0) as usize;
        let mut result = TestReport {
            name: case.name.clone(),
            range,
            line,
            failures: Vec::new(),
            error: None,
        };
        match policy_tests::run(authz, case, now) {
            Err(e) => {
                let json = schema::diagnostics(&e, text);
                let rendered = e.with_source(text).with_origin(origin).to_string();
                if print {
                    say!(
                        "{} {}: {}",
                        paint(Paint::Fail, "FAIL"),
                        shown(origin),
                        shown(&case.name)
                    )?;
                    report(&rendered);
                }
                result.error = Some((rendered, json));
            }
            Ok(failures) => {
                result.failures = failures
                    .iter()
                    .map(|f| failure(f, policy, origin, text, &positions, now))
                    .collect();
                if print {
                    if result.failures.is_empty() {
                        say!(
                            "{}   {}: {}",
                            paint(Paint::Pass, "ok"),
                            shown(origin),
                            shown(&case.name)
                        )?;
                    } else {
                        say!(
                            "{} {}: {}",
                            paint(Paint::Fail, "FAIL"),
                            shown(origin),
                            shown(&case.name)
                        )?;
                        for f in &result.failures {
                            for line in f.lines() {
                                say!("{line}")?;
                            }
                        }
                    }
                }
            }
        }
        file.tests.push(result);
    }
    Ok(())
}

/// What a failed expectation got, and the rules that decided it or came nearest.
fn failure(
    f: &policy_tests::Failure<'_>,
    policy: &Policy,
    origin: &str,
    text: &str,
    positions: &schema::Positions,
    now: fgac::Timestamp,
) -> FailureReport {
    let e = f.expectation;
    let mut out = FailureReport {
        located: located(origin, text, e.span),
        range: positions.range(text, e.span),
        expected: e.expected.to_string(),
        actual: f.actual.to_string(),
        decided_by: Vec::new(),
        nearest: None,
        note: None,
    };
    if let Some(credential) = policy.compiled.valid().credential(&e.credential) {
        let at = e.at.unwrap_or(now);
        let explanation = analysis::explain(credential, e.op.need(), e.resource.as_resource(), at);
        for &rule in &explanation.deciding {
            if let Some(g) = explanation.grant(rule) {
                out.decided_by.push(RuleRef::new(rule, policy, g.span));
            }
        }
        if let Some(m) = explanation.near_misses.first()
            && let Some(g) = explanation.grant(m.rule)
        {
            out.nearest = Some(RuleRef::new(m.rule, policy, g.span));
        }
    }
    if f.actual == Outcome::Decided(Decision::Deny(DenyReason::WrongResourceKind)) {
        out.note = Some(format!(
            "{} acts on another kind of resource than {}",
            e.op,
            match e.resource {
                OwnedResource::Item { .. } => "an item",
                OwnedResource::Topic { .. } => "a topic",
                OwnedResource::StoreItem { .. } => "an item of a store",
                OwnedResource::Cache { .. } => "a cache",
                OwnedResource::Account => "the account",
            }
        ));
    }
    out
}

/// `text` as XML character data or an attribute value: markup characters as entities, and
/// characters XML 1.0 cannot hold (control characters) escaped as text first.
fn xml(text: &str) -> String {
    let visible = shown(text);
    let mut out = String::with_capacity(visible.len());
    for c in visible.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// The run as JUnit XML: a `testsuite` per file, a `testcase` per test block, a `failure` per
/// failed test (its expectations' lines as the text) and an `error` for a test or a file that
/// could not run.
fn junit(files: &[FileReport]) -> String {
    let mut suites = String::new();
    let (mut all_tests, mut all_failures, mut all_errors) = (0, 0, 0);
    for f in files {
        let failures = f.tests.iter().filter(|t| !t.failures.is_empty()).count();
        let errors = f.tests.iter().filter(|t| t.error.is_some()).count()
            + usize::from(!f.problems.is_empty());
        let tests = f.tests.len() + usize::from(!f.problems.is_empty());
        if tests == 0 {
            continue;
        }
        (all_tests, all_failures, all_errors) = (
            all_tests + tests,
            all_failures + failures,
            all_errors + errors,
        );
        let _ = writeln!(
            suites,
            r#"  <testsuite name="{}" tests="{tests}" failures="{failures}" errors="{errors}" skipped="0">"#,
            xml(&f.file)
        );
        if !f.problems.is_empty() {
            let what = f
                .problems
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join("\n");
            let _ = writeln!(
                suites,
                r#"    <testcase name="(document)" classname="{file}" file="{file}"><error message="the document or its policy has errors: {n} tests could not run">{}</error></testcase>"#,
                xml(&what),
                file = xml(&f.file),
                n = f.failed_without_running,
            );
        }
        for t in &f.tests {
            let open = format!(
                r#"    <testcase name="{}" classname="{file}" file="{file}" line="{}""#,
                xml(&t.name),
                t.line,
                file = xml(&f.file)
            );
            if let Some((rendered, _)) = &t.error {
                let _ = writeln!(
                    suites,
                    r#"{open}><error message="the test cannot run">{}</error></testcase>"#,
                    xml(rendered)
                );
            } else if let Some(first) = t.failures.first() {
                let body = t
                    .failures
                    .iter()
                    .flat_map(FailureReport::lines)
                    .collect::<Vec<_>>()
                    .join("\n");
                let _ = writeln!(
                    suites,
                    r#"{open}><failure message="expected {}, got {}" type="expectation">{}</failure></testcase>"#,
                    xml(&first.expected),
                    xml(&first.actual),
                    xml(&body)
                );
            } else {
                let _ = writeln!(suites, "{open}/>");
            }
        }
        suites.push_str("  </testsuite>\n");
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"fgac test\" tests=\"{all_tests}\" failures=\"{all_failures}\" errors=\"{all_errors}\">\n{suites}</testsuites>\n"
    )
}
