//! Lists: sequences.

use super::*;
use crate::data::{List, change_collection, read, write_collection};

pub(super) async fn list_push_front(
    s: &ScsService,
    req: Request<ListPushFrontRequest>,
) -> Result<Response<ListPushFrontResponse>, Status> {
    let r = req.get_ref();
    let c = s.item(&req, O::ListPushFront, &r.list_name)?;
    elements_fit(&c, [r.value.as_slice()])?;
    let list_length = write_collection(
        &c,
        &r.list_name,
        r.ttl_milliseconds,
        r.refresh_ttl,
        r.value.len(),
        |l: &mut List| {
            Ok(push(
                l,
                std::slice::from_ref(&r.value),
                true,
                r.truncate_back_to_size,
            ))
        },
    )?;
    ok(ListPushFrontResponse { list_length })
}

pub(super) async fn list_push_back(
    s: &ScsService,
    req: Request<ListPushBackRequest>,
) -> Result<Response<ListPushBackResponse>, Status> {
    let r = req.get_ref();
    let c = s.item(&req, O::ListPushBack, &r.list_name)?;
    elements_fit(&c, [r.value.as_slice()])?;
    let list_length = write_collection(
        &c,
        &r.list_name,
        r.ttl_milliseconds,
        r.refresh_ttl,
        r.value.len(),
        |l: &mut List| {
            Ok(push(
                l,
                std::slice::from_ref(&r.value),
                false,
                r.truncate_front_to_size,
            ))
        },
    )?;
    ok(ListPushBackResponse { list_length })
}

pub(super) async fn list_pop_front(
    s: &ScsService,
    req: Request<ListPopFrontRequest>,
) -> Result<Response<ListPopFrontResponse>, Status> {
    use list_pop_front_response::{Found, List as L, Missing};
    let r = req.get_ref();
    let c = s.item(&req, O::ListPopFront, &r.list_name)?;
    let popped = change_collection(&c, &r.list_name, |l: &mut List| {
        Ok(l.pop_front().map(|front| (front, len32(l.len()))))
    })?
    .flatten();
    ok(ListPopFrontResponse {
        list: Some(match popped {
            None => L::Missing(Missing {}),
            Some((front, list_length)) => L::Found(Found { front, list_length }),
        }),
    })
}

pub(super) async fn list_pop_back(
    s: &ScsService,
    req: Request<ListPopBackRequest>,
) -> Result<Response<ListPopBackResponse>, Status> {
    use list_pop_back_response::{Found, List as L, Missing};
    let r = req.get_ref();
    let c = s.item(&req, O::ListPopBack, &r.list_name)?;
    let popped = change_collection(&c, &r.list_name, |l: &mut List| {
        Ok(l.pop_back().map(|back| (back, len32(l.len()))))
    })?
    .flatten();
    ok(ListPopBackResponse {
        list: Some(match popped {
            None => L::Missing(Missing {}),
            Some((back, list_length)) => L::Found(Found { back, list_length }),
        }),
    })
}

pub(super) async fn list_erase(
    s: &ScsService,
    req: Request<ListEraseRequest>,
) -> Result<Response<ListEraseResponse>, Status> {
    use list_erase_request::Erase as E;
    use list_erase_response::{Found, List as L, Missing};
    let r = req.get_ref();
    let caller = s.gate.caller(&req)?;
    let Some(how) = &r.erase else {
        return Err(Status::invalid_argument("ListErase needs ranges or all"));
    };
    let c = s.item_with(&req, &caller, O::ListErase, &r.list_name)?;
    let left = change_collection(&c, &r.list_name, |l: &mut List| {
        match how {
            E::All(_) => l.clear(),
            E::Some(ranges) => l.erase_ranges(
                ranges
                    .ranges
                    .iter()
                    .map(|r| (r.begin_index as usize, r.count as usize)),
            ),
        }
        Ok(len32(l.len()))
    })?;
    ok(ListEraseResponse {
        list: Some(match left {
            None => L::Missing(Missing {}),
            Some(list_length) => L::Found(Found { list_length }),
        }),
    })
}

pub(super) async fn list_remove(
    s: &ScsService,
    req: Request<ListRemoveRequest>,
) -> Result<Response<ListRemoveResponse>, Status> {
    use list_remove_request::Remove;
    use list_remove_response::{Found, List as L, Missing};
    let r = req.get_ref();
    let caller = s.gate.caller(&req)?;
    let Some(Remove::AllElementsWithValue(value)) = &r.remove else {
        return Err(Status::invalid_argument("ListRemove needs a value"));
    };
    let c = s.item_with(&req, &caller, O::ListRemoveValue, &r.list_name)?;
    let left = change_collection(&c, &r.list_name, |l: &mut List| {
        l.retain(|x| x != value);
        Ok(len32(l.len()))
    })?;
    ok(ListRemoveResponse {
        list: Some(match left {
            None => L::Missing(Missing {}),
            Some(list_length) => L::Found(Found { list_length }),
        }),
    })
}

pub(super) async fn list_fetch(
    s: &ScsService,
    req: Request<ListFetchRequest>,
) -> Result<Response<ListFetchResponse>, Status> {
    use list_fetch_request::{EndIndex, StartIndex};
    use list_fetch_response::{Found, List as L, Missing};
    let r = req.get_ref();
    let c = s.item(&req, O::ListFetch, &r.list_name)?;
    let start = match r.start_index {
        Some(StartIndex::InclusiveStart(i)) => Some(i),
        _ => None,
    };
    let end = match r.end_index {
        Some(EndIndex::ExclusiveEnd(i)) => Some(i),
        _ => None,
    };
    c.read(&r.list_name, |e, _| {
        let list = match read::<List>(e)? {
            None => L::Missing(Missing {}),
            Some(l) => {
                let (s, e) = slice(l.len(), start, end);
                L::Found(Found {
                    values: l.range(s, e).cloned().collect(),
                })
            }
        };
        ok(ListFetchResponse { list: Some(list) })
    })
}

pub(super) async fn list_length(
    s: &ScsService,
    req: Request<ListLengthRequest>,
) -> Result<Response<ListLengthResponse>, Status> {
    use list_length_response::{Found, List as L, Missing};
    let r = req.get_ref();
    let c = s.item(&req, O::ListLength, &r.list_name)?;
    c.read(&r.list_name, |e, _| {
        let list = match read::<List>(e)? {
            None => L::Missing(Missing {}),
            Some(l) => L::Found(Found {
                length: len32(l.len()),
            }),
        };
        ok(ListLengthResponse { list: Some(list) })
    })
}

pub(super) async fn list_concatenate_front(
    s: &ScsService,
    req: Request<ListConcatenateFrontRequest>,
) -> Result<Response<ListConcatenateFrontResponse>, Status> {
    let r = req.get_ref();
    let c = s.item(&req, O::ListConcatenateFront, &r.list_name)?;
    elements_fit(&c, r.values.iter().map(Vec::as_slice))?;
    let list_length = write_collection(
        &c,
        &r.list_name,
        r.ttl_milliseconds,
        r.refresh_ttl,
        total(&r.values),
        |l: &mut List| Ok(push(l, &r.values, true, r.truncate_back_to_size)),
    )?;
    ok(ListConcatenateFrontResponse { list_length })
}

pub(super) async fn list_concatenate_back(
    s: &ScsService,
    req: Request<ListConcatenateBackRequest>,
) -> Result<Response<ListConcatenateBackResponse>, Status> {
    let r = req.get_ref();
    let c = s.item(&req, O::ListConcatenateBack, &r.list_name)?;
    elements_fit(&c, r.values.iter().map(Vec::as_slice))?;
    let list_length = write_collection(
        &c,
        &r.list_name,
        r.ttl_milliseconds,
        r.refresh_ttl,
        total(&r.values),
        |l: &mut List| Ok(push(l, &r.values, false, r.truncate_front_to_size)),
    )?;
    ok(ListConcatenateBackResponse { list_length })
}

pub(super) async fn list_retain(
    s: &ScsService,
    req: Request<ListRetainRequest>,
) -> Result<Response<ListRetainResponse>, Status> {
    use list_retain_request::{EndIndex, StartIndex};
    use list_retain_response::{Found, List as L, Missing};
    let r = req.get_ref();
    let c = s.item(&req, O::ListRetain, &r.list_name)?;
    let start = match r.start_index {
        Some(StartIndex::InclusiveStart(i)) => Some(i),
        _ => None,
    };
    let end = match r.end_index {
        Some(EndIndex::ExclusiveEnd(i)) => Some(i),
        _ => None,
    };
    let ttl = c.ttl(r.ttl_milliseconds)?;
    let left = c.update(&r.list_name, |slot, now| match slot {
        None => Ok(None),
        Some(e) => {
            let Value::List(l) = &mut e.value else {
                return Err(wrong_type(&e.value, "list"));
            };
            let (s, en) = slice(l.len(), start, end);
            l.keep_range(s, en);
            if r.refresh_ttl {
                e.expires = c.expiry(now, ttl);
            }
            Ok(Some(len32(l.len())))
        }
    })?;
    ok(ListRetainResponse {
        list: Some(match left {
            None => L::Missing(Missing {}),
            Some(list_length) => L::Found(Found { list_length }),
        }),
    })
}

/// Adds `values` to a list at the front (keeping their order) or at the back, then truncates it
/// from the other end to `keep` elements (0: no limit); the list's new length.
pub(super) fn push(l: &mut List, values: &[Vec<u8>], front: bool, keep: u32) -> u32 {
    if front {
        for v in values.iter().rev() {
            l.push_front(v.clone());
        }
    } else {
        for v in values {
            l.push_back(v.clone());
        }
    }
    truncate(l, keep, !front);
    len32(l.len())
}

/// Truncates a list to at most `size` elements (0: no limit), from the front or the back.
pub(super) fn truncate(l: &mut List, size: u32, from_front: bool) {
    let size = size as usize;
    if size == 0 {
        return;
    }
    while l.len() > size {
        if from_front {
            l.pop_front();
        } else {
            l.pop_back();
        }
    }
}
