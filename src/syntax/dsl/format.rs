//! The canonical printer for the DSL.
//!
//! One credential per block, blocks separated by a blank line, four-space indentation; in each
//! block `expires`, then `id`, then `superuser`, then the rules in the order written (a rule's
//! position is its id, so rules are never reordered), with their columns aligned. Comments stay
//! with the field they were written above or beside. Strings escape every character that is not
//! plainly visible (controls, bidirectional overrides, zero-width characters), so that what a
//! reviewer reads is what the engine matches.

use super::ast::{self, Block, Field, FieldValue, Item, SourceFile, TestBlock};
use crate::decision::OwnedResource;
use crate::escape::{plainly_visible, push_escaped};
use crate::model::{
    CacheSelector, Document, Expiry, Grant, ItemSelector, ResourceSelector, TopicSelector,
};
use crate::model::{Expectation, Expected};
use std::fmt::Write;

/// Prints `doc` in canonical form.
#[must_use]
pub(crate) fn format(doc: &Document) -> String {
    print(&ast::from_model(doc))
}

/// Reformats DSL source in canonical form under `limits`, keeping its comments. Fails on a
/// document that does not parse; a document with semantic errors (a token without expiry, ...)
/// still formats.
pub(crate) fn format_source_with(
    src: &str,
    limits: &crate::Limits,
) -> Result<String, crate::Error> {
    let file = super::parse_file(src, limits)?;
    Ok(print(&file))
}

pub(crate) fn print(file: &SourceFile) -> String {
    let mut out = String::new();
    for (i, item) in file.items.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        match item {
            Item::Credential(block) => print_block(&mut out, block),
            Item::Test(test) => print_test(&mut out, test),
            Item::Policy { leading, path, .. } => {
                comments(&mut out, "", leading);
                let _ = writeln!(out, "policy {}", quote(path.as_bytes()));
            }
        }
    }
    if !file.trailing.is_empty() && !file.items.is_empty() {
        out.push('\n');
    }
    comments(&mut out, "", &file.trailing);
    out
}

fn comments(out: &mut String, indent: &str, lines: &[String]) {
    for line in lines {
        if line == ast::BLANK_LINE {
            out.push('\n');
        } else {
            let _ = writeln!(out, "{indent}#{line}");
        }
    }
}

fn trailing(out: &mut String, comment: &Option<String>) {
    if let Some(c) = comment {
        let _ = write!(out, "  #{c}");
    }
}

fn print_block(out: &mut String, block: &Block) {
    comments(out, "", &block.leading);
    let _ = write!(
        out,
        "{} {} {{",
        ast::keyword(block.kind),
        quote(block.name.as_bytes())
    );
    trailing(out, &block.header_comment);
    out.push('\n');

    let mut fields: Vec<&Field> = block.fields.iter().collect();
    fields.sort_by_key(|f| f.value.rank());
    let rules: Vec<[String; 4]> = fields
        .iter()
        .filter_map(|f| match &f.value {
            FieldValue::Rule(g) => Some(rule_columns(g)),
            _ => None,
        })
        .collect();
    let mut widths = [0usize; 4];
    for columns in &rules {
        for (w, c) in widths.iter_mut().zip(columns) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut rules = rules.into_iter();
    for field in fields {
        comments(out, "    ", &field.leading);
        let mut line = String::from("    ");
        match &field.value {
            FieldValue::Expires(Expiry::Never) => line.push_str("expires never"),
            FieldValue::Expires(Expiry::At(t)) => line += &format!("expires {t}"),
            FieldValue::Id(id) => line += &format!("id {}", quote(id.as_bytes())),
            FieldValue::Networks(list) => {
                line.push_str("networks ");
                let quoted: Vec<String> = list
                    .iter()
                    .map(|n| quote(n.to_string().as_bytes()))
                    .collect();
                line += &quoted.join(", ");
            }
            FieldValue::SuperUser => line.push_str("superuser"),
            FieldValue::Account(right) => line += &format!("allow {right}"),
            FieldValue::Rule(_) => {
                let columns = rules.next().unwrap_or_default();
                for (i, (column, width)) in columns.iter().zip(widths).enumerate() {
                    if i > 0 {
                        line.push(' ');
                    }
                    let _ = write!(line, "{column:<width$}");
                }
                line.truncate(line.trim_end().len());
            }
        }
        out.push_str(&line);
        trailing(out, &field.trailing);
        out.push('\n');
    }
    comments(out, "    ", &block.closing);
    out.push_str("}\n");
}

fn print_test(out: &mut String, test: &TestBlock) {
    comments(out, "", &test.leading);
    let _ = write!(out, "test {} {{", quote(test.name.as_bytes()));
    trailing(out, &test.header_comment);
    out.push('\n');
    for line in &test.lines {
        comments(out, "    ", &line.leading);
        let _ = write!(out, "    {}", expectation(&line.expectation));
        trailing(out, &line.trailing);
        out.push('\n');
    }
    comments(out, "    ", &test.closing);
    out.push_str("}\n");
}

/// `expect allow "key" op cache "c" item "k" [reason r [#n]] [at t]`.
pub(crate) fn expectation(e: &Expectation) -> String {
    let mut line = String::from("expect ");
    line += match e.expected {
        Expected::Allow => "allow",
        Expected::Deny { .. } => "deny ",
    };
    let _ = write!(
        line,
        " {} {} {}",
        quote(e.credential.as_bytes()),
        e.op,
        resource(&e.resource)
    );
    if let Expected::Deny {
        reason: Some(reason),
        rule,
    } = e.expected
    {
        let _ = write!(line, " reason {reason}");
        if let Some(rule) = rule {
            let _ = write!(line, " {rule}");
        }
    }
    if let Some(at) = e.at {
        line += &format!(" at {at}");
    }
    line
}

/// `cache "c" item "k"`, `cache "c" topic "t"`, `cache "c"`, `account`.
pub(crate) fn resource(r: &OwnedResource) -> String {
    match r {
        OwnedResource::Item { cache, key } => {
            format!("cache {} item {}", quote(cache.as_bytes()), quote(key))
        }
        OwnedResource::StoreItem { store, key } => {
            format!("store {} item {}", quote(store.as_bytes()), quote(key))
        }
        OwnedResource::Topic { cache, topic } => {
            format!(
                "cache {} topic {}",
                quote(cache.as_bytes()),
                quote(topic.as_bytes())
            )
        }
        OwnedResource::Cache { cache } => format!("cache {}", quote(cache.as_bytes())),
        OwnedResource::Account => "account".to_owned(),
    }
}

/// A rule as four columns: effect, role, cache selector, resource selector (empty when implied).
fn rule_columns(g: &Grant) -> [String; 4] {
    let namespace = if g.resource.is_store() {
        "store"
    } else {
        "cache"
    };
    let cache = match &g.cache {
        CacheSelector::All => format!("{namespace} *"),
        CacheSelector::Name(n) => format!("{namespace} {}", quote(n.as_bytes())),
        CacheSelector::Prefix(p) => format!("{namespace} prefix {}", quote(p.as_bytes())),
    };
    let resource = match &g.resource {
        // A store's rules are on its items: every item is implied.
        ResourceSelector::StoreItems(ItemSelector::All) => String::new(),
        ResourceSelector::StoreItems(ItemSelector::Key(k)) => format!("item {}", quote(k)),
        ResourceSelector::StoreItems(ItemSelector::Prefix(p)) => {
            format!("items prefix {}", quote(p))
        }
        // "All" is implied by the role's kind; it is written out only where it is not.
        ResourceSelector::Items(ItemSelector::All) if !g.role.is_topic_role() => String::new(),
        ResourceSelector::Topics(TopicSelector::All) if g.role.is_topic_role() => String::new(),
        ResourceSelector::Items(ItemSelector::All) => "items *".to_owned(),
        ResourceSelector::Topics(TopicSelector::All) => "topics *".to_owned(),
        ResourceSelector::Items(ItemSelector::Key(k)) => format!("item {}", quote(k)),
        ResourceSelector::Items(ItemSelector::Prefix(p)) => format!("items prefix {}", quote(p)),
        ResourceSelector::Topics(TopicSelector::Name(n)) => {
            format!("topic {}", quote(n.as_bytes()))
        }
        ResourceSelector::Topics(TopicSelector::Prefix(p)) => {
            format!("topics prefix {}", quote(p.as_bytes()))
        }
    };
    [
        g.effect.as_str().to_owned(),
        g.role.as_str().to_owned(),
        cache,
        resource,
    ]
}

/// `bytes` as a DSL string literal: UTF-8 text as itself where plainly visible, `\u{..}` for other
/// characters, `\xNN` for bytes that are not UTF-8.
pub(crate) fn quote(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 2);
    out.push('"');
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\0' => out.push_str("\\0"),
                c if plainly_visible(c) => out.push(c),
                c => push_escaped(&mut out, c),
            }
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out.push('"');
    out
}
