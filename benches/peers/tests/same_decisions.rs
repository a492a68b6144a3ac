//! The comparison is honest only if every engine decides alike: fgac's engine, its reference
//! evaluator, Cedar and casbin, on every benchmark request and policy size.

use fgac_peers::{Casbin, Cedar, Fgac, prefix_hit_of_length, requests};

#[test]
fn every_engine_decides_every_benchmark_request_alike() {
    for n in [1, 20, 1_000] {
        let fgac = Fgac::new(n);
        let cedar = Cedar::new(&fgac);
        let casbin = Casbin::new(&fgac);
        let mut all = requests(n);
        all.extend([8, 16, 64, 1024].map(|len| prefix_hit_of_length(n, len)));
        for r in &all {
            let want = fgac.reference(r);
            assert_eq!(fgac.engine(r), want, "fgac, {n} grants: {r:?}");
            assert_eq!(
                cedar.decide(&cedar.prepare(r)),
                want,
                "cedar, {n} grants: {r:?}"
            );
            assert_eq!(
                casbin.decide(&Casbin::object(r)),
                want,
                "casbin, {n} grants: {r:?}"
            );
        }
        if n >= 20 {
            let allowed: Vec<bool> = requests(n).iter().map(|r| fgac.reference(r)).collect();
            assert_eq!(
                allowed,
                [true, true, false, false],
                "the request kinds mean what they say"
            );
        }
    }
}

#[test]
fn cedar_translation_reads_like_the_grant() {
    let text = fgac_peers::cedar_policy(&fgac_peers::policy::grant(19, 20));
    assert_eq!(
        text,
        r#"forbid(principal == Key::"svc", action in [Action::"read", Action::"write"], resource is Item) when { resource.cache == "cache-0000" && resource.key == "t00010/secret" };"#
    );
}
