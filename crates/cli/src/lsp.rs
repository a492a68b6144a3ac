//! `fgac lsp`: a language server over stdio for `.fgac` files and fgac's JSON forms.
//!
//! Diagnostics as you type (every parse, validation and lint message, and the did-you-mean as a
//! quick fix), formatting (the canonical formatter, `fgac fmt`'s), hover on a rule and on a
//! credential, go to definition from a test's credential name and from a `policy "..."` line,
//! document symbols, and a code lens per test that runs the file's tests (`fgac.runTests`).
//!
//! Edits arrive incrementally and are applied to the document's text; each change re-checks the
//! whole document (parsing and validation are linear in it: BENCHMARKS.md has the time a 1 MB
//! document takes).

use crate::out::{Status, Stop};
use fgac::model::{CredentialKind, Expiry, Grant, Permissions, Span, TestFile};
use fgac::syntax::{Format, Loaded, Reader};
use fgac::{Authorizer, Severity, analysis, policy_tests};
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types as lsp;
use lsp_types::notification::Notification as _;
use lsp_types::request::Request as _;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The command a code lens runs: the tests of the document (`arguments`: its URI, and
/// optionally one test's name).
const RUN_TESTS: &str = "fgac.runTests";

pub fn run() -> Result<Status, Stop> {
    let (connection, io) = Connection::stdio();
    let failed = |e: &dyn std::fmt::Display| Stop::Usage(format!("language server: {e}"));
    connection
        .initialize(capabilities())
        .map_err(|e| failed(&e))?;
    let mut server = Server::default();
    server.serve(&connection).map_err(|e| failed(&e))?;
    drop(connection);
    io.join().map_err(|e| failed(&e))?;
    Ok(Status::Ok)
}

fn capabilities() -> Value {
    let caps = lsp::ServerCapabilities {
        text_document_sync: Some(lsp::TextDocumentSyncCapability::Kind(
            lsp::TextDocumentSyncKind::INCREMENTAL,
        )),
        hover_provider: Some(lsp::HoverProviderCapability::Simple(true)),
        definition_provider: Some(lsp::OneOf::Left(true)),
        document_formatting_provider: Some(lsp::OneOf::Left(true)),
        document_symbol_provider: Some(lsp::OneOf::Left(true)),
        code_action_provider: Some(lsp::CodeActionProviderCapability::Simple(true)),
        code_lens_provider: Some(lsp::CodeLensOptions {
            resolve_provider: Some(false),
        }),
        execute_command_provider: Some(lsp::ExecuteCommandOptions {
            commands: vec![RUN_TESTS.to_owned()],
            work_done_progress_options: lsp::WorkDoneProgressOptions::default(),
        }),
        ..lsp::ServerCapabilities::default()
    };
    serde_json::to_value(caps).unwrap_or(Value::Null)
}

/// The open documents.
#[derive(Default)]
struct Server {
    docs: HashMap<lsp::Url, Doc>,
}

/// An open document: its text and what checking it found.
struct Doc {
    text: String,
    lines: Lines,
    /// Its path, for a `file:` URI: where a `policy` line's file is found.
    path: Option<PathBuf>,
    reader: Reader,
    /// The document as read, when it parses.
    loaded: Option<Loaded>,
    /// Every error, lint and warning, as fgac reports them.
    found: Vec<fgac::Diagnostic>,
}

impl Doc {
    fn new(uri: &lsp::Url, text: String) -> Doc {
        let path = uri.to_file_path().ok();
        let reader = path.as_deref().map_or_else(Reader::new, Reader::for_path);
        let mut doc = Doc {
            lines: Lines::new(&text),
            text,
            path,
            reader,
            loaded: None,
            found: Vec::new(),
        };
        doc.check();
        doc
    }

    /// Parses, validates and lints the text.
    fn check(&mut self) {
        self.lines = Lines::new(&self.text);
        self.found.clear();
        self.loaded = None;
        match self.reader.read_str(&self.text) {
            Err(e) => self.found.extend(e.diagnostics().iter().cloned()),
            Ok(loaded) => {
                // A file of tests for another file's policy holds no credentials of its own.
                let tests_only =
                    loaded.tests.policy.is_some() && loaded.document.credentials.is_empty();
                if tests_only {
                    self.check_tests(&loaded);
                } else {
                    match fgac::validate(&loaded.document, self.reader.get_limits()) {
                        Err(e) => self.found.extend(e.diagnostics().iter().cloned()),
                        Ok(valid) => self.found.extend(analysis::lint(valid)),
                    }
                }
                self.found
                    .extend(policy_tests::clock_dependent(&loaded.tests));
                self.loaded = Some(loaded);
            }
        }
    }

    /// A file of tests for another file's policy: the credentials its tests name must be the
    /// policy's (read from disk, as `fgac check` and `fgac test` read it).
    fn check_tests(&mut self, loaded: &Loaded) {
        let here = self.path.clone().unwrap_or_else(|| PathBuf::from("-"));
        let policy = match policy_tests::policy_path(&here, &loaded.tests, &loaded.document) {
            Ok(Some(policy)) => policy,
            Ok(None) => return,
            Err(e) => {
                self.found.extend(e.diagnostics().iter().cloned());
                return;
            }
        };
        let Ok(bytes) = std::fs::read(&policy) else {
            return;
        };
        if let Ok(compiled) = Authorizer::builder()
            .reader(Reader::for_path(&policy))
            .read(&bytes)
        {
            for case in &loaded.tests.tests {
                self.found.extend(policy_tests::unknown_credentials(
                    compiled.authorizer(),
                    case,
                ));
            }
        }
    }

    /// Applies an edit: a range replaced, or the whole text.
    fn apply(&mut self, change: lsp::TextDocumentContentChangeEvent) {
        match change.range {
            None => self.text = change.text,
            Some(range) => {
                let start = self.lines.offset(&self.text, range.start);
                let end = self.lines.offset(&self.text, range.end).max(start);
                self.text.replace_range(start..end, &change.text);
                self.lines = Lines::new(&self.text);
            }
        }
    }

    fn range(&self, span: Span) -> lsp::Range {
        lsp::Range {
            start: self.lines.position(&self.text, span.start),
            end: self.lines.position(&self.text, span.end),
        }
    }

    fn diagnostics(&self) -> Vec<lsp::Diagnostic> {
        self.found
            .iter()
            .map(|d| lsp::Diagnostic {
                range: self.range(d.span),
                severity: Some(match d.severity {
                    Severity::Error => lsp::DiagnosticSeverity::ERROR,
                    Severity::Warning => lsp::DiagnosticSeverity::WARNING,
                }),
                code: Some(lsp::NumberOrString::String(match d.kind {
                    fgac::ErrorKind::Lint { name } => name.to_owned(),
                    ref kind => kind.name().to_owned(),
                })),
                source: Some("fgac".to_owned()),
                message: match &d.help {
                    Some(help) => format!("{}\nhelp: {help}", d.message),
                    None => d.message.clone(),
                },
                ..lsp::Diagnostic::default()
            })
            .collect()
    }
}

/// Where each line starts, to turn byte offsets into LSP positions (UTF-16 columns) and back.
struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    fn new(text: &str) -> Lines {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Lines { starts }
    }

    fn position(&self, text: &str, offset: usize) -> lsp::Position {
        let offset = offset.min(text.len());
        let line = self
            .starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1);
        let start = self.starts.get(line).copied().unwrap_or(0);
        let column: usize = text
            .get(start..offset)
            .unwrap_or_default()
            .chars()
            .map(char::len_utf16)
            .sum();
        lsp::Position::new(
            u32::try_from(line).unwrap_or(u32::MAX),
            u32::try_from(column).unwrap_or(u32::MAX),
        )
    }

    /// The byte offset of `p`, clamped to its line and to the text.
    fn offset(&self, text: &str, p: lsp::Position) -> usize {
        let Some(&start) = self.starts.get(p.line as usize) else {
            return text.len();
        };
        let end = self
            .starts
            .get(p.line as usize + 1)
            .map_or(text.len(), |&e| e.saturating_sub(1));
        let mut units = 0u32;
        for (i, c) in text.get(start..end).unwrap_or_default().char_indices() {
            if units >= p.character {
                return start + i;
            }
            units += u32::try_from(c.len_utf16()).unwrap_or(2);
        }
        end
    }
}

type Reply = Result<Value, (ErrorCode, String)>;

impl Server {
    fn serve(&mut self, connection: &Connection) -> Result<(), lsp_server::ProtocolError> {
        for message in &connection.receiver {
            match message {
                Message::Request(request) => {
                    if connection.handle_shutdown(&request)? {
                        return Ok(());
                    }
                    let id = request.id.clone();
                    let response = match self.request(request, connection) {
                        Ok(value) => Response::new_ok(id, value),
                        Err((code, message)) => Response::new_err(id, code as i32, message),
                    };
                    send(connection, Message::Response(response));
                }
                Message::Notification(n) => self.notification(n, connection),
                Message::Response(_) => {}
            }
        }
        Ok(())
    }

    fn notification(&mut self, n: Notification, connection: &Connection) {
        use lsp::notification::{DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument};
        let uri = match n.method.as_str() {
            DidOpenTextDocument::METHOD => {
                let Ok(p) = serde_json::from_value::<lsp::DidOpenTextDocumentParams>(n.params)
                else {
                    return;
                };
                let doc = Doc::new(&p.text_document.uri, p.text_document.text);
                self.docs.insert(p.text_document.uri.clone(), doc);
                p.text_document.uri
            }
            DidChangeTextDocument::METHOD => {
                let Ok(p) = serde_json::from_value::<lsp::DidChangeTextDocumentParams>(n.params)
                else {
                    return;
                };
                let Some(doc) = self.docs.get_mut(&p.text_document.uri) else {
                    return;
                };
                for change in p.content_changes {
                    doc.apply(change);
                }
                doc.check();
                p.text_document.uri
            }
            DidCloseTextDocument::METHOD => {
                if let Ok(p) = serde_json::from_value::<lsp::DidCloseTextDocumentParams>(n.params) {
                    self.docs.remove(&p.text_document.uri);
                    publish(connection, p.text_document.uri, Vec::new());
                }
                return;
            }
            _ => return,
        };
        if let Some(doc) = self.docs.get(&uri) {
            publish(connection, uri, doc.diagnostics());
        }
    }

    fn request(&mut self, request: Request, connection: &Connection) -> Reply {
        use lsp::request::{
            CodeActionRequest, CodeLensRequest, DocumentSymbolRequest, ExecuteCommand, Formatting,
            GotoDefinition, HoverRequest,
        };
        let params = request.params;
        match request.method.as_str() {
            HoverRequest::METHOD => {
                let p: lsp::HoverParams = parse(params)?;
                let at = p.text_document_position_params;
                Ok(to_value(self.hover(&at.text_document.uri, at.position)))
            }
            GotoDefinition::METHOD => {
                let p: lsp::GotoDefinitionParams = parse(params)?;
                let at = p.text_document_position_params;
                Ok(to_value(
                    self.definition(&at.text_document.uri, at.position),
                ))
            }
            Formatting::METHOD => {
                let p: lsp::DocumentFormattingParams = parse(params)?;
                self.format(&p.text_document.uri).map(to_value)
            }
            DocumentSymbolRequest::METHOD => {
                let p: lsp::DocumentSymbolParams = parse(params)?;
                Ok(to_value(self.symbols(&p.text_document.uri)))
            }
            CodeActionRequest::METHOD => {
                let p: lsp::CodeActionParams = parse(params)?;
                Ok(to_value(self.quick_fixes(&p)))
            }
            CodeLensRequest::METHOD => {
                let p: lsp::CodeLensParams = parse(params)?;
                Ok(to_value(self.lenses(&p.text_document.uri)))
            }
            ExecuteCommand::METHOD => {
                let p: lsp::ExecuteCommandParams = parse(params)?;
                if p.command != RUN_TESTS {
                    return Err((
                        ErrorCode::InvalidParams,
                        format!("unknown command `{}`", p.command),
                    ));
                }
                let uri: lsp::Url = p
                    .arguments
                    .first()
                    .cloned()
                    .and_then(|v| serde_json::from_value(v).ok())
                    .ok_or((
                        ErrorCode::InvalidParams,
                        "give the document's URI".to_owned(),
                    ))?;
                let only = p.arguments.get(1).and_then(Value::as_str);
                let result = self.run_tests(&uri, only)?;
                let summary = result["summary"].as_str().unwrap_or_default().to_owned();
                let failed = result["failed"].as_u64().unwrap_or(0) > 0;
                let show = lsp::ShowMessageParams {
                    typ: if failed {
                        lsp::MessageType::ERROR
                    } else {
                        lsp::MessageType::INFO
                    },
                    message: summary,
                };
                send(
                    connection,
                    Message::Notification(Notification::new(
                        lsp::notification::ShowMessage::METHOD.to_owned(),
                        show,
                    )),
                );
                Ok(result)
            }
            _ => Err((
                ErrorCode::MethodNotFound,
                format!("fgac lsp does not answer `{}`", request.method),
            )),
        }
    }

    fn doc(&self, uri: &lsp::Url) -> Result<&Doc, (ErrorCode, String)> {
        self.docs
            .get(uri)
            .ok_or((ErrorCode::InvalidParams, format!("`{uri}` is not open")))
    }

    /// On a rule: its effect, role and rights, what it covers, and the lints about it. On a
    /// credential's name or header: its kind, expiry and rule count.
    fn hover(&self, uri: &lsp::Url, at: lsp::Position) -> Option<lsp::Hover> {
        let doc = self.docs.get(uri)?;
        let offset = doc.lines.offset(&doc.text, at);
        let loaded = doc.loaded.as_ref()?;
        // A credential's span is its header (`key "name"`); its rules have spans of their own.
        let rule = loaded.document.credentials.iter().find_map(|c| {
            grants(c)
                .iter()
                .enumerate()
                .find(|(_, g)| contains(g.span, offset))
                .map(|(i, g)| (c, i, g))
        });
        let (text, span) = match rule {
            Some((c, i, grant)) => (rule_hover(doc, &c.name, i, grant), grant.span),
            None => {
                let c = loaded
                    .document
                    .credentials
                    .iter()
                    .find(|c| contains(c.span, offset))?;
                (credential_hover(c), c.span)
            }
        };
        Some(lsp::Hover {
            contents: lsp::HoverContents::Markup(lsp::MarkupContent {
                kind: lsp::MarkupKind::Markdown,
                value: text,
            }),
            range: Some(doc.range(span)),
        })
    }

    /// From a test's credential name to the credential (in this document or the policy it
    /// names), and from a `policy "..."` line to that file.
    fn definition(&self, uri: &lsp::Url, at: lsp::Position) -> Option<lsp::GotoDefinitionResponse> {
        let doc = self.docs.get(uri)?;
        let offset = doc.lines.offset(&doc.text, at);
        let loaded = doc.loaded.as_ref()?;
        let policy = policy_file(uri, &loaded.tests);
        if let Some((_, span)) = &loaded.tests.policy
            && contains(*span, offset)
        {
            let target = policy?;
            return Some(lsp::GotoDefinitionResponse::Scalar(lsp::Location::new(
                lsp::Url::from_file_path(target).ok()?,
                lsp::Range::default(),
            )));
        }
        let e = loaded
            .tests
            .tests
            .iter()
            .flat_map(|t| &t.expectations)
            .find(|e| contains(e.span, offset))?;
        // The credential's name, quoted, in the expectation's text.
        let line = doc.text.get(e.span.start..e.span.end)?;
        let quoted = format!("\"{}\"", e.credential);
        let at_name = line.find(&quoted).map(|i| e.span.start + i)?;
        if !(at_name..=at_name + quoted.len()).contains(&offset) {
            return None;
        }
        match policy {
            None => {
                let c = loaded
                    .document
                    .credentials
                    .iter()
                    .find(|c| c.name == e.credential)?;
                Some(lsp::GotoDefinitionResponse::Scalar(lsp::Location::new(
                    uri.clone(),
                    doc.range(c.span),
                )))
            }
            Some(path) => {
                let target = lsp::Url::from_file_path(&path).ok()?;
                // The policy as the editor has it, when it is open; from disk otherwise.
                let text = match self.docs.get(&target) {
                    Some(open) => open.text.clone(),
                    None => std::fs::read_to_string(&path).ok()?,
                };
                let policy = Reader::for_path(&path).read_str(&text).ok()?;
                let c = policy
                    .document
                    .credentials
                    .iter()
                    .find(|c| c.name == e.credential)?;
                let lines = Lines::new(&text);
                Some(lsp::GotoDefinitionResponse::Scalar(lsp::Location::new(
                    target,
                    lsp::Range::new(
                        lines.position(&text, c.span.start),
                        lines.position(&text, c.span.end),
                    ),
                )))
            }
        }
    }

    /// The whole document in canonical layout, as one edit (none when it already is).
    fn format(&self, uri: &lsp::Url) -> Result<Vec<lsp::TextEdit>, (ErrorCode, String)> {
        let doc = self.doc(uri)?;
        if doc.reader.get_format().is_some_and(Format::is_binary) {
            return Ok(Vec::new());
        }
        let formatted = doc.reader.reformat(&doc.text).map_err(|e| {
            (
                ErrorCode::RequestFailed,
                format!(
                    "cannot format a document with errors: {}",
                    e.diagnostics().first().map_or("", |d| d.message.as_str())
                ),
            )
        })?;
        if formatted == doc.text {
            return Ok(Vec::new());
        }
        Ok(vec![lsp::TextEdit::new(
            lsp::Range::new(
                lsp::Position::new(0, 0),
                doc.lines.position(&doc.text, doc.text.len()),
            ),
            formatted,
        )])
    }

    /// Credentials (their rules inside) and tests, as an outline.
    #[allow(deprecated)] // `DocumentSymbol::deprecated`, which the protocol still carries.
    fn symbols(&self, uri: &lsp::Url) -> Vec<lsp::DocumentSymbol> {
        let Some(doc) = self.docs.get(uri) else {
            return Vec::new();
        };
        let Some(loaded) = &doc.loaded else {
            return Vec::new();
        };
        let symbol =
            |name: String, detail: String, kind, span: Span, children| lsp::DocumentSymbol {
                name,
                detail: Some(detail),
                kind,
                tags: None,
                deprecated: None,
                range: doc.range(span),
                selection_range: doc.range(span),
                children,
            };
        let mut out = Vec::new();
        for c in &loaded.document.credentials {
            let rules = match &c.permissions {
                Permissions::Explicit(grants) => grants
                    .iter()
                    .enumerate()
                    .map(|(i, g)| {
                        symbol(
                            format!("#{i} {} {}", effect(g), g.role),
                            rule_text(doc, g.span),
                            lsp::SymbolKind::PROPERTY,
                            g.span,
                            None,
                        )
                    })
                    .collect(),
                Permissions::SuperUser { .. } => Vec::new(),
            };
            // From the header to its last rule: the outline's children lie inside.
            let whole = grants(c).iter().fold(c.span, |s, g| s.to(g.span));
            let mut credential = symbol(
                c.name.clone(),
                kind_name(c.kind).to_owned(),
                lsp::SymbolKind::KEY,
                whole,
                Some(rules),
            );
            credential.selection_range = doc.range(c.span);
            out.push(credential);
        }
        for t in &loaded.tests.tests {
            out.push(symbol(
                t.name.clone(),
                format!("test, {} expectations", t.expectations.len()),
                lsp::SymbolKind::METHOD,
                t.span,
                None,
            ));
        }
        out
    }

    /// A did-you-mean's suggestion as an edit of the word it is about.
    fn quick_fixes(&self, p: &lsp::CodeActionParams) -> Vec<lsp::CodeActionOrCommand> {
        let Some(doc) = self.docs.get(&p.text_document.uri) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for d in &doc.found {
            let Some(suggestion) = d.help.as_deref().and_then(did_you_mean) else {
                continue;
            };
            let range = doc.range(d.span);
            let word = doc.text.get(d.span.start..d.span.end).unwrap_or_default();
            // Only a word (or a quoted name) is replaced: never a span of several tokens.
            if word.is_empty() || word.chars().any(char::is_whitespace) {
                continue;
            }
            if range.end < p.range.start || p.range.end < range.start {
                continue;
            }
            let replacement = if word.starts_with('"') && !suggestion.starts_with('"') {
                format!("\"{suggestion}\"")
            } else {
                suggestion.to_owned()
            };
            let edit = lsp::WorkspaceEdit {
                changes: Some(HashMap::from([(
                    p.text_document.uri.clone(),
                    vec![lsp::TextEdit::new(range, replacement.clone())],
                )])),
                ..lsp::WorkspaceEdit::default()
            };
            out.push(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
                title: format!("replace with `{replacement}`"),
                kind: Some(lsp::CodeActionKind::QUICKFIX),
                edit: Some(edit),
                is_preferred: Some(true),
                ..lsp::CodeAction::default()
            }));
        }
        out
    }

    /// "run tests" over the first test, and "run test" over each.
    fn lenses(&self, uri: &lsp::Url) -> Vec<lsp::CodeLens> {
        let Some(loaded) = self.docs.get(uri).and_then(|d| d.loaded.as_ref()) else {
            return Vec::new();
        };
        let Some(doc) = self.docs.get(uri) else {
            return Vec::new();
        };
        let lens = |title: &str, span: Span, args: Vec<Value>| lsp::CodeLens {
            range: doc.range(span),
            command: Some(lsp::Command::new(
                title.to_owned(),
                RUN_TESTS.to_owned(),
                Some(args),
            )),
            data: None,
        };
        let mut out = Vec::new();
        if let Some(first) = loaded.tests.tests.first() {
            out.push(lens("run the file's tests", first.span, vec![json!(uri)]));
        }
        for t in &loaded.tests.tests {
            out.push(lens("run test", t.span, vec![json!(uri), json!(t.name)]));
        }
        out
    }

    /// Runs the document's tests (or the one named) as the editor has it, against its own
    /// credentials or the policy it names; `{passed, failed, summary, failures}`.
    fn run_tests(&self, uri: &lsp::Url, only: Option<&str>) -> Reply {
        let doc = self.doc(uri)?;
        let refused = |message: String| Err((ErrorCode::RequestFailed, message));
        let Some(loaded) = &doc.loaded else {
            return refused("the document has errors: fix them to run its tests".to_owned());
        };
        let here = uri.to_file_path().unwrap_or_else(|()| PathBuf::from("-"));
        let compiled = match policy_tests::policy_path(&here, &loaded.tests, &loaded.document) {
            Err(e) => return refused(first_message(&e)),
            Ok(None) => Authorizer::builder()
                .reader(doc.reader.clone())
                .read(doc.text.as_bytes()),
            Ok(Some(path)) => {
                let Ok(bytes) = std::fs::read(&path) else {
                    return refused(format!("cannot read the policy `{}`", path.display()));
                };
                Authorizer::builder()
                    .reader(Reader::for_path(&path))
                    .read(&bytes)
            }
        };
        let compiled = match compiled {
            Ok(c) => c,
            Err(e) => return refused(format!("the policy has errors: {}", first_message(&e))),
        };
        let now = fgac::Timestamp::now();
        let (mut passed, mut failed, mut failures) = (0, 0, Vec::new());
        for case in &loaded.tests.tests {
            if only.is_some_and(|name| name != case.name) {
                continue;
            }
            match policy_tests::run(compiled.authorizer(), case, now) {
                Ok(f) if f.is_empty() => passed += 1,
                Ok(f) => {
                    failed += 1;
                    for f in f {
                        failures.push(json!({
                            "test": case.name,
                            "range": doc.range(f.expectation.span),
                            "expected": f.expectation.expected.to_string(),
                            "actual": f.actual.to_string(),
                        }));
                    }
                }
                Err(e) => {
                    failed += 1;
                    failures.push(json!({
                        "test": case.name,
                        "range": doc.range(case.span),
                        "error": first_message(&e),
                    }));
                }
            }
        }
        Ok(json!({
            "passed": passed,
            "failed": failed,
            "summary": format!("{passed} passed, {failed} failed"),
            "failures": failures,
        }))
    }
}

fn parse<T: serde::de::DeserializeOwned>(params: Value) -> Result<T, (ErrorCode, String)> {
    serde_json::from_value(params).map_err(|e| (ErrorCode::InvalidParams, e.to_string()))
}

fn to_value(v: impl serde::Serialize) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

fn send(connection: &Connection, message: Message) {
    // A client that has gone away ends the loop on its own: nothing to report to it.
    let _ = connection.sender.send(message);
}

fn publish(connection: &Connection, uri: lsp::Url, diagnostics: Vec<lsp::Diagnostic>) {
    let params = lsp::PublishDiagnosticsParams::new(uri, diagnostics, None);
    send(
        connection,
        Message::Notification(Notification::new(
            lsp::notification::PublishDiagnostics::METHOD.to_owned(),
            params,
        )),
    );
}

/// The `X` of a help line `did you mean `X`?`.
fn did_you_mean(help: &str) -> Option<&str> {
    let rest = help.split_once("did you mean `")?.1;
    rest.split_once("`?").map(|(s, _)| s)
}

fn contains(span: Span, offset: usize) -> bool {
    span.start <= offset && offset <= span.end
}

fn first_message(e: &fgac::Error) -> String {
    e.diagnostics()
        .first()
        .map_or_else(String::new, |d| d.message.clone())
}

/// The policy file a test file names, as a path.
fn policy_file(uri: &lsp::Url, tests: &TestFile) -> Option<PathBuf> {
    let (name, _) = tests.policy.as_ref()?;
    let here = uri.to_file_path().ok()?;
    Some(here.parent().unwrap_or(Path::new("")).join(name))
}

/// A credential's rules (none for a super user).
fn grants(c: &fgac::model::CredentialDef) -> &[Grant] {
    match &c.permissions {
        Permissions::Explicit(grants) => grants,
        Permissions::SuperUser { .. } => &[],
    }
}

fn effect(g: &Grant) -> &'static str {
    match g.effect {
        fgac::model::Effect::Allow => "allow",
        fgac::model::Effect::Deny => "deny",
    }
}

fn kind_name(kind: CredentialKind) -> &'static str {
    match kind {
        CredentialKind::ApiKey => "API key",
        CredentialKind::Token => "disposable token",
    }
}

/// The first line of a rule's text.
fn rule_text(doc: &Doc, span: Span) -> String {
    let text = doc.text.get(span.start..span.end).unwrap_or_default();
    fgac::escape_for_terminal(text.lines().next().unwrap_or_default().trim()).into_owned()
}

fn rule_hover(doc: &Doc, credential: &str, index: usize, grant: &Grant) -> String {
    let mut out = format!(
        "**rule #{index}** of `{credential}`: {} `{}`\n\n",
        effect(grant),
        grant.role
    );
    out.push_str(&format!(
        "- {}: {}\n- covers: `{}`\n",
        match grant.effect {
            fgac::model::Effect::Allow => "gives",
            fgac::model::Effect::Deny => "takes away",
        },
        grant.role.rights(),
        rule_text(doc, grant.span)
    ));
    // What the analyses say of this rule: shadowing, overlaps, ...
    for d in &doc.found {
        if d.span == grant.span || d.note().is_some_and(|(span, _)| span == grant.span) {
            out.push_str(&format!("- {}\n", d.message));
        }
    }
    out
}

fn credential_hover(c: &fgac::model::CredentialDef) -> String {
    let expiry = match c.expiry {
        Expiry::At(t) => format!("expires {t}"),
        Expiry::Never => "never expires".to_owned(),
    };
    let rules = match &c.permissions {
        Permissions::Explicit(grants) => format!("{} rules", grants.len()),
        Permissions::SuperUser { .. } => "super user".to_owned(),
    };
    format!(
        "**{}** `{}`\n\n- {expiry}\n- {rules}\n",
        kind_name(c.kind),
        c.name
    )
}
