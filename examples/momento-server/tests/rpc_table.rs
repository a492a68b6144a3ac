//! The RPC table covers exactly the RPCs of the generated server traits: read from the source of
//! the `momento-protos` crate this server is built with, so that a protos upgrade that adds an
//! RPC (or a service) fails here instead of slipping through.

use fgac_momento_server::rpc::{RPCS, Semantics};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

/// The services this server serves, by gRPC name.
const SERVED: &[&str] = &[
    "cache_client.Scs",
    "cache_client.pubsub.Pubsub",
    "control_client.ScsControl",
    "token.Token",
    "auth.Auth",
];

/// Services of the protos this server does not serve (a client gets UNIMPLEMENTED from the
/// router, before any handler): Momento's leaderboards and functions are not part of fgac's
/// model.
const NOT_SERVED: &[&str] = &[
    "leaderboard.Leaderboard",
    "function.FunctionRegistry",
    "function.FunctionHost",
];

/// The source directory of the momento-protos crate in this build.
fn protos_source() -> PathBuf {
    let out = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--locked"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let manifest = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "momento-protos")
        .expect("momento-protos is a dependency")["manifest_path"]
        .as_str()
        .unwrap()
        .to_owned();
    PathBuf::from(manifest).parent().unwrap().join("src")
}

/// Every route of every generated server: the `"/package.Service/Method" =>` arms of their
/// `call` dispatch.
fn generated_routes() -> BTreeSet<String> {
    let mut routes = BTreeSet::new();
    for entry in std::fs::read_dir(protos_source()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for line in text.lines() {
            let line = line.trim();
            if let Some(rest) = line.strip_prefix("\"/")
                && let Some((route, tail)) = rest.split_once('"')
                && tail.trim_start().starts_with("=>")
            {
                routes.insert(format!("/{route}"));
            }
        }
    }
    assert!(routes.len() > 50, "the routes were not found: {routes:?}");
    routes
}

fn service_of(route: &str) -> &str {
    route[1..].rsplit_once('/').unwrap().0
}

#[test]
fn every_rpc_of_every_served_service_has_exactly_one_row() {
    let routes = generated_routes();
    let served: BTreeSet<String> = routes
        .iter()
        .filter(|r| SERVED.contains(&service_of(r)))
        .cloned()
        .collect();
    let table: BTreeSet<String> = RPCS.iter().map(|r| r.path.to_owned()).collect();
    assert_eq!(table.len(), RPCS.len(), "a path has two rows");
    let missing: Vec<_> = served.difference(&table).collect();
    let stale: Vec<_> = table.difference(&served).collect();
    assert!(
        missing.is_empty(),
        "RPCs without a row in rpc.rs: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "rows for RPCs the protos do not have: {stale:?}"
    );
}

#[test]
fn every_service_is_served_or_named_as_not_served() {
    let services: BTreeSet<String> = generated_routes()
        .iter()
        .map(|r| service_of(r).to_owned())
        .collect();
    for s in &services {
        assert!(
            SERVED.contains(&s.as_str()) || NOT_SERVED.contains(&s.as_str()),
            "a service neither served nor named as not served: {s}"
        );
    }
    for s in SERVED.iter().chain(NOT_SERVED) {
        assert!(services.contains(*s), "no such service in the protos: {s}");
    }
}

#[test]
fn every_row_authorizes_as_operations_on_its_services_resources() {
    use fgac::Need;
    for r in RPCS {
        if r.semantics == Semantics::Refused {
            assert!(r.ops.is_empty(), "{}", r.path);
            continue;
        }
        assert!(!r.ops.is_empty(), "{}", r.path);
        for (i, op) in r.ops.iter().enumerate() {
            assert!(!r.ops[i + 1..].contains(op), "{}: {op} twice", r.path);
            // A data-plane call is decided on items, a topic call on topics, and the control
            // plane and minting on the account's rights: never a cheaper kind of right.
            let fits = match service_of(r.path) {
                "cache_client.Scs" => matches!(op.need(), Need::Item(_)),
                "cache_client.pubsub.Pubsub" => matches!(op.need(), Need::Topic(_)),
                _ => matches!(op.need(), Need::Account(_)),
            };
            assert!(
                fits,
                "{} authorized as {op}, which needs {:?}",
                r.path,
                op.need()
            );
        }
    }
}
