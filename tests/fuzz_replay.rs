//! Replays every fuzz target over its committed seed corpus (`fuzz/corpus/TARGET/`) and every
//! crash file found so far (`tests/regressions/TARGET/`), so that `cargo test` exercises the
//! targets without cargo-fuzz, and a fixed finding can never come back.

#[path = "../fuzz/targets.rs"]
mod targets;

use std::path::Path;

fn replay(folder: &Path, target: fn(&[u8])) -> usize {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return 0;
    };
    let mut files: Vec<_> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    for path in &files {
        let data = std::fs::read(path).unwrap();
        let result = std::panic::catch_unwind(|| target(&data));
        assert!(result.is_ok(), "{} fails its target", path.display());
    }
    files.len()
}

#[test]
fn every_target_passes_its_corpus_and_regressions() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for &(name, target) in targets::TARGETS {
        let seeds = replay(&root.join("fuzz/corpus").join(name), target);
        let regressions = replay(&root.join("tests/regressions").join(name), target);
        assert!(seeds > 0, "no seed corpus for {name}");
        println!("{name}: {seeds} seeds, {regressions} regressions");
    }
}
