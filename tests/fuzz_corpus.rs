//! The fuzz target's corpus, replayed: every committed input goes through
//! the same checks as under the fuzzer (no panic; what decodes round-trips;
//! errors are short and printable).

#[path = "../fuzz/src/lib.rs"]
mod fuzz_check;

#[test]
fn the_fuzz_corpus_passes_the_fuzz_checks() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/decode");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        fuzz_check::check(&bytes);
        count += 1;
    }
    assert!(count >= 7, "{count} inputs in the corpus");
}
