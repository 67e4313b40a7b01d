//! The fuzz target of the decoders.
//!
//! Under `cargo fuzz run decode` (nightly), libFuzzer drives [`check`]. On
//! stable, this is a plain program: `cargo run --release --bin decode --
//! [ITERATIONS] [SEED]` runs every file of `corpus/decode` through it, then
//! random mutations of them (bytes flipped, inserted, removed, spliced,
//! JSON fragments dropped in), and adds to the corpus each input whose
//! outcome (decoded, or which error) it had not produced before.

#![cfg_attr(fuzzing, no_main)]

#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| event_core_fuzz::check(data));

#[cfg(not(fuzzing))]
fn main() {
    stable::run();
}

#[cfg(not(fuzzing))]
mod stable {
    use std::collections::BTreeSet;
    use std::path::Path;

    use event_core::cloudevent::CloudEvent;
    use event_core_fuzz::{LIMITS, ParcelScannedIntegrationEvent, check};

    /// xorshift64*: reproducible from its seed.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    const FRAGMENTS: [&[u8]; 24] = [
        b"null",
        b"\"\"",
        b"{}",
        b"[]",
        b"0",
        b"-1",
        b"1.5",
        b"2147483648",
        b"true",
        b"\"1.0\"",
        b"\"data\"",
        b"\"data_base64\"",
        b"\"Zm9v\"",
        b"\"time\"",
        b"\"0000-01-01T00:00:00+01:00\"",
        b"\"9999-12-31T23:59:59-23:59\"",
        b"\"application/json\"",
        b"\"text/xml\"",
        b"\"a+json\"",
        b"\\u0000",
        b"\\ud800",
        b"[[[[[[[[[[[[[[[[[[",
        b"\"type\":\"parcel.scanned.v1\"",
        b"\"Ext\"",
    ];

    fn mutate(rng: &mut Rng, corpus: &[Vec<u8>]) -> Vec<u8> {
        let mut input = corpus[rng.below(corpus.len())].clone();
        for _ in 0..=rng.below(4) {
            let at = rng.below(input.len() + 1);
            match rng.below(6) {
                0 if !input.is_empty() => {
                    let at = at.min(input.len() - 1);
                    input[at] ^= 1 << rng.below(8);
                }
                1 => input.insert(at, rng.next() as u8),
                2 if at < input.len() => {
                    let end = (at + rng.below(16)).min(input.len());
                    input.drain(at..end);
                }
                3 => {
                    let fragment = FRAGMENTS[rng.below(FRAGMENTS.len())];
                    input.splice(at..at, fragment.iter().copied());
                }
                4 => {
                    let other = &corpus[rng.below(corpus.len())];
                    let from = rng.below(other.len() + 1);
                    let to = (from + rng.below(64)).min(other.len());
                    input.splice(at..at, other[from..to].iter().copied());
                }
                _ => input.truncate(at),
            }
        }
        input
    }

    /// What an input led to: decoded, or which error, by variant and
    /// attribute.
    fn outcome(input: &[u8]) -> String {
        let generic = match CloudEvent::from_json_with(input, &LIMITS) {
            Ok(event) => format!(
                "ok:{}:{:?}",
                event.extensions().len().min(3),
                event.data().map(std::mem::discriminant)
            ),
            Err(error) => error_kind(&error),
        };
        let typed = match event_core::decode::decode_with::<ParcelScannedIntegrationEvent>(
            input, &LIMITS,
        ) {
            Ok(_) => "ok".to_owned(),
            Err(error) => error_kind(&error),
        };
        format!("{generic}|{typed}")
    }

    fn error_kind(error: &event_core::DecodeError) -> String {
        use event_core::DecodeError as E;
        match error {
            E::MissingAttribute { name } => format!("missing:{name}"),
            E::InvalidAttribute { name, .. } => format!("invalid:{name}"),
            E::MalformedJson { .. } => "malformed".into(),
            other => format!("{other:?}")
                .split([' ', '(', '{'])
                .next()
                .unwrap_or("")
                .to_owned(),
        }
    }

    pub fn run() {
        let args: Vec<String> = std::env::args().collect();
        let iterations: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(100_000);
        let seed: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(0x5eed);
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/decode");
        let mut corpus: Vec<Vec<u8>> = Vec::new();
        if let Ok(entries) = std::fs::read_dir(&dir) {
            let mut paths: Vec<_> = entries.flatten().map(|e| e.path()).collect();
            paths.sort();
            for path in paths {
                if let Ok(bytes) = std::fs::read(&path) {
                    corpus.push(bytes);
                }
            }
        }
        if corpus.is_empty() {
            corpus.push(br#"{"specversion":"1.0","id":"1","source":"/s","type":"t"}"#.to_vec());
        }
        let mut seen = BTreeSet::new();
        for input in &corpus {
            check(input);
            seen.insert(outcome(input));
        }
        let mut rng = Rng(seed | 1);
        let mut added = 0;
        for _ in 0..iterations {
            let input = mutate(&mut rng, &corpus);
            check(&input);
            if seen.insert(outcome(&input)) {
                let name = format!("stable-{:016x}", rng.next());
                if std::fs::write(dir.join(name), &input).is_ok() {
                    added += 1;
                }
                corpus.push(input);
            }
        }
        println!(
            "{iterations} inputs, no failure; {} outcomes seen, {added} inputs added to the corpus",
            seen.len()
        );
    }
}
