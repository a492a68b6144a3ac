//! `fgac`: check, format, explain, decide, test, compare and convert permission documents; make,
//! mint, inspect and revoke signed credentials.
//!
//! Exit codes: 0 success; 1 a document has errors, a test failed, or `fmt --check` found a file to
//! reformat; 2 the command itself is wrong (a missing file, an unknown operation or credential, a
//! bad time); 3 `fgac test` found no test. `-` reads a document from standard input. A command over several files reports each and exits with the worst. Each subcommand
//! is a file of its own and a thin layer over the library: parsing, time, base64 and suggestions
//! all come from `fgac`.

mod check;
mod contains;
mod convert;
mod decide;
mod diff;
mod explain;
#[cfg(feature = "etcd")]
mod fleet;
mod fmt;
mod input;
mod inspect;
mod keygen;
mod lsp;
mod mint;
mod out;
mod revoke;
mod schema;
mod test;

use clap::{Parser, Subcommand, ValueEnum};
use fgac::syntax::Format;
use out::{Status, Stop, report};
use std::path::PathBuf;
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
    /// Colour: on a terminal unless `NO_COLOR` is set (`auto`), `always` or `never`.
    #[arg(long, global = true, value_enum, default_value_t = out::Color::Auto)]
    color: out::Color,
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
        /// Lines for people, or one JSON report (`text`, `json`).
        #[arg(long, value_enum, default_value_t = schema::Report::Text)]
        format: schema::Report,
    },
    /// Rewrite documents in canonical layout, each in the format it is written in.
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
    Explain(explain::Args),
    /// Decide requests read as JSON lines on stdin; write one JSON line per request. A request
    /// names a credential of the document (`credential`) or presents a signed one (`token`, with
    /// `--trust`), and gives the client's address as `peer`.
    Decide {
        /// The document.
        file: PathBuf,
        /// The time: RFC 3339 or epoch seconds; default the time each request is read.
        #[arg(long)]
        now: Option<String>,
        /// A trust file, to verify the `token` of requests that present one. Its revocation log
        /// is checked before each line; its files are watched. Also `--store`, its older name.
        #[arg(long, alias = "store")]
        trust: Option<PathBuf>,
        /// With --trust, how often the trust's files are checked for edits, in milliseconds.
        #[arg(long, default_value_t = 250, value_parser = clap::value_parser!(u64).range(10..))]
        watch_ms: u64,
    },
    /// Run the `test` blocks of documents (files, or directories searched for `.fgac` files).
    Test {
        /// Files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// The time for expectations without `at`: RFC 3339 or epoch seconds; default now.
        #[arg(long)]
        now: Option<String>,
        /// Fail every test of a file that has an expectation without `at` (decided at the
        /// current time, such a test starts failing when a credential expires).
        #[arg(long)]
        strict: bool,
        /// Lines for people, one JSON report, or JUnit XML for CI servers.
        #[arg(long, value_enum, default_value_t = schema::Report::Text)]
        format: schema::Report,
        /// Also report, per policy file, which rules the tests reach and which none does.
        #[arg(long)]
        coverage: bool,
        /// Exit 1 when a policy file's coverage is below PCT percent (implies --coverage).
        #[arg(long, value_name = "PCT", value_parser = coverage_percent)]
        min_coverage: Option<f64>,
    },
    /// Which requests change decision between two versions of a document: exit 0 when none
    /// does, 1 when some do (each with a witness request), 2 on a bad command.
    Diff {
        /// The old document.
        old: PathBuf,
        /// The new document.
        new: PathBuf,
        /// The time: RFC 3339 or epoch seconds; default now.
        #[arg(long)]
        now: Option<String>,
        /// One JSON object per line, each request a `decide` line.
        #[arg(long)]
        json: bool,
        /// Also report requests denied on both sides for different reasons.
        #[arg(long)]
        reasons: bool,
    },
    /// Whether one credential may do at most what another may: exit 0 when it may, 1 (with a
    /// counterexample request) when not.
    Contains(contains::Args),
    /// Write a new Ed25519 signing key pair (the private key with mode 0600).
    Keygen(keygen::Args),
    /// Mint a signed API key or disposable token for at most what a credential holds; exit 1,
    /// with a counterexample request, when it would exceed it.
    Mint(mint::Args),
    /// Show a signed credential's claims and permissions, and check its signature.
    Inspect(inspect::Args),
    /// Revoke a signed credential or a signing key: append to a revocation log, on disk before
    /// this returns.
    Revoke(revoke::Args),
    /// Publish a store to a fleet's etcd: compiled here first, the change shown, written only
    /// if the live store is still the one compared against (feature `etcd`).
    #[cfg(feature = "etcd")]
    Publish(fleet::PublishArgs),
    /// Each live server of a fleet, the revision it serves and when it last heard from etcd
    /// (feature `etcd`).
    #[cfg(feature = "etcd")]
    Status(fleet::StatusArgs),
    /// Print a document in another format.
    Convert {
        /// The document.
        file: PathBuf,
        /// The format to print.
        #[arg(long)]
        to: FormatArg,
    },
    /// Print a completion script for a shell (`fgac completions bash > /etc/bash_completion.d/fgac`).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), made from the same definitions as `--help`
    /// (`fgac man | man -l -`).
    Man,
    /// Run the language server on stdio (diagnostics, formatting, hover, go to definition,
    /// outline, and running a file's tests), for editors.
    Lsp,
}

/// A [`Format`] named on the command line, by its one name or an older alias.
#[derive(Clone, Copy)]
struct FormatArg(Format);

impl ValueEnum for FormatArg {
    fn value_variants<'a>() -> &'a [FormatArg] {
        const ALL: [FormatArg; Format::ALL.len()] = {
            let mut all = [FormatArg(Format::Dsl); Format::ALL.len()];
            let mut i = 0;
            while i < all.len() {
                all[i] = FormatArg(Format::ALL[i]);
                i += 1;
            }
            all
        };
        &ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        let help = match self.0 {
            Format::Dsl => "fgac's permission language",
            Format::FgacJson => "fgac's JSON (says everything but comments)",
            Format::MomentoJson => {
                "Momento's scope JSON: one API key named `default` that never expires, without deny rules or cache prefixes"
            }
            Format::MomentoV2Json => {
                "Momento's v2 rules as JSON: as momento-json, and may hold networks and account rights"
            }
            Format::MomentoProtobuf => {
                "Momento's v1 `Permissions` message (binary; redirect it to a file)"
            }
            Format::MomentoV2Protobuf => {
                "Momento's v2 `PermissionSet` message (binary; redirect it to a file named `*.v2.binpb`)"
            }
            _ => "",
        };
        Some(
            clap::builder::PossibleValue::new(self.0.name())
                .aliases(self.0.aliases().iter().copied())
                .help(help),
        )
    }
}

/// A percentage from 0 to 100.
fn coverage_percent(text: &str) -> Result<f64, String> {
    match text.trim_end_matches('%').parse::<f64>() {
        Ok(p) if (0.0..=100.0).contains(&p) => Ok(p),
        _ => Err(format!("`{text}` is not a percentage from 0 to 100")),
    }
}

/// The completion script for `shell`, on stdout.
fn completions(shell: clap_complete::Shell) -> Result<Status, Stop> {
    use clap::CommandFactory as _;
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "fgac", &mut script);
    out::text(&String::from_utf8_lossy(&script))?;
    Ok(Status::Ok)
}

/// The man page, on stdout.
fn man() -> Result<Status, Stop> {
    use clap::CommandFactory as _;
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut page)
        .map_err(Stop::Output)?;
    out::text(&String::from_utf8_lossy(&page))?;
    Ok(Status::Ok)
}

fn main() -> ExitCode {
    use clap::{CommandFactory as _, FromArgMatches as _};
    // `--color` and `NO_COLOR` also govern clap's own messages (usage errors, help).
    let color = out::Color::from_args(std::env::args_os());
    let matches = Cli::command().color(color.for_clap()).get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    out::set_color(cli.color);
    let outcome = match cli.command {
        Command::Check {
            files,
            deny_warnings,
            format,
        } => check::run(&files, deny_warnings, format),
        Command::Fmt { check, files } => fmt::run(&files, check),
        Command::Explain(args) => explain::run(&args),
        Command::Decide {
            file,
            now,
            trust,
            watch_ms,
        } => decide::run(
            &file,
            now.as_deref(),
            trust.as_deref(),
            std::time::Duration::from_millis(watch_ms),
        ),
        Command::Keygen(args) => keygen::run(&args),
        Command::Mint(args) => mint::run(&args),
        Command::Inspect(args) => inspect::run(&args),
        Command::Revoke(args) => revoke::run(&args),
        Command::Test {
            paths,
            now,
            strict,
            format,
            coverage,
            min_coverage,
        } => test::run(
            &paths,
            &test::Options {
                now: now.as_deref(),
                strict,
                format,
                coverage: coverage || min_coverage.is_some(),
                min_coverage,
            },
        ),
        Command::Diff {
            old,
            new,
            now,
            json,
            reasons,
        } => diff::run(&old, &new, now.as_deref(), json, reasons),
        Command::Contains(args) => contains::run(&args),
        Command::Convert { file, to } => convert::run(&file, to.0),
        #[cfg(feature = "etcd")]
        Command::Publish(args) => fleet::publish(&args),
        #[cfg(feature = "etcd")]
        Command::Status(args) => fleet::status(&args),
        Command::Completions { shell } => completions(shell),
        Command::Man => man(),
        Command::Lsp => lsp::run(),
    };
    match outcome {
        Ok(status) => status.into(),
        Err(Stop::Usage(message)) => {
            report(&format!("error: {}\n", fgac::escape_for_terminal(&message)));
            Status::Usage.into()
        }
        // The reader went away (`fgac convert big.json | head -1`): stop quietly, as a pipeline
        // expects.
        Err(Stop::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(Stop::Output(e)) => {
            report(&format!("error: cannot write the output: {e}\n"));
            Status::Usage.into()
        }
    }
}
