//! The one table from Momento's RPCs to fgac's operations.
//!
//! Every RPC of the services this server speaks (the cache data plane `Scs`, topics `Pubsub`,
//! the control plane `ScsControl`, and minting: `Token` and `Auth`) has exactly one row: its
//! gRPC path, the operations a call of it may be authorized as (one per shape of the request:
//! `UpdateTtl` is `increase_ttl`, `decrease_ttl` or `update_ttl` by its oneof), and whether this
//! server gives it data semantics. A layer ([`crate::call`]) records each call's row from the
//! path it came in on, and [`crate::auth::Gate`] authorizes a call only as an operation of that
//! row (fail closed): a handler names an operation, never a row, so this table is what a call can
//! ever be allowed as. `tests/rpc_table.rs` checks that the rows are exactly the
//! RPCs of the generated server traits: a protos upgrade that adds an RPC fails that test.

use fgac::Operation;
use fgac::Operation as O;

/// What this server does with an RPC once it is authorized.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Semantics {
    /// Served, with real data.
    Real,
    /// Authorized, then answered UNIMPLEMENTED (listed in the guide, `docs/src/momento.md`).
    Unimplemented,
    /// Refused before any authorization: the RPC needs something fgac does not model.
    Refused,
}

/// One RPC: its path, the operations it is authorized as, and what the server does with it.
#[derive(Clone, Copy, Debug)]
pub struct Rpc {
    /// The gRPC path, `/package.Service/Method`.
    pub path: &'static str,
    /// The operations a call may be authorized as, by the shape of its request.
    pub ops: &'static [Operation],
    /// Whether the server serves it.
    pub semantics: Semantics,
}

macro_rules! table {
    ($( $id:ident = $path:literal => [$($op:ident),*] $sem:ident; )*) => {
        /// An RPC of the table, by name.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[allow(missing_docs)]
        pub enum Id { $( $id, )* }

        impl Id {
            /// The RPC at the gRPC path `path`.
            #[must_use]
            pub fn from_path(path: &str) -> Option<Id> {
                match path {
                    $( $path => Some(Id::$id), )*
                    _ => None,
                }
            }
        }

        /// Every RPC, in the table's order (indexed by [`Id`]).
        pub const RPCS: &[Rpc] = &[ $( Rpc {
            path: $path,
            ops: &[$(O::$op),*],
            semantics: Semantics::$sem,
        }, )* ];
    };
}

table! {
    // Cache data plane (`cache_client.Scs`): the cache name is the `cache` header.
    Get = "/cache_client.Scs/Get" => [Get] Real;
    GetWithHash = "/cache_client.Scs/GetWithHash" => [GetWithHash] Real;
    GetBatch = "/cache_client.Scs/GetBatch" => [GetBatch] Real;
    Set = "/cache_client.Scs/Set" => [Set] Real;
    SetBatch = "/cache_client.Scs/SetBatch" => [SetBatch] Real;
    SetIf = "/cache_client.Scs/SetIf" => [SetIfPresent, SetIfPresentAndNotEqual, SetIfAbsent, SetIfEqual, SetIfAbsentOrEqual, SetIfNotEqual] Real;
    SetIfHash = "/cache_client.Scs/SetIfHash" => [SetIfHash] Real;
    SetIfNotExists = "/cache_client.Scs/SetIfNotExists" => [SetIfNotExists] Real;
    Delete = "/cache_client.Scs/Delete" => [Delete] Real;
    KeysExist = "/cache_client.Scs/KeysExist" => [KeysExist] Real;
    Increment = "/cache_client.Scs/Increment" => [Increment] Real;
    UpdateTtl = "/cache_client.Scs/UpdateTtl" => [IncreaseTtl, DecreaseTtl, UpdateTtl] Real;
    ItemGetTtl = "/cache_client.Scs/ItemGetTtl" => [ItemGetTtl] Real;
    ItemGetType = "/cache_client.Scs/ItemGetType" => [ItemGetType] Real;
    DictionaryGet = "/cache_client.Scs/DictionaryGet" => [DictionaryGetField, DictionaryGetFields] Real;
    DictionaryFetch = "/cache_client.Scs/DictionaryFetch" => [DictionaryFetch] Real;
    DictionarySet = "/cache_client.Scs/DictionarySet" => [DictionarySetField, DictionarySetFields] Real;
    DictionaryIncrement = "/cache_client.Scs/DictionaryIncrement" => [DictionaryIncrement] Real;
    // Removing every field deletes the dictionary: a blind write of the whole item.
    DictionaryDelete = "/cache_client.Scs/DictionaryDelete" => [DictionaryRemoveField, DictionaryRemoveFields, Delete] Real;
    DictionaryLength = "/cache_client.Scs/DictionaryLength" => [DictionaryLength] Real;
    SetFetch = "/cache_client.Scs/SetFetch" => [SetFetch] Real;
    SetSample = "/cache_client.Scs/SetSample" => [SetSample] Real;
    SetUnion = "/cache_client.Scs/SetUnion" => [SetAddElement, SetAddElements] Real;
    // A subtrahend removes the elements given (or, as the set's identity, the whole set); a
    // minuend replaces the set by the request's elements minus the stored ones, which reads the
    // set and writes it (authorized as both `set_fetch` and `set_add_elements`).
    SetDifference = "/cache_client.Scs/SetDifference" => [SetRemoveElement, SetRemoveElements, Delete, SetFetch, SetAddElements] Real;
    SetContains = "/cache_client.Scs/SetContains" => [SetContainsElement, SetContainsElements] Real;
    SetLength = "/cache_client.Scs/SetLength" => [SetLength] Real;
    SetPop = "/cache_client.Scs/SetPop" => [SetPop] Real;
    ListPushFront = "/cache_client.Scs/ListPushFront" => [ListPushFront] Real;
    ListPushBack = "/cache_client.Scs/ListPushBack" => [ListPushBack] Real;
    ListPopFront = "/cache_client.Scs/ListPopFront" => [ListPopFront] Real;
    ListPopBack = "/cache_client.Scs/ListPopBack" => [ListPopBack] Real;
    ListErase = "/cache_client.Scs/ListErase" => [ListErase] Real;
    ListRemove = "/cache_client.Scs/ListRemove" => [ListRemoveValue] Real;
    ListFetch = "/cache_client.Scs/ListFetch" => [ListFetch] Real;
    ListLength = "/cache_client.Scs/ListLength" => [ListLength] Real;
    ListConcatenateFront = "/cache_client.Scs/ListConcatenateFront" => [ListConcatenateFront] Real;
    ListConcatenateBack = "/cache_client.Scs/ListConcatenateBack" => [ListConcatenateBack] Real;
    ListRetain = "/cache_client.Scs/ListRetain" => [ListRetain] Real;
    SortedSetPut = "/cache_client.Scs/SortedSetPut" => [SortedSetPutElement, SortedSetPutElements] Real;
    SortedSetFetch = "/cache_client.Scs/SortedSetFetch" => [SortedSetFetchByRank, SortedSetFetchByScore] Real;
    SortedSetGetScore = "/cache_client.Scs/SortedSetGetScore" => [SortedSetGetScore, SortedSetGetScores] Real;
    // Removing every element deletes the sorted set: a blind write of the whole item.
    SortedSetRemove = "/cache_client.Scs/SortedSetRemove" => [SortedSetRemoveElement, SortedSetRemoveElements, Delete] Real;
    SortedSetIncrement = "/cache_client.Scs/SortedSetIncrement" => [SortedSetIncrementScore] Real;
    SortedSetGetRank = "/cache_client.Scs/SortedSetGetRank" => [SortedSetGetRank] Real;
    SortedSetLength = "/cache_client.Scs/SortedSetLength" => [SortedSetLength] Real;
    SortedSetLengthByScore = "/cache_client.Scs/SortedSetLengthByScore" => [SortedSetLengthByScore] Real;
    SortedSetUnionStore = "/cache_client.Scs/SortedSetUnionStore" => [SortedSetUnionStore] Real;

    // Topics (`cache_client.pubsub.Pubsub`): cache and topic are in the request body.
    Publish = "/cache_client.pubsub.Pubsub/Publish" => [Publish] Real;
    Subscribe = "/cache_client.pubsub.Pubsub/Subscribe" => [Subscribe] Real;

    // Control plane (`control_client.ScsControl`).
    CreateCache = "/control_client.ScsControl/CreateCache" => [CreateCache] Real;
    DeleteCache = "/control_client.ScsControl/DeleteCache" => [DeleteCache] Real;
    ListCaches = "/control_client.ScsControl/ListCaches" => [ListCaches] Real;
    FlushCache = "/control_client.ScsControl/FlushCache" => [FlushCache] Real;
    // Signing keys live in the trust file, which its administrator edits (`fgac keygen`);
    // a server that wrote them from an RPC would hand out private keys over the wire.
    CreateSigningKey = "/control_client.ScsControl/CreateSigningKey" => [CreateSigningKey] Unimplemented;
    RevokeSigningKey = "/control_client.ScsControl/RevokeSigningKey" => [RevokeSigningKey] Real;
    ListSigningKeys = "/control_client.ScsControl/ListSigningKeys" => [ListSigningKeys] Real;
    // Vector indexes: authorized as resources, not stored.
    CreateIndex = "/control_client.ScsControl/CreateIndex" => [CreateIndex] Unimplemented;
    DeleteIndex = "/control_client.ScsControl/DeleteIndex" => [DeleteIndex] Unimplemented;
    ListIndexes = "/control_client.ScsControl/ListIndexes" => [ListIndexes] Unimplemented;

    // Minting (`token.Token`, `auth.Auth`): through fgac's mint, at most what the caller holds.
    GenerateDisposableToken = "/token.Token/GenerateDisposableToken" => [GenerateDisposableToken] Real;
    GenerateApiToken = "/auth.Auth/GenerateApiToken" => [GenerateApiKey] Real;
    RefreshApiToken = "/auth.Auth/RefreshApiToken" => [RefreshApiKey] Real;
    // An interactive browser login for the console: there is no credential to authorize it with.
    Login = "/auth.Auth/Login" => [] Refused;
}

impl Id {
    /// The RPC's row.
    #[must_use]
    pub fn rpc(self) -> &'static Rpc {
        &RPCS[self as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_index_their_rows() {
        assert_eq!(Id::Get.rpc().path, "/cache_client.Scs/Get");
        assert_eq!(Id::Login.rpc().path, "/auth.Auth/Login");
        assert_eq!(Id::SortedSetUnionStore.rpc().ops, &[O::SortedSetUnionStore]);
        for (i, rpc) in RPCS.iter().enumerate() {
            assert_eq!(Id::from_path(rpc.path).map(|id| id as usize), Some(i));
        }
        assert_eq!(Id::from_path("/cache_client.Scs/Nope"), None);
    }

    #[test]
    fn paths_are_unique_and_refused_rows_authorize_nothing() {
        for (i, a) in RPCS.iter().enumerate() {
            assert!(RPCS[i + 1..].iter().all(|b| b.path != a.path), "{}", a.path);
            assert_eq!(
                a.semantics == Semantics::Refused,
                a.ops.is_empty(),
                "{}",
                a.path
            );
        }
    }
}
