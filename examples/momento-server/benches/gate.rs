//! What authorization adds to one request inside the server, measured without the network: the
//! gate resolving the `authorization` header through the key ring (a cached credential: one hash
//! and one lookup) and deciding the call's operation, on a tonic request as a handler gets it.

use criterion::{Criterion, criterion_group, criterion_main};
use fgac::credentials::{Keyring, MintOptions, SigningKey, Trust, sign_reference};
use fgac::model::Expiry;
use fgac::{Authorizer, Operation, Resource, Timestamp};
use fgac_momento_server::auth::{AUTHORIZATION, CACHE, Caller, Gate, cache_header};
use fgac_momento_server::call::Call;
use fgac_momento_server::rpc::Id;
use momento_protos::cache_client::GetRequest;
use std::collections::HashMap;
use std::hint::black_box;
use std::sync::Arc;
use tonic::transport::server::TcpConnectInfo;

fn request(key: &str) -> tonic::Request<GetRequest> {
    let mut r = tonic::Request::new(GetRequest {
        cache_key: b"user:42".to_vec(),
    });
    r.metadata_mut().insert(AUTHORIZATION, key.parse().unwrap());
    r.metadata_mut().insert(CACHE, "app".parse().unwrap());
    // What the server's layer records from the path the call came in on.
    r.extensions_mut().insert(Call(Id::Get));
    r.extensions_mut().insert(TcpConnectInfo {
        local_addr: Some("127.0.0.1:4443".parse().unwrap()),
        remote_addr: Some("127.0.0.1:50000".parse().unwrap()),
    });
    r
}

/// What a data-plane handler does before touching data (`ScsService::item`): resolve the
/// caller, read the cache header, decide the call.
fn resolve_and_decide(gate: &Gate, req: &tonic::Request<GetRequest>) -> Caller {
    let caller = gate.caller(req).unwrap();
    let cache = cache_header(req).unwrap();
    gate.check(&caller, Operation::Get, Resource::item(cache, b"user:42"))
        .unwrap();
    caller
}

fn gate(c: &mut Criterion) {
    let policy = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/sdk/policy.fgac"
    ))
    .unwrap();
    let signer = SigningKey::generate(None).unwrap();
    let doc = Authorizer::builder().read(&policy).unwrap();
    let now = Timestamp::now();
    let key = sign_reference(
        "app",
        Expiry::Never,
        &signer,
        &MintOptions::default(),
        now,
        &Default::default(),
    )
    .unwrap();
    let ring = Keyring::new(
        Trust::builder()
            .key(signer.public_key())
            .document(doc)
            .build()
            .unwrap(),
    )
    .unwrap();
    let gate = Gate::new(Arc::new(ring));
    let req = request(&key);
    // Resolve once so that the credential is cached, as it is for every request but a client's
    // first.
    gate.caller(&req).unwrap();
    let mut g = c.benchmark_group("gate");
    g.bench_function("resolve+authorize get", |b| {
        b.iter(|| resolve_and_decide(&gate, black_box(&req)))
    });
    let caller = gate.caller(&req).unwrap();
    g.bench_function("authorize get (resolved session)", |b| {
        b.iter(|| {
            gate.check(
                &caller,
                Operation::Get,
                black_box(Resource::item("app", b"user:42")),
            )
            .unwrap()
        })
    });
    g.finish();

    // The distribution, call by call (each timed alone, so each includes one clock read): the
    // tail is what a server's p99 sees. Each call gets a request built just before it, as the
    // HTTP/2 decoder would have just written it. Warm: the gate's own memory (key ring, cached
    // credential, compiled structure) stays in cache between calls, as under load. Cold: before
    // each request is built, a buffer is read that evicts the core's own caches (L1 and L2, 1 MiB
    // here) or every cache (three times the 32 MiB L3), as the gRPC stack and the kernel may
    // between two requests of a quiet server. The header read that a server without
    // authorization makes too (`cache_header`) is measured alone beside each, under the same
    // sweep, so that the difference is what authorization adds; and, as the floor any lookup of
    // a presented credential pays, a std `HashMap<String, _>` lookup of the token among 1,000
    // tokens of its length, plus the same header read. Bounded in count.
    let mut tokens: HashMap<String, usize> = (1..1_000usize)
        .map(|i| (format!("{i:08}{}", &key[8..]), i))
        .collect();
    tokens.insert(key.clone(), 0);
    let lookup = |req: &tonic::Request<GetRequest>| {
        let token = req.metadata().get(AUTHORIZATION).unwrap().to_str().unwrap();
        black_box(tokens.get(token).unwrap());
        black_box(cache_header(req).unwrap());
    };
    let fresh = || request(&key);
    let full = |req: &tonic::Request<GetRequest>| {
        black_box(resolve_and_decide(&gate, black_box(req)));
    };
    let floor = |req: &tonic::Request<GetRequest>| {
        black_box(cache_header(black_box(req)).unwrap());
    };
    let mut sweep = vec![0u8; 96 << 20];
    let mut report = Vec::new();
    for (name, calls, swept) in [
        ("hot", 1_000_000, 0),
        ("cold_l2", 20_000, 4 << 20),
        ("cold_all", 1_000, 96 << 20),
    ] {
        let d = distribution(calls, &mut sweep[..swept], fresh, full);
        let f = distribution(calls, &mut sweep[..swept], fresh, floor);
        let m = distribution(calls, &mut sweep[..swept], fresh, lookup);
        println!(
            "gate, call by call, {name}: p50 {} ns, p99 {} ns, p99.9 {} ns over {calls} calls \
             (the cache header alone: p50 {} ns, p99 {} ns; a HashMap lookup of the token and \
             the header: p50 {} ns, p99 {} ns)",
            d.p50, d.p99, d.p999, f.p50, f.p99, m.p50, m.p99
        );
        report.push(format!(
            "\"{name}\": {{\"calls\": {calls}, \"swept_bytes\": {swept}, {}, \"floor\": {{{}}}, \
             \"hashmap\": {{{}}}}}",
            d.json(),
            f.json(),
            m.json()
        ));
    }
    // The workspace's target directory, where criterion writes too.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/criterion");
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(
        dir.join("gate-latency.json"),
        format!("{{{}}}\n", report.join(", ")),
    );
}

/// Percentiles of one timed call, in nanoseconds.
struct Percentiles {
    p50: u64,
    p99: u64,
    p999: u64,
}

impl Percentiles {
    fn json(&self) -> String {
        format!(
            "\"p50_ns\": {}, \"p99_ns\": {}, \"p999_ns\": {}",
            self.p50, self.p99, self.p999
        )
    }
}

/// Times `calls` calls of `f` one by one, each on an input `make` builds after every cache line
/// of `sweep` has been read (and one byte of each written, so that the lines are owned and
/// evicting them costs a write-back, as a busy core's would).
fn distribution<R>(
    calls: usize,
    sweep: &mut [u8],
    mut make: impl FnMut() -> R,
    mut f: impl FnMut(&R),
) -> Percentiles {
    let mut samples: Vec<u64> = Vec::with_capacity(calls);
    let mut round = 0u8;
    for _ in 0..calls {
        round = round.wrapping_add(1);
        for line in sweep.chunks_mut(64) {
            line[0] = line[0].wrapping_add(round);
        }
        black_box(&mut *sweep);
        let input = make();
        let t = std::time::Instant::now();
        f(&input);
        samples.push(u64::try_from(t.elapsed().as_nanos()).unwrap_or(u64::MAX));
        drop(input);
    }
    samples.sort_unstable();
    let at = |p: f64| samples[((samples.len() - 1) as f64 * p).round() as usize];
    Percentiles {
        p50: at(0.5),
        p99: at(0.99),
        p999: at(0.999),
    }
}

criterion_group!(benches, gate);
criterion_main!(benches);
