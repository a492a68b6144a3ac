//! The documentation cannot drift: every shell session shown in the README and the guide
//! (`docs/src`) is run, and what it prints is compared with what the page shows; every relative
//! link resolves; the command reference is what the clap definitions print; and every page with
//! Rust code is one the library doctests.
//!
//! A session is a ```` ```console ```` block. Each `$ ` line is a command (a line ending in `\`
//! goes on with the next), run by bash; the lines after it, up to the next command, are what it
//! prints, standard output and standard error as a terminal shows them. `[..]` stands for any text
//! within a line and `...` on a line of its own for any number of lines (snapbox's patterns); a
//! last line `? N` says the command exits with status `N` (0 when there is none). A command that
//! ends in `&` runs in the background and shows nothing; everything a page starts is stopped when
//! its sessions end.
//!
//! The sessions of one page run in order, in one shell (so a variable, a `cd` or a file made by one
//! command is there for the next), in a scratch directory holding the page's files
//! (`docs/sessions/PAGE/`, PAGE being the page's path under `docs/src` without `.md`, or
//! `README`) and the repository's `grammar/` and `examples/`, with the `fgac` under test first on
//! the `PATH`. A block written ```` ```console,fleet ```` needs a real etcd and the server: it runs
//! when `FGAC_DOCS_FLEET=1` (`.ci/run` sets it, with etcd installed and the binaries built with
//! `--features etcd`), and is only parsed otherwise.
//!
//! `FGAC_DOCS_UPDATE=1` rewrites the generated command reference.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

fn root() -> PathBuf {
    Path::new(ROOT)
        .canonicalize()
        .expect("the repository's root")
}

/// The pages: the README and every chapter of the guide.
fn pages() -> Vec<PathBuf> {
    let root = root();
    let mut pages = vec![root.join("README.md")];
    markdown_under(&root.join("docs/src"), &mut pages);
    pages
}

fn markdown_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            markdown_under(&path, out);
        } else if path.extension().is_some_and(|e| e == "md") {
            out.push(path);
        }
    }
}

fn relative(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// A fenced code block: its info string, the line its first content line is on (1-based), and
/// its lines.
struct Block {
    info: String,
    line: usize,
    lines: Vec<String>,
}

impl Block {
    fn lang(&self) -> &str {
        self.info.split([',', ' ']).next().unwrap_or("")
    }

    fn has_attribute(&self, attribute: &str) -> bool {
        self.info.split([',', ' ']).skip(1).any(|a| a == attribute)
    }
}

/// The fenced blocks of a Markdown page (fences of three or more backticks, at any indentation).
fn blocks(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut open: Option<(String, Block)> = None;
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        match &mut open {
            None => {
                if trimmed.starts_with("```") {
                    let fence: String = trimmed.chars().take_while(|&c| c == '`').collect();
                    let info = trimmed[fence.len()..].trim().to_owned();
                    open = Some((
                        fence,
                        Block {
                            info,
                            line: index + 2,
                            lines: Vec::new(),
                        },
                    ));
                }
            }
            Some((fence, block)) => {
                if trimmed.starts_with(fence.as_str()) && trimmed.trim_end() == fence.as_str() {
                    blocks.push(open.take().unwrap().1);
                } else {
                    block.lines.push(line.to_owned());
                }
            }
        }
    }
    blocks
}

/// One command of a session and what the page says it prints.
struct Step {
    /// The page's line the command is on.
    line: usize,
    command: String,
    expected: String,
    status: i32,
    background: bool,
}

/// A session's steps, or what is wrong with how it is written.
fn steps(block: &Block) -> Result<Vec<Step>, String> {
    let mut steps: Vec<Step> = Vec::new();
    let mut lines = block.lines.iter().enumerate().peekable();
    while let Some((offset, line)) = lines.next() {
        if let Some(command) = line.strip_prefix("$ ") {
            let mut command = command.to_owned();
            while command.ends_with('\\') {
                let Some((_, next)) = lines.next() else {
                    return Err(format!(
                        "line {}: the command goes on past the block's end",
                        block.line + offset
                    ));
                };
                command.push('\n');
                command.push_str(next);
            }
            let background =
                command.trim_end().ends_with('&') && !command.trim_end().ends_with("&&");
            steps.push(Step {
                line: block.line + offset,
                command,
                expected: String::new(),
                status: 0,
                background,
            });
        } else if let Some(step) = steps.last_mut() {
            step.expected.push_str(line);
            step.expected.push('\n');
        } else {
            return Err(format!(
                "line {}: a session starts with a `$ ` command",
                block.line + offset
            ));
        }
    }
    for step in &mut steps {
        let text = step.expected.trim_end_matches('\n');
        if let Some((before, last)) = text.rsplit_once('\n').or(Some(("", text)))
            && let Some(status) = last.strip_prefix("? ")
        {
            step.status = status
                .parse()
                .map_err(|_| format!("line {}: `? {status}` is not an exit status", step.line))?;
            step.expected = if before.is_empty() {
                String::new()
            } else {
                format!("{before}\n")
            };
        }
        if step.background && !step.expected.is_empty() {
            return Err(format!(
                "line {}: a command run in the background shows no output",
                step.line
            ));
        }
    }
    if steps.is_empty() {
        return Err(format!("line {}: a session without a command", block.line));
    }
    Ok(steps)
}

/// Whether this run may start etcd and the server (`FGAC_DOCS_FLEET=1`).
fn fleet_enabled() -> bool {
    std::env::var_os("FGAC_DOCS_FLEET").is_some_and(|v| v == "1")
}

/// The page's scratch directory: its files, and the repository's `grammar/` and `examples/`.
fn scratch(page: &Path) -> PathBuf {
    let root = root();
    let name = page_name(page);
    let dir = std::env::temp_dir().join(format!(
        "fgac-docs-{}-{}",
        std::process::id(),
        name.replace('/', "-")
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let files = root.join("docs/sessions").join(&name);
    if files.is_dir() {
        copy_dir(&files, &dir);
    }
    for shared in ["grammar", "examples"] {
        std::os::unix::fs::symlink(root.join(shared), dir.join(shared)).unwrap();
    }
    dir
}

/// `README` for the README, a chapter's path under `docs/src` without `.md` otherwise.
fn page_name(page: &Path) -> String {
    let root = root();
    match page.strip_prefix(root.join("docs/src")) {
        Ok(rest) => rest.with_extension("").display().to_string(),
        Err(_) => page.file_stem().unwrap().to_string_lossy().into_owned(),
    }
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

/// What one command printed, and its exit status.
struct Ran {
    output: String,
    status: Option<i32>,
}

/// Runs a page's steps in one bash, in order, each step's output and status to files of its own;
/// everything it started in the background is stopped when it ends (or at the deadline).
fn run(page: &Path, steps: &[&Step], deadline: Duration) -> Result<Vec<Ran>, String> {
    let dir = scratch(page);
    let results = dir.join(".results");
    std::fs::create_dir_all(&results).unwrap();
    let mut script = String::from(
        "trap 'exit 143' TERM\n\
         trap 'for p in $(jobs -p); do kill \"$p\" 2>/dev/null; done; wait 2>/dev/null' EXIT\n\
         exec </dev/null\n",
    );
    for (index, step) in steps.iter().enumerate() {
        let out = results.join(index.to_string());
        writeln!(
            script,
            "{{\n{}\n}} >'{}' 2>&1; echo $? >'{}.status'",
            step.command,
            out.display(),
            out.display()
        )
        .unwrap();
    }
    let bin = Path::new(env!("CARGO_BIN_EXE_fgac")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut child = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(&dir)
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .env("TZ", "UTC")
        .env_remove("FGAC_DOCS_UPDATE")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        // A process group of its own: at the deadline, everything the page started is stopped,
        // a command still running in the foreground included.
        .process_group(0)
        .spawn()
        .map_err(|e| format!("bash: {e}"))?;
    let started = Instant::now();
    let finished = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > deadline {
            let group = format!("-{}", child.id());
            for signal in ["-TERM", "-KILL"] {
                let _ = Command::new("kill").args([signal, "--", &group]).status();
                let grace = Instant::now();
                while grace.elapsed() < Duration::from_secs(5) {
                    if child.try_wait().unwrap().is_some() {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut ran = Vec::new();
    for index in 0..steps.len() {
        let out = results.join(index.to_string());
        let output = std::fs::read(&out)
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default();
        let status = std::fs::read_to_string(out.with_extension("status"))
            .ok()
            .and_then(|s| s.trim().parse().ok());
        ran.push(Ran { output, status });
    }
    let _ = std::fs::remove_dir_all(&dir);
    if finished.is_none() {
        return Err(format!(
            "the sessions did not end within {} s: everything they started was stopped",
            deadline.as_secs()
        ));
    }
    Ok(ran)
}

#[test]
fn every_session_prints_what_its_page_shows() {
    let fleet = fleet_enabled();
    if fleet {
        let help = Command::new(env!("CARGO_BIN_EXE_fgac"))
            .arg("--help")
            .output()
            .unwrap();
        assert!(
            String::from_utf8_lossy(&help.stdout).contains("publish"),
            "FGAC_DOCS_FLEET=1 runs the fleet's sessions, which need the command line built with \
             `--features etcd` (and etcd and fgac-momento-server on the PATH)"
        );
    }
    let mut failures = Vec::new();
    let mut commands = 0;
    let mut readme_commands = 0;
    for page in pages() {
        let text = std::fs::read_to_string(&page).unwrap();
        let mut page_steps = Vec::new();
        let mut skipped = 0;
        let mut has_fleet = false;
        for block in blocks(&text) {
            if block.lang() != "console" {
                continue;
            }
            let steps = match steps(&block) {
                Ok(steps) => steps,
                Err(e) => {
                    failures.push(format!("{}: {e}", relative(&page)));
                    continue;
                }
            };
            if block.has_attribute("fleet") {
                has_fleet = true;
                if !fleet {
                    skipped += steps.len();
                    continue;
                }
            }
            page_steps.extend(steps);
        }
        if skipped > 0 {
            eprintln!(
                "{}: {skipped} commands need etcd and the server (FGAC_DOCS_FLEET=1 runs them)",
                relative(&page)
            );
        }
        if page_steps.is_empty() {
            continue;
        }
        let steps: Vec<&Step> = page_steps.iter().collect();
        let deadline = Duration::from_secs(if has_fleet && fleet { 300 } else { 120 });
        let ran = match run(&page, &steps, deadline) {
            Ok(ran) => ran,
            Err(e) => {
                failures.push(format!("{}: {e}", relative(&page)));
                continue;
            }
        };
        for (step, ran) in steps.iter().zip(&ran) {
            commands += 1;
            if page.ends_with("README.md") {
                readme_commands += 1;
            }
            let at = format!("{}:{}: `$ {}`", relative(&page), step.line, step.command);
            if step.background {
                continue;
            }
            if ran.status != Some(step.status) {
                failures.push(format!(
                    "{at}\n  exits with {:?}, the page says {}; it printed:\n{}",
                    ran.status, step.status, ran.output
                ));
                continue;
            }
            let assert = snapbox::Assert::new()
                .normalize_paths(false)
                .action(snapbox::assert::Action::Verify);
            if let Err(e) = assert.try_eq(
                Some(&"what it printed"),
                snapbox::Data::text(ran.output.clone()),
                snapbox::Data::text(step.expected.clone()),
            ) {
                failures.push(format!(
                    "{at}\n  prints otherwise than the page shows:\n{e}"
                ));
            }
        }
    }
    assert!(
        readme_commands >= 3,
        "the README's session ran {readme_commands} commands"
    );
    eprintln!("{commands} commands run");
    assert!(
        failures.is_empty(),
        "{} of the pages' commands differ from what the pages show (fix the page, or the \
         command):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// A `$ ` line in a block that is not a session would be shown and never run.
#[test]
fn every_shell_session_is_a_console_block() {
    let mut failures = Vec::new();
    for page in pages() {
        let text = std::fs::read_to_string(&page).unwrap();
        for block in blocks(&text) {
            if block.lang() == "console" {
                continue;
            }
            for (offset, line) in block.lines.iter().enumerate() {
                if line.trim_start().starts_with("$ ") {
                    failures.push(format!(
                        "{}:{}: a shell session in a ```{} block is never run: make it ```console",
                        relative(&page),
                        block.line + offset,
                        block.info
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The anchors a page's headings make, as mdBook and GitHub make them.
fn anchors(text: &str) -> BTreeSet<String> {
    let mut anchors = BTreeSet::new();
    let mut in_block = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_block = !in_block;
        }
        if in_block {
            continue;
        }
        if let Some(heading) = line.strip_prefix('#') {
            let heading = heading.trim_start_matches('#').trim();
            let slug: String = heading
                .to_lowercase()
                .chars()
                .filter_map(|c| match c {
                    ' ' => Some('-'),
                    c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
                    _ => None,
                })
                .collect();
            anchors.insert(slug);
        }
    }
    anchors
}

/// The Markdown pages whose relative links are checked: the README, the guide, and the other
/// documents at the root.
fn linked_pages() -> Vec<PathBuf> {
    let root = root();
    let mut pages = pages();
    for name in ["DESIGN.md", "BENCHMARKS.md", "CHANGELOG.md"] {
        pages.push(root.join(name));
    }
    pages.push(root.join("docs/src/SUMMARY.md"));
    pages.sort();
    pages.dedup();
    pages
}

/// The targets of a page's inline links and images (`[text](target)`), outside code.
fn links(text: &str) -> Vec<(usize, String)> {
    let mut links = Vec::new();
    let mut in_block = false;
    for (index, line) in text.lines().enumerate() {
        // mdBook's includes name files too, in code blocks as well.
        if let Some(at) = line.find("{{#include ") {
            let target = line[at + 11..]
                .split(['}', ':'])
                .next()
                .unwrap_or("")
                .trim();
            links.push((index + 1, target.to_owned()));
        }
        if line.trim_start().starts_with("```") {
            in_block = !in_block;
            continue;
        }
        if in_block {
            continue;
        }
        // Code spans are not links.
        let mut plain = String::new();
        let mut in_code = false;
        for c in line.chars() {
            if c == '`' {
                in_code = !in_code;
            } else if !in_code {
                plain.push(c);
            }
        }
        let mut rest = plain.as_str();
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let end = after.find(')').unwrap_or(after.len());
            let target = after[..end].split_whitespace().next().unwrap_or("");
            links.push((index + 1, target.to_owned()));
            rest = &after[end..];
        }
    }
    links
}

#[test]
fn every_relative_link_resolves() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for page in linked_pages() {
        let text = std::fs::read_to_string(&page).unwrap();
        for (line, target) in links(&text) {
            if target.is_empty()
                || target.contains("://")
                || target.starts_with("mailto:")
                || target.starts_with('<')
            {
                continue;
            }
            checked += 1;
            let (path, anchor) = match target.split_once('#') {
                Some((path, anchor)) => (path, Some(anchor)),
                None => (target.as_str(), None),
            };
            let file = if path.is_empty() {
                page.clone()
            } else {
                page.parent().unwrap().join(path)
            };
            let at = format!("{}:{line}: `{target}`", relative(&page));
            if !file.exists() {
                failures.push(format!("{at}: no such file"));
                continue;
            }
            if let Some(anchor) = anchor
                && file.extension().is_some_and(|e| e == "md")
            {
                let target_text = std::fs::read_to_string(&file).unwrap();
                if !anchors(&target_text).contains(anchor) {
                    failures.push(format!("{at}: no heading makes `#{anchor}`"));
                }
            }
        }
    }
    eprintln!("{checked} relative links checked");
    assert!(checked > 20, "only {checked} relative links found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every page with Rust code is included in the library's doctests (`src/lib.rs`), so that its
/// examples compile and run.
#[test]
fn every_page_with_rust_code_is_doctested() {
    let root = root();
    let lib = std::fs::read_to_string(root.join("src/lib.rs")).unwrap();
    let mut failures = Vec::new();
    let mut doctested = 0;
    for page in pages() {
        let text = std::fs::read_to_string(&page).unwrap();
        if !blocks(&text).iter().any(|b| b.lang() == "rust") {
            continue;
        }
        let from_src = lib_include_path(&page, &root);
        if lib.contains(&format!("include_str!(\"{from_src}\")")) {
            doctested += 1;
        } else {
            failures.push(format!(
                "{} has Rust code but src/lib.rs does not doctest it: add \
                 `#[doc = include_str!(\"{from_src}\")]` beside the others",
                relative(&page)
            ));
        }
    }
    assert!(doctested >= 2, "only {doctested} pages with Rust code");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A page's path as `src/lib.rs` names it (`../README.md`, `../docs/src/embed.md`).
fn lib_include_path(page: &Path, root: &Path) -> String {
    format!("../{}", page.strip_prefix(root).unwrap().display())
}

/// The command reference: `fgac help` for the command and each subcommand, generated.
fn command_reference() -> String {
    let help = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_fgac"))
            .args(args)
            .env("NO_COLOR", "1")
            .env_remove("COLUMNS")
            .output()
            .unwrap();
        assert!(output.status.success(), "fgac {args:?} fails");
        String::from_utf8(output.stdout).unwrap()
    };
    let top = help(&["--help"]);
    let mut subcommands = Vec::new();
    let mut in_commands = false;
    for line in top.lines() {
        if line == "Commands:" {
            in_commands = true;
            continue;
        }
        if in_commands {
            if !line.starts_with("  ") {
                break;
            }
            if line.starts_with("   ") {
                continue; // an about line wrapped
            }
            let name = line.split_whitespace().next().unwrap();
            if name != "help" {
                subcommands.push(name.to_owned());
            }
        }
    }
    assert!(subcommands.len() >= 10, "fgac --help lists {subcommands:?}");
    let mut page = String::from(
        "<!-- Generated from the command line's clap definitions by crates/cli/tests/docs.rs \
         (FGAC_DOCS_UPDATE=1 cargo test -p fgac-cli --features etcd --test docs); do not edit. -->\n\n\
         # Command reference\n\n\
         What `fgac --help` and `fgac COMMAND --help` print, for the command line built with its \
         `etcd` feature (`fgac publish`, `fgac status` and `fgac revoke --etcd` are in that build \
         only). Exit statuses: 0 success, 1 a document with errors, a failed policy test, a file \
         `fmt --check` would change or a decision that changed (`diff`), 2 a command that is \
         wrong, 3 `fgac test` finding no test.\n\n",
    );
    let mut section = |title: &str, text: &str| {
        writeln!(page, "## {title}\n\n```text\n{}\n```\n", text.trim_end()).unwrap();
    };
    section("fgac", &top);
    for name in &subcommands {
        section(&format!("fgac {name}"), &help(&[name, "--help"]));
    }
    page
}

/// The sections of a generated reference, by title.
fn sections(page: &str) -> Vec<(String, String)> {
    let mut sections = Vec::new();
    for part in page.split("\n## ").skip(1) {
        let (title, body) = part.split_once('\n').unwrap_or((part, ""));
        sections.push((title.to_owned(), body.trim().to_owned()));
    }
    sections
}

#[test]
fn the_command_reference_is_what_clap_prints() {
    let path = root().join("docs/src/reference/commands.md");
    let generated = command_reference();
    let with_etcd = generated.contains("## fgac publish");
    if with_etcd && std::env::var_os("FGAC_DOCS_UPDATE").is_some_and(|v| v == "1") {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap();
    if with_etcd {
        assert!(
            committed == generated,
            "docs/src/reference/commands.md is not what the command line prints: run \
             FGAC_DOCS_UPDATE=1 cargo test -p fgac-cli --features etcd --test docs"
        );
        return;
    }
    // Built without `etcd`: each command whose help does not depend on it is checked.
    let committed = sections(&committed);
    let mut compared = 0;
    for (title, body) in sections(&generated) {
        let Some((_, page)) = committed.iter().find(|(t, _)| *t == title) else {
            panic!("docs/src/reference/commands.md has no section `{title}`");
        };
        if page.contains("etcd") {
            continue;
        }
        compared += 1;
        assert!(
            *page == body,
            "docs/src/reference/commands.md's `{title}` is not what the command line prints: run \
             FGAC_DOCS_UPDATE=1 cargo test -p fgac-cli --features etcd --test docs"
        );
    }
    assert!(compared >= 10, "only {compared} sections compared");
}

/// Every chapter is in the book: a page under `docs/src` that `SUMMARY.md` does not list would
/// never be rendered.
#[test]
fn every_chapter_is_in_the_summary() {
    let src = root().join("docs/src");
    let summary = std::fs::read_to_string(src.join("SUMMARY.md")).unwrap();
    let listed: BTreeSet<PathBuf> = links(&summary)
        .into_iter()
        .map(|(_, target)| src.join(target))
        .collect();
    let mut missing = Vec::new();
    let mut chapters = Vec::new();
    markdown_under(&src, &mut chapters);
    for chapter in chapters {
        if !chapter.ends_with("SUMMARY.md") && !listed.contains(&chapter) {
            missing.push(relative(&chapter));
        }
    }
    assert!(
        missing.is_empty(),
        "docs/src/SUMMARY.md does not list {missing:?}"
    );
}
