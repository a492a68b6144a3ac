//! Sorted sets: element -> score.

use super::*;
use crate::data::{SortedSet as Sorted, off_the_reactor};
use crate::data::{change_collection, read, write_collection};
use std::collections::HashMap;

pub(super) async fn sorted_set_put(
    s: &ScsService,
    req: Request<SortedSetPutRequest>,
) -> Result<Response<SortedSetPutResponse>, Status> {
    let r = req.get_ref();
    let op = one_or_many(
        r.elements.len(),
        O::SortedSetPutElement,
        O::SortedSetPutElements,
    );
    let c = s.item(&req, op, &r.set_name)?;
    elements_fit(&c, r.elements.iter().map(|e| e.value.as_slice()))?;
    write_collection(
        &c,
        &r.set_name,
        r.ttl_milliseconds,
        r.refresh_ttl,
        r.elements.iter().map(|e| e.value.len() + 8).sum(),
        |z: &mut Sorted| {
            for e in &r.elements {
                z.insert(e.value.clone(), e.score);
            }
            Ok(())
        },
    )?;
    ok(SortedSetPutResponse {})
}

pub(super) async fn sorted_set_fetch(
    s: &ScsService,
    req: Request<SortedSetFetchRequest>,
) -> Result<Response<SortedSetFetchResponse>, Status> {
    use sorted_set_fetch_request::by_index::{End, Start};
    use sorted_set_fetch_request::by_score::{Max, Min};
    use sorted_set_fetch_request::{Order, Range};
    use sorted_set_fetch_response::found::{Elements, Values, ValuesWithScores};
    use sorted_set_fetch_response::{Found, Missing, SortedSet as S};
    let r = req.get_ref();
    let op = match r.range {
        Some(Range::ByScore(_)) => O::SortedSetFetchByScore,
        _ => O::SortedSetFetchByRank,
    };
    let c = s.item(&req, op, &r.set_name)?;
    let descending = r.order == Order::Descending as i32;
    c.read(&r.set_name, |e, _| {
        let Some(z) = read::<Sorted>(e)? else {
            return ok(SortedSetFetchResponse {
                sorted_set: Some(S::Missing(Missing {})),
            });
        };
        let mut all = z.ranked();
        if descending {
            all.reverse();
        }
        let picked: Vec<(&Vec<u8>, f64)> = match &r.range {
            Some(Range::ByScore(b)) => {
                let above = |s: f64| match &b.min {
                    Some(Min::MinScore(m)) => {
                        if m.exclusive {
                            s > m.score
                        } else {
                            s >= m.score
                        }
                    }
                    _ => true,
                };
                let below = |s: f64| match &b.max {
                    Some(Max::MaxScore(m)) => {
                        if m.exclusive {
                            s < m.score
                        } else {
                            s <= m.score
                        }
                    }
                    _ => true,
                };
                let matching = all
                    .into_iter()
                    .filter(|(_, s)| above(*s) && below(*s))
                    .skip(b.offset as usize);
                match usize::try_from(b.count) {
                    Ok(n) => matching.take(n).collect(),
                    Err(_) => matching.collect(),
                }
            }
            Some(Range::ByIndex(b)) => {
                let start = match b.start {
                    Some(Start::InclusiveStartIndex(i)) => Some(i),
                    _ => None,
                };
                let end = match b.end {
                    Some(End::ExclusiveEndIndex(i)) => Some(i),
                    _ => None,
                };
                let (s, en) = slice(all.len(), start, end);
                all[s..en].to_vec()
            }
            None => all,
        };
        let elements = if r.with_scores {
            Elements::ValuesWithScores(ValuesWithScores {
                elements: picked
                    .into_iter()
                    .map(|(v, score)| SortedSetElement {
                        value: v.clone(),
                        score,
                    })
                    .collect(),
            })
        } else {
            Elements::Values(Values {
                values: picked.into_iter().map(|(v, _)| v.clone()).collect(),
            })
        };
        ok(SortedSetFetchResponse {
            sorted_set: Some(S::Found(Found {
                elements: Some(elements),
            })),
        })
    })
}

pub(super) async fn sorted_set_get_score(
    s: &ScsService,
    req: Request<SortedSetGetScoreRequest>,
) -> Result<Response<SortedSetGetScoreResponse>, Status> {
    use sorted_set_get_score_response::{
        SortedSet as S, SortedSetFound, SortedSetGetScoreResponsePart as Part, SortedSetMissing,
    };
    let r = req.get_ref();
    let op = one_or_many(r.values.len(), O::SortedSetGetScore, O::SortedSetGetScores);
    let c = s.item(&req, op, &r.set_name)?;
    c.read(&r.set_name, |e, _| {
        let sorted_set = match read::<Sorted>(e)? {
            None => S::Missing(SortedSetMissing {}),
            Some(z) => S::Found(SortedSetFound {
                elements: r
                    .values
                    .iter()
                    .map(|v| match z.get(v) {
                        Some(score) => Part {
                            result: ECacheResult::Hit as i32,
                            score,
                        },
                        None => Part {
                            result: ECacheResult::Miss as i32,
                            score: 0.0,
                        },
                    })
                    .collect(),
            }),
        };
        ok(SortedSetGetScoreResponse {
            sorted_set: Some(sorted_set),
        })
    })
}

pub(super) async fn sorted_set_remove(
    s: &ScsService,
    req: Request<SortedSetRemoveRequest>,
) -> Result<Response<SortedSetRemoveResponse>, Status> {
    use sorted_set_remove_request::RemoveElements as Rm;
    let r = req.get_ref();
    let caller = s.gate.caller(&req)?;
    let Some(how) = &r.remove_elements else {
        return Err(Status::invalid_argument(
            "SortedSetRemove needs elements or all",
        ));
    };
    let op = match how {
        Rm::Some(s) => one_or_many(
            s.values.len(),
            O::SortedSetRemoveElement,
            O::SortedSetRemoveElements,
        ),
        Rm::All(_) => O::Delete,
    };
    let c = s.item_with(&req, &caller, op, &r.set_name)?;
    change_collection(&c, &r.set_name, |z: &mut Sorted| {
        match how {
            Rm::All(_) => z.clear(),
            Rm::Some(s) => s.values.iter().for_each(|x| {
                z.remove(x);
            }),
        }
        Ok(())
    })?;
    ok(SortedSetRemoveResponse {})
}

pub(super) async fn sorted_set_increment(
    s: &ScsService,
    req: Request<SortedSetIncrementRequest>,
) -> Result<Response<SortedSetIncrementResponse>, Status> {
    let r = req.get_ref();
    let c = s.item(&req, O::SortedSetIncrementScore, &r.set_name)?;
    elements_fit(&c, [r.value.as_slice()])?;
    let score = write_collection(
        &c,
        &r.set_name,
        r.ttl_milliseconds,
        r.refresh_ttl,
        r.value.len() + 8,
        |z: &mut Sorted| Ok(z.increment(&r.value, r.amount)),
    )?;
    ok(SortedSetIncrementResponse { score })
}

pub(super) async fn sorted_set_get_rank(
    s: &ScsService,
    req: Request<SortedSetGetRankRequest>,
) -> Result<Response<SortedSetGetRankResponse>, Status> {
    use sorted_set_get_rank_request::Order;
    use sorted_set_get_rank_response::{Rank, RankResponsePart, SortedSetMissing};
    let r = req.get_ref();
    let c = s.item(&req, O::SortedSetGetRank, &r.set_name)?;
    c.read(&r.set_name, |e, _| {
        let rank = match read::<Sorted>(e)? {
            None => Rank::Missing(SortedSetMissing {}),
            Some(z) => {
                let mut all = z.ranked();
                if r.order == Order::Descending as i32 {
                    all.reverse();
                }
                match all.iter().position(|(v, _)| **v == r.value) {
                    Some(i) => Rank::ElementRank(RankResponsePart {
                        result: ECacheResult::Hit as i32,
                        rank: i as u64,
                    }),
                    None => Rank::ElementRank(RankResponsePart {
                        result: ECacheResult::Miss as i32,
                        rank: 0,
                    }),
                }
            }
        };
        ok(SortedSetGetRankResponse { rank: Some(rank) })
    })
}

pub(super) async fn sorted_set_length(
    s: &ScsService,
    req: Request<SortedSetLengthRequest>,
) -> Result<Response<SortedSetLengthResponse>, Status> {
    use sorted_set_length_response::{Found, Missing, SortedSet as S};
    let r = req.get_ref();
    let c = s.item(&req, O::SortedSetLength, &r.set_name)?;
    c.read(&r.set_name, |e, _| {
        let sorted_set = match read::<Sorted>(e)? {
            None => S::Missing(Missing {}),
            Some(z) => S::Found(Found {
                length: len32(z.len()),
            }),
        };
        ok(SortedSetLengthResponse {
            sorted_set: Some(sorted_set),
        })
    })
}

pub(super) async fn sorted_set_length_by_score(
    s: &ScsService,
    req: Request<SortedSetLengthByScoreRequest>,
) -> Result<Response<SortedSetLengthByScoreResponse>, Status> {
    use sorted_set_length_by_score_request::{Max, Min};
    use sorted_set_length_by_score_response::{Found, Missing, SortedSet as S};
    let r = req.get_ref();
    let c = s.item(&req, O::SortedSetLengthByScore, &r.set_name)?;
    c.read(&r.set_name, |e, _| {
        let sorted_set = match read::<Sorted>(e)? {
            None => S::Missing(Missing {}),
            Some(z) => S::Found(Found {
                length: len32(
                    z.iter()
                        .map(|(_, s)| s)
                        .filter(|s| match r.min {
                            Some(Min::InclusiveMin(m)) => *s >= m,
                            Some(Min::ExclusiveMin(m)) => *s > m,
                            _ => true,
                        })
                        .filter(|s| match r.max {
                            Some(Max::InclusiveMax(m)) => *s <= m,
                            Some(Max::ExclusiveMax(m)) => *s < m,
                            _ => true,
                        })
                        .count(),
                ),
            }),
        };
        ok(SortedSetLengthByScoreResponse {
            sorted_set: Some(sorted_set),
        })
    })
}

pub(super) async fn sorted_set_union_store(
    s: &ScsService,
    req: Request<SortedSetUnionStoreRequest>,
) -> Result<Response<SortedSetUnionStoreResponse>, Status> {
    use sorted_set_union_store_request::AggregateFunction as A;
    let r = req.get_ref();
    // Every key touched: the destination and each source.
    let keys = std::iter::once(r.set_name.as_slice())
        .chain(r.sources.iter().map(|s| s.set_name.as_slice()));
    let c = s.batch(&req, O::SortedSetUnionStore, keys)?;
    let ttl = c.ttl(r.ttl_milliseconds)?;
    let aggregate = A::try_from(r.aggregate)
        .map_err(|_| Status::invalid_argument("unknown aggregate function"))?;
    // The work is each distinct source read once, whatever the request repeats: a source
    // named n times with weights w1..wn adds, for each element of score s, the aggregate of
    // s*w1..s*wn, which is s times the sum, the least or the greatest weight.
    let mut weights: HashMap<&[u8], Weights> = HashMap::new();
    for source in &r.sources {
        weights
            .entry(source.set_name.as_slice())
            .or_default()
            .add(f64::from(source.weight));
    }
    let union = off_the_reactor(|| union_of(&c, &weights, aggregate))?;
    let length = len32(union.len());
    let bytes = r.set_name.len() + union.bytes();
    if bytes > c.limits().max_item_bytes {
        return Err(too_large(bytes, c.limits()));
    }
    c.update(&r.set_name, |slot, now| {
        *slot = Some(Entry {
            value: Value::SortedSet(union),
            expires: c.expiry(now, ttl),
        });
    });
    ok(SortedSetUnionStoreResponse { length })
}

/// The weights a union source was named with: their sum, the least and the greatest.
#[derive(Clone, Copy)]
struct Weights {
    sum: f64,
    min: f64,
    max: f64,
}

impl Default for Weights {
    fn default() -> Weights {
        Weights {
            sum: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        }
    }
}

impl Weights {
    fn add(&mut self, w: f64) {
        self.sum += w;
        self.min = self.min.min(w);
        self.max = self.max.max(w);
    }

    /// The aggregate of `s * w` over the weights `w`.
    fn apply(&self, s: f64, aggregate: sorted_set_union_store_request::AggregateFunction) -> f64 {
        use sorted_set_union_store_request::AggregateFunction as A;
        match aggregate {
            A::Sum => s * self.sum,
            A::Min if s >= 0.0 => s * self.min,
            A::Min => s * self.max,
            A::Max if s >= 0.0 => s * self.max,
            A::Max => s * self.min,
        }
    }
}

/// The union of the distinct sources `weights` names, each read once; refused when the sources
/// hold more than the limit of bytes one call may read.
fn union_of(
    c: &Cache,
    weights: &HashMap<&[u8], Weights>,
    aggregate: sorted_set_union_store_request::AggregateFunction,
) -> Result<Sorted, Status> {
    use sorted_set_union_store_request::AggregateFunction as A;
    let mut union: HashMap<Vec<u8>, f64> = HashMap::new();
    let mut bytes_read = 0usize;
    for (name, w) in weights {
        c.read(name, |e, _| {
            let Some(z) = read::<Sorted>(e)? else {
                return Ok(());
            };
            bytes_read += z.bytes();
            if bytes_read > c.limits().max_read_bytes {
                return Err(Status::resource_exhausted(format!(
                    "the sources hold more than {} bytes, the most one call reads",
                    c.limits().max_read_bytes
                )));
            }
            for (v, s) in z.iter() {
                let s = w.apply(s, aggregate);
                union
                    .entry(v.clone())
                    .and_modify(|t| {
                        *t = match aggregate {
                            A::Sum => *t + s,
                            A::Min => t.min(s),
                            A::Max => t.max(s),
                        }
                    })
                    .or_insert(s);
            }
            Ok(())
        })?;
    }
    let mut out = Sorted::default();
    for (v, s) in union {
        out.insert(v, s);
    }
    Ok(out)
}
