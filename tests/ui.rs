//! Compile-fail tests: every misuse of the macros is an error (or a warning,
//! denied here) at the offending token. The expected `.stderr` files are
//! written by rustc 1.95; other compilers word errors differently and skip.
//! `TRYBUILD=overwrite cargo test --test ui` rewrites them.

#[rustversion::attr(
    not(stable(1.95)),
    ignore = "the expected compiler output is recorded with rustc 1.95"
)]
#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}
