//! Every RPC of the table, called on the running server by its path: without a credential, or
//! with one that is not a credential, each is refused as UNAUTHENTICATED before it does anything
//! (the refused `Login` is UNIMPLEMENTED); and a well-formed credential with no right to the
//! call is refused too. The request is an empty message, which every RPC's request type reads.

mod common;

use fgac_momento_server::rpc::{RPCS, Semantics};
use tonic::Code;
use tonic::client::Grpc;
use tonic::codegen::http::uri::PathAndQuery;
use tonic::transport::Channel;

/// An empty message: decodes as any request type with every field unset.
#[derive(Clone, PartialEq, prost::Message)]
struct Empty {}

async fn call(grpc: &mut Grpc<Channel>, path: &'static str, key: Option<&str>) -> tonic::Status {
    let mut req = tonic::Request::new(Empty {});
    if let Some(k) = key {
        req.metadata_mut()
            .insert("authorization", k.parse().unwrap());
    }
    req.metadata_mut().insert("cache", "app".parse().unwrap());
    grpc.ready().await.unwrap();
    let codec = tonic_prost::ProstCodec::<Empty, Empty>::default();
    match grpc
        .unary(req, PathAndQuery::from_static(path), codec)
        .await
    {
        Ok(_) => tonic::Status::ok("allowed"),
        Err(status) => status,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rpc_refuses_a_caller_without_a_credential() {
    let server = common::start();
    let mut grpc = Grpc::new(server.channel().await);
    for rpc in RPCS {
        for key in [None, Some("not-a-credential")] {
            let status = call(&mut grpc, rpc.path, key).await;
            let want = if rpc.semantics == Semantics::Refused {
                Code::Unimplemented
            } else {
                Code::Unauthenticated
            };
            assert_eq!(status.code(), want, "{} with {key:?}: {status:?}", rpc.path);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_rpc_is_allowed_to_a_credential_without_rights_to_it() {
    // `reader` may only read `user:` keys of `app`; an empty request names no such key, no topic
    // it may use, and no account right, so every RPC is refused (or, for a request that names
    // nothing at all to decide on, rejected as invalid) and none is served.
    let server = common::start();
    let reader = server.key("reader");
    let mut grpc = Grpc::new(server.channel().await);
    for rpc in RPCS.iter().filter(|r| r.semantics != Semantics::Refused) {
        let status = call(&mut grpc, rpc.path, Some(&reader)).await;
        assert!(
            matches!(
                status.code(),
                Code::PermissionDenied | Code::InvalidArgument
            ),
            "{}: {status:?}",
            rpc.path
        );
    }
}

/// A handler is authorized only as an operation of its own row (the row comes from the path the
/// call came in on): a denied call names an operation of that row, and no call, even a super
/// user's, is answered "not authorized as" an operation outside it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_handler_authorizes_as_its_own_row() {
    let server = common::start();
    let mut grpc = Grpc::new(server.channel().await);
    let (reader, admin) = (server.key("reader"), server.key("admin"));
    let mut named = 0;
    for rpc in RPCS.iter().filter(|r| r.semantics != Semantics::Refused) {
        let status = call(&mut grpc, rpc.path, Some(&reader)).await;
        if status.code() == Code::PermissionDenied {
            // "fgac: OP on RESOURCE denied: REASON"
            let op = status
                .message()
                .strip_prefix("fgac: ")
                .and_then(|m| m.split(' ').next())
                .unwrap_or_default();
            assert!(
                rpc.ops.iter().any(|o| o.name() == op),
                "{} was authorized as `{op}`, not an operation of its row {:?}",
                rpc.path,
                rpc.ops
            );
            named += 1;
        }
        let status = call(&mut grpc, rpc.path, Some(&admin)).await;
        assert!(
            !(status.code() == Code::Internal && status.message().contains("not authorized as")),
            "{}: {status:?}",
            rpc.path
        );
    }
    assert!(named > 40, "only {named} rows were checked by a denial");
}
