//! Sets: distinct elements.

use super::*;
use crate::data::Set;
use crate::data::{change_collection, read, write_collection};

pub(super) async fn set_fetch(
    s: &ScsService,
    req: Request<SetFetchRequest>,
) -> Result<Response<SetFetchResponse>, Status> {
    use set_fetch_response::{Found, Missing, Set as S};
    let r = req.get_ref();
    let c = s.item(&req, O::SetFetch, &r.set_name)?;
    c.read(&r.set_name, |e, _| {
        let set = match read::<Set>(e)? {
            None => S::Missing(Missing {}),
            Some(s) => S::Found(Found {
                elements: s.iter().cloned().collect(),
            }),
        };
        ok(SetFetchResponse { set: Some(set) })
    })
}

pub(super) async fn set_sample(
    s: &ScsService,
    req: Request<SetSampleRequest>,
) -> Result<Response<SetSampleResponse>, Status> {
    use set_sample_response::{Found, Missing, Set as S};
    let r = req.get_ref();
    let c = s.item(&req, O::SetSample, &r.set_name)?;
    c.read(&r.set_name, |e, _| {
        // A hash set's iteration order is already arbitrary (randomly keyed per set).
        let set = match read::<Set>(e)? {
            None => S::Missing(Missing {}),
            Some(s) => S::Found(Found {
                elements: s
                    .iter()
                    .take(usize::try_from(r.limit).unwrap_or(usize::MAX))
                    .cloned()
                    .collect(),
            }),
        };
        ok(SetSampleResponse { set: Some(set) })
    })
}

pub(super) async fn set_union(
    s: &ScsService,
    req: Request<SetUnionRequest>,
) -> Result<Response<SetUnionResponse>, Status> {
    let r = req.get_ref();
    let op = one_or_many(r.elements.len(), O::SetAddElement, O::SetAddElements);
    let c = s.item(&req, op, &r.set_name)?;
    elements_fit(&c, r.elements.iter().map(Vec::as_slice))?;
    write_collection(
        &c,
        &r.set_name,
        r.ttl_milliseconds,
        r.refresh_ttl,
        total(&r.elements),
        |s: &mut Set| {
            for e in &r.elements {
                s.insert(e.clone());
            }
            Ok(())
        },
    )?;
    ok(SetUnionResponse {})
}

pub(super) async fn set_difference(
    s: &ScsService,
    req: Request<SetDifferenceRequest>,
) -> Result<Response<SetDifferenceResponse>, Status> {
    use set_difference_request::Difference as D;
    use set_difference_request::subtrahend::SubtrahendSet as Sub;
    use set_difference_response::{Found, Missing, Set as S};
    let r = req.get_ref();
    let caller = s.gate.caller(&req)?;
    let found = match &r.difference {
        Some(D::Subtrahend(sub)) => {
            let Some(subtrahend) = &sub.subtrahend_set else {
                return Err(Status::invalid_argument("a subtrahend needs a set"));
            };
            let op = match subtrahend {
                Sub::Set(s) => {
                    one_or_many(s.elements.len(), O::SetRemoveElement, O::SetRemoveElements)
                }
                Sub::Identity(_) => O::Delete,
            };
            let cache = s.item_with(&req, &caller, op, &r.set_name)?;
            change_collection(&cache, &r.set_name, |s: &mut Set| {
                match subtrahend {
                    Sub::Set(x) => x.elements.iter().for_each(|e| {
                        s.remove(e);
                    }),
                    Sub::Identity(_) => s.clear(),
                }
                Ok(())
            })?
            .is_some()
        }
        Some(D::Minuend(m)) => {
            // Reads the set and writes it: both must be allowed.
            s.item_with(&req, &caller, O::SetFetch, &r.set_name)?;
            let cache = s.item_with(&req, &caller, O::SetAddElements, &r.set_name)?;
            change_collection(&cache, &r.set_name, |s: &mut Set| {
                *s = m
                    .elements
                    .iter()
                    .filter(|e| !s.contains(e))
                    .cloned()
                    .collect();
                Ok(())
            })?
            .is_some()
        }
        None => return Err(Status::invalid_argument("SetDifference needs a difference")),
    };
    ok(SetDifferenceResponse {
        set: Some(if found {
            S::Found(Found {})
        } else {
            S::Missing(Missing {})
        }),
    })
}

pub(super) async fn set_contains(
    s: &ScsService,
    req: Request<SetContainsRequest>,
) -> Result<Response<SetContainsResponse>, Status> {
    use set_contains_response::{Found, Missing, Set as S};
    let r = req.get_ref();
    let op = one_or_many(
        r.elements.len(),
        O::SetContainsElement,
        O::SetContainsElements,
    );
    let c = s.item(&req, op, &r.set_name)?;
    c.read(&r.set_name, |e, _| {
        let set = match read::<Set>(e)? {
            None => S::Missing(Missing {}),
            Some(s) => S::Found(Found {
                contains: r.elements.iter().map(|x| s.contains(x)).collect(),
            }),
        };
        ok(SetContainsResponse { set: Some(set) })
    })
}

pub(super) async fn set_length(
    s: &ScsService,
    req: Request<SetLengthRequest>,
) -> Result<Response<SetLengthResponse>, Status> {
    use set_length_response::{Found, Missing, Set as S};
    let r = req.get_ref();
    let c = s.item(&req, O::SetLength, &r.set_name)?;
    c.read(&r.set_name, |e, _| {
        let set = match read::<Set>(e)? {
            None => S::Missing(Missing {}),
            Some(s) => S::Found(Found {
                length: len32(s.len()),
            }),
        };
        ok(SetLengthResponse { set: Some(set) })
    })
}

pub(super) async fn set_pop(
    s: &ScsService,
    req: Request<SetPopRequest>,
) -> Result<Response<SetPopResponse>, Status> {
    use set_pop_response::{Found, Missing, Set as S};
    let r = req.get_ref();
    let c = s.item(&req, O::SetPop, &r.set_name)?;
    let popped = change_collection(&c, &r.set_name, |s: &mut Set| {
        let take: Vec<Vec<u8>> = s.iter().take(r.count.max(1) as usize).cloned().collect();
        for e in &take {
            s.remove(e);
        }
        Ok(take)
    })?;
    ok(SetPopResponse {
        set: Some(match popped {
            None => S::Missing(Missing {}),
            Some(elements) => S::Found(Found { elements }),
        }),
    })
}
