//! The compiled structure's size: reported per grant for generated policies, and bounded so that a
//! change that bloats it fails here (memory is deterministic, unlike time).

mod common;

use common::policy;
use fgac::{Authorizer, Limits, Operation, Resource, Timestamp};

#[test]
fn memory_per_grant_stays_small() {
    for n in [20, 1_000, 10_000] {
        let doc = policy::generated(n);
        let authz = Authorizer::compile_with(&doc, &Limits::unbounded()).unwrap();
        let bytes = authz.memory_usage();
        let names = policy::selector_bytes(&doc);
        let per_grant = (bytes - names.min(bytes)) as f64 / n as f64;
        println!(
            "{n} grants: {bytes} bytes compiled, {names} bytes of names, {per_grant:.1} bytes per grant beyond the names"
        );
        // Radix nodes (25 bytes each, at most two per selector), interned cells, and profiles.
        if n >= 1_000 {
            assert!(
                per_grant <= 128.0,
                "{per_grant} bytes per grant at {n} grants"
            );
        }
        // And the generated policy decides as written.
        let key = authz.credential(policy::KEY).unwrap();
        let cache = policy::cache_of(0, n);
        let now = Timestamp::from_unix_seconds(0);
        assert!(
            key.authorize(
                Operation::Set,
                Resource::item(&cache, b"user:0000000:profile"),
                now
            )
            .is_allowed()
        );
        assert!(
            !key.authorize(
                Operation::Set,
                Resource::item(&cache, b"user:0000000:profilex"),
                now
            )
            .is_allowed()
        );
    }
}
