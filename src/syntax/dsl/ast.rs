//! The DSL's syntax tree: the model's content plus what only text has, comments and the order
//! fields were written in. The parser produces it, the formatter prints it, and [`lower`] turns it
//! into the [`model`](crate::model).

use crate::error::{Diagnostic, Diagnostics, Error, ErrorKind};
use crate::model::{
    CredentialDef, CredentialKind, Document, Expiry, Grant, Network, Permissions, Span,
};
use crate::model::{Expectation, TestCase, TestFile};
use crate::ops::AccountRights;

/// Stands for a blank line among comment lines (a comment's text never holds a line break).
pub(crate) const BLANK_LINE: &str = "\n";

/// A parsed DSL file.
#[derive(Clone, Debug, Default)]
pub(crate) struct SourceFile {
    pub(crate) items: Vec<Item>,
    /// Comments after the last item.
    pub(crate) trailing: Vec<String>,
}

/// What a file holds at the top level.
#[derive(Clone, Debug)]
pub(crate) enum Item {
    Credential(Block),
    Test(TestBlock),
    /// `policy "file.fgac"`, with its leading comments.
    Policy {
        leading: Vec<String>,
        path: String,
        span: Span,
    },
}

/// `test "name" { expect ... }`.
#[derive(Clone, Debug)]
pub(crate) struct TestBlock {
    pub(crate) leading: Vec<String>,
    pub(crate) header_comment: Option<String>,
    pub(crate) name: String,
    pub(crate) header: Span,
    pub(crate) lines: Vec<TestLine>,
    pub(crate) closing: Vec<String>,
}

/// One `expect` line with its comments.
#[derive(Clone, Debug)]
pub(crate) struct TestLine {
    pub(crate) leading: Vec<String>,
    pub(crate) trailing: Option<String>,
    pub(crate) expectation: Expectation,
}

/// The tests of `file`.
pub(crate) fn tests_of(file: &SourceFile) -> TestFile {
    let mut out = TestFile::default();
    for item in &file.items {
        match item {
            Item::Policy { path, span, .. } => out.policy = Some((path.clone(), *span)),
            Item::Test(t) => out.tests.push(TestCase {
                name: t.name.clone(),
                span: t.header,
                expectations: t.lines.iter().map(|l| l.expectation.clone()).collect(),
            }),
            Item::Credential(_) => {}
        }
    }
    out
}

/// `key "name" { ... }` or `token "name" { ... }`.
#[derive(Clone, Debug)]
pub(crate) struct Block {
    /// Comment lines above the block (each without its `#`).
    pub(crate) leading: Vec<String>,
    /// A comment after `{` on the header line.
    pub(crate) header_comment: Option<String>,
    pub(crate) kind: CredentialKind,
    pub(crate) name: String,
    /// The span of `key "name"`.
    pub(crate) header: Span,
    pub(crate) fields: Vec<Field>,
    /// Comment lines before the closing `}`.
    pub(crate) closing: Vec<String>,
}

/// One field of a block, with its comments.
#[derive(Clone, Debug)]
pub(crate) struct Field {
    pub(crate) leading: Vec<String>,
    pub(crate) trailing: Option<String>,
    pub(crate) value: FieldValue,
    pub(crate) span: Span,
}

#[derive(Clone, Debug)]
pub(crate) enum FieldValue {
    Expires(Expiry),
    Id(String),
    Networks(Vec<Network>),
    SuperUser,
    /// `allow resource_write`: one account right.
    Account(AccountRights),
    Rule(Grant),
}

impl FieldValue {
    /// The canonical position of the field in a block: settings first, then rules as written.
    pub(crate) fn rank(&self) -> u8 {
        match self {
            FieldValue::Expires(_) => 0,
            FieldValue::Id(_) => 1,
            FieldValue::Networks(_) => 2,
            FieldValue::SuperUser => 3,
            FieldValue::Account(_) => 4,
            FieldValue::Rule(_) => 5,
        }
    }
}

/// The model of `file`, or the problems that keep it from having one (a setting given twice, a
/// super user with rules, a credential without `expires`).
pub(crate) fn lower(file: &SourceFile) -> Result<Document, Error> {
    let mut errors = Diagnostics::default();
    let mut credentials = Vec::new();
    let blocks = file.items.iter().filter_map(|item| match item {
        Item::Credential(block) => Some(block),
        _ => None,
    });
    for block in blocks {
        let who = format!("{} `{}`", keyword(block.kind), block.name);
        let mut expiry: Option<Expiry> = None;
        let mut token_id: Option<String> = None;
        let mut networks: Option<Vec<Network>> = None;
        let mut super_user: Option<Span> = None;
        let mut grants = Vec::new();
        let mut account = AccountRights::NONE;
        for field in &block.fields {
            let twice = |what: &str| {
                Diagnostic::new(
                    ErrorKind::Syntax,
                    field.span,
                    format!("`{what}` is given twice in {who}"),
                )
                .with_help(format!(
                    "keep one `{what}`; this one repeats an earlier one"
                ))
            };
            match &field.value {
                FieldValue::Expires(e) => match expiry {
                    Some(_) => errors.push(twice("expires")),
                    None => expiry = Some(*e),
                },
                FieldValue::Id(id) => match &token_id {
                    Some(_) => errors.push(twice("id")),
                    None => token_id = Some(id.clone()),
                },
                FieldValue::Networks(list) => match &networks {
                    Some(_) => errors.push(twice("networks")),
                    None => networks = Some(list.clone()),
                },
                FieldValue::SuperUser => match super_user {
                    Some(_) => errors.push(twice("superuser")),
                    None => super_user = Some(field.span),
                },
                FieldValue::Rule(g) => grants.push(g.clone()),
                FieldValue::Account(right) if account.contains(*right) => {
                    errors.push(twice(&format!("allow {right}")))
                }
                FieldValue::Account(right) => account = account.union(*right),
            }
        }
        if expiry.is_none() {
            errors.push(
                Diagnostic::new(ErrorKind::Syntax, block.header, format!("{who} has no `expires`"))
                    .with_help(match block.kind {
                        CredentialKind::ApiKey => "add `expires 2027-01-01T00:00:00Z`, or `expires never` for a key that never expires",
                        CredentialKind::Token => "add `expires 2027-01-01T00:00:00Z`: disposable tokens must expire",
                    }),
            );
        }
        let permissions = match super_user {
            Some(span) if !grants.is_empty() => {
                errors.push(
                    Diagnostic::new(
                        ErrorKind::Syntax,
                        span,
                        format!("{who} is a super user and also lists rules"),
                    )
                    .with_help("a super user has every right; remove the rules or `superuser`"),
                );
                Permissions::SuperUser { span }
            }
            Some(span) => Permissions::SuperUser { span },
            None => Permissions::Explicit(grants),
        };
        credentials.push(CredentialDef {
            name: block.name.clone(),
            kind: block.kind,
            expiry: expiry.unwrap_or(Expiry::Never),
            token_id,
            permissions,
            account,
            networks: networks.unwrap_or_default(),
            span: block.header,
        });
    }
    errors.into_result()?;
    Ok(Document { credentials })
}

/// The syntax tree that prints `doc` (no comments; settings first).
pub(crate) fn from_model(doc: &Document) -> SourceFile {
    let field = |value| Field {
        leading: Vec::new(),
        trailing: None,
        value,
        span: Span::default(),
    };
    let items = doc
        .credentials
        .iter()
        .map(|c| {
            let mut fields = vec![field(FieldValue::Expires(c.expiry))];
            if let Some(id) = &c.token_id {
                fields.push(field(FieldValue::Id(id.clone())));
            }
            if !c.networks.is_empty() {
                fields.push(field(FieldValue::Networks(c.networks.clone())));
            }
            fields.extend(c.account.each().map(|r| field(FieldValue::Account(r))));
            match &c.permissions {
                Permissions::SuperUser { .. } => fields.push(field(FieldValue::SuperUser)),
                Permissions::Explicit(grants) => {
                    fields.extend(grants.iter().map(|g| field(FieldValue::Rule(g.clone()))))
                }
            }
            Item::Credential(Block {
                leading: Vec::new(),
                header_comment: None,
                kind: c.kind,
                name: c.name.clone(),
                header: c.span,
                fields,
                closing: Vec::new(),
            })
        })
        .collect();
    SourceFile {
        items,
        trailing: Vec::new(),
    }
}

/// `key` or `token`.
pub(crate) fn keyword(kind: CredentialKind) -> &'static str {
    match kind {
        CredentialKind::ApiKey => "key",
        CredentialKind::Token => "token",
    }
}
