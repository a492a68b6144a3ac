//! The minting RPCs mint exactly what fgac's strict reader reads, from the bytes the client sent:
//! a role given twice (prost keeps the last), an item oneof set twice (prost keeps the last: all
//! items), an unknown field (prost drops it) and the permissions field given twice (prost merges
//! both) are refused as INVALID_ARGUMENT, as `fgac convert` refuses them, and the well-formed
//! message they are made from is minted.

mod common;

use tonic::Code;
use tonic::client::Grpc;
use tonic::codegen::http::uri::PathAndQuery;

/// A GenerateDisposableTokenRequest written field by field: `permissions` holds the bytes of
/// each `permissions` field (one normally; two to give it twice).
#[derive(Clone, PartialEq, prost::Message)]
struct RawTokenRequest {
    #[prost(message, optional, tag = "1")]
    expires: Option<Expires>,
    #[prost(string, tag = "2")]
    auth_token: String,
    #[prost(bytes = "vec", repeated, tag = "3")]
    permissions: Vec<Vec<u8>>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct Expires {
    #[prost(uint32, tag = "1")]
    valid_for_seconds: u32,
}

/// The response, whatever it holds.
#[derive(Clone, PartialEq, prost::Message)]
struct Any {}

fn varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn int(tag: u32, v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    varint(u64::from(tag << 3), &mut out);
    varint(v, &mut out);
    out
}

fn field(tag: u32, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    varint(u64::from((tag << 3) | 2), &mut out);
    varint(body.len() as u64, &mut out);
    out.extend_from_slice(body);
    out
}

/// `Permissions { explicit { permissions: [ { cache_permissions: CACHE } ] } }`.
fn permissions(cache_permissions: &[u8]) -> Vec<u8> {
    field(2, &field(1, &field(1, cache_permissions)))
}

/// CachePermissions: role read-only (2), cache "app", items with the prefix `user:7:`.
fn cache_permissions(extra: &[u8]) -> Vec<u8> {
    [
        int(1, 2),
        field(3, &field(1, b"app")),
        field(5, &field(2, b"user:7:")),
        extra.to_vec(),
    ]
    .concat()
}

async fn mint(server: &common::Server, parts: Vec<Vec<u8>>) -> Result<(), tonic::Status> {
    let minter = server.key("minter");
    let mut req = tonic::Request::new(RawTokenRequest {
        expires: Some(Expires {
            valid_for_seconds: 60,
        }),
        auth_token: minter.clone(),
        permissions: parts,
    });
    req.metadata_mut()
        .insert("authorization", minter.parse().unwrap());
    let mut grpc = Grpc::new(server.channel().await);
    grpc.ready().await.unwrap();
    grpc.unary(
        req,
        PathAndQuery::from_static("/token.Token/GenerateDisposableToken"),
        tonic_prost::ProstCodec::<RawTokenRequest, Any>::default(),
    )
    .await
    .map(|_| ())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mint_requests_are_read_as_strictly_as_fgac_reads_them() {
    let server = common::start();
    // Well formed: minted.
    mint(&server, vec![permissions(&cache_permissions(&[]))])
        .await
        .expect("a well-formed request mints");
    for (what, parts) in [
        (
            "a role given twice (prost keeps read-write)",
            vec![permissions(&cache_permissions(&int(1, 1)))],
        ),
        (
            "the item oneof set twice (prost keeps all items)",
            vec![permissions(&cache_permissions(&field(4, &[])))],
        ),
        (
            "an unknown field (prost drops it)",
            vec![permissions(&cache_permissions(&field(9, b"x")))],
        ),
        (
            "the permissions field twice (prost merges them)",
            vec![
                permissions(&cache_permissions(&[])),
                permissions(&cache_permissions(&[])),
            ],
        ),
    ] {
        let refused = mint(&server, parts).await.expect_err(what);
        assert_eq!(refused.code(), Code::InvalidArgument, "{what}: {refused:?}");
        let m = refused.message();
        for shape in ["Some(", "Timestamp(", "\\u{a}"] {
            assert!(!m.contains(shape), "{what}: {m}");
        }
        println!("{what}: {m}");
    }
    // What the library refuses for the same bytes.
    let bad = permissions(&cache_permissions(&int(1, 1)));
    assert!(fgac::syntax::protobuf::read_permissions(&bad, &fgac::Limits::default()).is_err());
}
