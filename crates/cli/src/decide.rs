//! `fgac decide FILE [--now TIME] [--trust TRUST]`: one JSON request per line on stdin, one JSON
//! answer per line on stdout, in order. A line that is not a valid request (not JSON, not UTF-8,
//! too long) gets `{"error": ...}` and the stream goes on.
//!
//! A request names a credential of FILE (`credential`, or `key`, its older name), or presents a
//! signed credential (`token`), which the key ring of TRUST resolves for the request's `peer` (required with a token, and
//! with a credential that lists networks). A token that is refused is a deny with reason
//! `unauthenticated`.
//!
//! With `--trust`, the key ring follows its files as a server does: before each line is
//! decided, the revocation log is checked (one `stat`), so a revocation acknowledged before the
//! line was written is in force for it; an edit of the trust file, its document or its keys is
//! applied within `--watch-ms`. What the watcher reports goes to stderr.

use crate::input;
use crate::out::{Status, Stop, report, say};
use fgac::credentials::{Keyring, WatchEvent};
use fgac::lines::{self as json, Answer, RequestTarget};
use fgac::{AuthFailure, Authorizer, BatchDecision, Decision, DenyReason, Resource, Timestamp};
use std::io::{BufRead, Read};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// The longest request line read; a longer one is answered with an error and skipped.
const MAX_LINE_BYTES: u64 = 16 << 20;

/// What the key ring's watcher saw, on stderr.
fn tell(event: WatchEvent<'_>) {
    let line = match event {
        WatchEvent::Reloaded { generation } => {
            format!("fgac: trust file reloaded (generation {generation})\n")
        }
        WatchEvent::Kept(e) => {
            format!("fgac: trust file edit refused, the last good trust stays in force:\n{e}\n")
        }
        WatchEvent::LogFailed(e) => format!("fgac: {e}\n"),
        WatchEvent::LogRecovered => {
            "fgac: the revocation log holds every revocation in force again\n".to_owned()
        }
        _ => return,
    };
    report(&fgac::escape_lines_for_terminal(&line));
}

pub fn run(
    file: &Path,
    now: Option<&str>,
    trust: Option<&Path>,
    watch: Duration,
) -> Result<Status, Stop> {
    let fixed_now = now.map(input::time).transpose()?;
    let ring = match trust {
        None => None,
        Some(path) => Some(Arc::new(Keyring::open(path).map_err(|e| {
            report(&format!(
                "{}\n",
                fgac::escape_lines_for_terminal(&e.to_string())
            ));
            Stop::Usage(format!("cannot open the trust file `{}`", path.display()))
        })?)),
    };
    let _watcher = ring.as_ref().and_then(|r| r.watch(watch, tell));
    let doc = match input::compile(file)? {
        Ok(doc) => doc,
        Err(status) => return Ok(status),
    };
    let authz = doc.compiled.authorizer();
    let mut all = authz.credentials();
    let only = match (all.next(), all.next()) {
        (Some(one), None) => Some(one.name().to_owned()),
        _ => None,
    };
    let mut stdin = std::io::stdin().lock();
    let mut line = Vec::new();
    let mut number = 0u64;
    loop {
        line.clear();
        let read = (&mut stdin)
            .take(MAX_LINE_BYTES + 1)
            .read_until(b'\n', &mut line)
            .map_err(|e| Stop::Usage(format!("cannot read stdin: {e}")))?;
        if read == 0 {
            return Ok(Status::Ok);
        }
        number += 1;
        let ended = line.last() == Some(&b'\n');
        if !ended && line.len() as u64 > MAX_LINE_BYTES {
            skip_rest_of_line(&mut stdin)?;
            say!(
                "{}",
                json::error_to_json(&format!(
                    "line {number} is longer than {MAX_LINE_BYTES} bytes"
                ))
            )?;
            continue;
        }
        let bytes = line.strip_suffix(b"\n").unwrap_or(&line);
        let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
        if bytes.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if let Some(ring) = &ring {
            // Revocations made by others up to now, in force for this line; a log that went
            // wrong keeps every revocation in force, and the watcher reports it.
            let _ = ring.refresh_revocations();
        }
        let now = fixed_now.unwrap_or_else(Timestamp::now);
        let answer = match std::str::from_utf8(bytes) {
            Err(e) => json::error_to_json(&format!(
                "line {number} is not UTF-8 (at byte {}); give keys that are not UTF-8 as `item_b64` or `items_b64`",
                e.valid_up_to()
            )),
            Ok(text) => match decide_line(authz, ring.as_deref(), only.as_deref(), text, now) {
                Ok(answer) => json::answer_to_json(answer),
                Err(message) => json::error_to_json(&message),
            },
        };
        say!("{answer}")?;
    }
}

/// Reads and drops bytes up to the next line break.
fn skip_rest_of_line(stdin: &mut impl BufRead) -> Result<(), Stop> {
    loop {
        let buf = stdin
            .fill_buf()
            .map_err(|e| Stop::Usage(format!("cannot read stdin: {e}")))?;
        if buf.is_empty() {
            return Ok(());
        }
        match buf.iter().position(|&b| b == b'\n') {
            Some(i) => {
                stdin.consume(i + 1);
                return Ok(());
            }
            None => {
                let n = buf.len();
                stdin.consume(n);
            }
        }
    }
}

/// A denial of the whole request for `reason`.
fn refused(target: &RequestTarget, reason: DenyReason) -> Answer {
    match target {
        RequestTarget::One(_) => Answer::Decision(Decision::Deny(reason)),
        RequestTarget::Batch { .. } => Answer::Batch(BatchDecision::Deny { index: 0, reason }),
    }
}

/// What `session` (or a credential: both decide the same way) answers.
fn answer(
    target: &RequestTarget,
    one: impl Fn(Resource<'_>) -> Decision,
    batch: impl Fn(&str, &[Vec<u8>]) -> BatchDecision,
) -> Answer {
    match target {
        RequestTarget::One(resource) => Answer::Decision(one(resource.as_resource())),
        RequestTarget::Batch { cache, keys } => Answer::Batch(batch(cache, keys)),
    }
}

fn decide_line(
    authz: &Authorizer,
    ring: Option<&Keyring>,
    only: Option<&str>,
    line: &str,
    now: Timestamp,
) -> Result<Answer, String> {
    let r = json::parse_request(line)?;
    if let Some(token) = &r.token {
        let ring = ring.ok_or("a request with `token` needs `--trust`, to verify it with")?;
        let peer = r
            .peer
            .ok_or("`peer` is required with `token`: credentials are resolved for an address")?;
        return Ok(match ring.resolve(token, peer, now) {
            Ok(s) => answer(
                &r.target,
                |resource| s.authorize(r.op, resource, now),
                |cache, keys| s.authorize_batch(r.op, cache, keys.iter().map(Vec::as_slice), now),
            ),
            Err(why) => refused(&r.target, DenyReason::Unauthenticated(why)),
        });
    }
    let key = match (&r.credential, only) {
        (Some(k), _) => k.as_str(),
        (None, Some(only)) => only,
        (None, None) => {
            return Err("`key` is required: the document holds several credentials".to_owned());
        }
    };
    let Some(credential) = authz.credential(key) else {
        return Ok(Answer::UnknownCredential);
    };
    if !credential.networks().is_empty() {
        let peer = r.peer.ok_or_else(|| {
            format!("`peer` is required: credential `{key}` may only be used from its networks")
        })?;
        if !credential.allows_peer(peer) {
            let why = AuthFailure::NetworkNotAllowed;
            return Ok(refused(&r.target, DenyReason::Unauthenticated(why)));
        }
    }
    Ok(answer(
        &r.target,
        |resource| credential.authorize(r.op, resource, now),
        |cache, keys| credential.authorize_batch(r.op, cache, keys.iter().map(Vec::as_slice), now),
    ))
}
