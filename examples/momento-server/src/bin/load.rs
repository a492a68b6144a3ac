//! `fgac-momento-load`: a load generator for the server, over the same generated protos (tonic
//! clients). A fixed number of workers each send one request at a time (a closed loop) for a
//! bounded time, in a get/set/publish mix, and the latencies of every request after the warm-up
//! are kept (bounded in count) to report throughput and percentiles.

use clap::Parser;
use momento_protos::cache_client::pubsub::pubsub_client::PubsubClient;
use momento_protos::cache_client::pubsub::{PublishRequest, TopicValue, topic_value};
use momento_protos::cache_client::scs_client::ScsClient;
use momento_protos::cache_client::{GetRequest, SetRequest};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tonic::metadata::MetadataValue;
use tonic::transport::{Channel, Endpoint};

#[derive(Parser)]
struct Args {
    /// The server, e.g. 127.0.0.1:4443 (loopback).
    #[arg(long)]
    addr: String,
    /// A file holding the API key to present.
    #[arg(long)]
    key_file: PathBuf,
    /// The cache to use.
    #[arg(long, default_value = "app")]
    cache: String,
    /// Requests in flight at once (one per worker).
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// HTTP/2 connections the workers share.
    #[arg(long, default_value_t = 4)]
    connections: usize,
    /// Seconds of warm-up, not measured.
    #[arg(long, default_value_t = 2)]
    warmup: u64,
    /// Seconds measured.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Percent of gets, sets and publishes.
    #[arg(long, default_value = "70,25,5")]
    mix: String,
    /// A label for the report line.
    #[arg(long, default_value = "run")]
    label: String,
}

/// At most this many latencies are kept per worker (the run is bounded anyway).
const MAX_SAMPLES: usize = 2_000_000;

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[i.min(sorted.len() - 1)] as f64 / 1000.0
}

#[tokio::main]
async fn main() {
    let a = Args::parse();
    assert!(
        a.addr.starts_with("127.")
            || a.addr.starts_with("[::1]")
            || a.addr.starts_with("localhost"),
        "loopback addresses only"
    );
    let key = std::fs::read_to_string(&a.key_file).expect("the key file reads");
    let key: MetadataValue<_> = key.trim().parse().expect("the key is a header value");
    let cache: MetadataValue<_> = a.cache.parse().expect("the cache is a header value");
    let mix: Vec<u32> = a
        .mix
        .split(',')
        .map(|p| p.parse().expect("a percent"))
        .collect();
    assert!(
        mix.len() == 3 && mix.iter().sum::<u32>() == 100,
        "--mix is three percents summing to 100"
    );
    let mut channels = Vec::new();
    for _ in 0..a.connections.max(1) {
        let ch: Channel = Endpoint::from_shared(format!("http://{}", a.addr))
            .expect("an address")
            .connect()
            .await
            .expect("the server is up");
        channels.push(ch);
    }
    let start = Instant::now();
    let measure_from = start + Duration::from_secs(a.warmup);
    let stop = measure_from + Duration::from_secs(a.seconds);
    let mut workers = Vec::new();
    for w in 0..a.concurrency.max(1) {
        let ch = channels[w % channels.len()].clone();
        let (key, cache, mix, cache_name) =
            (key.clone(), cache.clone(), mix.clone(), a.cache.clone());
        workers.push(tokio::spawn(async move {
            let mut scs = ScsClient::new(ch.clone());
            let mut topics = PubsubClient::new(ch);
            let mut lat = Vec::with_capacity(1 << 16);
            let mut errors = 0u64;
            let mut i: u64 = w as u64;
            loop {
                let now = Instant::now();
                if now >= stop {
                    break;
                }
                i = i
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let pick = ((i >> 33) % 100) as u32;
                let item = format!("user:{}", (i >> 20) % 1000).into_bytes();
                let t0 = Instant::now();
                let ok = if pick < mix[0] {
                    let mut r = tonic::Request::new(GetRequest { cache_key: item });
                    r.metadata_mut().insert("authorization", key.clone());
                    r.metadata_mut().insert("cache", cache.clone());
                    scs.get(r).await.is_ok()
                } else if pick < mix[0] + mix[1] {
                    let mut r = tonic::Request::new(SetRequest {
                        cache_key: item,
                        cache_body: vec![b'x'; 100],
                        ttl_milliseconds: 60_000,
                    });
                    r.metadata_mut().insert("authorization", key.clone());
                    r.metadata_mut().insert("cache", cache.clone());
                    scs.set(r).await.is_ok()
                } else {
                    let mut r = tonic::Request::new(PublishRequest {
                        cache_name: cache_name.clone(),
                        topic: "load".to_owned(),
                        value: Some(TopicValue {
                            kind: Some(topic_value::Kind::Binary(vec![b'y'; 100])),
                        }),
                    });
                    r.metadata_mut().insert("authorization", key.clone());
                    topics.publish(r).await.is_ok()
                };
                let took = t0.elapsed();
                if t0 >= measure_from {
                    if !ok {
                        errors += 1;
                    }
                    if lat.len() < MAX_SAMPLES {
                        lat.push(u64::try_from(took.as_nanos()).unwrap_or(u64::MAX));
                    }
                }
            }
            (lat, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for w in workers {
        let (lat, e) = w.await.expect("a worker");
        all.extend(lat);
        errors += e;
    }
    all.sort_unstable();
    let rps = all.len() as f64 / a.seconds as f64;
    println!(
        "{} requests={} errors={} throughput_rps={:.0} p50_us={:.1} p99_us={:.1} p999_us={:.1}",
        a.label,
        all.len(),
        errors,
        rps,
        percentile(&all, 50.0),
        percentile(&all, 99.0),
        percentile(&all, 99.9),
    );
    if errors > 0 {
        std::process::exit(1);
    }
}
