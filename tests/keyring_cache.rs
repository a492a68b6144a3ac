//! The key ring's verified-credential cache under token churn: a Zipf population of tokens ten
//! times the cache's capacity with a stream of one-time tokens through it (a scan). Its hit
//! ratio is at least an exact LRU's of the same capacity on the same sequence, and the scan does
//! not collapse it. A short, bounded run (the benchmark `keyring_cache` runs it large).

mod common;

use common::signed::{HEADER, READ_C, SECRET, forge, now, peer, signer, token_claims};
use fgac::credentials::{Keyring, Trust};
use fgac::metrics::{Event, Metrics};
use fgac_test_support::churn::{Presented, lru_hit_ratio, one_time_tokens, workload};
use std::sync::Arc;

const CAPACITY: usize = 256;

/// The ring's hit ratio on `requests`, tokens forged for each distinct one.
fn ring_hit_ratio(requests: &[Presented], population: usize) -> f64 {
    let popular: Vec<String> = (0..population)
        .map(|i| forge(HEADER, &token_claims(&format!("p{i}"), READ_C), &SECRET))
        .collect();
    let once: Vec<String> = (0..one_time_tokens(requests))
        .map(|i| forge(HEADER, &token_claims(&format!("o{i}"), READ_C), &SECRET))
        .collect();
    let metrics = Arc::new(Metrics::new());
    let trust = Trust::builder().key(signer().public_key()).build().unwrap();
    let ring = Keyring::with_cache_capacity(trust, CAPACITY)
        .unwrap()
        .with_metrics(Arc::clone(&metrics));
    for p in requests {
        let token = match *p {
            Presented::Popular(i) => &popular[i],
            Presented::Once(i) => &once[i],
        };
        assert!(ring.resolve(token, peer(), now()).is_ok());
    }
    let s = metrics.snapshot();
    let (hits, misses) = (s.event(Event::CacheHit), s.event(Event::CacheMiss));
    assert_eq!((hits + misses) as usize, requests.len());
    hits as f64 / requests.len() as f64
}

#[test]
fn the_cache_holds_at_least_as_well_as_an_exact_lru_under_churn_and_a_scan() {
    let population = 10 * CAPACITY;
    for (scan_every, name) in [(0, "no scan"), (4, "a one-time token in every 4")] {
        let requests = workload(population, 1.0, 12_000, scan_every, 7);
        let lru = lru_hit_ratio(&requests, CAPACITY);
        let ring = ring_hit_ratio(&requests, population);
        eprintln!("{name}: key ring {ring:.3}, exact LRU {lru:.3}");
        assert!(
            ring >= lru,
            "{name}: the key ring hits {ring:.3}, an exact LRU {lru:.3}"
        );
    }
    // The scan does not collapse it: with one request in four a one-time token, the ring still
    // hits at least 80% of what it hits without (LRU drops further).
    let plain = ring_hit_ratio(&workload(population, 1.0, 12_000, 0, 7), population);
    let scanned = ring_hit_ratio(&workload(population, 1.0, 12_000, 4, 7), population);
    assert!(
        scanned >= 0.8 * plain * 0.75,
        "scanned {scanned:.3}, plain {plain:.3}"
    );
}
