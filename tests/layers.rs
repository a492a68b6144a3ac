//! The library's stages depend only on the stages before them: data flows one way, text or JSON
//! -> model -> compiled engine -> decision, and nothing reaches back.
//!
//! Every `crate::module` path in a module's files (a `use`, a path in code, or a doc link) is a
//! dependency; unit tests (`#[cfg(test)] mod tests`) may reach anywhere. `DESIGN.md` draws the same
//! order.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Every top-level module of `src/`, each allowed to depend only on those listed before it.
const ORDER: &[&str] = &[
    // Vocabulary every stage shares.
    "suggest",
    "escape",
    "time",
    "limits",
    "ops",
    "decision",
    "metrics",
    // The document model, and the error that points into its source.
    "model",
    "error",
    // Front ends: text and JSON in, model out.
    "syntax",
    // The compiled engine with its builders; validation and compilation drive them.
    "engine",
    "compile",
    // What decides without the engine, and what uses both.
    "reference",
    "analysis",
    // The JSON lines of requests and decisions, and of what the analyses report.
    "lines",
    "policy_tests",
    "shadow",
    // The decision log (feature `decision-log`): writes what was decided.
    "decision_log",
    // Signed credentials and the key ring (feature `credentials`): mint through the analyses.
    "credentials",
];

/// The Rust source files of module `name`: `src/name.rs`, or everything under `src/name/`.
fn files_of(src: &Path, name: &str) -> Vec<std::path::PathBuf> {
    let file = src.join(format!("{name}.rs"));
    if file.exists() {
        return vec![file];
    }
    let mut out = Vec::new();
    let mut stack = vec![src.join(name)];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out
}

/// The modules named after `crate::` in `text`, outside its unit tests.
fn dependencies(text: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => text,
    };
    let word = |s: &str| {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect::<String>()
    };
    let mut out = BTreeSet::new();
    for (at, _) in text.match_indices("crate::") {
        let rest = &text[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            for name in group.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
                if modules.contains(name) {
                    out.insert(name.to_owned());
                }
            }
        } else {
            let name = word(rest);
            if modules.contains(&name) {
                out.insert(name);
            }
        }
    }
    out
}

#[test]
fn each_stage_depends_only_on_the_stages_before_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let modules: BTreeSet<String> = std::fs::read_dir(&src)
        .unwrap()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            match name.strip_suffix(".rs") {
                Some("lib") => None,
                Some(stem) => Some(stem.to_owned()),
                None if e.path().is_dir() && name != "bin" => Some(name),
                None => None,
            }
        })
        .collect();
    let listed: BTreeSet<String> = ORDER.iter().map(|s| s.to_string()).collect();
    assert_eq!(
        modules, listed,
        "every top-level module has its place in ORDER (and DESIGN.md)"
    );
    let position: BTreeMap<&str, usize> = ORDER.iter().enumerate().map(|(i, m)| (*m, i)).collect();
    let mut wrong = Vec::new();
    let mut edges = 0;
    for module in ORDER {
        for file in files_of(&src, module) {
            let text = std::fs::read_to_string(&file).unwrap();
            for dep in dependencies(&text, &modules) {
                if dep == *module {
                    continue;
                }
                edges += 1;
                if position[dep.as_str()] > position[module] {
                    wrong.push(format!(
                        "{module} depends on {dep}, a later stage ({})",
                        file.display()
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(
        edges > 20,
        "only {edges} dependencies found: is the scan broken?"
    );
}

#[test]
fn the_scan_sees_uses_groups_paths_and_links() {
    let modules: BTreeSet<String> = ["model", "engine", "ops", "error"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let text = "use crate::model::X;\nuse crate::{engine, ops::Need};\n/// [`E`](crate::error::Error)\n#[cfg(test)]\nmod tests {\n use crate::analysis;\n}";
    let found: Vec<String> = dependencies(text, &modules).into_iter().collect();
    assert_eq!(found, ["engine", "error", "model", "ops"]);
}

/// The workspace's crates in the order they may depend on each other (by path): the library
/// depends on none of them, and each crate only on crates before it.
const CRATES: &[(&str, &str)] = &[
    ("fgac", "."),
    ("fgac-test-support", "crates/test-support"),
    ("fgac-etcd", "crates/etcd"),
    ("fgac-cli", "crates/cli"),
    ("fgac-python", "bindings/python"),
    ("fgac-momento-server", "examples/momento-server"),
    ("fgac-peers", "benches/peers"),
    ("fgac-fuzz", "fuzz"),
];

/// The workspace crates a manifest names as dependencies (any section), by package name.
fn crate_dependencies(manifest: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut section = String::new();
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            section = line.to_owned();
            continue;
        }
        if !section.contains("dependencies") {
            continue;
        }
        if let Some((name, _)) = line.split_once('=') {
            let name = name.trim();
            if CRATES.iter().any(|(c, _)| *c == name) {
                out.insert(name.to_owned());
            }
        }
    }
    out
}

#[test]
fn the_crates_depend_one_way() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let members = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let mut edges = 0;
    for (i, (name, dir)) in CRATES.iter().enumerate() {
        assert!(
            *dir == "." || members.contains(&format!("\"{dir}\"")),
            "{name} ({dir}) is a member of the workspace"
        );
        let manifest = std::fs::read_to_string(root.join(dir).join("Cargo.toml")).unwrap();
        for dep in crate_dependencies(&manifest) {
            if dep == *name {
                // The library's tests depend on the library itself, with more features.
                continue;
            }
            edges += 1;
            let at = CRATES.iter().position(|(c, _)| *c == dep).unwrap();
            let dev_only = *name == "fgac" && dep == "fgac-test-support";
            assert!(
                at < i || dev_only,
                "{name} depends on {dep}, which comes after it"
            );
        }
    }
    assert!(edges >= 6, "only {edges} dependencies between crates found");
}

/// The command line is one file per subcommand with no logic of its own: a subcommand's module
/// uses only the shared reading (`input`), writing (`out`) and reports (`schema`), never another
/// subcommand (the JSON lines of requests and decisions are the library's `fgac::lines`).
#[test]
fn each_subcommand_uses_only_the_shared_modules() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/cli/src");
    let shared = ["input", "out", "schema"];
    let modules: BTreeSet<String> = std::fs::read_dir(&src)
        .unwrap()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_suffix(".rs").map(str::to_owned)
        })
        .filter(|m| m != "main")
        .collect();
    assert!(modules.len() > 10, "{modules:?}");
    for module in &modules {
        let text = std::fs::read_to_string(src.join(format!("{module}.rs"))).unwrap();
        for dep in dependencies(&text, &modules) {
            assert!(
                dep == *module || shared.contains(&dep.as_str()),
                "the subcommand {module} uses {dep}"
            );
        }
    }
}
