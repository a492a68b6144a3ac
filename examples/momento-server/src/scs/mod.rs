//! The cache data plane (`cache_client.Scs`): every call authorized, then served from memory.
//!
//! One module per data type (scalars, dictionaries, sets, lists, sorted sets), each handler a
//! function of its module; the service's trait is a table from each RPC to its handler.

mod dictionaries;
mod lists;
mod scalars;
mod sets;
mod sorted_sets;

use crate::auth::{Caller, Gate, cache_header};
use crate::data::{Cache, Data, Entry, Ttl, Value, element_too_large, too_large, wrong_type};
use fgac::Operation as O;
use fgac::Resource;
use momento_protos::cache_client::scs_server::Scs;
use momento_protos::cache_client::*;
use std::sync::Arc;
use std::time::Instant;
use tonic::{Request, Response, Status};

/// The data-plane service.
pub struct ScsService {
    gate: Gate,
    data: Arc<Data>,
}

impl ScsService {
    /// A service deciding with `gate` over `data`.
    #[must_use]
    pub fn new(gate: Gate, data: Arc<Data>) -> ScsService {
        ScsService { gate, data }
    }

    /// Authorizes `op` of `rpc` on the item `key` of the call's cache; returns the cache.
    fn item<T>(&self, req: &Request<T>, op: O, key: &[u8]) -> Result<Arc<Cache>, Status> {
        let caller = self.gate.caller(req)?;
        self.item_with(req, &caller, op, key)
    }

    /// As [`ScsService::item`], for a caller already resolved (handlers that check their request's
    /// shape resolve the caller first, so that an unauthenticated call learns nothing).
    fn item_with<T>(
        &self,
        req: &Request<T>,
        caller: &Caller,
        op: O,
        key: &[u8],
    ) -> Result<Arc<Cache>, Status> {
        let cache = cache_header(req)?;
        self.gate.check(caller, op, Resource::item(cache, key))?;
        self.data.cache(cache)
    }

    /// Authorizes a multi-key `op` of `rpc` on `keys` of the call's cache.
    fn batch<'k, T>(
        &self,
        req: &Request<T>,
        op: O,
        keys: impl IntoIterator<Item = &'k [u8]> + Clone,
    ) -> Result<Arc<Cache>, Status> {
        let caller = self.gate.caller(req)?;
        let cache = cache_header(req)?;
        self.gate.check_batch(&caller, op, cache, keys)?;
        self.data.cache(cache)
    }
}

pub(crate) fn ok<T>(t: T) -> Result<Response<T>, Status> {
    Ok(Response::new(t))
}

/// One of two operations, by how many elements a call names.
fn one_or_many(n: usize, one: O, many: O) -> O {
    if n == 1 { one } else { many }
}

/// The scalar at an item: `None` when absent, an error for another type.
fn scalar(e: Option<&Entry>) -> Result<Option<&Vec<u8>>, Status> {
    match e.map(|e| &e.value) {
        None => Ok(None),
        Some(Value::Scalar(b)) => Ok(Some(b)),
        Some(v) => Err(wrong_type(v, "scalar")),
    }
}

/// Refuses a scalar item larger than the limit (its key and value), before anything is stored.
fn fits(c: &Cache, key: &[u8], value: &[u8]) -> Result<(), Status> {
    let bytes = key.len() + value.len();
    if bytes > c.limits().max_item_bytes {
        return Err(too_large(bytes, c.limits()));
    }
    Ok(())
}

/// Refuses collection elements (fields, values, members) larger than the element limit.
fn elements_fit<'a>(c: &Cache, elements: impl IntoIterator<Item = &'a [u8]>) -> Result<(), Status> {
    let max = c.limits().max_element_bytes;
    match elements.into_iter().find(|e| e.len() > max) {
        Some(e) => Err(element_too_large(e.len(), c.limits())),
        None => Ok(()),
    }
}

/// Stores the scalar `value` at the slot of `key` (checked by [`fits`] before).
fn set_scalar(c: &Cache, slot: &mut Option<Entry>, now: Instant, value: Vec<u8>, ttl: Ttl) {
    *slot = Some(Entry {
        value: Value::Scalar(value),
        expires: c.expiry(now, ttl),
    });
}

/// The bytes of `elements`.
fn total<'a>(elements: impl IntoIterator<Item = &'a Vec<u8>>) -> usize {
    elements.into_iter().map(Vec::len).sum()
}

fn parse_i64(bytes: &[u8]) -> Result<i64, Status> {
    std::str::from_utf8(bytes)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| Status::failed_precondition("the value is not an integer"))
}

/// `[start, end)` of a Python-style slice of `len` elements (negative indexes count from the
/// end; out-of-range bounds are clamped).
fn slice(len: usize, start: Option<i32>, end: Option<i32>) -> (usize, usize) {
    let len_i = i64::try_from(len).unwrap_or(i64::MAX);
    let at = |i: i32| -> usize {
        let i = i64::from(i);
        let i = if i < 0 { len_i + i } else { i };
        usize::try_from(i.clamp(0, len_i)).unwrap_or(0)
    };
    let s = start.map_or(0, at);
    let e = end.map_or(len, at);
    (s, e.max(s))
}

fn len32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The items of a batch answer, streamed.
pub type BatchStream<T> = tokio_stream::Iter<std::vec::IntoIter<Result<T, Status>>>;

/// The service's trait: each RPC to the handler of its module.
macro_rules! served {
    ($($module:ident::$method:ident($req:ty) -> $resp:ty;)*) => {
        #[tonic::async_trait]
        impl Scs for ScsService {
            type GetBatchStream = BatchStream<GetResponse>;
            type SetBatchStream = BatchStream<SetResponse>;

            $(
                async fn $method(&self, req: Request<$req>) -> Result<Response<$resp>, Status> {
                    $module::$method(self, req).await
                }
            )*
        }
    };
}

served! {
    scalars::get(GetRequest) -> GetResponse;
    scalars::get_with_hash(GetWithHashRequest) -> GetWithHashResponse;
    scalars::get_batch(GetBatchRequest) -> Self::GetBatchStream;
    scalars::set(SetRequest) -> SetResponse;
    scalars::set_batch(SetBatchRequest) -> Self::SetBatchStream;
    scalars::set_if(SetIfRequest) -> SetIfResponse;
    scalars::set_if_hash(SetIfHashRequest) -> SetIfHashResponse;
    scalars::set_if_not_exists(SetIfNotExistsRequest) -> SetIfNotExistsResponse;
    scalars::delete(DeleteRequest) -> DeleteResponse;
    scalars::keys_exist(KeysExistRequest) -> KeysExistResponse;
    scalars::increment(IncrementRequest) -> IncrementResponse;
    scalars::update_ttl(UpdateTtlRequest) -> UpdateTtlResponse;
    scalars::item_get_ttl(ItemGetTtlRequest) -> ItemGetTtlResponse;
    scalars::item_get_type(ItemGetTypeRequest) -> ItemGetTypeResponse;
    dictionaries::dictionary_get(DictionaryGetRequest) -> DictionaryGetResponse;
    dictionaries::dictionary_fetch(DictionaryFetchRequest) -> DictionaryFetchResponse;
    dictionaries::dictionary_set(DictionarySetRequest) -> DictionarySetResponse;
    dictionaries::dictionary_increment(DictionaryIncrementRequest) -> DictionaryIncrementResponse;
    dictionaries::dictionary_delete(DictionaryDeleteRequest) -> DictionaryDeleteResponse;
    dictionaries::dictionary_length(DictionaryLengthRequest) -> DictionaryLengthResponse;
    sets::set_fetch(SetFetchRequest) -> SetFetchResponse;
    sets::set_sample(SetSampleRequest) -> SetSampleResponse;
    sets::set_union(SetUnionRequest) -> SetUnionResponse;
    sets::set_difference(SetDifferenceRequest) -> SetDifferenceResponse;
    sets::set_contains(SetContainsRequest) -> SetContainsResponse;
    sets::set_length(SetLengthRequest) -> SetLengthResponse;
    sets::set_pop(SetPopRequest) -> SetPopResponse;
    lists::list_push_front(ListPushFrontRequest) -> ListPushFrontResponse;
    lists::list_push_back(ListPushBackRequest) -> ListPushBackResponse;
    lists::list_pop_front(ListPopFrontRequest) -> ListPopFrontResponse;
    lists::list_pop_back(ListPopBackRequest) -> ListPopBackResponse;
    lists::list_erase(ListEraseRequest) -> ListEraseResponse;
    lists::list_remove(ListRemoveRequest) -> ListRemoveResponse;
    lists::list_fetch(ListFetchRequest) -> ListFetchResponse;
    lists::list_length(ListLengthRequest) -> ListLengthResponse;
    lists::list_concatenate_front(ListConcatenateFrontRequest) -> ListConcatenateFrontResponse;
    lists::list_concatenate_back(ListConcatenateBackRequest) -> ListConcatenateBackResponse;
    lists::list_retain(ListRetainRequest) -> ListRetainResponse;
    sorted_sets::sorted_set_put(SortedSetPutRequest) -> SortedSetPutResponse;
    sorted_sets::sorted_set_fetch(SortedSetFetchRequest) -> SortedSetFetchResponse;
    sorted_sets::sorted_set_get_score(SortedSetGetScoreRequest) -> SortedSetGetScoreResponse;
    sorted_sets::sorted_set_remove(SortedSetRemoveRequest) -> SortedSetRemoveResponse;
    sorted_sets::sorted_set_increment(SortedSetIncrementRequest) -> SortedSetIncrementResponse;
    sorted_sets::sorted_set_get_rank(SortedSetGetRankRequest) -> SortedSetGetRankResponse;
    sorted_sets::sorted_set_length(SortedSetLengthRequest) -> SortedSetLengthResponse;
    sorted_sets::sorted_set_length_by_score(SortedSetLengthByScoreRequest) -> SortedSetLengthByScoreResponse;
    sorted_sets::sorted_set_union_store(SortedSetUnionStoreRequest) -> SortedSetUnionStoreResponse;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{
        Dictionary as Dict, List, Set, SortedSet as Sorted, change_collection, read,
        write_collection,
    };
    use lists::{push, truncate};

    #[test]
    fn slices_count_from_the_end_and_clamp() {
        assert_eq!(slice(5, None, None), (0, 5));
        assert_eq!(slice(5, Some(1), Some(-1)), (1, 4));
        assert_eq!(slice(5, Some(-2), None), (3, 5));
        assert_eq!(slice(5, Some(9), Some(2)), (5, 5));
        assert_eq!(slice(0, Some(-3), Some(-1)), (0, 0));
    }

    fn elements(l: &List) -> Vec<Vec<u8>> {
        l.range(0, l.len()).cloned().collect()
    }

    #[test]
    fn lists_truncate_from_the_side_named() {
        let mut l: List = (0u8..5).map(|i| vec![i]).collect();
        truncate(&mut l, 3, true);
        assert_eq!(elements(&l), [vec![2], vec![3], vec![4]]);
        truncate(&mut l, 2, false);
        assert_eq!(elements(&l), [vec![2], vec![3]]);
        truncate(&mut l, 0, false);
        assert_eq!(l.len(), 2);
        assert_eq!(l.bytes(), 2);
    }

    #[test]
    fn pushes_keep_the_order_given_and_truncate_the_other_end() {
        let v = |xs: &[u8]| xs.iter().map(|x| vec![*x]).collect::<Vec<_>>();
        let mut l: List = v(&[3, 4]).into_iter().collect();
        assert_eq!(push(&mut l, &v(&[1, 2]), true, 0), 4);
        assert_eq!(elements(&l), v(&[1, 2, 3, 4]));
        assert_eq!(push(&mut l, &v(&[5, 6]), false, 3), 3);
        assert_eq!(elements(&l), v(&[4, 5, 6]));
        assert_eq!(push(&mut l, &v(&[0]), true, 2), 2);
        assert_eq!(elements(&l), v(&[0, 4]));
    }

    fn cache(limits: crate::data::Limits) -> Arc<Cache> {
        let data = Data::new(std::time::Duration::from_secs(60), limits);
        data.create("c").unwrap();
        data.cache("c").unwrap()
    }

    #[test]
    fn collections_of_another_type_are_refused_untouched() {
        let c = cache(crate::data::Limits::default());
        write_collection(&c, b"k", 0, false, 1, |s: &mut Set| {
            s.insert(b"x".to_vec());
            Ok(())
        })
        .unwrap();
        let refused = write_collection(&c, b"k", 0, true, 1, |l: &mut List| {
            l.push_back(b"y".to_vec());
            Ok(())
        })
        .unwrap_err();
        assert_eq!(refused.message(), "the item is a set, not a list");
        let refused = change_collection(&c, b"k", |d: &mut Dict| Ok(d.len())).unwrap_err();
        assert_eq!(refused.message(), "the item is a set, not a dictionary");
        assert!(
            change_collection(&c, b"absent", |l: &mut List| Ok(l.len()))
                .unwrap()
                .is_none()
        );
        let set = c.read(b"k", |e, _| {
            read::<Set>(e).map(|s| s.map(|s| s.iter().cloned().collect::<Vec<_>>()))
        });
        assert_eq!(set.unwrap(), Some(vec![b"x".to_vec()]));
        assert!(c.read(b"k", |e, _| read::<Sorted>(e).map(|_| ())).is_err());
    }

    /// A write that would pass the item size limit is refused and leaves the item as it was,
    /// whatever `grows` promised; one that fits is applied.
    #[test]
    fn writes_past_the_item_size_limit_are_refused_untouched() {
        let c = cache(crate::data::Limits {
            max_item_bytes: 10,
            ..crate::data::Limits::default()
        });
        let add = |c: &Cache, e: &[u8]| {
            write_collection(c, b"k", 0, false, e.len(), |s: &mut Set| {
                s.insert(e.to_vec());
                Ok(())
            })
        };
        add(&c, b"abcd").unwrap();
        add(&c, b"ef").unwrap(); // key 1 + 6 bytes
        let refused = add(&c, b"ghijk").unwrap_err();
        assert!(
            refused.message().contains("item size limit"),
            "{}",
            refused.message()
        );
        let size = c.read(b"k", |e, _| e.map(|e| e.value.bytes()));
        assert_eq!(size, Some(6));
        // An element already there adds nothing, and fits even at the limit.
        add(&c, b"abcd").unwrap();
        assert!(fits(&c, b"k", b"123456789").is_ok());
        assert!(fits(&c, b"k", b"1234567890").is_err());
    }
}
