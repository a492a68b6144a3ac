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
    // tail is what a server's p99 sees. Bounded: 1,000,000 calls.
    let mut samples: Vec<u64> = Vec::with_capacity(1_000_000);
    for _ in 0..1_000_000 {
        let t = std::time::Instant::now();
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
        samples.push(u64::try_from(t.elapsed().as_nanos()).unwrap_or(u64::MAX));
    }
    samples.sort_unstable();
    let at = |p: f64| samples[((samples.len() - 1) as f64 * p).round() as usize];
    let (p50, p99, p999) = (at(0.5), at(0.99), at(0.999));
    println!(
        "gate, call by call: p50 {p50} ns, p99 {p99} ns, p99.9 {p999} ns over {} calls",
        samples.len()
    );
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/criterion");
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(
        dir.join("gate-latency.json"),
        format!(
            "{{\"calls\": {}, \"p50_ns\": {p50}, \"p99_ns\": {p99}, \"p999_ns\": {p999}}}\n",
            samples.len()
        ),
    );
}

criterion_group!(benches, gate);
criterion_main!(benches);
