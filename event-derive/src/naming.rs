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
    if let Some(last) = name.rsplit('.').next()
        && version_suffix(last).is_some()
        && name.contains('.')
    {
        let stem = &name[..name.len() - last.len() - 1];
        return Err(format!(
            "`{name}` ends in a version; the version is added to the full type, so write `name = \"{stem}\"` and `version = N`"
        ));
    }
    Ok(())
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
    let (base, version) = match name.rfind('V') {
        Some(v) if v > 0 && version_suffix(&name[v..]).is_some() => name.split_at(v),
        _ => (name, ""),
    };
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
    }
    if stem.is_empty() {
        stem = base;
    }
    format!("{stem}{suffix}{version}")
}

/// Past participles that differ from their verb's base form.
const IRREGULAR: &[&str] = &[
    "arisen",
    "awoken",
    "been",
    "begun",
    "bent",
    "bitten",
    "blown",
    "bought",
    "bound",
    "bred",
    "broken",
    "brought",
    "built",
    "burnt",
    "caught",
    "chosen",
    "clung",
    "dealt",
    "done",
    "drawn",
    "dreamt",
    "driven",
    "drunk",
    "dug",
    "dwelt",
    "eaten",
    "fallen",
    "fed",
    "felt",
    "fled",
    "flown",
    "forbidden",
    "forgiven",
    "forgotten",
    "fought",
    "found",
    "frozen",
    "given",
    "gone",
    "gotten",
    "got",
    "ground",
    "grown",
    "had",
    "heard",
    "held",
    "hidden",
    "hung",
    "kept",
    "knelt",
    "known",
    "laid",
    "led",
    "leant",
    "learnt",
    "left",
    "lent",
    "lit",
    "lost",
    "made",
    "meant",
    "met",
    "mown",
    "paid",
    "proven",
    "ridden",
    "risen",
    "rung",
    "said",
    "sat",
    "seen",
    "sent",
    "sewn",
    "shaken",
    "shone",
    "shot",
    "shown",
    "shrunk",
    "slain",
    "slept",
    "slid",
    "sold",
    "sought",
    "sown",
    "spelt",
    "spent",
    "spilt",
    "spoken",
    "sprung",
    "stolen",
    "stood",
    "struck",
    "stuck",
    "stung",
    "sung",
    "sunk",
    "sworn",
    "swept",
    "swollen",
    "swum",
    "swung",
    "taken",
    "taught",
    "thought",
    "thrown",
    "told",
    "torn",
    "trodden",
    "understood",
    "undone",
    "upheld",
    "wept",
    "withdrawn",
    "withheld",
    "woken",
    "won",
    "worn",
    "woven",
    "wound",
    "written",
    "wrung",
];

/// Past participles spelled like their verb's base form. They count only
/// after the first word: `ProductPutOnSale` is a fact, `PutProductOnSale` an
/// instruction.
const SAME_AS_BASE: &[&str] = &[
    "bet",
    "bid",
    "broadcast",
    "burst",
    "cast",
    "come",
    "cost",
    "cut",
    "forecast",
    "hit",
    "hurt",
    "let",
    "put",
    "quit",
    "read",
    "run",
    "set",
    "shed",
    "shut",
    "split",
    "spread",
    "thrust",
];

/// Prefixes that keep a participle a participle: `rebuilt`, `prepaid`,
/// `withheld`, `reset`.
const PREFIXES: &[&str] = &[
    "with", "under", "over", "fore", "pre", "mis", "out", "re", "un", "up",
];

/// Words ending in `ed` that are not participles.
const NOT_PARTICIPLES: &[&str] = &[
    "bleed", "breed", "deed", "embed", "feed", "greed", "hundred", "kindred", "naked", "need",
    "sacred", "seed", "speed", "steed", "shred", "sled", "weed", "wicked",
];

/// Participles that describe a change without saying what it meant to the
/// domain.
const GENERIC: &[&str] = &[
    "altered",
    "changed",
    "edited",
    "handled",
    "modified",
    "persisted",
    "processed",
    "saved",
    "stored",
    "touched",
    "updated",
    "upserted",
];

fn strip_prefix_participle(word: &str, list: &[&str]) -> bool {
    list.contains(&word)
        || PREFIXES.iter().any(|p| {
            word.strip_prefix(p)
                .is_some_and(|rest| rest.len() > 2 && list.contains(&rest))
        })
}

/// Whether `word` (any case) is a past participle. `first` says it is the
/// name's first word, where forms like `put` read as an instruction.
pub fn is_past_participle(word: &str, first: bool) -> bool {
    let w = word.to_lowercase();
    if strip_prefix_participle(&w, IRREGULAR) {
        return true;
    }
    if strip_prefix_participle(&w, SAME_AS_BASE) {
        return !first;
    }
    w.len() > 3 && w.ends_with("ed") && !NOT_PARTICIPLES.contains(&w.as_str())
}

fn is_generic(word: &str) -> bool {
    GENERIC.contains(&word.to_lowercase().as_str())
}

/// Irregular verbs and their participles, for suggestions.
const IRREGULAR_VERBS: &[(&str, &str)] = &[
    ("bind", "bound"),
    ("break", "broken"),
    ("bring", "brought"),
    ("build", "built"),
    ("buy", "bought"),
    ("choose", "chosen"),
    ("cut", "cut"),
    ("deal", "dealt"),
    ("do", "done"),
    ("draw", "drawn"),
    ("drive", "driven"),
    ("feed", "fed"),
    ("find", "found"),
    ("freeze", "frozen"),
    ("give", "given"),
    ("grow", "grown"),
    ("hide", "hidden"),
    ("hold", "held"),
    ("keep", "kept"),
    ("know", "known"),
    ("lay", "laid"),
    ("lead", "led"),
    ("leave", "left"),
    ("lend", "lent"),
    ("lose", "lost"),
    ("make", "made"),
    ("meet", "met"),
    ("pay", "paid"),
    ("prepay", "prepaid"),
    ("put", "put"),
    ("read", "read"),
    ("rebuild", "rebuilt"),
    ("repay", "repaid"),
    ("resend", "resent"),
    ("reset", "reset"),
    ("resell", "resold"),
    ("rewrite", "rewritten"),
    ("run", "run"),
    ("sell", "sold"),
    ("send", "sent"),
    ("set", "set"),
    ("show", "shown"),
    ("shut", "shut"),
    ("spend", "spent"),
    ("split", "split"),
    ("take", "taken"),
    ("tell", "told"),
    ("throw", "thrown"),
    ("undo", "undone"),
    ("win", "won"),
    ("withdraw", "withdrawn"),
    ("withhold", "withheld"),
    ("write", "written"),
];

/// Regular verbs that often start a command's name (`PlaceOrder`).
const REGULAR_VERBS: &[&str] = &[
    "accept",
    "activate",
    "add",
    "allocate",
    "apply",
    "approve",
    "archive",
    "assign",
    "authorize",
    "ban",
    "block",
    "book",
    "calculate",
    "cancel",
    "capture",
    "change",
    "charge",
    "check",
    "claim",
    "close",
    "commit",
    "complete",
    "confirm",
    "create",
    "deactivate",
    "decline",
    "delete",
    "deliver",
    "deposit",
    "disable",
    "discontinue",
    "dispatch",
    "download",
    "drop",
    "edit",
    "enable",
    "end",
    "expire",
    "export",
    "fail",
    "finish",
    "fulfil",
    "fulfill",
    "import",
    "invite",
    "issue",
    "join",
    "link",
    "lock",
    "log",
    "mark",
    "merge",
    "modify",
    "move",
    "notify",
    "open",
    "pack",
    "pause",
    "place",
    "plan",
    "post",
    "process",
    "publish",
    "purchase",
    "raise",
    "rate",
    "recalculate",
    "receive",
    "record",
    "refund",
    "register",
    "reject",
    "release",
    "remove",
    "rename",
    "renew",
    "request",
    "reschedule",
    "reserve",
    "restock",
    "restore",
    "resume",
    "return",
    "review",
    "save",
    "schedule",
    "settle",
    "ship",
    "sign",
    "start",
    "stop",
    "submit",
    "subscribe",
    "suspend",
    "tag",
    "track",
    "transfer",
    "unlink",
    "unlock",
    "unsubscribe",
    "update",
    "upload",
    "validate",
    "verify",
    "void",
];

/// Words after which the participle goes in a suggestion:
/// `PutProductOnSale` -> `ProductPutOnSale`.
const PREPOSITIONS: &[&str] = &[
    "as", "at", "back", "by", "for", "from", "in", "into", "off", "on", "out", "to", "up", "with",
];

fn is_verb(word: &str) -> bool {
    let w = word.to_lowercase();
    IRREGULAR_VERBS.iter().any(|(v, _)| *v == w) || REGULAR_VERBS.contains(&w.as_str())
}

/// The past participle of a verb, capitalised like the verb:
/// `Place` -> `Placed`, `Ship` -> `Shipped`, `Send` -> `Sent`.
pub fn participle(verb: &str) -> String {
    let lower = verb.to_lowercase();
    let participle = if let Some((_, p)) = IRREGULAR_VERBS.iter().find(|(v, _)| *v == lower) {
        (*p).to_owned()
    } else if lower.ends_with('e') {
        format!("{lower}d")
    } else if lower.len() > 1
        && lower.ends_with('y')
        && !lower[..lower.len() - 1].ends_with(['a', 'e', 'i', 'o', 'u'])
    {
        format!("{}ied", &lower[..lower.len() - 1])
    } else if doubles_final_consonant(&lower) {
        let last = &lower[lower.len() - 1..];
        format!("{lower}{last}ed")
    } else {
        format!("{lower}ed")
    };
    capitalize(&participle)
}

/// `ship` -> `shipped`, `submit` -> `submitted`, `cancel` -> `cancelled`; but
/// `open` -> `opened`, `book` -> `booked`.
fn doubles_final_consonant(verb: &str) -> bool {
    const STRESSED_LAST: &[&str] = &["cancel", "commit", "submit", "transfer", "fulfil", "refer"];
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

/// A past-tense name for a name that reads as an instruction: `PlaceOrder` ->
/// `OrderPlaced`, `PutProductOnSale` -> `ProductPutOnSale`, `OrderShip` ->
/// `OrderShipped`. `None` when no word is a known verb.
pub fn past_tense_suggestion(name: &str) -> Option<String> {
    let words = words(name);
    let (first, rest) = words.split_first()?;
    if rest.is_empty() {
        return None;
    }
    if is_verb(first) {
        let participle = participle(first);
        let at = rest
            .iter()
            .skip(1)
            .position(|w| PREPOSITIONS.contains(&w.to_lowercase().as_str()))
            .map_or(rest.len(), |p| p + 1);
        let mut out: Vec<&str> = rest[..at].to_vec();
        out.push(&participle);
        out.extend_from_slice(&rest[at..]);
        return Some(out.concat());
    }
    let (last, init) = words.split_last()?;
    if is_verb(last) {
        return Some(format!("{}{}", init.concat(), participle(last)));
    }
    None
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
    if let Some(stem) = name.strip_suffix("Notification") {
        return Some(format!(
            "`{name}` is named as a notification: declare it with `#[notification_event]`, or name the domain fact without the suffix{}",
            fact_hint(stem)
        ));
    }
    if let Some(stem) = name.strip_suffix("Command") {
        return Some(format!(
            "`{name}` is named as a command, a request that may still be refused; a domain event records a fact that happened{}",
            fact_hint(stem)
        ));
    }
    if let Some(stem) = name.strip_suffix("Event") {
        return Some(format!(
            "drop the `Event` suffix from `{name}`: the attribute already says it is an event{}",
            fact_hint(stem)
        ));
    }
    None
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

/// Checks a domain event's name. `allow_suffix` and `allow_tense` are the
/// `reserved_suffix` and `non_past_tense` opt-outs.
pub fn check_domain(name: &str, allow_suffix: bool, allow_tense: bool) -> Vec<DomainName> {
    let mut findings = Vec::new();
    if !allow_suffix && let Some(message) = reserved_suffix(name) {
        findings.push(DomainName::ReservedSuffix { message });
        // The suffix message already suggests a past-tense name.
        return findings;
    }
    if !allow_tense && !is_past_tense(name) {
        let fix = match past_tense_suggestion(name) {
            Some(s) => format!("rename it to `{s}`"),
            None => {
                "name what happened, like `OrderPlaced`, `StockRecalculated` or `ProductPutOnSale`"
                    .to_owned()
            }
        };
        findings.push(DomainName::NotPastTense {
            message: format!(
                "a domain event records a fact, so its name is in the past tense, but no word of `{name}` is a past participle: {fix}"
            ),
        });
    }
    findings
}

/// Whether some word of the name is a past participle.
pub fn is_past_tense(name: &str) -> bool {
    words(name)
        .iter()
        .enumerate()
        .any(|(i, w)| is_past_participle(w, i == 0))
}

/// The generic participle of a past-tense name whose every participle is
/// generic (`ProductUpdated` -> `Updated`); `None` for a name that says what
/// happened.
pub fn generic_participle(name: &str) -> Option<&str> {
    let words = words(name);
    let participles: Vec<&str> = words
        .iter()
        .enumerate()
        .filter(|&(i, w)| is_past_participle(w, i == 0))
        .map(|(_, w)| *w)
        .collect();
    if !participles.is_empty() && participles.iter().all(|w| is_generic(w)) {
        participles.last().copied()
    } else {
        None
    }
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
        assert_eq!(past_tense_suggestion("OrderShipment"), None);
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
    }
}
