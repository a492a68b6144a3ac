//! fgac from Python: the native module `fgac._fgac`, which the package `fgac` re-exports.
//!
//! A thin layer over the library: documents are read and compiled by `fgac`, decisions are the
//! engine's, analyses print the same JSON lines as the command line (`fgac::lines`), signed
//! credentials are minted, inspected and resolved by `fgac::credentials`. Times are
//! timezone-aware `datetime`s (or epoch seconds, or RFC 3339 text); item keys are `str` or
//! `bytes`. Work that can take long (compiling, diff, containment, minting, verifying) runs with
//! the interpreter released.

use fgac::analysis::{self, DeriveError, DiffOptions, Miss};
use fgac::credentials::{
    Keyring as RingInner, MintError, MintOptions, PublicKey as PublicInner, SignatureCheck,
    SigningKey as SigningInner, Trust,
};
use fgac::model::{CredentialDef, CredentialKind, Expiry, Permissions};
use fgac::syntax::{Format, Reader};
use fgac::{
    Authorizer, BatchDecision as BatchInner, Compiled, Decision as DecisionInner, DenyReason,
    Limits, Location, Operation, Resource, Severity, Timestamp,
};
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyKeyError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyString};
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;

create_exception!(
    _fgac,
    FgacError,
    PyException,
    "A document, rule or credential fgac refuses: `diagnostics` holds each problem (severity, \
     kind, message, help, line, column), and `str()` renders them as the command line does."
);
create_exception!(
    _fgac,
    MintRefused,
    FgacError,
    "`mint` refused: the credential asked for would exceed its parent. `counterexample` is a \
     request (a `fgac decide` line, as a dict) it would allow and the parent denies."
);
create_exception!(
    _fgac,
    Unauthenticated,
    FgacError,
    "A presented credential the key ring refuses: `reason` is why (`expired`, `revoked`, \
     `bad_signature`, ...)."
);

/// One problem in a document.
#[pyclass(frozen, get_all, module = "fgac._fgac")]
#[derive(Clone)]
struct Diagnostic {
    /// `error` or `warning`.
    severity: &'static str,
    /// What kind of problem (`syntax`, `duplicate_credential`, `lint`, ...).
    kind: &'static str,
    /// The message: lowercase, user input in backticks.
    message: String,
    /// Advice, when there is some.
    help: Option<String>,
    /// 1-based line, for a text document.
    line: Option<usize>,
    /// 1-based column in characters, for a text document.
    column: Option<usize>,
    /// Byte offsets of the span.
    start: usize,
    end: usize,
}

#[pymethods]
impl Diagnostic {
    fn __repr__(&self) -> String {
        let number = |n: Option<usize>| n.map_or_else(|| "None".to_owned(), |n| n.to_string());
        format!(
            "Diagnostic({}, {}, line={}, column={})",
            self.severity,
            python_string(&self.message),
            number(self.line),
            number(self.column)
        )
    }
}

/// `text` as a Python string literal: quoted, with backslashes, quotes and control characters
/// escaped.
fn python_string(text: &str) -> String {
    let mut out = String::from("'");
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// `e` (found in `text`, named `origin`) as an `FgacError` (or `class`) with its diagnostics.
fn error_of(py: Python<'_>, e: fgac::Error, text: &str, origin: &str) -> PyErr {
    refused::<FgacError>(py, e, text, origin)
}

fn refused<E: pyo3::PyTypeInfo>(py: Python<'_>, e: fgac::Error, text: &str, origin: &str) -> PyErr {
    let diagnostics: Vec<Diagnostic> = e
        .diagnostics()
        .iter()
        .map(|d| {
            let at = (!text.is_empty()).then(|| Location::find(text, d.span));
            Diagnostic {
                severity: match d.severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                },
                kind: d.kind.name(),
                message: d.message.clone(),
                help: d.help.clone(),
                line: at.as_ref().map(|l| l.line),
                column: at.as_ref().map(|l| l.column),
                start: d.span.start,
                end: d.span.end,
            }
        })
        .collect();
    let rendered = e.with_source(text).with_origin(origin).to_string();
    let err = PyErr::from_type(py.get_type::<E>(), rendered.trim_end().to_owned());
    let _ = err.value(py).setattr("diagnostics", diagnostics);
    err
}

/// A time given from Python: a timezone-aware `datetime`, epoch seconds, or RFC 3339 text;
/// `None` is the current time.
fn time(value: Option<&Bound<'_, PyAny>>) -> PyResult<Timestamp> {
    let Some(value) = value else {
        return Ok(Timestamp::now());
    };
    if let Ok(seconds) = value.extract::<u64>() {
        return Ok(Timestamp::from_unix_seconds(seconds));
    }
    if let Ok(text) = value.cast::<PyString>() {
        return text
            .to_cow()?
            .parse::<Timestamp>()
            .map_err(|e| PyValueError::new_err(format!("{}; {}", e.message, e.help)));
    }
    if value.hasattr("tzinfo")? && value.hasattr("timestamp")? {
        if value.getattr("tzinfo")?.is_none() {
            return Err(PyValueError::new_err(
                "a naive datetime has no time zone: give one (`datetime.now(timezone.utc)`)",
            ));
        }
        let seconds: f64 = value.call_method0("timestamp")?.extract()?;
        if !(0.0..=253_402_300_799.0).contains(&seconds) {
            return Err(PyValueError::new_err(
                "the time is outside 1970-01-01T00:00:00Z..9999-12-31T23:59:59Z",
            ));
        }
        // Whole seconds, as fgac's times are.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        return Ok(Timestamp::from_unix_seconds(seconds.floor() as u64));
    }
    Err(PyTypeError::new_err(
        "a time is a timezone-aware datetime, epoch seconds (int) or RFC 3339 text",
    ))
}

/// A `datetime` (UTC) for `t`.
fn datetime<'py>(py: Python<'py>, t: Timestamp) -> PyResult<Bound<'py, PyAny>> {
    let dt = py.import("datetime")?;
    let utc = dt.getattr("timezone")?.getattr("utc")?;
    dt.getattr("datetime")?
        .call_method1("fromtimestamp", (t.unix_seconds(), utc))
}

/// An item key from Python: `bytes` as they are, `str` as its UTF-8.
fn key_bytes(value: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    if let Ok(b) = value.cast::<PyBytes>() {
        return Ok(b.as_bytes().to_vec());
    }
    if let Ok(s) = value.cast::<PyString>() {
        return Ok(s.to_cow()?.as_bytes().to_vec());
    }
    Err(PyTypeError::new_err("an item key is str or bytes"))
}

fn operation(op: &str) -> PyResult<Operation> {
    op.parse::<Operation>()
        .map_err(|e| PyValueError::new_err(e.to_string()))
}

/// The resource the keyword arguments name, with the key bytes it borrows.
struct Target {
    cache: Option<String>,
    key: Option<Vec<u8>>,
    topic: Option<String>,
    store: Option<String>,
    account: bool,
}

impl Target {
    fn new(
        cache: Option<String>,
        item: Option<&Bound<'_, PyAny>>,
        topic: Option<String>,
        store: Option<String>,
        account: bool,
    ) -> PyResult<Target> {
        let key = item.map(key_bytes).transpose()?;
        let named = [cache.is_some(), store.is_some(), account]
            .iter()
            .filter(|b| **b)
            .count();
        if named != 1 {
            return Err(PyTypeError::new_err(
                "name one of `cache=` (with `item=` or `topic=`, or alone for the cache), `store=` (with `item=`), or `account=True`",
            ));
        }
        if key.is_some() && topic.is_some() {
            return Err(PyTypeError::new_err("give `item=` or `topic=`, not both"));
        }
        if store.is_some() && key.is_none() {
            return Err(PyTypeError::new_err(
                "`store=` names an item of a store: give `item=`",
            ));
        }
        if account && (key.is_some() || topic.is_some()) {
            return Err(PyTypeError::new_err(
                "`account=True` names no item or topic",
            ));
        }
        Ok(Target {
            cache,
            key,
            topic,
            store,
            account,
        })
    }

    fn resource(&self) -> Resource<'_> {
        if self.account {
            return Resource::Account;
        }
        if let (Some(store), Some(key)) = (&self.store, &self.key) {
            return Resource::store_item(store, key);
        }
        let cache = self.cache.as_deref().unwrap_or_default();
        match (&self.key, &self.topic) {
            (Some(key), _) => Resource::item(cache, key),
            (None, Some(topic)) => Resource::topic(cache, topic),
            (None, None) => Resource::cache(cache),
        }
    }
}

/// A decision: truthy only when allowed. `reason` is why it was denied (`no_matching_grant`,
/// `denied_by_rule`, `expired`, ...), `rule` the deny rule that decided, and `failure` why a
/// presented credential was refused (`reason` is then `unauthenticated`).
#[pyclass(frozen, get_all, eq, module = "fgac._fgac")]
#[derive(Clone, PartialEq, Eq)]
struct Decision {
    allowed: bool,
    reason: Option<&'static str>,
    rule: Option<u32>,
    failure: Option<&'static str>,
}

impl From<DecisionInner> for Decision {
    fn from(d: DecisionInner) -> Decision {
        match d {
            DecisionInner::Allow => Decision {
                allowed: true,
                reason: None,
                rule: None,
                failure: None,
            },
            DecisionInner::Deny(reason) => denied(reason),
        }
    }
}

fn denied(reason: DenyReason) -> Decision {
    Decision {
        allowed: false,
        reason: Some(reason.as_str()),
        rule: reason.rule().map(fgac::RuleId::index),
        failure: match reason {
            DenyReason::Unauthenticated(why) => Some(why.as_str()),
            _ => None,
        },
    }
}

#[pymethods]
impl Decision {
    fn __bool__(&self) -> bool {
        self.allowed
    }

    fn __repr__(&self) -> String {
        match (self.reason, self.rule, self.failure) {
            (None, _, _) => "Decision(allow)".to_owned(),
            (Some(r), Some(rule), _) => format!("Decision(deny: {r} #{rule})"),
            (Some(r), None, Some(why)) => format!("Decision(deny: {r}: {why})"),
            (Some(r), None, None) => format!("Decision(deny: {r})"),
        }
    }
}

/// A decision on several keys at once: allowed when every key is; otherwise `index` is the first
/// denied key's position. An empty batch is denied (`empty_batch`).
#[pyclass(frozen, get_all, module = "fgac._fgac")]
struct BatchDecision {
    allowed: bool,
    reason: Option<&'static str>,
    rule: Option<u32>,
    index: Option<usize>,
}

#[pymethods]
impl BatchDecision {
    fn __bool__(&self) -> bool {
        self.allowed
    }

    fn __repr__(&self) -> String {
        match (self.reason, self.index) {
            (None, _) => "BatchDecision(allow)".to_owned(),
            (Some(r), Some(i)) => format!("BatchDecision(deny: {r} at key {i})"),
            (Some(r), None) => format!("BatchDecision(deny: {r})"),
        }
    }
}

/// A failed expectation as `Policy.run_tests` returns it: the test's name, what was expected,
/// what the request got, and the expectation's line.
type TestFailure = (String, String, String, Option<usize>);

/// A compiled document: its credentials by name (`policy["svc"]`), and decisions.
#[pyclass(frozen, module = "fgac._fgac")]
struct Policy {
    compiled: Arc<Compiled>,
    /// The text it was read from (empty for a binary document), for rules' lines.
    text: Arc<str>,
    origin: Arc<str>,
}

/// A format by its name or alias (`dsl`, `fgac-json`, `momento-json`, `momento-v2-protobuf`, ...).
fn format_named(name: &str) -> PyResult<Format> {
    Format::ALL
        .iter()
        .copied()
        .find(|f| f.name() == name || f.aliases().contains(&name))
        .ok_or_else(|| {
            let names: Vec<&str> = Format::ALL.iter().map(|f| f.name()).collect();
            PyValueError::new_err(format!(
                "unknown format `{name}`; one of: {}",
                names.join(", ")
            ))
        })
}

/// Reads and compiles a document: text (`str`, any text form, told by its content), `bytes`
/// (text, or a protobuf message with `format=`), or a path (`os.PathLike`, its format from its
/// name). Raises `FgacError` with every diagnostic.
#[pyfunction]
#[pyo3(signature = (source, *, format=None))]
fn compile(py: Python<'_>, source: &Bound<'_, PyAny>, format: Option<&str>) -> PyResult<Policy> {
    let format = format.map(format_named).transpose()?;
    let (bytes, mut reader, origin) = if let Ok(text) = source.cast::<PyString>() {
        (
            text.to_cow()?.as_bytes().to_vec(),
            Reader::new(),
            "<string>".to_owned(),
        )
    } else if let Ok(b) = source.cast::<PyBytes>() {
        (b.as_bytes().to_vec(), Reader::new(), "<bytes>".to_owned())
    } else if let Ok(path) = source.extract::<PathBuf>() {
        let bytes = py.detach(|| std::fs::read(&path)).map_err(|e| {
            pyo3::exceptions::PyOSError::new_err(format!("cannot read `{}`: {e}", path.display()))
        })?;
        (bytes, Reader::for_path(&path), path.display().to_string())
    } else {
        return Err(PyTypeError::new_err(
            "a document is text (str), bytes, or a path",
        ));
    };
    if format.is_some() {
        reader = reader.format(format);
    }
    let binary = reader.get_format().is_some_and(Format::is_binary);
    let compiled = py.detach(|| Authorizer::builder().reader(reader).read(&bytes));
    let text = if binary {
        String::new()
    } else {
        String::from_utf8_lossy(&bytes).into_owned()
    };
    match compiled {
        Ok(compiled) => Ok(Policy {
            compiled: Arc::new(compiled),
            text: text.into(),
            origin: origin.into(),
        }),
        Err(e) => Err(error_of(py, e, &text, &origin)),
    }
}

impl Policy {
    fn index(&self, name: &str) -> PyResult<usize> {
        let authz = self.compiled.authorizer();
        authz
            .credentials()
            .position(|c| c.name() == name)
            .ok_or_else(|| {
                PyKeyError::new_err(match authz.suggest_credential(name) {
                    Some(s) => format!("no credential `{name}`; did you mean `{s}`?"),
                    None => format!("no credential `{name}`"),
                })
            })
    }
}

#[pymethods]
impl Policy {
    /// The credential named `name`; `KeyError` (with the nearest name) when there is none.
    fn credential(slf: &Bound<'_, Self>, name: &str) -> PyResult<Credential> {
        let me = slf.get();
        let index = me.index(name)?;
        let shared = me
            .compiled
            .authorizer()
            .share(name)
            .ok_or_else(|| PyKeyError::new_err(format!("no credential `{name}`")))?;
        Ok(Credential {
            policy: slf.clone().unbind(),
            index,
            shared,
        })
    }

    fn __getitem__(slf: &Bound<'_, Self>, name: &str) -> PyResult<Credential> {
        Policy::credential(slf, name)
    }

    fn __contains__(&self, name: &str) -> bool {
        self.compiled.authorizer().credential(name).is_some()
    }

    fn __len__(&self) -> usize {
        self.compiled.authorizer().credentials().len()
    }

    /// The credentials' names, in document order.
    #[getter]
    fn names(&self) -> Vec<String> {
        self.compiled
            .authorizer()
            .credentials()
            .map(|c| c.name().to_owned())
            .collect()
    }

    /// The document in another format (`dsl`, `fgac-json`, `momento-json`, ...): text, or bytes
    /// for a protobuf format. Raises `FgacError` naming what the format cannot express.
    fn convert<'py>(&self, py: Python<'py>, to: &str) -> PyResult<Bound<'py, PyAny>> {
        let format = format_named(to)?;
        let doc = &self.compiled.loaded().document;
        if format.is_binary() {
            let bytes = fgac::syntax::to_bytes(doc, format)
                .map_err(|e| error_of(py, e, &self.text, &self.origin))?;
            return Ok(PyBytes::new(py, &bytes).into_any());
        }
        let text = fgac::syntax::to_string(doc, format)
            .map_err(|e| error_of(py, e, &self.text, &self.origin))?;
        Ok(PyString::new(py, &text).into_any())
    }

    /// Decides whether the credential `credential` may do `op` on the resource the keywords name,
    /// at `now`; a name the document does not hold is denied (`unknown_credential`).
    #[pyo3(signature = (credential, op, *, cache=None, item=None, topic=None, store=None, account=false, now=None))]
    #[allow(clippy::too_many_arguments)]
    fn authorize(
        &self,
        credential: &str,
        op: &str,
        cache: Option<String>,
        item: Option<&Bound<'_, PyAny>>,
        topic: Option<String>,
        store: Option<String>,
        account: bool,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Decision> {
        let op = operation(op)?;
        let target = Target::new(cache, item, topic, store, account)?;
        let now = time(now)?;
        Ok(match self.compiled.authorizer().credential(credential) {
            Some(c) => c.authorize(op, target.resource(), now).into(),
            None => Decision {
                allowed: false,
                reason: Some("unknown_credential"),
                rule: None,
                failure: None,
            },
        })
    }

    /// Runs the document's `test` blocks against its own credentials at `now` (for expectations
    /// without `at`): `(passed, failures)`, each failure `(test, expected, actual, line)`.
    #[pyo3(signature = (*, now=None))]
    fn run_tests(
        &self,
        py: Python<'_>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<(usize, Vec<TestFailure>)> {
        let now = time(now)?;
        let authz = self.compiled.authorizer();
        let (mut passed, mut failures) = (0, Vec::new());
        for case in &self.compiled.loaded().tests.tests {
            let found = fgac::policy_tests::run(authz, case, now)
                .map_err(|e| error_of(py, e, &self.text, &self.origin))?;
            if found.is_empty() {
                passed += 1;
            }
            for f in found {
                let line = (!self.text.is_empty())
                    .then(|| Location::find(&self.text, f.expectation.span).line);
                failures.push((
                    case.name.clone(),
                    f.expectation.expected.to_string(),
                    f.actual.to_string(),
                    line,
                ));
            }
        }
        Ok((passed, failures))
    }

    fn __repr__(&self) -> String {
        format!(
            "Policy({}, {} credentials)",
            self.origin,
            self.compiled.authorizer().credentials().len()
        )
    }
}

/// A credential of a `Policy`.
#[pyclass(frozen, module = "fgac._fgac")]
struct Credential {
    policy: Py<Policy>,
    /// Its place in the policy's document.
    index: usize,
    /// The compiled credential, shared with the policy.
    shared: std::sync::Arc<fgac::Credential>,
}

impl Credential {
    fn inner(&self) -> &fgac::Credential {
        &self.shared
    }
}

#[pymethods]
impl Credential {
    /// Its name.
    #[getter]
    fn name(&self) -> &str {
        self.inner().name()
    }

    /// `api_key` or `token`.
    #[getter]
    fn kind(&self) -> &'static str {
        self.inner().kind().as_str()
    }

    /// When it expires (a UTC `datetime`), or `None` when it never does.
    #[getter]
    fn expires<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        match self.inner().expiry() {
            Expiry::Never => Ok(None),
            Expiry::At(t) => datetime(py, t).map(Some),
        }
    }

    /// Decides whether it may do `op` (`get`, `set`, `publish`, `create_cache`, ...) on the
    /// resource the keywords name, at `now`.
    #[pyo3(signature = (op, *, cache=None, item=None, topic=None, store=None, account=false, now=None))]
    #[allow(clippy::too_many_arguments)]
    fn authorize(
        &self,
        op: &str,
        cache: Option<String>,
        item: Option<&Bound<'_, PyAny>>,
        topic: Option<String>,
        store: Option<String>,
        account: bool,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Decision> {
        let op = operation(op)?;
        let target = Target::new(cache, item, topic, store, account)?;
        Ok(self
            .inner()
            .authorize(op, target.resource(), time(now)?)
            .into())
    }

    /// Decides a multi-key operation on `items` of `cache` at once.
    #[pyo3(signature = (op, *, cache, items, now=None))]
    fn authorize_batch(
        &self,
        op: &str,
        cache: &str,
        items: &Bound<'_, PyAny>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<BatchDecision> {
        let op = operation(op)?;
        let keys = items
            .try_iter()?
            .map(|k| key_bytes(&k?))
            .collect::<PyResult<Vec<_>>>()?;
        let d = self
            .inner()
            .authorize_batch(op, cache, keys.iter().map(Vec::as_slice), time(now)?);
        Ok(match d {
            BatchInner::Allow => BatchDecision {
                allowed: true,
                reason: None,
                rule: None,
                index: None,
            },
            BatchInner::Deny { index, reason } => BatchDecision {
                allowed: false,
                reason: Some(reason.as_str()),
                rule: reason.rule().map(fgac::RuleId::index),
                index: Some(index),
            },
            BatchInner::Empty => BatchDecision {
                allowed: false,
                reason: Some("empty_batch"),
                rule: None,
                index: None,
            },
        })
    }

    /// The decision on one request and why: `{decision, deciding, near_misses}`, each rule as
    /// `{rule, text, line, column}`, a near miss with `miss` (`rights`, `target`, `cache`) and
    /// for `rights`, what the rule `has` and the operation `needs`.
    #[pyo3(signature = (op, *, cache=None, item=None, topic=None, store=None, account=false, now=None))]
    #[allow(clippy::too_many_arguments)]
    fn explain<'py>(
        &self,
        py: Python<'py>,
        op: &str,
        cache: Option<String>,
        item: Option<&Bound<'_, PyAny>>,
        topic: Option<String>,
        store: Option<String>,
        account: bool,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
        let op = operation(op)?;
        let target = Target::new(cache, item, topic, store, account)?;
        let now = time(now)?;
        let policy = self.policy.get();
        let valid = policy
            .compiled
            .valid()
            .credential_at(self.index)
            .ok_or_else(|| PyKeyError::new_err("the credential is not in its document"))?;
        let e = analysis::explain(valid, op.need(), target.resource(), now);
        let rule = |index: fgac::RuleId| -> PyResult<Bound<'py, pyo3::types::PyDict>> {
            let d = pyo3::types::PyDict::new(py);
            d.set_item("rule", index.index())?;
            if let Some(g) = e.grant(index) {
                let text = policy
                    .text
                    .get(g.span.start..g.span.end)
                    .unwrap_or_default();
                d.set_item("text", text.lines().next().unwrap_or_default().trim())?;
                if !policy.text.is_empty() {
                    let at = Location::find(&policy.text, g.span);
                    d.set_item("line", at.line)?;
                    d.set_item("column", at.column)?;
                }
            }
            Ok(d)
        };
        let out = pyo3::types::PyDict::new(py);
        out.set_item("decision", Py::new(py, Decision::from(e.decision))?)?;
        let deciding = PyList::empty(py);
        for &r in &e.deciding {
            deciding.append(rule(r)?)?;
        }
        out.set_item("deciding", deciding)?;
        let misses = PyList::empty(py);
        for m in &e.near_misses {
            let d = rule(m.rule)?;
            match m.miss {
                Miss::Rights { has, needs } => {
                    d.set_item("miss", "rights")?;
                    d.set_item("has", has.to_string())?;
                    d.set_item("needs", needs.to_string())?;
                }
                Miss::Target => d.set_item("miss", "target")?,
                Miss::Cache => d.set_item("miss", "cache")?,
            }
            misses.append(d)?;
        }
        out.set_item("near_misses", misses)?;
        Ok(out)
    }

    fn __repr__(&self) -> String {
        format!("Credential({}, {})", self.inner().name(), self.kind())
    }
}

/// `json.loads(text)`.
fn json<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    py.import("json")?.call_method1("loads", (text,))
}

/// What changes between two versions of a document: one dict per change, exactly the objects
/// `fgac diff --json` prints (`{credential, change, request?, old?, new?}`; a `request` is a
/// `fgac decide` request line, `old` and `new` what `decide` answers on each side).
#[pyfunction]
#[pyo3(signature = (old, new, *, now=None, reasons=false))]
fn diff<'py>(
    py: Python<'py>,
    old: &Policy,
    new: &Policy,
    now: Option<&Bound<'_, PyAny>>,
    reasons: bool,
) -> PyResult<Bound<'py, PyList>> {
    let now = time(now)?;
    let (a, b) = (Arc::clone(&old.compiled), Arc::clone(&new.compiled));
    let lines: Vec<String> = py.detach(|| {
        let d = analysis::diff(a.authorizer(), b.authorizer(), now, DiffOptions { reasons });
        d.credentials
            .iter()
            .flat_map(fgac::lines::diff_lines)
            .collect()
    });
    let out = PyList::empty(py);
    for line in lines {
        out.append(json(py, &line)?)?;
    }
    Ok(out)
}

/// Whether `inner` may do at most what `within` may: the dict `fgac contains --json` prints
/// (`{contained, expiry_ok}`, and when not contained, `request`, `inner` and `outer`: a request
/// `inner` is allowed and `within` is not, with each side's answer).
#[pyfunction]
#[pyo3(signature = (inner, *, within, now=None))]
fn contains<'py>(
    py: Python<'py>,
    inner: &Credential,
    within: &Credential,
    now: Option<&Bound<'_, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let now = time(now)?;
    let line = py.detach(|| {
        let (i, o) = (inner.inner(), within.inner());
        let result = analysis::contains(i, o, now);
        fgac::lines::containment_json(i.name(), &result, analysis::expires_no_later(i, o))
    });
    json(py, &line)
}

/// An Ed25519 signing key: mints credentials. Keep it secret.
#[pyclass(frozen, module = "fgac._fgac")]
struct SigningKey {
    key: SigningInner,
}

#[pymethods]
impl SigningKey {
    /// A new random key; `kid` names it (default `ed25519-` and the start of the public key).
    #[staticmethod]
    #[pyo3(signature = (kid=None))]
    fn generate(kid: Option<&str>) -> PyResult<SigningKey> {
        let key = SigningInner::generate(kid).map_err(|e| PyValueError::new_err(e.to_string()))?;
        Ok(SigningKey { key })
    }

    /// Reads a private key file, as `fgac keygen` writes it (JWK).
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<SigningKey> {
        SigningInner::from_file(&path)
            .map(|key| SigningKey { key })
            .map_err(|e| error_of(py, e, "", &path.display().to_string()))
    }

    /// Writes the private key (mode 0600) to `path` and the public key beside it
    /// (`NAME.pub.jwk`); returns the public key's path. Never overwrites a file.
    fn save(&self, path: PathBuf) -> PyResult<PathBuf> {
        self.key.write_files(&path).map_err(|e| {
            pyo3::exceptions::PyOSError::new_err(format!(
                "cannot write the key to `{}`: {e}",
                path.display()
            ))
        })
    }

    /// Its key id.
    #[getter]
    fn kid(&self) -> &str {
        self.key.kid()
    }

    /// Its public key, to verify what it signs.
    #[getter]
    fn public_key(&self) -> PublicKey {
        PublicKey {
            key: self.key.public_key(),
        }
    }

    fn __repr__(&self) -> String {
        format!("SigningKey({})", self.key.kid())
    }
}

/// An Ed25519 public key: verifies credentials.
#[pyclass(frozen, module = "fgac._fgac")]
#[derive(Clone)]
struct PublicKey {
    key: PublicInner,
}

#[pymethods]
impl PublicKey {
    /// Reads a public key file (JWK).
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<PublicKey> {
        PublicInner::from_file(&path)
            .map(|key| PublicKey { key })
            .map_err(|e| error_of(py, e, "", &path.display().to_string()))
    }

    /// Reads a public key from its JWK text.
    #[staticmethod]
    fn from_jwk(py: Python<'_>, text: &str) -> PyResult<PublicKey> {
        PublicInner::from_jwk(text)
            .map(|key| PublicKey { key })
            .map_err(|e| error_of(py, e, text, "<jwk>"))
    }

    /// Its JWK text.
    fn to_jwk(&self) -> String {
        self.key.to_jwk()
    }

    /// Its key id.
    #[getter]
    fn kid(&self) -> &str {
        self.key.kid()
    }

    fn __repr__(&self) -> String {
        format!("PublicKey({})", self.key.kid())
    }
}

/// The rules of `permissions` (the body of a credential in fgac's language: rules and account
/// rights, one per line) as a credential's permissions.
fn permissions_of(
    py: Python<'_>,
    permissions: &str,
) -> PyResult<(Permissions, fgac::AccountRights)> {
    let text = format!("key \"requested\" {{\n    expires never\n{permissions}\n}}\n");
    let doc = Reader::new()
        .format(Format::Dsl)
        .read_str(&text)
        .map_err(|e| error_of(py, e, &text, "<permissions>"))?
        .document;
    match doc.credentials.as_slice() {
        [c] if c.token_id.is_none() && c.networks.is_empty() && c.expiry == Expiry::Never => {
            Ok((c.permissions.clone(), c.account))
        }
        _ => Err(PyValueError::new_err(
            "`permissions` holds rules and account rights only (no braces, `expires`, `id` or `networks`)",
        )),
    }
}

/// Mints a signed disposable token (or with `api_key=True`, an API key) named `name`, for at
/// most what `parent` (a credential of a policy) may do: its `permissions` are rules in fgac's
/// language, one per line. `MintRefused` (with a counterexample) when they would exceed the
/// parent; `FgacError` when they are not a valid credential.
#[pyfunction]
#[pyo3(signature = (parent, *, key, permissions, expires, name="token", api_key=false, id=None, token_id=None, issuer=None, networks=None, now=None))]
#[allow(clippy::too_many_arguments)]
fn mint(
    py: Python<'_>,
    parent: &Credential,
    key: &SigningKey,
    permissions: &str,
    expires: &Bound<'_, PyAny>,
    name: &str,
    api_key: bool,
    id: Option<String>,
    token_id: Option<String>,
    issuer: Option<String>,
    networks: Option<Vec<String>>,
    now: Option<&Bound<'_, PyAny>>,
) -> PyResult<String> {
    let now = time(now)?;
    let expiry = match expires.cast::<PyString>() {
        Ok(s) if s.to_cow()? == "never" => Expiry::Never,
        _ => Expiry::At(time(Some(expires))?),
    };
    let (permissions, account) = permissions_of(py, permissions)?;
    let networks = networks
        .unwrap_or_default()
        .iter()
        .map(|n| {
            n.parse::<fgac::model::Network>()
                .map_err(|e| PyValueError::new_err(format!("network `{n}`: {e}")))
        })
        .collect::<PyResult<Vec<_>>>()?;
    let mut request = CredentialDef::new(
        name.to_owned(),
        if api_key {
            CredentialKind::ApiKey
        } else {
            CredentialKind::Token
        },
        expiry,
        permissions,
    );
    request.token_id = token_id;
    request.account = account;
    request.networks = networks;
    let options = MintOptions {
        issuer,
        id,
        not_before: None,
    };
    let parent_credential = parent.inner();
    let minted = py.detach(|| {
        fgac::credentials::mint(
            parent_credential,
            &request,
            &key.key,
            &options,
            now,
            &Limits::default(),
        )
    });
    match minted {
        Ok(token) => Ok(token),
        Err(MintError::Mint(DeriveError::Exceeds(c))) => {
            let message = format!(
                "the credential would exceed `{}`: {} {}: allowed to it, {} by `{}` (as for every {} on {})",
                parent_credential.name(),
                c.op,
                c.resource,
                c.outer,
                parent_credential.name(),
                c.op,
                c.region
            );
            let err = MintRefused::new_err(message);
            let witness = fgac::lines::containment_json(name, &Err(c), true);
            let witness = json(py, &witness)?;
            let _ = err.value(py).setattr("counterexample", witness);
            let _ = err
                .value(py)
                .setattr("diagnostics", Vec::<Diagnostic>::new());
            Err(err)
        }
        Err(MintError::Mint(DeriveError::Invalid(e))) => {
            Err(error_of(py, e, "", "the requested credential"))
        }
        Err(e) => Err(PyValueError::new_err(e.to_string())),
    }
}

/// Takes a signed credential apart: `{kid, signature, claims}`; `signature` is `valid`,
/// `not_checked` (no `key` given), `other_key` or `invalid`, and `claims` the credential's
/// (`id`, `issuer`, `issued`, `not_before`, `expires`, `name`, `kind`, `self_contained`, and
/// `document`, its permissions in fgac's language). Raises `FgacError` for what is not an fgac
/// credential at all, or whose claims are not a valid credential.
#[pyfunction]
#[pyo3(signature = (token, *, key=None))]
fn inspect<'py>(
    py: Python<'py>,
    token: &str,
    key: Option<&PublicKey>,
) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
    let found = py
        .detach(|| fgac::credentials::inspect(token, key.map(|k| &k.key), &Limits::default()))
        .map_err(|why| Unauthenticated::new_err(format!("not an fgac credential ({why})")))?;
    let out = pyo3::types::PyDict::new(py);
    out.set_item("kid", &found.kid)?;
    out.set_item(
        "signature",
        match found.signature {
            SignatureCheck::Valid => "valid",
            SignatureCheck::NotChecked => "not_checked",
            SignatureCheck::OtherKey => "other_key",
            SignatureCheck::Invalid => "invalid",
        },
    )?;
    let claims = found.claims.map_err(|e| error_of(py, e, "", "claims"))?;
    let c = pyo3::types::PyDict::new(py);
    c.set_item("id", &claims.id)?;
    c.set_item("issuer", &claims.issuer)?;
    c.set_item("issued", datetime(py, claims.issued_at)?)?;
    c.set_item(
        "not_before",
        claims.not_before.map(|t| datetime(py, t)).transpose()?,
    )?;
    c.set_item(
        "expires",
        match claims.credential.expiry {
            Expiry::Never => None,
            Expiry::At(t) => Some(datetime(py, t)?),
        },
    )?;
    c.set_item("name", &claims.credential.name)?;
    c.set_item("kind", claims.credential.kind.as_str())?;
    c.set_item("self_contained", claims.self_contained)?;
    if claims.self_contained {
        let doc = fgac::model::Document::new(vec![claims.credential]);
        let text = fgac::syntax::to_string(&doc, Format::Dsl)
            .map_err(|e| error_of(py, e, "", "claims"))?;
        c.set_item("document", text)?;
    }
    out.set_item("claims", c)?;
    Ok(out)
}

/// What a server resolves presented credentials with: trusted public keys, an optional issuer
/// and the document API keys refer to; a bounded cache of what it has verified.
#[pyclass(frozen, module = "fgac._fgac")]
struct Keyring {
    ring: RingInner,
}

#[pymethods]
impl Keyring {
    /// A key ring trusting `keys`, with `policy` as the document API keys refer to (optional),
    /// requiring `issuer` when given.
    #[new]
    #[pyo3(signature = (keys, *, policy=None, issuer=None))]
    fn new(
        py: Python<'_>,
        keys: Vec<PublicKey>,
        policy: Option<&Policy>,
        issuer: Option<String>,
    ) -> PyResult<Keyring> {
        let mut trust = Trust::builder();
        for k in keys {
            trust = trust.key(k.key);
        }
        if let Some(p) = policy {
            trust = trust.document(Compiled::clone(&p.compiled));
        }
        if let Some(iss) = issuer {
            trust = trust.issuer(iss);
        }
        let trust = trust.build().map_err(|e| error_of(py, e, "", "<trust>"))?;
        let ring = RingInner::new(trust).map_err(|e| PyValueError::new_err(e.to_string()))?;
        Ok(Keyring { ring })
    }

    /// A key ring from a trust file, as `fgac decide --trust` and the server read it.
    #[staticmethod]
    fn open(py: Python<'_>, path: PathBuf) -> PyResult<Keyring> {
        let ring = py
            .detach(|| RingInner::open(&path))
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        Ok(Keyring { ring })
    }

    /// Resolves what a client at `peer` presented: a `Session` to authorize its requests with;
    /// `Unauthenticated` (with `reason`) when refused.
    #[pyo3(signature = (token, *, peer, now=None))]
    fn resolve(
        &self,
        py: Python<'_>,
        token: &str,
        peer: &str,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Session> {
        let peer: IpAddr = peer
            .parse()
            .map_err(|_| PyValueError::new_err(format!("`{peer}` is not an IP address")))?;
        let now = time(now)?;
        match py.detach(|| self.ring.resolve(token, peer, now)) {
            Ok(session) => Ok(Session { session }),
            Err(why) => {
                let err = Unauthenticated::new_err(format!("refused: {why}"));
                let _ = err.value(py).setattr("reason", why.as_str());
                let _ = err
                    .value(py)
                    .setattr("diagnostics", Vec::<Diagnostic>::new());
                Err(err)
            }
        }
    }
}

/// A presented credential resolved by a `Keyring`: authorize a connection's requests with it.
#[pyclass(frozen, module = "fgac._fgac")]
struct Session {
    session: fgac::credentials::Session,
}

#[pymethods]
impl Session {
    /// Decides one request, as `Credential.authorize` does, after the revocation check.
    #[pyo3(signature = (op, *, cache=None, item=None, topic=None, store=None, account=false, now=None))]
    #[allow(clippy::too_many_arguments)]
    fn authorize(
        &self,
        op: &str,
        cache: Option<String>,
        item: Option<&Bound<'_, PyAny>>,
        topic: Option<String>,
        store: Option<String>,
        account: bool,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Decision> {
        let op = operation(op)?;
        let target = Target::new(cache, item, topic, store, account)?;
        Ok(self
            .session
            .authorize(op, target.resource(), time(now)?)
            .into())
    }

    /// Whether it is still live (not revoked since it was resolved).
    #[getter]
    fn live(&self) -> bool {
        self.session.is_live()
    }
}

/// fgac's native module; import `fgac`, which re-exports it.
#[pymodule]
fn _fgac(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("FgacError", py.get_type::<FgacError>())?;
    m.add("MintRefused", py.get_type::<MintRefused>())?;
    m.add("Unauthenticated", py.get_type::<Unauthenticated>())?;
    m.add_class::<Diagnostic>()?;
    m.add_class::<Decision>()?;
    m.add_class::<BatchDecision>()?;
    m.add_class::<Policy>()?;
    m.add_class::<Credential>()?;
    m.add_class::<SigningKey>()?;
    m.add_class::<PublicKey>()?;
    m.add_class::<Keyring>()?;
    m.add_class::<Session>()?;
    m.add_function(wrap_pyfunction!(compile, m)?)?;
    m.add_function(wrap_pyfunction!(diff, m)?)?;
    m.add_function(wrap_pyfunction!(contains, m)?)?;
    m.add_function(wrap_pyfunction!(mint, m)?)?;
    m.add_function(wrap_pyfunction!(inspect, m)?)?;
    Ok(())
}
