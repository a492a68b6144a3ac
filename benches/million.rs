//! A store of a million credentials (figures, not a criterion loop): a document of N API keys
//! with 5 grants each (N = 100,000 and 1,000,000), its parse + compile time, the memory of the
//! compiled store per credential (the engine's own count, and the process's resident memory),
//! lookup-and-authorize latency over random credentials, and the same with N live signed
//! sessions in a key ring (every key resolved once through a signed API key that refers to it).
//!
//! Then incremental updates: one credential changed in the store (and in the key ring's
//! document, its sessions live), the time to apply it and the memory the swap takes beyond the
//! store's own, counted by a global allocator (live bytes and their peak).
//!
//! `cargo bench --features credentials --bench million` (about three minutes, 4 GB of memory)

use fgac::credentials::{Keyring, MintOptions, SigningKey, Trust, sign_reference};
use fgac::model::Expiry;
use fgac::{Authorizer, Limits, Operation, Resource, Timestamp, Update};
use fgac_test_support::alloc::Counting;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `f` and returns what it returned, how long it took, and how many bytes beyond those
/// live when it started were live at its peak.
fn measured<T>(f: impl FnOnce() -> T) -> (T, Duration, usize) {
    let live = Counting::reset_peak();
    let start = Instant::now();
    let out = f();
    let took = start.elapsed();
    (out, took, Counting::peak().saturating_sub(live))
}

/// Credential `i` changed: its shared grant on another prefix.
fn changed(i: usize, round: usize) -> fgac::model::CredentialDef {
    let text = format!(
        "key \"{}\" {{\n    expires never\n    allow readwrite cache \"{}\"\n    allow readonly cache \"shared\" items prefix \"r{round}/\"\n}}\n",
        name(i),
        cache(i)
    );
    fgac::syntax::parse(&text)
        .expect("parses")
        .credentials
        .remove(0)
}

const NOW: Timestamp = Timestamp::from_unix_seconds(1_795_651_200);
const READS: usize = 2_000_000;

/// The process's resident memory, in bytes (Linux).
fn resident() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

fn name(i: usize) -> String {
    format!("svc-{i:07}")
}

fn cache(i: usize) -> String {
    format!("t-{i:07}")
}

/// N API keys of 5 grants each, and the bytes of the names and prefixes in them.
fn document(n: usize) -> (String, usize) {
    let mut text = String::with_capacity(n * 330);
    let mut names = 0;
    for i in 0..n {
        let (k, c, u) = (name(i), cache(i), format!("u{i}/"));
        names += k.len()
            + 3 * c.len()
            + u.len()
            + "shared".len()
            + "pub-".len()
            + "ev".len()
            + "ro:".len();
        text += &format!(
            "key \"{k}\" {{\n    expires never\n    allow readwrite cache \"{c}\"\n    allow readonly cache \"shared\" items prefix \"{u}\"\n    allow publishsubscribe cache \"{c}\" topics prefix \"ev\"\n    allow readonly cache prefix \"pub-\"\n    deny writeonly cache \"{c}\" items prefix \"ro:\"\n}}\n"
        );
    }
    (text, names)
}

/// Random indices below `n` (xorshift), the same every run.
fn indices(n: usize, count: usize) -> Vec<usize> {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    (0..count)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        })
        .collect()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn percentile(sorted: &[u32], p: f64) -> u32 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let peer: IpAddr = "10.1.2.3".parse().expect("an address");
    let key = SigningKey::from_secret_bytes("k1", &[7; 32]).expect("a key");
    // `FGAC_MILLION_SIZES=100000` measures one size only.
    let sizes: Vec<usize> = std::env::var("FGAC_MILLION_SIZES")
        .ok()
        .map(|v| v.split(',').filter_map(|s| s.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![100_000, 1_000_000]);
    for n in sizes {
        let (text, name_bytes) = document(n);
        let before = resident();
        let start = Instant::now();
        let compiled = Authorizer::builder()
            .limits(Limits::unbounded())
            .read(text.as_bytes())
            .expect("compiles");
        let compile = start.elapsed();
        let rss = resident().saturating_sub(before);
        drop(text);
        let authz = compiled.authorizer();
        let engine = authz.memory_usage();
        println!(
            "{n} credentials, 5 grants each: parse + validate + compile {:.2} s ({:.0} credentials/s)",
            compile.as_secs_f64(),
            n as f64 / compile.as_secs_f64()
        );
        println!(
            "  compiled engine {:.1} MB: {:.0} bytes per credential, {:.0} beyond its names and prefixes ({} bytes of them); resident growth with the model {:.1} MB ({:.0} bytes per credential)",
            engine as f64 / 1e6,
            engine as f64 / n as f64,
            (engine.saturating_sub(name_bytes)) as f64 / n as f64,
            name_bytes / n,
            rss as f64 / 1e6,
            rss as f64 / n as f64
        );
        // Random credentials, the same every run.
        let picks = indices(n, READS);
        // One credential changed, 51 times in a row (each update applied to the last store, the
        // one before it dropped as a server swapping stores drops it), before the lookups below
        // free millions of small strings (after which glibc's malloc sorts its free lists a
        // bounded slice per call, and the next few updates pay milliseconds for it). The first
        // is reported apart.
        let mut store = authz.clone();
        let mut times = Vec::new();
        let mut first = 0.0;
        let mut extra = 0usize;
        for (round, &i) in picks.iter().take(51).enumerate() {
            let update = Update::new().put(changed(i, round));
            let (next, took, peak) = measured(|| {
                Authorizer::builder()
                    .limits(Limits::unbounded())
                    .update(&store, &update)
                    .expect("applies")
            });
            store = next;
            if std::env::var_os("FGAC_BENCH_VERBOSE").is_some() {
                eprintln!(
                    "    round {round}: {:.0} us, {peak} bytes",
                    took.as_secs_f64() * 1e6
                );
            }
            if round == 0 {
                first = took.as_secs_f64() * 1e6;
            } else {
                times.push(took.as_secs_f64() * 1e6);
            }
            extra = extra.max(peak);
        }
        let steady = store.memory_usage();
        println!(
            "  update of one credential: median {:.0} us, max {:.0} us over 50 (the first, apart: {first:.0} us); peak memory beyond the store during the swap {:.2} MB = {:.4}x the store ({:.1} MB)",
            median(times.clone()),
            times.iter().copied().fold(0.0, f64::max),
            extra as f64 / 1e6,
            (steady + extra) as f64 / steady as f64,
            steady as f64 / 1e6
        );
        drop(store);
        // Lookup by name and authorize: over 4,096 random credentials (a server's hot set),
        // and over every credential at random (each lookup likely a cache miss).
        for (label, working) in [
            ("4,096 random credentials", 4096),
            ("all, at random", READS),
        ] {
            let pairs: Vec<(String, String)> = picks
                .iter()
                .take(working)
                .map(|&i| (name(i), cache(i)))
                .collect();
            let mut rounds = Vec::new();
            for _ in 0..5 {
                let start = Instant::now();
                for j in 0..READS {
                    let (k, c) = &pairs[j % pairs.len()];
                    let credential = authz.credential(std::hint::black_box(k)).expect("known");
                    assert!(
                        credential
                            .authorize(Operation::Set, Resource::item(c, b"k"), NOW)
                            .is_allowed()
                    );
                }
                rounds.push(start.elapsed().as_nanos() as f64 / READS as f64);
            }
            println!(
                "  lookup + authorize, {label}: {:.1} ns (median of 5 rounds of {READS})",
                median(rounds)
            );
        }
        // The same population through a key ring: a signed API key per credential, each resolved.
        let tokens: Vec<String> = (0..n)
            .map(|i| {
                let options = MintOptions {
                    id: Some(format!("r{i}")),
                    ..MintOptions::default()
                };
                sign_reference(
                    &name(i),
                    Expiry::Never,
                    &key,
                    &options,
                    NOW,
                    &Limits::unbounded(),
                )
                .expect("signs")
            })
            .collect();
        let trust = Trust::builder()
            .key(key.public_key())
            .document(compiled.clone())
            .limits(Limits::unbounded())
            .build()
            .expect("trust");
        let before = resident();
        let ring = Arc::new(Keyring::with_cache_capacity(trust, 2 * n).expect("ring"));
        let start = Instant::now();
        std::thread::scope(|s| {
            for half in tokens.chunks(n.div_ceil(2)) {
                let ring = &ring;
                s.spawn(move || {
                    for t in half {
                        ring.resolve(t, peer, NOW).expect("resolves");
                    }
                });
            }
        });
        let first = start.elapsed();
        let grown = resident().saturating_sub(before);
        println!(
            "  key ring: {n} live sessions resolved in {:.1} s on two threads; resident growth {:.0} bytes per session (the token text included); cached {}",
            first.as_secs_f64(),
            grown as f64 / n as f64,
            ring.cached()
        );
        let mut samples = Vec::with_capacity(READS / 4);
        let mut total = Duration::ZERO;
        for &i in picks.iter().take(READS / 4) {
            let c = cache(i);
            let start = Instant::now();
            let session = ring.resolve(&tokens[i], peer, NOW).expect("resolves");
            let d = session.authorize(Operation::Get, Resource::item(&c, b"k"), NOW);
            let took = start.elapsed();
            assert!(d.is_allowed());
            total += took;
            samples.push(u32::try_from(took.as_nanos()).unwrap_or(u32::MAX));
        }
        samples.sort_unstable();
        println!(
            "  key ring: resolve a seen token + authorize, random sessions: mean {:.0} ns, p50 {} ns, p99 {} ns",
            total.as_nanos() as f64 / samples.len() as f64,
            percentile(&samples, 0.5),
            percentile(&samples, 0.99)
        );
        // The key ring's document updated under its n live sessions: one credential changed.
        let sessions: Vec<_> = picks
            .iter()
            .take(1_000)
            .map(|&i| (i, ring.resolve(&tokens[i], peer, NOW).expect("resolves")))
            .collect();
        let mut times = Vec::new();
        let mut extra = 0usize;
        let mut changed_names = std::collections::HashSet::new();
        for (round, &i) in picks.iter().skip(1_000).take(50).enumerate() {
            let update = Update::new().put(changed(i, round));
            let ((), took, peak) = measured(|| ring.update_document(&update).expect("applies"));
            changed_names.insert(i);
            times.push(took.as_secs_f64() * 1e6);
            extra = extra.max(peak);
        }
        let withdrawn = sessions.iter().filter(|(_, s)| !s.is_live()).count();
        let should = sessions
            .iter()
            .filter(|(i, _)| changed_names.contains(i))
            .count();
        assert_eq!(
            withdrawn, should,
            "exactly the sessions of changed credentials"
        );
        let document = ring.trust().document().expect("a document").memory_usage();
        println!(
            "  key ring update_document, one credential, {n} live sessions: median {:.0} us, max {:.0} us over 50; peak memory beyond the key ring {:.2} MB = {:.4}x its document ({:.1} MB); sessions withdrawn {withdrawn} of 1,000 watched (those of changed credentials: {should})",
            median(times.clone()),
            times.iter().copied().fold(0.0, f64::max),
            extra as f64 / 1e6,
            (document + extra) as f64 / document as f64,
            document as f64 / 1e6
        );
    }
}
