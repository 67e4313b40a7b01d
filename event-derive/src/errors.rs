//! Collects every error of one expansion so the user sees them all at once.

use std::fmt::Display;

use proc_macro2::Span;

#[derive(Default)]
pub struct Errors(Option<syn::Error>);

impl Errors {
    pub fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(errors) => errors.combine(error),
            None => self.0 = Some(error),
        }
    }

    pub fn at(&mut self, span: Span, message: impl Display) {
        self.push(syn::Error::new(span, message));
    }

    pub fn spanned(&mut self, tokens: impl quote::ToTokens, message: impl Display) {
        self.push(syn::Error::new_spanned(tokens, message));
    }

    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    pub fn into_compile_errors(self) -> proc_macro2::TokenStream {
        self.0
            .map(syn::Error::into_compile_error)
            .unwrap_or_default()
    }
}

/// The candidate closest to `word` by edit distance, if it is close enough to
/// be a misspelling: `pli` -> `pii`, `verison` -> `version`.
pub fn did_you_mean<'c>(word: &str, candidates: &[&'c str]) -> Option<&'c str> {
    let lower = word.to_lowercase();
    candidates
        .iter()
        .filter(|c| **c != word)
        .map(|c| (edit_distance(&lower, &c.to_lowercase()), *c))
        .filter(|&(d, c)| d <= (c.chars().count().max(lower.chars().count()) / 3).max(1))
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
        .or_else(|| part_of_one(&lower, candidates))
}

/// The one candidate that `word` is a part of, counted in whole words of
/// its snake case: `tense` and `past_tense` for `non_past_tense`, `base`
/// for `schema_base`. None when several candidates have the part.
fn part_of_one<'c>(word: &str, candidates: &[&'c str]) -> Option<&'c str> {
    let word = word.replace(['-', ' '], "_");
    let word = word.trim_matches('_');
    if word.is_empty() {
        return None;
    }
    let mut found = candidates.iter().filter(|c| {
        let c = c.to_lowercase();
        c != word
            && (c.starts_with(&format!("{word}_"))
                || c.ends_with(&format!("_{word}"))
                || c.contains(&format!("_{word}_")))
    });
    let first = found.next()?;
    found.next().is_none().then_some(*first)
}

/// `a`, `b`, `c`: each in backticks, separated by commas.
pub fn backticked(words: &[&str]) -> String {
    words
        .iter()
        .map(|word| format!("`{word}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// ` (did you mean `pii`?)`, or nothing.
pub fn suggestion(word: &str, candidates: &[&str]) -> String {
    did_you_mean(word, candidates).map_or_else(String::new, |c| format!("did you mean `{c}`? "))
}

/// Levenshtein distance with adjacent transpositions counted as one edit.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut rows = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = d;
        }
    }
    rows[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::did_you_mean;

    #[test]
    fn misspellings_find_the_key() {
        let keys = ["pii", "secret", "from", "with", "context", "default"];
        assert_eq!(did_you_mean("pli", &keys), Some("pii"));
        assert_eq!(did_you_mean("secert", &keys), Some("secret"));
        assert_eq!(did_you_mean("contxt", &keys), Some("context"));
        assert_eq!(did_you_mean("PII", &keys), Some("pii"));
        assert_eq!(did_you_mean("personal", &keys), None);
        assert_eq!(did_you_mean("pii", &keys), None);
        let sources = ["ProductPutOnSale", "ProductRestocked"];
        assert_eq!(
            did_you_mean("ProductPutOnSal", &sources),
            Some("ProductPutOnSale")
        );
    }

    #[test]
    fn a_part_of_one_key_finds_it() {
        let rules = ["non_past_tense", "generic_name", "reserved_suffix"];
        assert_eq!(did_you_mean("tense", &rules), Some("non_past_tense"));
        assert_eq!(did_you_mean("past_tense", &rules), Some("non_past_tense"));
        assert_eq!(did_you_mean("suffix", &rules), Some("reserved_suffix"));
        assert_eq!(did_you_mean("Generic", &rules), Some("generic_name"));
        let keys = ["version", "maps_from", "upcast_from", "schema_base", "name"];
        assert_eq!(did_you_mean("base", &keys), Some("schema_base"));
        // A part of two keys is no hint.
        assert_eq!(did_you_mean("from", &keys), None);
        assert_eq!(did_you_mean("_", &keys), None);
    }
}
