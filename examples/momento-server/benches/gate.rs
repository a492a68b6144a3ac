//! What authorization adds to one request inside the server, measured without the network: the
//! gate resolving the `authorization` header through the key ring (a cached credential: one hash
//! and one lookup) and deciding the call's operation, on a tonic request as a handler gets it.

use criterion::{Criterion, criterion_group, criterion_main};
use fgac::credentials::{Keyring, MintOptions, SigningKey, Store, sign_reference};
use fgac::model::Expiry;
use fgac::{Authorizer, Operation, Resource, Timestamp};
use fgac_momento_server::auth::{Gate, cache_header};
use fgac_momento_server::rpc::Id;
use momento_protos::cache_client::GetRequest;
use std::hint::black_box;
use std::sync::Arc;
use tonic::transport::server::TcpConnectInfo;

fn request(key: &str) -> tonic::Request<GetRequest> {
    let mut r = tonic::Request::new(GetRequest {
        cache_key: b"user:42".to_vec(),
    });
    r.metadata_mut()
        .insert("authorization", key.parse().unwrap());
    r.metadata_mut().insert("cache", "app".parse().unwrap());
    r.extensions_mut().insert(TcpConnectInfo {
        local_addr: Some("127.0.0.1:4443".parse().unwrap()),
        remote_addr: Some("127.0.0.1:50000".parse().unwrap()),
    });
    r
}

fn gate(c: &mut Criterion) {
    let policy = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/sdk/policy.fgac"
    ))
    .unwrap();
    let signer = SigningKey::generate(None).unwrap();
    let doc = Authorizer::builder().read(&policy, None).unwrap();
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
        Store::builder()
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
        // What a data-plane handler does before touching data (`ScsService::item`).
        b.iter(|| {
            let req = black_box(&req);
            let caller = gate.caller(req).unwrap();
            let cache = cache_header(req).unwrap();
            gate.check(
                &caller,
                Id::Get,
                Operation::Get,
                Resource::item(cache, b"user:42"),
            )
            .unwrap();
            black_box(caller)
        })
    });
    let caller = gate.caller(&req).unwrap();
    g.bench_function("authorize get (resolved session)", |b| {
        b.iter(|| {
            gate.check(
                &caller,
                Id::Get,
                Operation::Get,
                black_box(Resource::item("app", b"user:42")),
            )
            .unwrap()
        })
    });
    g.finish();

    // The distribution, call by call (each timed alone, so each includes one clock read): the
    // tail is what a server's p99 sees. Hot: the gate's memory stays in cache between calls, as
    // under load. Cold: before each call a buffer is read that evicts the core's own caches (L1
    // and L2, 1 MiB here) or every cache (three times the 32 MiB L3), as the gRPC stack and the
    // kernel may between two requests of a quiet server. The header read that a server without
    // authorization makes too (`cache_header`) is measured alone beside each, under the same
    // sweep, so that the difference is what authorization adds. Bounded in count.
    let full = || {
        let caller = gate.caller(black_box(&req)).unwrap();
        let cache = cache_header(&req).unwrap();
        gate.check(
            &caller,
            Id::Get,
            Operation::Get,
            Resource::item(cache, b"user:42"),
        )
        .unwrap();
        black_box(caller);
    };
    let floor = || {
        black_box(cache_header(black_box(&req)).unwrap());
    };
    let mut sweep = vec![0u8; 96 << 20];
    let mut report = Vec::new();
    for (name, calls, swept) in [
        ("hot", 1_000_000, 0),
        ("cold_l2", 20_000, 4 << 20),
        ("cold_all", 1_000, 96 << 20),
    ] {
        let d = distribution(calls, &mut sweep[..swept], full);
        let f = distribution(calls, &mut sweep[..swept], floor);
        println!(
            "gate, call by call, {name}: p50 {} ns, p99 {} ns, p99.9 {} ns over {calls} calls \
             (the cache header alone: p50 {} ns, p99 {} ns)",
            d.p50, d.p99, d.p999, f.p50, f.p99
        );
        report.push(format!(
            "\"{name}\": {{\"calls\": {calls}, \"swept_bytes\": {swept}, {}, \"floor\": {{{}}}}}",
            d.json(),
            f.json()
        ));
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/criterion");
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

/// Times `calls` calls of `f` one by one, each after reading every cache line of `sweep` (and
/// writing one byte of each, so that the lines are owned and evicting them costs a write-back,
/// as a busy core's would).
fn distribution(calls: usize, sweep: &mut [u8], mut f: impl FnMut()) -> Percentiles {
    let mut samples: Vec<u64> = Vec::with_capacity(calls);
    let mut round = 0u8;
    for _ in 0..calls {
        round = round.wrapping_add(1);
        for line in sweep.chunks_mut(64) {
            line[0] = line[0].wrapping_add(round);
        }
        black_box(&mut *sweep);
        let t = std::time::Instant::now();
        f();
        samples.push(u64::try_from(t.elapsed().as_nanos()).unwrap_or(u64::MAX));
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
