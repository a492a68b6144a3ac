//! Token churn for the key ring's cache: a Zipf-distributed population of presented tokens with
//! a stream of one-time tokens through it (a scan), and an exact LRU cache to compare hit ratios
//! with. Deterministic: the same seed gives the same sequence.

use std::collections::{BTreeMap, HashMap};

/// One presented token: one of the population (by rank, 0 the hottest), or the `n`th one-time
/// token, seen once and never again.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Presented {
    /// A token of the population, by rank.
    Popular(usize),
    /// A one-time token.
    Once(usize),
}

/// A small, fast, deterministic generator (xorshift64*), enough for workloads.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed` (any value; 0 is moved off the fixed point).
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A float in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Ranks drawn with probability proportional to 1 / (rank + 1)^s.
#[derive(Clone, Debug)]
pub struct Zipf {
    cumulative: Vec<f64>,
}

impl Zipf {
    /// Over `n` ranks with exponent `s` (1.0 is the classic skew of web and cache traces).
    pub fn new(n: usize, s: f64) -> Zipf {
        let mut total = 0.0;
        let cumulative = (0..n)
            .map(|r| {
                total += 1.0 / ((r + 1) as f64).powf(s);
                total
            })
            .collect();
        Zipf { cumulative }
    }

    /// A rank.
    pub fn sample(&self, rng: &mut Rng) -> usize {
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        let x = rng.unit() * total;
        self.cumulative
            .partition_point(|&c| c <= x)
            .min(self.cumulative.len().saturating_sub(1))
    }
}

/// `requests` presented tokens: ranks of a Zipf(`s`) population of `population`, with one
/// request in `scan_every` a one-time token instead (0: no scan).
pub fn workload(
    population: usize,
    s: f64,
    requests: usize,
    scan_every: usize,
    seed: u64,
) -> Vec<Presented> {
    let zipf = Zipf::new(population, s);
    let mut rng = Rng::new(seed);
    let mut once = 0;
    (0..requests)
        .map(|i| {
            if scan_every > 0 && i % scan_every == scan_every - 1 {
                once += 1;
                Presented::Once(once - 1)
            } else {
                Presented::Popular(zipf.sample(&mut rng))
            }
        })
        .collect()
}

/// How many one-time tokens `workload` presents.
pub fn one_time_tokens(workload: &[Presented]) -> usize {
    workload
        .iter()
        .filter(|p| matches!(p, Presented::Once(_)))
        .count()
}

/// The hit ratio an exact LRU cache of `capacity` entries has on `workload`.
pub fn lru_hit_ratio(workload: &[Presented], capacity: usize) -> f64 {
    let mut stamp_of: HashMap<Presented, u64> = HashMap::new();
    let mut by_stamp: BTreeMap<u64, Presented> = BTreeMap::new();
    let mut hits = 0usize;
    for (now, p) in workload.iter().enumerate() {
        let now = now as u64;
        if let Some(old) = stamp_of.insert(*p, now) {
            hits += 1;
            by_stamp.remove(&old);
        } else if stamp_of.len() > capacity
            && let Some((_, victim)) = by_stamp.pop_first()
        {
            stamp_of.remove(&victim);
        }
        by_stamp.insert(now, *p);
    }
    hits as f64 / workload.len().max(1) as f64
}
