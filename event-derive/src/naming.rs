//! Naming rules of the three kinds, on plain strings so they can be tested
//! without a compiler.

/// Splits a PascalCase name into its words. A run of capitals is one word
/// (`HTTPRequestSent` -> `HTTP`, `Request`, `Sent`), and digits stay with the
/// word before them.
pub fn words(name: &str) -> Vec<&str> {
    let chars: Vec<(usize, char)> = name.char_indices().collect();
    let mut words = Vec::new();
    let mut start = 0;
    for i in 1..chars.len() {
        let (at, c) = chars[i];
        let prev = chars[i - 1].1;
        let next_is_lower = chars.get(i + 1).is_some_and(|&(_, n)| n.is_lowercase());
        let boundary = c == '_'
            || prev == '_'
            || (c.is_uppercase() && (prev.is_lowercase() || prev.is_ascii_digit()))
            || (c.is_uppercase() && prev.is_uppercase() && next_is_lower);
        if boundary {
            words.push(&name[start..at]);
            start = at;
        }
    }
    words.push(&name[start..]);
    words.retain(|w| !w.is_empty() && *w != "_");
    words
}

/// The words of a name as the naming rules read them: [`words`], with each
/// noun of [`NOUN_COMPOUNDS`] one word (`PullRequest`, `Synchronize`).
fn terms(name: &str) -> Vec<&str> {
    let words = words(name);
    let offset = |w: &str| w.as_ptr() as usize - name.as_ptr() as usize;
    let mut out = Vec::with_capacity(words.len());
    let mut i = 0;
    while i < words.len() {
        let compound = words.get(i + 1).filter(|next| {
            NOUN_COMPOUNDS
                .iter()
                .any(|(a, b)| words[i].eq_ignore_ascii_case(a) && next.eq_ignore_ascii_case(b))
                // `AutoRenew`, `AutoApproved`: one verb, done by itself.
                || words[i] == "Auto" && (is_verb_alone(next) || form(next) == Form::Participle)
        });
        if let Some(next) = compound {
            out.push(&name[offset(words[i])..offset(next) + next.len()]);
            i += 2;
        } else {
            out.push(words[i]);
            i += 1;
        }
    }
    out
}

/// The dotted lower-case form of a PascalCase name: `ProductPutOnSale` ->
/// `product.put.on.sale`.
pub fn dotted(name: &str) -> String {
    words(name)
        .iter()
        .map(|w| w.to_lowercase())
        .collect::<Vec<_>>()
        .join(".")
}

/// Checks a type name given with `name = "..."`: dot-separated segments of
/// lower-case ASCII letters, digits, `_` and `-`, with no version at the end
/// (the version is added to the full type).
pub fn check_type_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err(
            "the type name is empty; write it as `name = \"catalog.product.updated\"`".into(),
        );
    }
    for segment in name.split('.') {
        if segment.is_empty() {
            return Err(format!(
                "`{name}` has an empty segment; separate words with single dots, like `catalog.product.updated`"
            ));
        }
        if let Some(bad) = segment
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-'))
        {
            return Err(format!(
                "`{name}` contains `{bad}`; type names use lower-case ASCII letters, digits, `_`, `-` and dots, like `catalog.product.updated`"
            ));
        }
    }
    // `product.updated.v2`: a version as the last segment. (One after `_`
    // or `-` is refused only when it is the event's own, by
    // [`own_version_in_name`]: `plan.upgraded_to_v2` names a fact.)
    if let Some(at) = name.rfind('.')
        && version_suffix(&name[at + 1..]).is_some()
    {
        let stem = &name[..at];
        return Err(format!(
            "`{name}` ends in a version; the version is added to the full type, so write `name = \"{stem}\"` and `version = N`"
        ));
    }
    Ok(())
}

/// A type name that ends in the event's own version glued on with `_` or
/// `-` (`catalog.product_updated_v1` for version 1): the error, with the
/// name to write; the full type would say the version twice.
pub fn own_version_in_name(name: &str, version: u32) -> Option<String> {
    let at = name.rfind(['_', '-'])?;
    (version_suffix(&name[at + 1..]) == Some(version)).then(|| {
        let stem = &name[..at];
        format!(
            "`{name}` ends in the event's version, which the full type adds itself (`{stem}.v{version}`); write `name = \"{stem}\"`"
        )
    })
}

/// A type name made of the ASCII letters of `dotted`, for the example in the
/// error about a name that is not ASCII: `bestellung.geändert` ->
/// `bestellung.geandert`.
pub fn ascii_type_name(dotted: &str) -> String {
    let segments: Vec<String> = dotted
        .split('.')
        .map(|segment| {
            segment
                .chars()
                .flat_map(|c| {
                    let folded = match c {
                        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => "a",
                        'ç' => "c",
                        'è' | 'é' | 'ê' | 'ë' => "e",
                        'ì' | 'í' | 'î' | 'ï' => "i",
                        'ñ' => "n",
                        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => "o",
                        'ù' | 'ú' | 'û' | 'ü' => "u",
                        'ý' | 'ÿ' => "y",
                        'ß' => "ss",
                        'æ' => "ae",
                        'œ' => "oe",
                        c if c.is_ascii_lowercase()
                            || c.is_ascii_digit()
                            || c == '_'
                            || c == '-' =>
                        {
                            return Some(c).into_iter().collect::<Vec<_>>();
                        }
                        _ => "",
                    };
                    folded.chars().collect::<Vec<_>>()
                })
                .collect()
        })
        .filter(|s: &String| !s.is_empty())
        .collect();
    if segments.is_empty() {
        "order.placed".to_owned()
    } else {
        segments.join(".")
    }
}

/// A name without the `V<N>` it ends in, and `N`: `OrderPlacedV2` ->
/// (`OrderPlaced`, Some(2)).
pub fn trailing_version(name: &str) -> (&str, Option<u32>) {
    match name.rfind('V') {
        Some(v) if v > 0 => match version_suffix(&name[v..]) {
            Some(n) => (&name[..v], Some(n)),
            None => (name, None),
        },
        _ => (name, None),
    }
}

/// `v2` -> 2 (case-insensitive): the version written at the end of a name.
fn version_suffix(word: &str) -> Option<u32> {
    let digits = word.strip_prefix(['v', 'V'])?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// A name split at a kind suffix such as `IntegrationEvent`, with the version
/// written after the suffix, if any: `ProductUpdatedIntegrationEventV2` ->
/// (`ProductUpdated`, Some(2)).
#[derive(Debug, PartialEq, Eq)]
pub struct Suffixed<'a> {
    pub stem: &'a str,
    pub version: Option<u32>,
}

pub fn split_suffix<'a>(name: &'a str, suffix: &str) -> Option<Suffixed<'a>> {
    if let Some(stem) = name.strip_suffix(suffix) {
        return Some(Suffixed {
            stem,
            version: None,
        });
    }
    let v = name.rfind('V')?;
    let version = version_suffix(&name[v..])?;
    let stem = name[..v].strip_suffix(suffix)?;
    Some(Suffixed {
        stem,
        version: Some(version),
    })
}

/// The name with the kind suffix added where it belongs: before a trailing
/// `V<N>`, in place of a bare `Event` or of the suffix's first word written
/// alone. `ProductUpdatedV2` -> `ProductUpdatedIntegrationEventV2`,
/// `ProductUpdatedIntegration` -> `ProductUpdatedIntegrationEvent`.
pub fn with_suffix(name: &str, suffix: &str) -> String {
    if let Some(fixed) = misspelled_suffix(name, suffix) {
        return fixed;
    }
    let (base, version) = match name.rfind('V') {
        Some(v) if v > 0 && version_suffix(&name[v..]).is_some() => name.split_at(v),
        _ => (name, ""),
    };
    // `NotificationOrderShipped`, `IntegrationEventOrderPlaced`: the suffix
    // written first.
    if let Some(rest) = base
        .strip_prefix(suffix)
        .filter(|rest| rest.starts_with(|c: char| c.is_ascii_uppercase()))
    {
        return format!("{rest}{suffix}{version}");
    }
    // `ProductUpdatedIntegrationEventDto`, `OrderShippedNotificationEvent`:
    // the suffix is there, under a carrier's or an event's.
    let carried = ["Message", "Msg", "Dto", "DTO", "Payload", "Event", "Evt"]
        .into_iter()
        .find_map(|carrier| base.strip_suffix(carrier))
        .filter(|stem| stem.len() > suffix.len() && stem.ends_with(suffix));
    if let Some(stem) = carried {
        return format!("{stem}{version}");
    }
    let mut stem = base.strip_suffix("Event").unwrap_or(base);
    let first_word = suffix
        .char_indices()
        .skip(1)
        .find(|(_, c)| c.is_ascii_uppercase())
        .map(|(i, _)| &suffix[..i]);
    if let Some(word) = first_word
        && let Some(rest) = stem.strip_suffix(word)
        && !rest.is_empty()
    {
        stem = rest;
    } else if let word = first_word.unwrap_or(suffix)
        // `OrderPlacedIntEvent`, `OrderShippedNotifEvent`: the first word of
        // the suffix cut short.
        && let Some(start) = stem.rfind(|c: char| c.is_ascii_uppercase())
        && start > 0
        && stem.len() - start >= 3
        && word.starts_with(&stem[start..])
    {
        stem = &stem[..start];
    }
    if stem.is_empty() {
        stem = base;
    }
    format!("{stem}{suffix}{version}")
}

/// The name with a misspelled kind suffix spelled right:
/// `OrderPlacedIntergrationEvent`, `OrderPlacedIntegrationEvents` and
/// `OrderPlacedIntegrationEventv2` -> `OrderPlacedIntegrationEvent(V2)`.
fn misspelled_suffix(name: &str, suffix: &str) -> Option<String> {
    // The longest tail, from a capital letter, that reads as the suffix.
    name.char_indices()
        .filter(|&(i, c)| i > 0 && c.is_ascii_uppercase())
        .find_map(|(i, _)| {
            let tail = &name[i..];
            // A version after it, in either case; a bare `V` is dropped.
            let (base, version) = match tail.rfind(['v', 'V']) {
                Some(v) if v > 0 && tail[v + 1..].bytes().all(|b| b.is_ascii_digit()) => {
                    (&tail[..v], version_suffix(&tail[v..]))
                }
                _ => (tail, None),
            };
            let (base, wanted) = (base.to_lowercase(), suffix.to_lowercase());
            let close = base != wanted
                && (base.strip_suffix('s') == Some(wanted.as_str())
                    || crate::errors::edit_distance(&base, &wanted) <= 2)
                || base == wanted && tail != suffix;
            close.then(|| {
                let version = version.map_or_else(String::new, |n| format!("V{n}"));
                format!("{}{suffix}{version}", &name[..i])
            })
        })
}

mod lexicon;

use lexicon::{
    ACCEPTED_REGULAR_FORMS, ACTION_NOUNS, ADVERBS, AMBIGUOUS_PARTICIPLES, AUXILIARIES,
    COMPOUND_HEADS, COMPOUND_VERBS, CONJUNCTIONS, DESCRIBING, EED_PARTICIPLES, ENDINGS, GENERIC,
    HANDLER_PREFIXES, HEAD_NOUNS, I_PRODUCTS, IRREGULAR_VERBS, LEADING_ADVERBS, MODALS,
    NOMINALIZATIONS, NOT_PARTICIPLES, NOUN_COMPOUNDS, NOUNS_LIKE_VERBS, ON_STATES, OPERATIONS,
    OUTCOMES, PARTICLE_VERBS, PARTICLES, PREFIXED_NOUNS, PREFIXES, PREPOSITIONS, REGULAR_VERBS,
    ROLE_SUFFIXES, SIMPLE_PAST, STATE_CHANGES, STATES, SUBJECT_NOUNS, TRANSACTING_VERBS,
    TRANSACTIONS,
};

/// How a word reads as a participle.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Form {
    /// Not a participle.
    None,
    /// A participle only: `placed`, `sent`.
    Participle,
    /// A participle that is just as often a noun: `left`, `ground`.
    Ambiguous,
    /// A participle spelled like its verb: `put`, `set`.
    SameAsBase,
}

/// `word` itself or `word` after one of [`PREFIXES`]: `rebuilt`, `prepaid`.
fn with_prefixes(word: &str, found: impl Fn(&str) -> bool) -> bool {
    found(word)
        || PREFIXES.iter().any(|p| {
            word.strip_prefix(p)
                .is_some_and(|rest| rest.len() > 2 && found(rest))
        })
}

/// The environment variable that adds a team's own verbs to the lexicon:
/// `onboard, geocode, offboard:offboarded, resit:resat`, each a verb with
/// its past participle after a colon when that is not `verb + ed`.
pub const VERBS_ENV: &str = "EVENT_CORE_VERBS";

/// The verbs of [`VERBS_ENV`] with their participles, in lower case.
fn custom_verbs() -> &'static [(String, String)] {
    static VERBS: std::sync::OnceLock<Vec<(String, String)>> = std::sync::OnceLock::new();
    VERBS.get_or_init(|| {
        std::env::var(VERBS_ENV)
            .map(|list| parse_verbs(&list))
            .unwrap_or_default()
    })
}

/// `onboard, offboard:offboarded` -> `[(onboard, onboarded), (offboard,
/// offboarded)]`; entries that are not words are skipped.
pub fn parse_verbs(list: &str) -> Vec<(String, String)> {
    list.split([',', ';', ' ', '\n'])
        .filter(|entry| !entry.is_empty())
        .filter_map(|entry| {
            let (verb, participle) = match entry.split_once(':') {
                Some((verb, participle)) => (verb.to_lowercase(), participle.to_lowercase()),
                None => {
                    let verb = entry.to_lowercase();
                    let participle = regular_participle(&verb);
                    (verb, participle)
                }
            };
            let word = |w: &str| !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase());
            (word(&verb) && word(&participle)).then_some((verb, participle))
        })
        .collect()
}

fn form(word: &str) -> Form {
    let w = word.to_lowercase();
    let w = w.as_str();
    if custom_verbs().iter().any(|(v, p)| p == w && v != p) {
        return Form::Participle;
    }
    if PREFIXED_NOUNS.contains(&w) {
        return Form::None;
    }
    if AMBIGUOUS_PARTICIPLES.contains(&w) {
        return Form::Ambiguous;
    }
    if with_prefixes(w, |x| {
        SIMPLE_PAST.contains(&x) || IRREGULAR_VERBS.iter().any(|(v, p)| p == &x && v != p)
    }) {
        return Form::Participle;
    }
    if with_prefixes(w, |x| {
        IRREGULAR_VERBS.iter().any(|(v, p)| p == &x && v == p)
    }) {
        return Form::SameAsBase;
    }
    let regular = w.len() > 3
        && w.ends_with("ed")
        && !NOT_PARTICIPLES.contains(&w)
        && (!w.ends_with("eed") || EED_PARTICIPLES.contains(&w));
    if regular {
        Form::Participle
    } else {
        Form::None
    }
}

fn is_one_of(word: &str, list: &[&str]) -> bool {
    list.contains(&word.to_lowercase().as_str())
}

/// Whether the word at `i` is a participle in predicate position: it states
/// what happened to the words before it (`OrderPlaced`, `ProductPutOnSale`,
/// `AddedToCart`), rather than describing the word after it
/// (`ApprovedLoan`) or giving an order (`PutProductOnSale`).
fn is_predicate(words: &[&str], i: usize) -> bool {
    let next_links = words.get(i + 1).is_none_or(|next| {
        is_one_of(next, PREPOSITIONS)
            || is_one_of(next, PARTICLES)
            || is_one_of(next, CONJUNCTIONS)
            || is_one_of(next, ADVERBS)
            || is_state(words, i + 1)
            || form(next) != Form::None
    });
    // `StatusChangedToPaid`, `StatusChangedToStockConfirmed`: what the
    // status changed to, not what happened.
    let complement = (1..i).any(|p| {
        is_one_of(words[p], PREPOSITIONS)
            && form(words[p - 1]) != Form::None
            && words[p + 1..i].iter().all(|w| {
                form(w) == Form::None && !is_one_of(w, PREPOSITIONS) && !is_one_of(w, CONJUNCTIONS)
            })
    });
    // `MarkOrderAsPaid`, `SetStatusToShipped`: what an order makes of its
    // object, not what happened.
    // (`SignInAttempted` opens with a noun, the verb and its particle.)
    let first = words[0];
    let ordered = i > 2
        && is_verb(first)
        && !is_one_of(first, SUBJECT_NOUNS)
        && !is_one_of(first, NOUNS_LIKE_VERBS)
        && matches!(form(first), Form::None | Form::SameAsBase)
        && !is_particle_of(first, words[1])
        && (2..i).any(|p| is_one_of(words[p], PREPOSITIONS));
    // `OrderBeingShipped` is under way, not done.
    let ongoing = i > 0 && words[i - 1].eq_ignore_ascii_case("being");
    if complement || ordered || ongoing {
        return false;
    }
    // `AlreadyMountedVolume`: an adverb is no subject, so `Mounted`
    // describes the volume.
    let subject = words[..i].iter().any(|w| !is_one_of(w, LEADING_ADVERBS));
    match form(words[i]) {
        Form::None => false,
        Form::Participle => subject || next_links,
        // `LimitSet`, `ProductPutOnSale`; but in `PlaceBid` the verb comes
        // first and `Bid` is its object.
        Form::SameAsBase => subject && !opens_with_a_command(words),
        Form::Ambiguous => subject && next_links,
    }
}

/// Whether the name opens with a verb that gives an order (`PlaceBid`),
/// rather than with its subject (`OrderCutOff`, `BillSplit`).
fn opens_with_a_command(words: &[&str]) -> bool {
    words.first().is_some_and(|w| {
        is_verb(w)
            && !is_one_of(w, SUBJECT_NOUNS)
            && !is_one_of(w, NOUNS_LIKE_VERBS)
            && form(w) == Form::None
    })
}

fn is_verb(word: &str) -> bool {
    is_verb_alone(word)
        || PARTICLE_VERBS
            .iter()
            .any(|(v, _)| v.eq_ignore_ascii_case(word))
}

/// A verb without its particle: the phrasal verbs whose first word is a
/// noun on its own (`power off`, `scale out`, `clock in`) are not.
fn is_verb_alone(word: &str) -> bool {
    let w = word.to_lowercase();
    custom_verbs().iter().any(|(v, _)| *v == w)
        || REGULAR_VERBS.contains(&w.as_str())
        || IRREGULAR_VERBS.iter().any(|(v, _)| *v == w)
        || COMPOUND_VERBS.iter().any(|(v, _)| *v == w)
        || undoing(&w).is_some_and(|(_, verb)| {
            REGULAR_VERBS.contains(&verb) || IRREGULAR_VERBS.iter().any(|(v, _)| *v == verb)
        })
}

/// A verb of [`REGULAR_VERBS`] or [`IRREGULAR_VERBS`] after `un`, `re`,
/// `auto`, `over` or `under`, split: `unarchive` -> (`un`, `archive`),
/// `resend` -> (`re`, `send`), `underwrite` -> (`under`, `write`).
fn undoing(word: &str) -> Option<(&'static str, &str)> {
    ["under", "over", "auto", "un", "re"]
        .into_iter()
        .find_map(|prefix| {
            word.strip_prefix(prefix)
                .filter(|verb| verb.len() > 2)
                .map(|verb| (prefix, verb))
        })
}

/// Whether `particle` goes with `verb` as one phrasal verb: `sign up`.
fn is_particle_of(verb: &str, particle: &str) -> bool {
    let (verb, particle) = (verb.to_lowercase(), particle.to_lowercase());
    PARTICLE_VERBS
        .iter()
        .any(|(v, ps)| *v == verb && ps.contains(&particle.as_str()))
}

/// The past participle of a verb, capitalised like the verb:
/// `Place` -> `Placed`, `Ship` -> `Shipped`, `Send` -> `Sent`,
/// `Checkout` -> `CheckedOut`.
pub fn participle(verb: &str) -> String {
    // `AutoRenew` -> `AutoRenewed`.
    if let Some(rest) = verb
        .strip_prefix("Auto")
        .filter(|r| r.starts_with(char::is_uppercase))
    {
        return format!("Auto{}", participle(rest));
    }
    let lower = verb.to_lowercase();
    if let Some((_, p)) = COMPOUND_VERBS.iter().find(|(v, _)| *v == lower) {
        return (*p).to_owned();
    }
    if let Some((_, p)) = custom_verbs().iter().find(|(v, _)| *v == lower) {
        return capitalize(p);
    }
    let irregular = |verb: &str| {
        IRREGULAR_VERBS
            .iter()
            .find(|(v, _)| *v == verb)
            .map(|(_, p)| *p)
    };
    let participle = if let Some(p) = irregular(&lower) {
        p.to_owned()
    } else if let Some((prefix, p)) = undoing(&lower)
        // `relay` is a verb of its own, not `re` + `lay`.
        .filter(|_| !REGULAR_VERBS.contains(&lower.as_str()))
        .and_then(|(prefix, verb)| irregular(verb).map(|p| (prefix, p)))
    {
        // `resend` -> `resent`.
        format!("{prefix}{p}")
    } else if let Some((prefix, verb)) =
        undoing(&lower).filter(|(_, verb)| REGULAR_VERBS.contains(verb))
    {
        // `unskip` -> `unskipped`, spelled as `skip` is.
        format!("{prefix}{}", regular_participle(verb))
    } else {
        regular_participle(&lower)
    };
    capitalize(&participle)
}

/// `verb + ed`, spelled: `place` -> `placed`, `apply` -> `applied`, `ship`
/// -> `shipped`.
fn regular_participle(lower: &str) -> String {
    if lower.ends_with('e') {
        format!("{lower}d")
    } else if lower.len() > 1
        && lower.ends_with('y')
        && !lower[..lower.len() - 1].ends_with(['a', 'e', 'i', 'o', 'u'])
    {
        format!("{}ied", &lower[..lower.len() - 1])
    } else if doubles_final_consonant(lower) {
        let last = &lower[lower.len() - 1..];
        format!("{lower}{last}ed")
    } else {
        format!("{lower}ed")
    }
}

/// `ship` -> `shipped`, `submit` -> `submitted`, `cancel` -> `cancelled`; but
/// `open` -> `opened`, `book` -> `booked`.
fn doubles_final_consonant(verb: &str) -> bool {
    const STRESSED_LAST: &[&str] = &[
        "cancel",
        "commit",
        "submit",
        "transfer",
        "fulfil",
        "refer",
        "enrol",
        "defer",
        "admit",
        "control",
        "patrol",
        "label",
        "travel",
        "model",
        "level",
        "permit",
        "transmit",
        "omit",
        "occur",
        "prefer",
        "equip",
        "regret",
        "expel",
        "unpin",
        "unstar",
        "remit",
        "incur",
        "emit",
        "infer",
        "allot",
        "annul",
        "bootstrap",
        "debug",
        "embed",
    ];
    if STRESSED_LAST.contains(&verb) {
        return true;
    }
    let vowel = |c: u8| b"aeiou".contains(&c);
    let b = verb.as_bytes();
    let n = b.len();
    let groups = b
        .iter()
        .enumerate()
        .filter(|&(i, &c)| vowel(c) && (i == 0 || !vowel(b[i - 1])))
        .count();
    n >= 3
        && groups == 1
        && !vowel(b[n - 1])
        && !b"wxy".contains(&b[n - 1])
        && vowel(b[n - 2])
        && !vowel(b[n - 3])
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// The verb of a word in `-ing`: `shipping` -> `ship`, `deleting` ->
/// `delete`, `canceling` -> `cancel`.
fn verb_of_gerund(word: &str) -> Option<String> {
    let w = word.to_lowercase();
    // The lexicon is ASCII, and the byte arithmetic below needs it.
    let stem = w.strip_suffix("ing").filter(|stem| stem.is_ascii())?;
    let undoubled = stem
        .len()
        .checked_sub(1)
        .filter(|&n| n > 0 && stem.as_bytes()[n] == stem.as_bytes()[n - 1])
        .map(|n| &stem[..n]);
    let candidates = [
        Some(stem.to_owned()),
        Some(format!("{stem}e")),
        undoubled.map(str::to_owned),
    ];
    candidates.into_iter().flatten().find(|v| is_verb(v))
}

/// The participle stating that the action `word` names happened, for a word
/// at the end of a name: a verb (`OrderShip`), the noun of an action
/// (`OrderShipment`), a gerund (`PaymentProcessing`) or a third-person verb
/// (`PriceChanges`). Nouns that merely look like verbs (`Book`, `Order`)
/// give none.
fn participle_of_last(word: &str) -> Option<String> {
    let w = word.to_lowercase();
    if let Some((_, p)) = NOMINALIZATIONS.iter().find(|(n, _)| *n == w) {
        return Some(capitalize(p));
    }
    // `MoneyTransfer`: the noun of an action spelled like its verb.
    if ACTION_NOUNS.contains(&w.as_str()) {
        return Some(participle(&w));
    }
    if NOUNS_LIKE_VERBS.contains(&w.as_str()) {
        return None;
    }
    // Irregular verbs at the end are nouns far more often: `RequestRide`,
    // `PayrollRun`.
    if is_verb(&w) && !IRREGULAR_VERBS.iter().any(|(v, _)| *v == w) {
        return Some(participle(&w));
    }
    if let Some(verb) = verb_of_gerund(&w) {
        let participle = participle(&verb);
        // `JobCanceling` keeps its single `l`: `JobCanceled`.
        let single_l = w.ends_with("ling") && !w.ends_with("lling");
        return Some(match participle.strip_suffix("lled") {
            Some(stem) if single_l => format!("{stem}led"),
            _ => participle,
        });
    }
    if let Some(stem) = w.strip_suffix('s')
        && is_verb(stem)
        && !NOUNS_LIKE_VERBS.contains(&stem)
    {
        return Some(participle(stem));
    }
    None
}

/// A past-tense name for a name that reads as an instruction or a noun:
/// `PlaceOrder` -> `OrderPlaced`, `PutProductOnSale` -> `ProductPutOnSale`,
/// `SignUpCustomer` -> `CustomerSignedUp`, `AddToCart` -> `AddedToCart`,
/// `OrderShipment` -> `OrderShipped`, `ApprovedLoan` -> `LoanApproved`.
/// `None` when no word says what happened, or when the rename would not
/// pass the rule itself.
pub fn past_tense_suggestion(name: &str) -> Option<String> {
    // `OrderPayed` -> `OrderPaid`, `OnOrderPlaced` -> `OrderPlaced`.
    if let Some((_, fixed)) = not_the_fact(name) {
        return Some(fixed);
    }
    // `PlaceOrderCommand` -> `OrderPlaced`: the suffix goes too.
    if let Some(stem) = without_reserved_suffix(name) {
        return if is_past_tense(stem) {
            Some(stem.to_owned())
        } else {
            past_tense_suggestion(stem)
        };
    }
    rename(name).filter(|renamed| renamed != name && is_past_tense(renamed))
}

/// The rename of [`past_tense_suggestion`], unchecked.
fn rename(name: &str) -> Option<String> {
    let words = terms(name);
    let (first, rest) = words.split_first()?;
    // `TrialWillEnd` foretells; no rename makes it a fact.
    if rest.is_empty() || words.iter().any(|w| is_one_of(w, MODALS)) {
        return None;
    }
    // `OrderBeingShipped` -> `OrderShipped`: done, no longer under way.
    if let Some(k) = (1..words.len() - 1)
        .find(|&k| words[k].eq_ignore_ascii_case("being") && form(words[k + 1]) != Form::None)
    {
        return Some(format!(
            "{}{}",
            words[..k].concat(),
            words[k + 1..].concat()
        ));
    }
    let (last, init) = words.split_last()?;
    // Not after a preposition: `OrderOutForDelivery` is a state; nor after
    // a state before it: a `PurchasePendingChange` is a change that is
    // pending, not a purchase that changed.
    let after_preposition = init.last().is_some_and(|w| {
        is_one_of(w, PREPOSITIONS) || is_one_of(w, STATES) || is_one_of(w, DESCRIBING)
    });
    // `OrderIsShipping` -> `OrderShipped`: the auxiliary of the ongoing
    // form goes with it.
    let init = match init.split_last() {
        Some((aux, before)) if is_one_of(aux, AUXILIARIES) => before,
        _ => init,
    };
    let from_last = participle_of_last(last)
        .filter(|_| !after_preposition)
        .map(|p| format!("{}{p}", init.concat()));
    // `UserSignUp`, `UserDidCheckOut`: a subject, then a verb and its
    // particle.
    if let [subject @ .., verb, particle] = words.as_slice()
        && is_particle_of(verb, particle)
    {
        let subject = match subject.split_last() {
            Some((aux, before)) if is_one_of(aux, AUXILIARIES) => before,
            _ => subject,
        };
        let noun = |w: &str| {
            !is_verb_alone(w) || is_one_of(w, NOUNS_LIKE_VERBS) || is_one_of(w, SUBJECT_NOUNS)
        };
        if subject.first().is_some_and(|w| noun(w)) {
            return Some(format!(
                "{}{}{particle}",
                subject.concat(),
                participle(verb)
            ));
        }
    }
    // `SuccessfulRescale` -> `RescaleSucceeded`.
    if let Some((_, outcome)) = OUTCOMES.iter().find(|(a, _)| first.eq_ignore_ascii_case(a)) {
        return Some(format!("{}{outcome}", rest.concat()));
    }
    // `RefundProcessing`, `ProvisionFailure`: the noun of an action, then
    // how it ended.
    if rest.len() == 1
        && is_one_of(last, ENDINGS)
        && (is_one_of(first, ACTION_NOUNS) || is_one_of(first, NOUNS_LIKE_VERBS))
        && from_last.is_some()
    {
        return from_last;
    }
    // `PayoutExpire`: the payout expires; `CheckoutCart` checks a cart out.
    if COMPOUND_VERBS
        .iter()
        .any(|(v, _)| first.eq_ignore_ascii_case(v))
        && is_verb_alone(last)
        && from_last.is_some()
    {
        return from_last;
    }
    // `UserAddToTeam` -> `UserAddedToTeam`: a subject, its verb, and the
    // phrase after it.
    let verb_at = (1..words.len() - 1).find(|&k| {
        is_verb_alone(words[k])
            && form(words[k]) == Form::None
            && is_one_of(words[k + 1], PREPOSITIONS)
    });
    let verb_before_preposition = verb_at.map(|k| {
        format!(
            "{}{}{}",
            words[..k].concat(),
            participle(words[k]),
            words[k + 1..].concat()
        )
    });
    // `PriceDropBelowThreshold`: the price drops, it is not priced. (But
    // `ShareFileWithUser` shares a file: the word before the preposition is
    // a noun too, and the first a verb.)
    let noun_before_preposition =
        verb_at.is_some_and(|k| is_one_of(words[k], NOUNS_LIKE_VERBS) && is_verb_alone(first));
    if is_one_of(first, SUBJECT_NOUNS)
        && !rest.first().is_some_and(|w| is_particle_of(first, w))
        && !noun_before_preposition
        && verb_before_preposition.is_some()
    {
        return verb_before_preposition;
    }
    // `OrderShipment` is about an order; `OrderPizza` orders a pizza, and
    // `IssueRefund` issues a refund.
    if is_one_of(first, SUBJECT_NOUNS)
        && !rest.first().is_some_and(|w| is_particle_of(first, w))
        && !(is_one_of(first, TRANSACTING_VERBS) && is_one_of(last, TRANSACTIONS))
        && from_last.is_some()
    {
        return from_last;
    }
    // `RefundCreate`, as webhook topics write `refunds/create`: a noun that
    // is a verb too, then an operation; the refund was created.
    if is_one_of(first, NOUNS_LIKE_VERBS)
        && rest.len() == 1
        && is_one_of(last, OPERATIONS)
        && from_last.is_some()
    {
        return from_last;
    }
    // `InvoiceOverdue`, `OrderReadyForPickup`: a state of the subject, not
    // an order given to it; no rename says what happened.
    if state_of_subject(&words).is_some() {
        return None;
    }
    // `PowerOffServer` powers a server off; `PowerOutage` is an outage.
    // `TurnDeviceOn`, `SignCustomerUp`: the particle after the object.
    let particle_last = rest.len() >= 2 && is_particle_of(first, last);
    let commands = is_verb_alone(first)
        || rest.first().is_some_and(|w| is_particle_of(first, w))
        || particle_last;
    // `PayoutSchedule`, `LoginPage`: a noun made of a verb and its particle,
    // before a noun, names a thing.
    let compound_noun = COMPOUND_VERBS
        .iter()
        .any(|(v, _)| first.eq_ignore_ascii_case(v))
        && (is_one_of(last, NOUNS_LIKE_VERBS)
            || is_one_of(last, HEAD_NOUNS)
            || is_one_of(last, COMPOUND_HEADS));
    if commands
        && !compound_noun
        && !(is_one_of(first, NOUNS_LIKE_VERBS) && is_one_of(last, HEAD_NOUNS))
    {
        let mut participle = participle(first);
        let (particle, mut rest) = match rest.split_first() {
            Some((p, after)) if is_particle_of(first, p) => (Some(*p), after),
            _ if particle_last => (Some(*last), &rest[..rest.len() - 1]),
            _ => (None, rest),
        };
        // `CancelOrRefund` -> `CancelledOrRefunded`.
        if particle.is_none()
            && let [conjunction, second, after @ ..] = rest
            && is_one_of(conjunction, CONJUNCTIONS)
            && is_verb_alone(second)
        {
            participle = format!("{participle}{conjunction}{}", self::participle(second));
            rest = after;
        }
        // The participle goes before a preposition or a state:
        // `MarkInvoiceOverdue` -> `InvoiceMarkedOverdue`.
        let at = (0..rest.len())
            .position(|i| {
                is_one_of(rest[i], PREPOSITIONS)
                    || is_state(rest, i)
                    // `SendMoneyAbroad`; not the `Late` of `WaiveLateFee`.
                    || i + 1 == rest.len() && is_one_of(rest[i], ADVERBS)
            })
            .unwrap_or(rest.len());
        let (object, tail) = rest.split_at(at);
        // `PutOnSale` has nothing to put before `Put`, and in
        // `OrderOutForDelivery` the order is the subject.
        // So is the refund in `RefundUnderReview`.
        if object.is_empty()
            && particle.is_none()
            && (participle.eq_ignore_ascii_case(first)
                || is_one_of(first, SUBJECT_NOUNS)
                || is_one_of(first, NOUNS_LIKE_VERBS) && !tail.is_empty())
        {
            return None;
        }
        let mut out = object.concat();
        out.push_str(&participle);
        out.extend(particle);
        out.push_str(&tail.concat());
        return Some(out);
    }
    // `ApprovedLoan`: the participle describes the loan. (A `LeftMenu` is
    // on the left: no rename.)
    if form(first) == Form::Participle && !first.eq_ignore_ascii_case("left") {
        return Some(format!("{}{first}", rest.concat()));
    }
    verb_before_preposition.or(from_last)
}

/// A finding of the domain-event naming rules.
#[derive(Debug, PartialEq, Eq)]
pub enum DomainName {
    /// The name ends in a suffix reserved for another kind or for commands.
    ReservedSuffix { message: String },
    /// No word of the name is a past participle.
    NotPastTense { message: String },
}

/// What kind of thing a reserved suffix marks, and what to do instead.
fn reserved_suffix(name: &str) -> Option<String> {
    if let Some(s) = split_suffix(name, "IntegrationEvent") {
        return Some(format!(
            "`{name}` is named as an integration event: declare it with `#[integration_event(version = {})]`, or name the domain fact without the suffix{}",
            s.version.unwrap_or(1),
            fact_hint(s.stem)
        ));
    }
    // `OrderPlacedEventV2`: the suffix before a version is still a suffix.
    let (base, version) = trailing_version(name);
    let version_hint = version.map_or_else(String::new, |n| {
        format!(", and give the version in the attribute: `#[domain_event(version = {n})]`")
    });
    if let Some(stem) = base.strip_suffix("Notification") {
        return Some(format!(
            "`{name}` is named as a notification: declare it with `#[notification_event]`, or name the domain fact without the suffix{}{version_hint}",
            fact_hint(stem)
        ));
    }
    if let Some(stem) = base
        .strip_suffix("Command")
        .or_else(|| base.strip_suffix("Cmd"))
    {
        return Some(format!(
            "`{name}` is named as a command, a request that may still be refused; a domain event records a fact that happened{}{version_hint}",
            fact_hint(stem)
        ));
    }
    for suffix in ["DomainEvent", "DomainEvt", "Event", "Evt"] {
        if let Some(stem) = base
            .strip_suffix(suffix)
            .filter(|stem| !domain_is_an_object(suffix, stem))
        {
            let what = if suffix.starts_with("Domain") {
                "a domain event"
            } else {
                "an event"
            };
            return Some(format!(
                "drop the `{suffix}` suffix from `{name}`: the attribute already says it is {what}{}{version_hint}",
                fact_hint(stem)
            ));
        }
    }
    // `CustomerRegisteredMessage`: a fact, named after how it travels.
    if let Some((suffix, stem)) = carrier_suffix(base) {
        return Some(format!(
            "drop the `{suffix}` suffix from `{name}`: a domain event's name says what happened, not how it travels{}{version_hint}",
            fact_hint(stem)
        ));
    }
    // `OrderPlacedEventHandler`: what reacts to a fact, or what carries it.
    if let Some((suffix, stem)) = role_suffix(base) {
        return Some(format!(
            "`{name}` names the {} of the fact `{stem}`, not the fact: rename it to `{stem}`{version_hint}",
            words(suffix).join(" ").to_lowercase()
        ));
    }
    None
}

/// Whether the `Domain` of a `DomainEvent` suffix is the object of a
/// preposition before it (`EmailAddedToDomainEvent`), so only `Event` is a
/// suffix.
fn domain_is_an_object(suffix: &str, stem: &str) -> bool {
    suffix.starts_with("Domain")
        && terms(stem)
            .last()
            .is_some_and(|w| is_one_of(w, PREPOSITIONS))
}

/// The fact before a [`ROLE_SUFFIXES`] suffix: `OrderPlacedEventHandler`
/// -> (`EventHandler`, `OrderPlaced`).
fn role_suffix(name: &str) -> Option<(&'static str, &str)> {
    ROLE_SUFFIXES.iter().find_map(|suffix| {
        let stem = name.strip_suffix(suffix)?;
        is_past_tense(stem).then_some((*suffix, stem))
    })
}

/// A suffix that names how a fact travels (`Message`, `Dto`) after a name
/// that already states it, and the name before it.
fn carrier_suffix(name: &str) -> Option<(&'static str, &str)> {
    ["Message", "Msg", "Dto", "DTO"]
        .into_iter()
        .find_map(|suffix| {
            let stem = name.strip_suffix(suffix)?;
            is_past_tense(stem).then_some((suffix, stem))
        })
}

/// The name without a suffix that marks another kind, a command or a
/// carrier (`OrderPlacedEvent`, `PlaceOrderCommand`), if it has one.
fn without_reserved_suffix(name: &str) -> Option<&str> {
    let (base, _) = trailing_version(name);
    if let Some((_, stem)) = carrier_suffix(base) {
        return Some(stem);
    }
    // Before `Event`: `PriceChangedIntegrationEvent` is `PriceChanged`,
    // not a price that changed an integration.
    if let Some(stem) = base
        .strip_suffix("IntegrationEvent")
        .filter(|stem| !stem.is_empty())
    {
        return Some(stem);
    }
    // `RegisterHandlingEvent` registers a handling event, and a
    // `SourceMandateNotification` notifies of a mandate: those suffixes go
    // only after a fact.
    let fact = ["Notification", "DomainEvent", "DomainEvt", "Event", "Evt"]
        .into_iter()
        .find_map(|suffix| {
            base.strip_suffix(suffix)
                .filter(|stem| is_past_tense(stem) && !domain_is_an_object(suffix, stem))
        })
        .or_else(|| role_suffix(base).map(|(_, stem)| stem));
    fact.or_else(|| {
        ["Command", "Cmd"]
            .into_iter()
            .find_map(|suffix| base.strip_suffix(suffix).filter(|stem| !stem.is_empty()))
    })
}

/// `: rename it to `OrderPlaced`` when a good name can be derived from the
/// stem, else an example.
fn fact_hint(stem: &str) -> String {
    if stem.is_empty() {
        return ", like `OrderPlaced`".to_owned();
    }
    if is_past_tense(stem) {
        return format!(": rename it to `{stem}`");
    }
    match past_tense_suggestion(stem) {
        Some(suggestion) => format!(": rename it to `{suggestion}`"),
        None => format!(": name what happened, like `{stem}Placed`"),
    }
}

/// Whether the word at `i` is an adjective of [`STATES`] in predicate
/// position, where it says what its subject is: last (`InvoiceOverdue`) or
/// before a preposition (`OrderReadyForPickup`); not before a noun it
/// describes (`PendingOrder`, `LateFee`).
fn is_state(words: &[&str], i: usize) -> bool {
    words.get(i).is_some_and(|w| is_one_of(w, STATES))
        && words
            .get(i + 1)
            .is_none_or(|next| is_one_of(next, PREPOSITIONS) || is_one_of(next, ADVERBS))
}

/// Where the name states a state of its subject: the index of the state
/// word after a subject that opens with a noun (`InvoiceOverdue`,
/// `OrderPaymentOverdue`), rather than an order to put something in a
/// state (`MarkOverdue`).
fn state_of_subject(words: &[&str]) -> Option<usize> {
    let first = words.first()?;
    let noun =
        !is_verb(first) || is_one_of(first, NOUNS_LIKE_VERBS) || is_one_of(first, SUBJECT_NOUNS);
    if !noun {
        return None;
    }
    (1..words.len()).find(|&i| is_state(words, i))
}

/// For a name that states a state (`InvoiceOverdue`), the name of the change
/// into it: `InvoiceBecameOverdue`, `CartEmptied`, `StockRanLow`.
fn became(name: &str) -> Option<String> {
    let words = terms(name);
    let at = state_of_subject(&words)?;
    let state = words[at].to_lowercase();
    let change = STATE_CHANGES
        .iter()
        .find(|(adjective, _)| *adjective == state)
        .map_or_else(
            || format!("Became{}", words[at]),
            |(_, change)| (*change).to_owned(),
        );
    // `InvoiceUpcoming`: nothing changes into it.
    if change.is_empty() {
        return None;
    }
    Some(format!(
        "{}{change}{}",
        words[..at].concat(),
        words[at + 1..].concat()
    ))
}

/// Checks a domain event's name. `allow_suffix` and `allow_tense` are the
/// `reserved_suffix` and `non_past_tense` opt-outs.
pub fn check_domain(name: &str, allow_suffix: bool, allow_tense: bool) -> Vec<DomainName> {
    let mut findings = Vec::new();
    if !allow_suffix && let Some(message) = reserved_suffix(name) {
        findings.push(DomainName::ReservedSuffix { message });
        // The suffix message already suggests a past-tense name.
        return findings;
    }
    if !allow_tense && let Some((message, _)) = not_the_fact(name) {
        findings.push(DomainName::NotPastTense { message });
        return findings;
    }
    if !allow_tense && !is_past_tense(name) {
        let fix = match past_tense_suggestion(name) {
            Some(s) => format!("rename it to `{s}`"),
            None => match became(name) {
                Some(example) => format!(
                    "it names a state: name the change that brought it about, like `{example}`"
                ),
                None => "name what happened, like `OrderPlaced`, `StockRecalculated` or `ProductPutOnSale`"
                    .to_owned(),
            },
        };
        findings.push(DomainName::NotPastTense {
            message: format!(
                "`{name}` does not say what happened: a domain event records a fact, so its name ends in a past participle after its subject, like `OrderPlaced`; {fix}"
            ),
        });
    }
    findings
}

/// What is wrong with a name that reads as past tense but does not name a
/// fact as it is written: a participle misspelled as regular
/// (`OrderPayed`), a handler's name (`OnOrderPlaced`), an interface's
/// (`IOrderSubmitted`).
fn not_the_fact(name: &str) -> Option<(String, String)> {
    if let Some((wrong, verb, fixed)) = misspelled_participle(name) {
        let message = format!(
            "the past participle of `{verb}` is spelled `{}`, not `{}`: rename `{name}` to `{fixed}`",
            participle(&verb).to_lowercase(),
            wrong.to_lowercase()
        );
        return Some((message, fixed));
    }
    // `OnOrderPlaced`: the prefix, then a subject and its participle, as a
    // handler is named after the event it handles; a longer name reads as
    // a state (`OnOrderQuantityIncreased`, `OnChainTransactionConfirmed`).
    let words = terms(name);
    if let [first, subject, _] = words.as_slice()
        && is_one_of(first, HANDLER_PREFIXES)
        && !(first.eq_ignore_ascii_case("on") && is_one_of(subject, ON_STATES))
    {
        let fact = &name[first.len()..];
        if is_past_tense(fact) {
            let message = format!(
                "`{name}` names what runs when `{fact}` happens, not the fact: rename it to `{fact}`, and name the handler after what it does"
            );
            return Some((message, fact.to_owned()));
        }
    }
    // `IOrderSubmitted`: `I`, then a word of three letters or more; not a
    // product named with an `i` (`IPhoneActivated`, `ICloudBackupCompleted`)
    // nor an acronym (`IPv6AddressAssigned`, `IDsMerged`).
    let bytes = name.as_bytes();
    if bytes.len() > 3
        && bytes[0] == b'I'
        && bytes[1].is_ascii_uppercase()
        && bytes[2].is_ascii_lowercase()
        && let Some(next_word) = terms(&name[1..]).first().copied()
        && next_word.len() >= 3
        && next_word.bytes().all(|b| b.is_ascii_alphabetic())
        && !is_one_of(next_word, I_PRODUCTS)
        && is_past_tense(&name[1..])
    {
        let fact = &name[1..];
        let message = format!(
            "`{name}` is named like an interface, with an `I` before it; an event is a struct that records a fact: rename it to `{fact}`"
        );
        return Some((message, fact.to_owned()));
    }
    None
}

/// A participle of an irregular verb spelled as a regular one's
/// (`OrderPayed`, `FileSended`, `PasswordReseted`): the word as written, the
/// verb, and the name spelled right. Spellings English accepts
/// ([`ACCEPTED_REGULAR_FORMS`]) are not reported.
fn misspelled_participle(name: &str) -> Option<(&str, String, String)> {
    let words = terms(name);
    words.iter().enumerate().find_map(|(i, word)| {
        let lower = word.to_lowercase();
        // A regular participle ends in `ed`: the other words need no look
        // through the verbs (this runs for every word of every domain
        // event's name).
        if !lower.ends_with("ed") || is_one_of(word, ACCEPTED_REGULAR_FORMS) {
            return None;
        }
        let regular_of = |written: &str| {
            IRREGULAR_VERBS.iter().find(|(verb, participle)| {
                // The first letter first, before spelling the form out.
                if verb.as_bytes().first() != written.as_bytes().first() {
                    return false;
                }
                let regular = regular_participle(verb);
                regular != *participle && regular == written
            })
        };
        // `Overpayed`, `Prepayed`: after a prefix that forms verbs of
        // irregular ones (not `de`, `dis`: `Demeaned`, `Derided`).
        let (prefix, (verb, _)) = regular_of(&lower).map(|found| ("", found)).or_else(|| {
            PREFIXES
                .iter()
                .filter(|p| !matches!(**p, "de" | "dis"))
                .find_map(|p| {
                    let rest = lower.strip_prefix(p).filter(|rest| {
                        rest.len() > 3 && !is_one_of(rest, ACCEPTED_REGULAR_FORMS)
                    })?;
                    regular_of(rest).map(|found| (*p, found))
                })
        })?;
        // `Relayed` is a regular verb's own participle, not `re` + `layed`;
        // so is a participle of the team's own verbs.
        let own =
            |verb: &str, participle: &str| participle == lower || regular_participle(verb) == lower;
        if REGULAR_VERBS
            .iter()
            .any(|verb| regular_participle(verb) == lower)
            || custom_verbs()
                .iter()
                .any(|(verb, participle)| own(verb, participle))
        {
            return None;
        }
        let verb = format!("{prefix}{verb}");
        let right = participle(&verb);
        // `Upcasted`: a prefixed verb that is regular itself.
        if right.eq_ignore_ascii_case(word) {
            return None;
        }
        let fixed = format!("{}{right}{}", words[..i].concat(), words[i + 1..].concat());
        Some((*word, verb, fixed))
    })
}

/// Whether the name states a fact: some word is a past participle in
/// predicate position (see [`is_predicate`]).
pub fn is_past_tense(name: &str) -> bool {
    let words = terms(name);
    (0..words.len()).any(|i| is_predicate(&words, i))
}

/// The participles of the name's predicate: the last participle in predicate
/// position, with those joined to it by `And`, `Or` or `Then`
/// (`PriceReducedAndUpdated`).
fn predicate_participles<'n>(words: &[&'n str]) -> Vec<&'n str> {
    let Some(last) = (0..words.len()).rev().find(|&i| is_predicate(words, i)) else {
        return Vec::new();
    };
    let mut out = vec![words[last]];
    let mut i = last;
    while i >= 2 && is_one_of(words[i - 1], CONJUNCTIONS) && is_predicate(words, i - 2) {
        out.push(words[i - 2]);
        i -= 2;
    }
    out
}

/// The generic participle of a name whose predicate says only that something
/// changed (`ProductUpdated`, `SavedSearchUpdated` -> `Updated`); `None` for
/// a name that says what happened.
pub fn generic_participle(name: &str) -> Option<&str> {
    let words = terms(name);
    let predicate = predicate_participles(&words);
    let all_generic = !predicate.is_empty() && predicate.iter().all(|w| is_one_of(w, GENERIC));
    all_generic.then(|| predicate[0])
}

/// The warning for a generic name, as a sentence about the name:
/// "`ProductUpdated` says only that a product was updated, ...".
pub fn generic_warning(name: &str) -> Option<String> {
    let word = generic_participle(name)?;
    let words = terms(name);
    let at = words.iter().position(|w| *w == word).unwrap_or(0);
    let subject_words = &words[..at];
    // Acronyms keep their capitals: `APIKeyUpdated` is about an API key.
    let subject = subject_words
        .iter()
        .map(|w| {
            if w.len() > 1 && w.bytes().all(|b| !b.is_ascii_lowercase()) {
                (*w).to_owned()
            } else {
                w.to_lowercase()
            }
        })
        .collect::<Vec<_>>()
        .join(" ");
    let stem = subject_words.concat();
    let (thing, examples) = if subject.is_empty() {
        (
            "something".to_owned(),
            "`ProductPutOnSale`, `PriceReduced` or `AddressCorrected`".to_owned(),
        )
    } else {
        (
            format!("{} {subject}", article(&subject)),
            format!("`{stem}Renamed`, `{stem}Approved` or `{stem}Archived`"),
        )
    };
    Some(format!(
        "`{name}` says only that {thing} was {}, not what happened to it; name the change the domain cares about, like {examples}",
        word.to_lowercase()
    ))
}

/// `a` or `an` before `words`, as it is said: an API key, a user, an hour.
fn article(words: &str) -> &'static str {
    let first = words.split(' ').next().unwrap_or(words);
    let acronym = first.len() > 1 && first.bytes().all(|b| !b.is_ascii_lowercase());
    let vowel_sound = if acronym {
        // The name of the first letter: "an SMS", "a URL"; an acronym said
        // as a word: "a EULA".
        first.starts_with(['A', 'E', 'F', 'H', 'I', 'L', 'M', 'N', 'O', 'R', 'S', 'X'])
            && !first.starts_with("EU")
    } else if [
        "uni", "use", "usa", "usb", "usu", "uti", "ura", "ure", "uri", "eu", "one", "once",
    ]
    .iter()
    .any(|p| first.starts_with(p))
    {
        false
    } else {
        first.starts_with(['a', 'e', 'i', 'o', 'u'])
            || ["hour", "honest", "honor", "honour", "heir"]
                .iter()
                .any(|p| first.starts_with(p))
    };
    if vowel_sound { "an" } else { "a" }
}

#[cfg(test)]
mod tests {

    #[test]
    fn the_suffix_hint_keeps_the_version_and_replaces_partial_suffixes() {
        let hint = |name| with_suffix(name, "IntegrationEvent");
        assert_eq!(hint("ProductUpdated"), "ProductUpdatedIntegrationEvent");
        assert_eq!(
            hint("ProductUpdatedEvent"),
            "ProductUpdatedIntegrationEvent"
        );
        assert_eq!(hint("ProductUpdatedV2"), "ProductUpdatedIntegrationEventV2");
        assert_eq!(
            hint("ProductUpdatedEventV2"),
            "ProductUpdatedIntegrationEventV2"
        );
        assert_eq!(
            hint("ProductUpdatedIntegration"),
            "ProductUpdatedIntegrationEvent"
        );
        assert_eq!(hint("Event"), "EventIntegrationEvent");
        assert_eq!(hint("V2"), "V2IntegrationEvent");
        assert_eq!(
            with_suffix("PriceDroppedV3", "Notification"),
            "PriceDroppedNotificationV3"
        );
    }

    #[test]
    fn a_misspelled_suffix_is_spelled_right() {
        let hint = |name| with_suffix(name, "IntegrationEvent");
        for (name, fixed) in [
            (
                "OrderPlacedIntergrationEvent",
                "OrderPlacedIntegrationEvent",
            ),
            ("OrderPlacedIntegrationEvnt", "OrderPlacedIntegrationEvent"),
            (
                "OrderPlacedIntegrationEvents",
                "OrderPlacedIntegrationEvent",
            ),
            (
                "OrderPlacedIntegrationEventv2",
                "OrderPlacedIntegrationEventV2",
            ),
            (
                "OrderPlacedIntegrationEventV",
                "OrderPlacedIntegrationEvent",
            ),
            ("OrderPlacedIntegrationevent", "OrderPlacedIntegrationEvent"),
        ] {
            assert_eq!(hint(name), fixed, "{name}");
        }
        assert_eq!(
            with_suffix("OrderShippedNotifcation", "Notification"),
            "OrderShippedNotification"
        );
        assert_eq!(
            with_suffix("OrderShippedEmail", "Notification"),
            "OrderShippedEmailNotification"
        );
        // The suffix's first word cut short.
        assert_eq!(hint("OrderPlacedIntEvent"), "OrderPlacedIntegrationEvent");
        assert_eq!(
            hint("OrderPlacedIntegEventV2"),
            "OrderPlacedIntegrationEventV2"
        );
        assert_eq!(
            with_suffix("OrderShippedNotif", "Notification"),
            "OrderShippedNotification"
        );
        assert_eq!(hint("OrderPlacedIn"), "OrderPlacedInIntegrationEvent");
        // The suffix written first.
        assert_eq!(
            with_suffix("NotificationOrderShipped", "Notification"),
            "OrderShippedNotification"
        );
        assert_eq!(
            hint("IntegrationEventOrderPlacedV2"),
            "OrderPlacedIntegrationEventV2"
        );
    }

    use super::*;

    #[test]
    fn splits_pascal_case() {
        assert_eq!(words("ProductPutOnSale"), ["Product", "Put", "On", "Sale"]);
        assert_eq!(words("HTTPRequestSent"), ["HTTP", "Request", "Sent"]);
        assert_eq!(words("Order2Placed"), ["Order2", "Placed"]);
        assert_eq!(words("Order"), ["Order"]);
        assert_eq!(words("Snake_Case"), ["Snake", "Case"]);
    }

    #[test]
    fn dotted_names() {
        assert_eq!(dotted("ProductUpdated"), "product.updated");
        assert_eq!(dotted("ProductPutOnSale"), "product.put.on.sale");
        assert_eq!(dotted("SMSSent"), "sms.sent");
    }

    #[test]
    fn past_participles() {
        for name in [
            "OrderPlaced",
            "StockRecalculated",
            "ProductPutOnSale",
            "PaymentCaptured",
            "InvoiceSent",
            "OrderPaid",
            "ItemSold",
            "HouseBuilt",
            "OfferMade",
            "ReservationHeld",
            "PasswordReset",
            "CatalogRebuilt",
            "OrderPrepaid",
            "PaymentWithheld",
            "LimitSet",
        ] {
            assert!(is_past_tense(name), "{name}");
        }
        for name in [
            "PlaceOrder",
            "PutProductOnSale",
            "SetLimit",
            "Order",
            "OrderShipment",
            "Seed",
            "NeedFeed",
        ] {
            assert!(!is_past_tense(name), "{name}");
        }
    }

    #[test]
    fn participles_of_verbs() {
        assert_eq!(participle("Place"), "Placed");
        assert_eq!(participle("Ship"), "Shipped");
        assert_eq!(participle("Stop"), "Stopped");
        assert_eq!(participle("Open"), "Opened");
        assert_eq!(participle("Book"), "Booked");
        assert_eq!(participle("Apply"), "Applied");
        assert_eq!(participle("Pay"), "Paid");
        assert_eq!(participle("Send"), "Sent");
        assert_eq!(participle("Cancel"), "Cancelled");
        assert_eq!(participle("Submit"), "Submitted");
        assert_eq!(participle("Add"), "Added");
        assert_eq!(participle("Fix"), "Fixed");
    }

    #[test]
    fn suggestions() {
        assert_eq!(
            past_tense_suggestion("PlaceOrder").as_deref(),
            Some("OrderPlaced")
        );
        assert_eq!(
            past_tense_suggestion("PutProductOnSale").as_deref(),
            Some("ProductPutOnSale")
        );
        assert_eq!(
            past_tense_suggestion("AddItemToCart").as_deref(),
            Some("ItemAddedToCart")
        );
        assert_eq!(
            past_tense_suggestion("ConfirmOrderPayment").as_deref(),
            Some("OrderPaymentConfirmed")
        );
        assert_eq!(
            past_tense_suggestion("OrderShip").as_deref(),
            Some("OrderShipped")
        );
        assert_eq!(
            past_tense_suggestion("OrderShipment").as_deref(),
            Some("OrderShipped")
        );
        assert_eq!(
            past_tense_suggestion("SignUpCustomer").as_deref(),
            Some("CustomerSignedUp")
        );
        assert_eq!(
            past_tense_suggestion("CheckOutBook").as_deref(),
            Some("BookCheckedOut")
        );
        assert_eq!(
            past_tense_suggestion("BorrowBook").as_deref(),
            Some("BookBorrowed")
        );
        assert_eq!(
            past_tense_suggestion("AddToCart").as_deref(),
            Some("AddedToCart")
        );
        assert_eq!(past_tense_suggestion("Place"), None);
    }

    #[test]
    fn domain_names() {
        assert!(check_domain("OrderPlaced", false, false).is_empty());
        assert!(check_domain("ProductPutOnSale", false, false).is_empty());
        let place = check_domain("PlaceOrder", false, false);
        assert!(
            matches!(&place[..], [DomainName::NotPastTense { message }] if message.contains("`OrderPlaced`"))
        );
        assert!(check_domain("PlaceOrder", false, true).is_empty());
        let cmd = check_domain("CreateOrderCommand", false, false);
        assert!(
            matches!(&cmd[..], [DomainName::ReservedSuffix { message }] if message.contains("`OrderCreated`"))
        );
        let event = check_domain("OrderPlacedEvent", false, false);
        assert!(
            matches!(&event[..], [DomainName::ReservedSuffix { message }] if message.contains("rename it to `OrderPlaced`"))
        );
        let bare = check_domain("OrderEvent", false, false);
        assert!(
            matches!(&bare[..], [DomainName::ReservedSuffix { message }] if message.contains("`OrderPlaced`"))
        );
        let integ = check_domain("ProductUpdatedIntegrationEventV2", false, false);
        assert!(
            matches!(&integ[..], [DomainName::ReservedSuffix { message }] if message.contains("version = 2"))
        );
        // With the suffix allowed, the tense rule still applies.
        assert!(check_domain("TicketPlacedEvent", true, false).is_empty());
        assert_eq!(check_domain("TicketEvent", true, false).len(), 1);
    }

    #[test]
    fn generic_names() {
        assert_eq!(generic_participle("ProductUpdated"), Some("Updated"));
        assert_eq!(generic_participle("OrderChanged"), Some("Changed"));
        assert_eq!(generic_participle("CustomerModified"), Some("Modified"));
        assert_eq!(generic_participle("ProductPutOnSale"), None);
        assert_eq!(generic_participle("PriceReducedAndUpdated"), None);
        assert_eq!(generic_participle("PlaceOrder"), None);
    }

    #[test]
    fn the_generic_warning_reads_as_said() {
        let said = |name| generic_warning(name).unwrap();
        assert!(said("APIKeyUpdated").contains("that an API key was updated"));
        assert!(said("UserUpdated").contains("that a user was updated"));
        assert!(said("OrderUpdated").contains("that an order was updated"));
        assert!(said("URLChanged").contains("that a URL was changed"));
        assert!(said("SMSTemplateEdited").contains("that an SMS template was edited"));
        assert!(said("HourlyRateChanged").contains("that an hourly rate was changed"));
        assert!(said("EULAUpdated").contains("that a EULA was updated"));
        assert!(said("UraniumStockUpdated").contains("that a uranium stock was updated"));
        assert!(said("UsbDeviceChanged").contains("that a usb device was changed"));
    }

    /// The verdicts and renames of `naming/catalog.txt`, a few hundred event
    /// names as event catalogues write them.
    #[test]
    fn the_catalog_of_real_names() {
        let catalog = include_str!("naming/catalog.txt");
        let mut wrong = Vec::new();
        let mut counts = [0usize; 3];
        for line in catalog.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let parts: Vec<&str> = line.split_whitespace().collect();
            let (name, expected) = (parts[0], parts[1]);
            let fails = !check_domain(name, false, false).is_empty();
            let verdict = if fails {
                "fail"
            } else if generic_participle(name).is_some() {
                "warn"
            } else {
                "pass"
            };
            counts[match verdict {
                "pass" => 0,
                "warn" => 1,
                _ => 2,
            }] += 1;
            if verdict != expected {
                wrong.push(format!("{name}: {verdict}, expected {expected}"));
                continue;
            }
            if verdict == "fail" {
                let suggested = past_tense_suggestion(name).unwrap_or_else(|| "-".into());
                let expected = parts.get(2).copied().unwrap_or("-");
                if suggested != expected {
                    wrong.push(format!("{name}: suggests {suggested}, expected {expected}"));
                }
                if suggested != "-" && !is_past_tense(&suggested) {
                    wrong.push(format!("{name}: the rename {suggested} fails the rule"));
                }
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
        assert!(counts.iter().sum::<usize>() >= 200, "{counts:?}");
        assert!(counts.iter().all(|&n| n >= 10), "{counts:?}");
    }

    #[test]
    fn a_state_is_named_as_the_change_into_it() {
        for (name, example) in [
            ("InvoiceOverdue", "InvoiceBecameOverdue"),
            ("OrderReadyForPickup", "OrderBecameReadyForPickup"),
        ] {
            assert_eq!(past_tense_suggestion(name), None, "{name}");
            let findings = check_domain(name, false, false);
            let [DomainName::NotPastTense { message }] = findings.as_slice() else {
                panic!("{name}: {findings:?}");
            };
            assert!(message.contains(&format!("like `{example}`")), "{message}");
            assert!(is_past_tense(example), "{example}");
        }
    }

    #[test]
    fn every_change_into_a_state_passes_the_rule() {
        for state in STATES {
            let name = format!("Account{}", capitalize(state));
            let Some(change) = became(&name) else {
                assert!(STATE_CHANGES.contains(&(state, "")), "{name}: no change");
                continue;
            };
            assert!(is_past_tense(&change), "{name} -> {change}");
        }
        assert_eq!(became("CartEmpty").as_deref(), Some("CartEmptied"));
        assert_eq!(became("StockLow").as_deref(), Some("StockRanLow"));
        assert_eq!(
            became("OrderReadyForPickup").as_deref(),
            Some("OrderBecameReadyForPickup")
        );
        assert!(
            STATE_CHANGES
                .iter()
                .all(|(state, _)| STATES.contains(state))
        );
    }

    #[test]
    fn a_team_adds_its_own_verbs() {
        assert_eq!(
            parse_verbs("onboard, Offboard:offboarded;resit:resat geocode, bad-word, :x"),
            [
                ("onboard".to_owned(), "onboarded".to_owned()),
                ("offboard".to_owned(), "offboarded".to_owned()),
                ("resit".to_owned(), "resat".to_owned()),
                ("geocode".to_owned(), "geocoded".to_owned()),
            ]
        );
    }

    #[test]
    fn suffixes() {
        assert_eq!(
            split_suffix("ProductUpdatedIntegrationEvent", "IntegrationEvent"),
            Some(Suffixed {
                stem: "ProductUpdated",
                version: None
            })
        );
        assert_eq!(
            split_suffix("ProductUpdatedIntegrationEventV12", "IntegrationEvent"),
            Some(Suffixed {
                stem: "ProductUpdated",
                version: Some(12)
            })
        );
        assert_eq!(split_suffix("ProductUpdatedV2", "IntegrationEvent"), None);
        assert_eq!(split_suffix("ProductUpdated", "IntegrationEvent"), None);
    }

    #[test]
    fn type_names() {
        assert!(check_type_name("catalog.product.updated").is_ok());
        assert!(check_type_name("com.acme.pull_request-opened").is_ok());
        assert!(check_type_name("").is_err());
        assert!(check_type_name("a..b").is_err());
        assert!(check_type_name("Product.Updated").is_err());
        let versioned = check_type_name("product.updated.v2").unwrap_err();
        assert!(
            versioned.contains("name = \"product.updated\""),
            "{versioned}"
        );
        // A version glued on is the event's own only at its version.
        assert!(check_type_name("plan.upgraded_to_v2").is_ok());
        assert!(own_version_in_name("catalog.product_updated_v1", 1).is_some());
        assert!(own_version_in_name("catalog.product.updated-v12", 12).is_some());
        assert!(own_version_in_name("plan.upgraded_to_v2", 1).is_none());
        assert!(own_version_in_name("payment.authenticated_3ds_v2", 1).is_none());
        // A word that only ends in `v` and digits is no version.
        assert!(check_type_name("media.mp4v2").is_ok());
        assert!(check_type_name("v2").is_ok());
    }
}
