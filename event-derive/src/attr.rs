//! The macros' arguments and the `#[event(..)]` field attribute.

use proc_macro2::{Span, TokenStream};
use syn::ext::IdentExt as _;
use syn::meta::ParseNestedMeta;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Attribute, Ident, Lit, LitStr, Path, Token};

use crate::errors::{Errors, backticked, suggestion};

/// Which macro is expanding.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Domain,
    Integration,
    Notification,
}

impl Kind {
    pub fn macro_name(self) -> &'static str {
        match self {
            Kind::Domain => "domain_event",
            Kind::Integration => "integration_event",
            Kind::Notification => "notification_event",
        }
    }

    /// The kind with its article, for messages: "an integration event".
    pub fn noun(self) -> &'static str {
        match self {
            Kind::Domain => "a domain event",
            Kind::Integration => "an integration event",
            Kind::Notification => "a notification",
        }
    }

    /// The kind as written in schema ids and `x-event-kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Domain => "domain",
            Kind::Integration => "integration",
            Kind::Notification => "notification",
        }
    }

    /// The arguments each macro takes, for "unknown argument" messages.
    fn arguments(self) -> &'static str {
        match self {
            Kind::Integration => {
                "`version = N`, `maps_from = Source`, `name = \"..\"`, `compat = \"..\"`, `contracts = \"..\"`, `upcast_from = Older`, `upcast = \"manual\"`, `schema_base = \"..\"`, `allow(..)` and `crate = path`"
            }
            Kind::Notification => {
                "`maps_from = Source`, `name = \"..\"`, `version = N`, `schema_base = \"..\"`, `allow(..)` and `crate = path`"
            }
            Kind::Domain => {
                "`name = \"..\"`, `version = N`, `schema_base = \"..\"`, `allow(..)` and `crate = path`"
            }
        }
    }

    /// The argument keys each macro takes, for did-you-mean suggestions.
    fn keys(self) -> &'static [&'static str] {
        match self {
            Kind::Integration => &[
                "version",
                "maps_from",
                "name",
                "compat",
                "contracts",
                "upcast_from",
                "upcast",
                "schema_base",
                "allow",
                "crate",
            ],
            Kind::Notification => &[
                "maps_from",
                "name",
                "version",
                "schema_base",
                "allow",
                "crate",
            ],
            Kind::Domain => &["name", "version", "schema_base", "allow", "crate"],
        }
    }

    /// The argument `written` stands for: a misspelling of one, or a word
    /// other tools use for it (`type` for `name`, `source` for
    /// `maps_from`), if this macro takes it.
    pub fn meant_key(self, written: &str) -> Option<&'static str> {
        const OTHER_WORDS: &[(&str, &[&str])] = &[
            (
                "name",
                &[
                    "type",
                    "type_name",
                    "event_type",
                    "event_name",
                    "topic",
                    "id",
                ],
            ),
            (
                "maps_from",
                &[
                    "from",
                    "source",
                    "sources",
                    "source_event",
                    "mapped_from",
                    "map",
                ],
            ),
            ("version", &["ver", "v", "rev", "revision"]),
            ("compat", &["compatibility", "compatible", "compat_mode"]),
            (
                "schema_base",
                &["schema_id", "schema_uri", "base", "base_uri"],
            ),
            (
                "upcast_from",
                &[
                    "previous",
                    "prev",
                    "older",
                    "upcasts_from",
                    "migrates_from",
                    "migrate_from",
                ],
            ),
            ("contracts", &["contract", "contract_dir", "snapshots"]),
            ("upcast", &["manual", "upcasting", "conversion"]),
        ];
        meant(written, self.keys(), OTHER_WORDS)
    }

    /// The rules each macro lets the user opt out of.
    fn opt_outs(self) -> &'static [&'static str] {
        match self {
            Kind::Domain => &["non_past_tense", "generic_name", "reserved_suffix"],
            Kind::Integration | Kind::Notification => &["missing_suffix"],
        }
    }
}

/// A version number.
pub struct Version {
    pub value: u32,
}

/// `#[domain_event(..)]`, `#[integration_event(..)]`, `#[notification_event(..)]`.
#[derive(Default)]
pub struct MacroArgs {
    /// `maps_from = Source` or `maps_from = [A, B]`, with the key for errors.
    pub maps_from: Option<(Ident, Vec<Path>)>,
    pub name: Option<LitStr>,
    pub version: Option<Version>,
    /// `compat = "backward"`: how this version must read the previous one.
    pub compat: Option<LitStr>,
    /// `contracts = "dir"`: where the frozen schema snapshots are, relative
    /// to the declaring file.
    pub contracts: Option<LitStr>,
    /// `upcast_from = Older`: the previous version, decoded and converted.
    pub upcast_from: Option<Path>,
    /// `upcast = "manual"`: the user writes `From<Older>`.
    pub upcast_manual: Option<LitStr>,
    pub schema_base: Option<LitStr>,
    pub krate: Option<Path>,
    pub allow: Allow,
    /// The keys whose value was wrong, so that the rules that need them
    /// (a missing `version`) do not report the same mistake twice.
    pub failed: Vec<String>,
}

/// The opt-outs given with `allow(..)`.
#[derive(Default)]
pub struct Allow {
    pub non_past_tense: bool,
    pub generic_name: bool,
    pub reserved_suffix: bool,
    pub missing_suffix: bool,
    /// A rule that is none of them, nor close to one (`allow(all)`).
    unknown: bool,
}

/// Fails with "duplicate `key`" at the second occurrence of a key.
fn once<T>(slot: &Option<T>, meta: &ParseNestedMeta, key: &str) -> syn::Result<()> {
    if slot.is_some() {
        return Err(meta.error(format_args!("duplicate `{key}`; give it once")));
    }
    Ok(())
}

impl MacroArgs {
    /// The version as the first argument of an attribute a message writes
    /// out (`version = 2, `): the one given, `1` for an integration event
    /// without one (it needs one), nothing for the other kinds.
    pub fn version_argument(&self, kind: Kind) -> String {
        match (&self.version, kind) {
            (Some(version), _) => format!("version = {}, ", version.value),
            (None, Kind::Integration) => "version = 1, ".to_owned(),
            (None, _) => String::new(),
        }
    }

    /// Parses the arguments, one at a time: a wrong argument is reported
    /// and left out, and the others still count.
    pub fn parse(kind: Kind, tokens: TokenStream, errors: &mut Errors) -> Self {
        let mut args = MacroArgs::default();
        let mut previous: Option<TokenStream> = None;
        let (arguments, _) = separate(kind.keys(), "arguments", tokens, errors);
        for argument in arguments {
            let earlier = previous.replace(argument.clone());
            // `maps_from = A, B`: `B` is a second source.
            if let Some((e, path)) = second_event_outside_brackets(earlier.as_ref(), &argument) {
                errors.push(e);
                // Read as the second source it was meant to be.
                match &mut args.maps_from {
                    Some((_, sources))
                        if earlier.as_ref().and_then(argument_key).as_deref()
                            == Some("maps_from") =>
                    {
                        sources.push(path);
                    }
                    _ => args.failed.extend(earlier.as_ref().and_then(argument_key)),
                }
                continue;
            }
            let key = argument_key(&argument);
            // Only the version takes a number: `v = 2` or a bare `2` was
            // meant for it, and no second error says it is missing.
            let version_like = key
                .as_deref()
                .is_none_or(|k| k == "version" || !kind.keys().contains(&k));
            if version_like && takes_a_number(&argument) {
                args.failed.push("version".to_owned());
            }
            if let Some(e) = misshapen_argument(kind, &argument) {
                errors.push(e);
                // `allow: non_past_tense` still opts out of the rules it
                // names, so that their errors do not follow this one.
                if key.as_deref() == Some("allow") {
                    let rules: TokenStream = argument.clone().into_iter().skip(2).collect();
                    let list = quote::quote!(allow(#rules));
                    let parser = syn::meta::parser(|meta| args.parse_one(kind, &meta));
                    let _ = parser.parse2(list);
                }
                args.failed.extend(key);
                continue;
            }
            let parser = syn::meta::parser(|meta| args.parse_one(kind, &meta));
            if let Err(e) = parser.parse2(argument.clone()) {
                errors.push(ended_early(e, &argument));
                // `verison = 2` stands for `version`: no second error about
                // a missing version.
                let meant = key.as_deref().and_then(|k| kind.meant_key(k));
                args.failed.extend(meant.map(str::to_owned));
                args.failed.extend(key);
            }
        }
        args
    }

    fn parse_one(&mut self, kind: Kind, meta: &ParseNestedMeta) -> syn::Result<()> {
        let path = &meta.path;
        if path.is_ident("version") {
            // #[integration_event(version = 2)]
            once(&self.version, meta, "version")?;
            self.version = Some(parse_version(meta)?);
        } else if path.is_ident("name") {
            // #[integration_event(name = "catalog.product.updated")]
            once(&self.name, meta, "name")?;
            self.name = Some(parse_str(meta, "name", "catalog.product.updated")?);
        } else if path.is_ident("schema_base") {
            // #[integration_event(schema_base = "https://schemas.example.com/events/")]
            once(&self.schema_base, meta, "schema_base")?;
            self.schema_base = Some(parse_str(
                meta,
                "schema_base",
                "https://schemas.example.com/events/",
            )?);
        } else if path.is_ident("compat") && kind == Kind::Integration {
            // #[integration_event(version = 2, compat = "full")]
            once(&self.compat, meta, "compat")?;
            let lit = parse_str(meta, "compat", "backward")?;
            const MODES: &[&str] = &[
                "backward",
                "forward",
                "full",
                "backward-transitive",
                "forward-transitive",
                "full-transitive",
                "none",
            ];
            if !MODES.contains(&lit.value().as_str()) {
                let meant = crate::errors::did_you_mean(&lit.value(), MODES)
                    .map_or_else(String::new, |m| format!("did you mean `\"{m}\"`? "));
                return Err(syn::Error::new(
                    lit.span(),
                    format_args!(
                        "{meant}`compat` is `\"backward\"` (the default), `\"forward\"`, `\"full\"`, one of them with `-transitive` (compared with every earlier version), or `\"none\"`"
                    ),
                ));
            }
            self.compat = Some(lit);
        } else if path.is_ident("contracts") && kind == Kind::Integration {
            // #[integration_event(version = 2, contracts = "../contracts")]
            once(&self.contracts, meta, "contracts")?;
            self.contracts = Some(parse_str(meta, "contracts", "contracts")?);
        } else if path.is_ident("upcast_from") && kind == Kind::Integration {
            // #[integration_event(version = 3, upcast_from = ProductUpdatedIntegrationEventV2)]
            once(&self.upcast_from, meta, "upcast_from")?;
            let value = meta.value()?;
            let written: TokenStream = value.fork().parse()?;
            let older = event_path(value, "upcast_from", "ProductUpdatedIntegrationEventV2")
                .map_err(|e| events_as_written(e, &written, false))?;
            if !value.is_empty() {
                return Err(events_as_written(value.error(""), &written, false));
            }
            self.upcast_from = Some(older);
        } else if path.is_ident("upcast") && kind == Kind::Integration {
            // #[integration_event(version = 3, upcast_from = Older, upcast = "manual")]
            once(&self.upcast_manual, meta, "upcast")?;
            let hint =
                "`upcast = \"manual\"` is the only value: it says you write `From<Older>` yourself";
            if meta.input.is_empty() {
                return Err(meta.error(format_args!("{hint}; write `upcast = \"manual\"`")));
            }
            let value = meta.value()?;
            // `upcast = manual`, `upcast = "Manual"`: a conversion written
            // by hand is still taken as meant, so that it does not clash
            // with a generated one.
            let (written, span) = if value.peek(LitStr) {
                let lit: LitStr = value.parse()?;
                if lit.value() == "manual" {
                    self.upcast_manual = Some(lit);
                    return Ok(());
                }
                (lit.value(), lit.span())
            } else {
                let found: proc_macro2::TokenTree = value.parse()?;
                (found.to_string(), found.span())
            };
            if written.eq_ignore_ascii_case("manual")
                || crate::errors::did_you_mean(&written, &["manual"]).is_some()
            {
                self.upcast_manual = Some(LitStr::new("manual", span));
                return Err(syn::Error::new(
                    span,
                    "write `upcast = \"manual\"`, the one value `upcast` takes: it says you write `From<Older>` yourself",
                ));
            }
            return Err(syn::Error::new(span, hint));
        } else if path.is_ident("crate") {
            // #[domain_event(crate = ::my_reexport::event_core)]
            // or, as serde writes it, crate = "::my_reexport::event_core"
            once(&self.krate, meta, "crate")?;
            let value = meta.value()?;
            let hint = "`crate` is the path by which event-core is reached, like `crate = ::my_reexport::event_core`";
            let krate: Path = if value.peek(syn::LitStr) {
                let text = value.parse::<syn::LitStr>()?;
                text.parse()
                    .map_err(|_| syn::Error::new(text.span(), hint))?
            } else {
                value
                    .parse()
                    .map_err(|error| syn::Error::new(error.span(), hint))?
            };
            // `crate = event_core::prelude`: a module of the crate, not it.
            // (A crate's own `prelude` may re-export event-core whole.)
            if let [first, last] = krate.segments.iter().collect::<Vec<_>>().as_slice()
                && first.ident == "event_core"
                && ["prelude", "__private"].iter().any(|m| last.ident == m)
            {
                let mut outer = krate.clone();
                outer.segments.pop();
                let outer_text = path_text(&outer);
                let outer_text = outer_text.trim_end_matches("::");
                return Err(syn::Error::new_spanned(
                    &krate,
                    format_args!(
                        "`crate` names event-core itself, not a module of it: write `crate = {outer_text}`"
                    ),
                ));
            }
            self.krate = Some(krate);
        } else if path.is_ident("maps_from") {
            // #[integration_event(maps_from = ProductPutOnSale)]
            // #[integration_event(maps_from = [ProductPutOnSale, ProductRestocked])]
            once(&self.maps_from, meta, "maps_from")?;
            let key = meta.path.get_ident().cloned();
            let sources = parse_sources(meta)?;
            if kind == Kind::Domain {
                return Err(meta.error(
                    "a domain event records a fact of its own context and maps from no other event; `maps_from` goes on integration and notification events",
                ));
            }
            self.maps_from = key.map(|key| (key, sources));
        } else if path.is_ident("allow") {
            // #[domain_event(allow(non_past_tense, generic_name))]
            if !meta.input.peek(syn::token::Paren) {
                let rules = kind.opt_outs();
                // `allow = "non_past_tense"` still opts out of the rule it
                // names, so that the rule's own error does not follow.
                let named = meta
                    .value()
                    .ok()
                    .and_then(|value| value.parse::<LitStr>().ok());
                let example = match &named {
                    Some(rule) => {
                        self.allow.opt_out(kind, &rule.value());
                        rule.value()
                    }
                    None => rules.first().copied().unwrap_or_default().to_owned(),
                };
                return Err(meta.error(format_args!(
                    "`allow` lists the rules this event opts out of in parentheses, like `allow({example})`; `#[{}]` has {}",
                    kind.macro_name(),
                    backticked(rules)
                )));
            }
            let list: proc_macro2::Group = meta.input.parse()?;
            // `allow()`: no rule, which opts out of nothing.
            if list.stream().is_empty() {
                return Err(syn::Error::new(
                    list.span(),
                    format_args!(
                        "`allow()` names no rule; name the rules this event opts out of, like `allow({})`, or remove it",
                        kind.opt_outs().first().copied().unwrap_or_default()
                    ),
                ));
            }
            let mut failure: Option<syn::Error> = None;
            for rule in split_at_commas(list.stream()) {
                let result = match misshapen_rule(&rule) {
                    // `allow("non_past_tense")`, `allow(non-past-tense)`:
                    // the rule still counts.
                    Some((name, error)) => {
                        self.allow.opt_out(kind, &name);
                        Err(error)
                    }
                    None => {
                        syn::meta::parser(|inner| self.allow.parse_one(kind, &inner)).parse2(rule)
                    }
                };
                if let Err(error) = result {
                    match &mut failure {
                        Some(first) => first.combine(error),
                        None => failure = Some(error),
                    }
                }
            }
            // `allow(all)`: what was meant is unknown, so every rule is
            // left to the error about it, which follows nothing else.
            if self.allow.unknown {
                for rule in kind.opt_outs() {
                    self.allow.opt_out(kind, rule);
                }
            }
            if let Some(error) = failure {
                return Err(error);
            }
        } else {
            let written = path_text(path);
            // `#[integration_event(version = 2, upcast_from = Older, manual)]`
            if kind == Kind::Integration && written == "manual" && self.upcast_manual.is_none() {
                let span = path
                    .segments
                    .first()
                    .map_or_else(Span::call_site, |s| s.ident.span());
                self.upcast_manual = Some(LitStr::new("manual", span));
                return Err(meta
                    .error("a conversion written by hand is declared with `upcast = \"manual\"`"));
            }
            // `#[domain_event(compat = "full")]`: an argument of another kind.
            if Kind::Integration.keys().contains(&written.as_str()) {
                return Err(meta.error(format_args!(
                    "`{written}` goes on `#[integration_event]` only, whose versions are published contracts; `#[{}]` takes {}",
                    kind.macro_name(),
                    kind.arguments()
                )));
            }
            // `#[domain_event(pii = [email])]`: an option of a field. (`from`
            // here reads as `maps_from`.)
            if written != "from" && FIELD_KEYS.contains(&written.as_str()) {
                return Err(meta.error(format_args!(
                    "`{written}` is a field option: write `#[event({written})]` on the field, inside the struct"
                )));
            }
            let meant = kind
                .meant_key(&written)
                .map_or_else(String::new, |key| format!("did you mean `{key}`? "));
            return Err(meta.error(format_args!(
                "unknown argument `{written}`; {meant}`#[{}]` takes {}",
                kind.macro_name(),
                kind.arguments()
            )));
        }
        Ok(())
    }
}

/// A rule of `allow(..)` written as a string or with hyphens: the rule
/// meant, and the error that says how to write it.
fn misshapen_rule(rule: &TokenStream) -> Option<(String, syn::Error)> {
    let trees: Vec<proc_macro2::TokenTree> = rule.clone().into_iter().collect();
    if let [proc_macro2::TokenTree::Literal(_)] = trees.as_slice()
        && let Ok(text) = syn::parse2::<LitStr>(rule.clone())
    {
        let name = text.value();
        let error = syn::Error::new(
            text.span(),
            format_args!("a rule is named without quotes: write `allow({name})`"),
        );
        return Some((name, error));
    }
    let hyphenated = trees
        .iter()
        .any(|tree| matches!(tree, proc_macro2::TokenTree::Punct(p) if p.as_char() == '-'));
    if hyphenated {
        let name = tidy(&trees).replace(' ', "").replace('-', "_");
        let error = syn::Error::new_spanned(
            rule,
            format_args!("a rule's name is written with underscores: `{name}`"),
        );
        return Some((name, error));
    }
    None
}

impl Allow {
    /// Opts out of the rule `name` stands for (itself, or the rule it is
    /// a misspelling of), if there is one.
    pub fn opt_out(&mut self, kind: Kind, name: &str) {
        if let Some(slot) = self.slot(kind, name) {
            *slot = true;
        }
    }

    /// Where the opt-out of the rule `name` stands for is kept.
    fn slot(&mut self, kind: Kind, name: &str) -> Option<&mut bool> {
        let allowed = kind.opt_outs();
        let meant = if allowed.contains(&name) {
            Some(name)
        } else {
            crate::errors::did_you_mean(name, allowed)
        };
        match meant? {
            "non_past_tense" => Some(&mut self.non_past_tense),
            "generic_name" => Some(&mut self.generic_name),
            "reserved_suffix" => Some(&mut self.reserved_suffix),
            "missing_suffix" => Some(&mut self.missing_suffix),
            _ => None,
        }
    }

    fn parse_one(&mut self, kind: Kind, meta: &ParseNestedMeta) -> syn::Result<()> {
        let key = path_text(&meta.path);
        let allowed = kind.opt_outs();
        // A misspelled rule still opts out of the rule it names, so that the
        // rule's own error does not follow the one about the spelling.
        let mut unknown = false;
        // `allow(missing_suffix)` on a domain event: a rule of another kind.
        let owner = [Kind::Domain, Kind::Integration]
            .into_iter()
            .find(|other| other.opt_outs().contains(&key.as_str()))
            .filter(|_| !allowed.contains(&key.as_str()));
        let known = self.slot(kind, &key).is_some();
        self.unknown |= !known && owner.is_none();
        let slot = self.slot(kind, &key).unwrap_or(&mut unknown);
        if let Some(owner) = owner {
            let owners = match owner {
                Kind::Domain => "`#[domain_event]`",
                _ => "`#[integration_event]` and `#[notification_event]`",
            };
            // A macro with one rule: that rule is the one meant, and its
            // error does not follow this one.
            if let [only] = allowed {
                self.opt_out(kind, only);
            }
            return Err(meta.error(format_args!(
                "`{key}` is a rule of {owners}, not of `#[{}]`, which can allow {}",
                kind.macro_name(),
                backticked(allowed)
            )));
        }
        if !allowed.contains(&key.as_str()) {
            *slot = true;
            return Err(meta.error(format_args!(
                "`{key}` is not a rule of `#[{}]`; {}it can allow {}",
                kind.macro_name(),
                suggestion(&key, allowed),
                backticked(allowed)
            )));
        }
        if *slot {
            return Err(meta.error(format_args!("duplicate `{key}`; allow it once")));
        }
        // `allow(non_past_tense = true)` still means to allow it.
        *slot = true;
        expect_flag(meta, &key)
    }
}

/// The version in `2`, `v2` or `V2`, from 1 up.
fn version_in_word(word: &str) -> Option<u32> {
    let digits = word.strip_prefix(['v', 'V']).unwrap_or(word);
    digits.parse::<u32>().ok().filter(|&n| n > 0)
}

/// The literal after `key =`, or an error at whatever stands there instead.
fn parse_lit(meta: &ParseNestedMeta, hint: &str) -> syn::Result<Lit> {
    let value = meta.value()?;
    if value.peek(Lit) {
        value.parse()
    } else {
        let found: proc_macro2::TokenTree = value.parse()?;
        Err(syn::Error::new(found.span(), hint))
    }
}

/// `Source` or `[A, B]`, each source once.
fn parse_sources(meta: &ParseNestedMeta) -> syn::Result<Vec<Path>> {
    let value = meta.value()?;
    // #[integration_event(maps_from = )]
    if value.is_empty() || value.peek(Token![,]) {
        return Err(
            meta.error("`maps_from` names the source event, like `maps_from = ProductPutOnSale`")
        );
    }
    let source =
        |input: syn::parse::ParseStream| event_path(input, "maps_from", "ProductPutOnSale");
    let written: TokenStream = value.fork().parse()?;
    let sources: Vec<Path> = if value.peek(syn::token::Bracket) {
        let content;
        syn::bracketed!(content in value);
        Punctuated::<Path, Token![,]>::parse_terminated_with(&content, source)
            .map_err(|e| events_as_written(e, &written, true))?
            .into_iter()
            .collect()
    } else {
        let first = source(value).map_err(|e| events_as_written(e, &written, true))?;
        if !value.is_empty() {
            return Err(events_as_written(value.error(""), &written, true));
        }
        vec![first]
    };
    if sources.is_empty() {
        return Err(meta.error(
            "`maps_from` names at least one source event, like `maps_from = ProductPutOnSale`",
        ));
    }
    for (i, source) in sources.iter().enumerate() {
        if sources[..i]
            .iter()
            .any(|earlier| same_path(earlier, source))
        {
            return Err(syn::Error::new_spanned(
                source,
                format_args!(
                    "`{}` is already a source; name each source once",
                    path_text(source)
                ),
            ));
        }
    }
    Ok(sources)
}

/// The event type named after `key =`: a name or path, where a string
/// gets the fix written without quotes.
fn event_path(input: syn::parse::ParseStream, key: &str, example: &str) -> syn::Result<Path> {
    if let Ok(text) = input.fork().parse::<LitStr>() {
        let written = text.value();
        let fix = match syn::parse_str::<Path>(&written) {
            Ok(_) => written,
            Err(_) => example.to_owned(),
        };
        return Err(syn::Error::new(
            text.span(),
            format_args!(
                "`{key}` names the event type itself, not a string: write `{key} = {fix}`, without quotes"
            ),
        ));
    }
    let path: Path = input.parse()?;
    with_no_type_arguments(&path, key)?;
    Ok(path)
}

/// An event is not generic, so a path that names one has no type
/// arguments: `maps_from = Envelope<OrderPlaced>` names `OrderPlaced`.
fn with_no_type_arguments(path: &Path, key: &str) -> syn::Result<()> {
    let Some(segment) = path.segments.iter().find(|s| !s.arguments.is_none()) else {
        return Ok(());
    };
    let inner = match &segment.arguments {
        syn::PathArguments::AngleBracketed(args) => args.args.iter().find_map(|arg| match arg {
            syn::GenericArgument::Type(syn::Type::Path(ty)) => Some(path_text(&ty.path)),
            _ => None,
        }),
        _ => None,
    };
    let wrapper = ["Envelope", "Box", "Arc", "Rc", "Vec", "Option"]
        .iter()
        .any(|w| segment.ident == w);
    let (fix, why) = match inner {
        Some(inner) if wrapper => (
            inner,
            if segment.ident == "Envelope" {
                ": the envelope is added where the event is published"
            } else {
                ""
            },
        ),
        _ => (path_text(path), ": an event is not generic"),
    };
    Err(syn::Error::new_spanned(
        path,
        format_args!(
            "`{key}` names the event type without type arguments{why}; write `{key} = {fix}`"
        ),
    ))
}

/// The value of `maps_from` (`many`) or `upcast_from` written in another
/// shape than a name or a bracketed list (`(A, B)`, `A | B`, `&A`, `[A]`
/// for one version): the error says how to write the names found in it.
/// An error that is about the names themselves (a string) is kept.
fn events_as_written(error: syn::Error, written: &TokenStream, many: bool) -> syn::Error {
    let text = error.to_string();
    if text.contains("not a string")
        || text.contains("without type arguments")
        || text.starts_with("unexpected end of input")
    {
        return error;
    }
    let mut names = Vec::new();
    event_names(written.clone(), &mut names);
    let message = match names.as_slice() {
        [] => return error,
        [one] if many => {
            format!("`maps_from` takes the source event's name: write `maps_from = {one}`")
        }
        [one] => format!(
            "`upcast_from` takes the name of the version before this one: write `upcast_from = {one}`"
        ),
        several if many => format!(
            "several sources go in brackets, separated by commas: write `maps_from = [{}]`",
            several.join(", ")
        ),
        [first, ..] => format!(
            "an event upcasts from one older version, the one before it: write `upcast_from = {first}`"
        ),
    };
    syn::Error::new_spanned(written, message)
}

/// The paths in `tokens`, groups included, as written: `a::B`.
fn event_names(tokens: TokenStream, names: &mut Vec<String>) {
    use proc_macro2::TokenTree;
    let mut current = String::new();
    let mut colons = 0;
    let flush = |current: &mut String, names: &mut Vec<String>| {
        let name = current.trim_end_matches(':');
        if !name.is_empty() {
            names.push(name.to_owned());
        }
        current.clear();
    };
    for tree in tokens {
        match tree {
            TokenTree::Ident(ident) => {
                if !current.is_empty() && colons < 2 {
                    flush(&mut current, names);
                }
                current.push_str(&ident.to_string());
                colons = 0;
            }
            TokenTree::Punct(p) if p.as_char() == ':' => {
                colons += 1;
                current.push(':');
            }
            TokenTree::Group(group) => {
                flush(&mut current, names);
                event_names(group.stream(), names);
            }
            _ => {
                flush(&mut current, names);
                colons = 0;
            }
        }
    }
    flush(&mut current, names);
}

/// Two paths name the same source event when, past a leading `crate`,
/// `self` or `super`, the shorter is the end of the longer:
/// `catalog::ProductPutOnSale` and `ProductPutOnSale`,
/// `super::catalog::ProductPutOnSale` and `crate::catalog::ProductPutOnSale`;
/// not `ordering::OrderPlaced` and `marketplace::OrderPlaced`.
pub fn same_source(a: &Path, b: &Path) -> bool {
    let (a, b) = (named(a), named(b));
    !a.is_empty() && !b.is_empty() && a.iter().rev().zip(b.iter().rev()).all(|(a, b)| a == b)
}

/// Whether `a` and `b` are written alike, past a leading `crate`, `self` or
/// `super`: a source listed twice in `maps_from`. (`OrderPlaced` and
/// `marketplace::OrderPlaced` may be two events.)
pub fn same_path(a: &Path, b: &Path) -> bool {
    named(a) == named(b)
}

/// The sources of `sources` that `written` (in `from(..)` or `with(..)`)
/// names: of those [`same_source`] matches, the ones that agree with it
/// over the most segments (`crate::sales::OrderPlaced` names
/// `sales::OrderPlaced` rather than an imported `OrderPlaced`); more than
/// one is an ambiguity the checks report.
pub fn resolve_source<'s>(sources: &'s [Path], written: &Path) -> Vec<&'s Path> {
    let agreeing = |source: &Path| named(source).len().min(named(written).len());
    let matching: Vec<&Path> = sources.iter().filter(|s| same_source(s, written)).collect();
    let most = matching.iter().map(|s| agreeing(s)).max().unwrap_or(0);
    matching
        .into_iter()
        .filter(|s| agreeing(s) == most)
        .collect()
}

/// The segments of `path` after a leading `crate`, `self` or `super`.
fn named(path: &Path) -> Vec<&Ident> {
    path.segments
        .iter()
        .map(|segment| &segment.ident)
        .skip_while(|ident| ["crate", "self", "super"].iter().any(|k| *ident == k))
        .collect()
}

fn parse_version(meta: &ParseNestedMeta) -> syn::Result<Version> {
    let hint = "the version is a whole number from 1 up, like `version = 2`";
    // `version = v2`, `version = V` (a constant), `version = +1`.
    let value = meta.value()?;
    if !value.peek(Lit) && !value.is_empty() {
        let found: proc_macro2::TokenTree = value.fork().parse()?;
        let number = match &found {
            proc_macro2::TokenTree::Ident(ident) => version_in_word(&ident.to_string()),
            // `version = (2)`, `version = [2]`
            proc_macro2::TokenTree::Group(group) => syn::parse2::<syn::LitInt>(group.stream())
                .ok()
                .and_then(|lit| lit.base10_parse::<u32>().ok()),
            proc_macro2::TokenTree::Punct(p) if p.as_char() == '+' => {
                let after = value.fork();
                let _: proc_macro2::Punct = after.parse()?;
                after
                    .parse::<syn::LitInt>()
                    .ok()
                    .and_then(|lit| lit.base10_parse().ok())
            }
            _ => None,
        };
        let message = match (&found, number) {
            (_, Some(n)) => format!("write the version as a plain number: `version = {n}`"),
            (proc_macro2::TokenTree::Ident(_), None) => {
                "the version is written out as a number, like `version = 2`; a constant's name is not read here".to_owned()
            }
            _ => hint.to_owned(),
        };
        return Err(syn::Error::new(found.span(), message));
    }
    let lit: Lit = value.parse()?;
    // `version = 1 + 1`
    if !value.is_empty() {
        let rest: TokenStream = value.parse()?;
        return Err(syn::Error::new_spanned(
            rest,
            "the version is one number written out, like `version = 2`, not an expression",
        ));
    }
    // `version = '2'`
    let digit = match &lit {
        Lit::Char(c) => c.value().to_digit(10),
        Lit::Byte(b) => char::from(b.value()).to_digit(10),
        _ => None,
    };
    if let Some(value) = digit.filter(|&d| d > 0) {
        return Err(syn::Error::new(
            lit.span(),
            format_args!("the version is a number, not a character: write `version = {value}`"),
        ));
    }
    let Lit::Int(lit) = lit else {
        if let Lit::Str(s) = &lit
            && let Some(value) = version_in_word(s.value().trim())
        {
            return Err(syn::Error::new(
                s.span(),
                format_args!("the version is a number, not a string: write `version = {value}`"),
            ));
        }
        // `version = 1.0`
        if let Lit::Float(f) = &lit
            && let Some(whole) = f.base10_digits().strip_suffix(".0")
            && let Ok(value) = whole.parse::<u32>()
            && value > 0
        {
            return Err(syn::Error::new(
                f.span(),
                format_args!("the version is a whole number: write `version = {value}`"),
            ));
        }
        return Err(syn::Error::new(lit.span(), hint));
    };
    let value = lit.base10_parse::<u32>();
    // `version = 2u8`: a suffix says nothing here and reads as a typo.
    if !lit.suffix().is_empty() {
        let fix = value.as_ref().map_or_else(
            |_| "`version = 2`".to_owned(),
            |v| format!("`version = {v}`"),
        );
        return Err(syn::Error::new(
            lit.span(),
            format_args!(
                "the version is a plain number without a type suffix: write {fix}, not `version = {lit}`"
            ),
        ));
    }
    // `version = 0x10`: versions are counted in decimal, as the `V<N>` of a
    // name and the `.vN` of the type are.
    let digits = lit.to_string();
    if digits.len() > 1
        && digits.starts_with('0')
        && let Ok(value) = &value
    {
        return Err(syn::Error::new(
            lit.span(),
            format_args!(
                "the version is written in decimal, as in the type name's `.v{value}`: write `version = {value}`"
            ),
        ));
    }
    match value {
        Ok(0) => Err(syn::Error::new(
            lit.span(),
            "versions count from 1: write `version = 1`",
        )),
        // Digits alone that do not fit: a version is a `u32`.
        Err(_) if lit.base10_digits().bytes().all(|b| b.is_ascii_digit()) => Err(syn::Error::new(
            lit.span(),
            format_args!("the version is too large: versions go up to {}", u32::MAX),
        )),
        Err(_) => Err(syn::Error::new(lit.span(), hint)),
        Ok(value) => Ok(Version { value }),
    }
}

/// The tokens of a list, split at its top-level commas: one item each. A
/// group (`allow(a, b)`, `[A, B]`) is one token, so its commas stay inside.
fn split_at_commas(tokens: TokenStream) -> Vec<TokenStream> {
    let mut items = Vec::new();
    let mut current = TokenStream::new();
    for tree in tokens {
        if let proc_macro2::TokenTree::Punct(p) = &tree
            && p.as_char() == ','
        {
            items.push(std::mem::take(&mut current));
        } else {
            current.extend([tree]);
        }
    }
    if !current.is_empty() {
        items.push(current);
    }
    items
}

/// The arguments (or field options) of `tokens`, split at their commas,
/// and as meant where a comma is missing
/// between two (`version = 2 maps_from = A`, `pii secret`) or a `;` stands
/// for one: each is reported at the token that starts the second, and both
/// are read. `keys` are the keys that can start one. Also whether there
/// was such a mistake.
fn separate(
    keys: &[&str],
    what: &str,
    tokens: TokenStream,
    errors: &mut Errors,
) -> (Vec<TokenStream>, bool) {
    use proc_macro2::TokenTree;
    let mut separated = Vec::new();
    let mut mistaken = false;
    for argument in split_at_commas(tokens) {
        let trees: Vec<TokenTree> = argument.into_iter().collect();
        let mut start = 0;
        for i in 0..trees.len() {
            let split = match &trees[i] {
                TokenTree::Punct(p) if p.as_char() == ';' => {
                    errors.at(
                        p.span(),
                        format_args!("{what} are separated by commas, not `;`: write `,`"),
                    );
                    Some(i + 1)
                }
                TokenTree::Ident(key)
                    if i > start
                        && keys.contains(&key.to_string().as_str())
                        && starts_another(&trees[start..i], trees.get(i + 1)) =>
                {
                    let before = tidy(&trees[start..i]);
                    let after = if i + 1 < trees.len() { " .." } else { "" };
                    errors.at(
                        key.span(),
                        format_args!(
                            "a comma is missing between two {what}: write `{before}, {key}{after}`"
                        ),
                    );
                    Some(i)
                }
                _ => None,
            };
            if let Some(next) = split {
                separated.push(trees[start..i].iter().cloned().collect());
                start = next;
                mistaken = true;
            }
        }
        separated.push(trees[start..].iter().cloned().collect());
    }
    separated.retain(|argument: &TokenStream| !argument.is_empty());
    (separated, mistaken)
}

/// Whether a key after the tokens `before` starts another argument or
/// option: `before` is a whole one (a key alone, or a key, `=` and a
/// value ending in a name, literal or group, not a path going on), and a
/// value, list, or nothing more follows the key.
fn starts_another(
    before: &[proc_macro2::TokenTree],
    after: Option<&proc_macro2::TokenTree>,
) -> bool {
    use proc_macro2::{Delimiter, Spacing, TokenTree};
    let whole = match before {
        [TokenTree::Ident(_)] | [TokenTree::Ident(_), TokenTree::Group(_)] => true,
        [TokenTree::Ident(_), .., last] if before.len() >= 3 => {
            let is_eq = |t: &TokenTree| matches!(t, TokenTree::Punct(p) if p.as_char() == '=');
            // `key = value` or `key(Source) = value`
            (is_eq(&before[1]) || matches!(before[1], TokenTree::Group(_)) && is_eq(&before[2]))
                && matches!(
                    last,
                    TokenTree::Ident(_) | TokenTree::Literal(_) | TokenTree::Group(_)
                )
        }
        _ => false,
    };
    let followed = match after {
        None => true,
        Some(TokenTree::Punct(p)) => p.as_char() == '=' && p.spacing() == Spacing::Alone,
        Some(TokenTree::Group(g)) => g.delimiter() == Delimiter::Parenthesis,
        Some(_) => false,
    };
    whole && followed
}

/// `maps_from = A, B` or `upcast_from = A, B`: an event's name alone after
/// the argument that names events, where a second one was meant.
fn second_event_outside_brackets(
    earlier: Option<&TokenStream>,
    argument: &TokenStream,
) -> Option<(syn::Error, Path)> {
    let earlier = earlier?;
    let key = argument_key(earlier)?;
    if key != "maps_from" && key != "upcast_from" {
        return None;
    }
    let path = syn::parse2::<Path>(argument.clone()).ok()?;
    let last = path.segments.last()?.ident.to_string();
    if !last.starts_with(|c: char| c.is_ascii_uppercase()) {
        return None;
    }
    let first: Vec<proc_macro2::TokenTree> = earlier.clone().into_iter().skip(2).collect();
    let first = tidy(&first);
    let second = path_text(&path);
    let message = if key == "maps_from" {
        format!("several sources go in brackets: write `maps_from = [{first}, {second}]`")
    } else {
        format!(
            "an event upcasts from one older version, the one before it: write `upcast_from = {first}`, and let `{first}` upcast from `{second}`"
        )
    };
    Some((syn::Error::new_spanned(argument, message), path))
}

/// syn's "unexpected end of input" points at the whole attribute: put it
/// at the argument's last token, and say which argument stops short
/// (`maps_from = catalog::`).
fn ended_early(error: syn::Error, argument: &TokenStream) -> syn::Error {
    let message = error.to_string();
    let Some(detail) = message.strip_prefix("unexpected end of input") else {
        return error;
    };
    let Some(last) = argument.clone().into_iter().last() else {
        return error;
    };
    let expected = match detail.trim_start_matches([',', ' ']) {
        "expected identifier" => "a name",
        "expected token tree" => "a value",
        _ => "more",
    };
    let written = tidy(&argument.clone().into_iter().collect::<Vec<_>>());
    let text = format!("`{written}` stops short: {expected} is expected after it");
    syn::Error::new(last.span(), text)
}

/// Whether an argument's value (or the argument itself) is an integer.
fn takes_a_number(argument: &TokenStream) -> bool {
    let trees: Vec<_> = argument.clone().into_iter().collect();
    let value = match trees.as_slice() {
        [value] => value,
        [_, proc_macro2::TokenTree::Punct(p), value] if matches!(p.as_char(), '=' | ':') => value,
        [_, proc_macro2::TokenTree::Group(g)] => {
            return g.stream().into_iter().count() == 1
                && syn::parse2::<syn::LitInt>(g.stream()).is_ok();
        }
        _ => return false,
    };
    syn::parse2::<syn::LitInt>(value.clone().into()).is_ok()
}

/// An argument written in a shape the macros do not take, with the shape
/// they do: `version: 2` and `version(2)` for `version = 2`, and a bare
/// value without its key.
fn misshapen_argument(kind: Kind, argument: &TokenStream) -> Option<syn::Error> {
    use proc_macro2::TokenTree;
    let trees: Vec<TokenTree> = argument.clone().into_iter().collect();
    let macro_name = kind.macro_name();
    match trees.as_slice() {
        // #[integration_event(2)] or #[integration_event("catalog.product.updated")]
        [TokenTree::Literal(lit)] => {
            let fix = match syn::parse2::<Lit>(TokenTree::Literal(lit.clone()).into()) {
                Ok(Lit::Int(_)) => format!("write `version = {lit}`"),
                Ok(Lit::Str(text)) if crate::naming::check_type_name(&text.value()).is_ok() => {
                    format!("write `name = {lit}` for the type name")
                }
                // `#[domain_event("order {order_id} was placed")]`, as
                // thiserror's `#[error("..")]` is written.
                Ok(Lit::Str(_)) => "a type name is written `name = \"order.placed\"`, in lower-case words and dots, and a description goes in the struct's doc comment (`/// ..`)".to_owned(),
                _ => format!("`#[{macro_name}]` takes {}", kind.arguments()),
            };
            Some(syn::Error::new(
                lit.span(),
                format_args!("the arguments are named: {fix}"),
            ))
        }
        // #[integration_event(version: 2)]
        [TokenTree::Ident(key), TokenTree::Punct(colon), rest @ ..]
            if colon.as_char() == ':'
                && !rest.is_empty()
                && kind.keys().contains(&key.to_string().as_str()) =>
        {
            let what = if key == "allow" {
                "`allow` takes a list of rules in parentheses"
            } else {
                "an argument takes its value after `=`"
            };
            Some(syn::Error::new(
                colon.span(),
                format_args!("{what}: write {}", written_as(key, rest)),
            ))
        }
        // #[integration_event(version(2))]; `allow(..)` is a list.
        [TokenTree::Ident(key), TokenTree::Group(group)]
            if group.delimiter() == proc_macro2::Delimiter::Parenthesis
                && key != "allow"
                && kind.keys().contains(&key.to_string().as_str()) =>
        {
            let inner: Vec<TokenTree> = group.stream().into_iter().collect();
            let list = inner
                .iter()
                .any(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == ','));
            let fix = if key == "maps_from" && list {
                format!("`maps_from = [{}]`", tidy(&inner))
            } else {
                written_as(key, &inner)
            };
            Some(syn::Error::new(
                group.span(),
                format_args!("an argument takes its value after `=`: write {fix}"),
            ))
        }
        _ => None,
    }
}

/// Tokens as written, without the spaces `TokenStream`'s text puts around
/// `::`.
fn tidy(tokens: &[proc_macro2::TokenTree]) -> String {
    tokens
        .iter()
        .cloned()
        .collect::<TokenStream>()
        .to_string()
        .replace(" :: ", "::")
        .replace(" ::", "::")
        .replace(":: ", "::")
}

/// The argument `key` with the value `value` in the form the macros take:
/// `version = 2`, `name = "a.b"` (a string key's value in quotes),
/// `allow(non_past_tense)`.
fn written_as(key: &Ident, value: &[proc_macro2::TokenTree]) -> String {
    let text = tidy(value);
    match key.to_string().as_str() {
        "allow" => format!("`allow({text})`"),
        "name" | "compat" | "contracts" | "upcast" | "schema_base"
            if !matches!(value, [proc_macro2::TokenTree::Literal(_)]) =>
        {
            format!("`{key} = \"{text}\"`")
        }
        _ => format!("`{key} = {text}`"),
    }
}

/// A field option written in a shape `#[event(..)]` does not take:
/// `from: field` for `from = field`, `from(field)` for `from = field` (the
/// parentheses name a source event), and `from = a::b` (a field is a name).
fn misshapen_option(option: &TokenStream) -> Option<syn::Error> {
    use proc_macro2::TokenTree;
    let trees: Vec<TokenTree> = option.clone().into_iter().collect();
    // #[event("pii")]
    if let [TokenTree::Literal(literal)] = trees.as_slice()
        && let Ok(syn::Lit::Str(text)) =
            syn::parse2::<syn::Lit>(TokenTree::Literal(literal.clone()).into())
    {
        return Some(syn::Error::new(
            literal.span(),
            format_args!(
                "an option is written without quotes: write `#[event({})]`",
                text.value()
            ),
        ));
    }
    let (TokenTree::Ident(key), rest) = trees.split_first()? else {
        return None;
    };
    let key_text = key.to_string();
    if !FIELD_KEYS.contains(&key_text.as_str()) {
        return None;
    }
    match rest {
        // #[event(from: sale_price_cents)], #[event(pii: true)]
        [TokenTree::Punct(colon), value @ ..] if colon.as_char() == ':' && !value.is_empty() => {
            let flag = matches!(key_text.as_str(), "pii" | "secret" | "context");
            let fix = if flag && flag_set_false(rest.iter().cloned().collect()) {
                not_unless_marked(key)
            } else if flag {
                format!("`{key}` takes no value: write `{key}` alone")
            } else {
                format!(
                    "an option takes its value after `=`: write {}",
                    written_as(key, value)
                )
            };
            Some(syn::Error::new(colon.span(), fix))
        }
        // #[event(default("EUR"))], #[event(pii(true))]
        [TokenTree::Group(group)]
            if group.delimiter() == proc_macro2::Delimiter::Parenthesis
                && !matches!(key_text.as_str(), "from" | "with") =>
        {
            let inner: Vec<TokenTree> = group.stream().into_iter().collect();
            let fix = if key_text == "default" {
                format!(
                    "an option takes its value after `=`: write {}",
                    written_as(key, &inner)
                )
            } else if flag_set_false(rest.iter().cloned().collect()) {
                not_unless_marked(key)
            } else {
                format!("`{key}` takes no value: write `{key}` alone")
            };
            Some(syn::Error::new(group.span(), fix))
        }
        // #[event(from(sale_price_cents))]
        [TokenTree::Group(group)]
            if group.delimiter() == proc_macro2::Delimiter::Parenthesis
                && matches!(key_text.as_str(), "from" | "with") =>
        {
            let inner = tidy(&group.stream().into_iter().collect::<Vec<_>>());
            let what = if key_text == "from" {
                "field"
            } else {
                "function"
            };
            Some(syn::Error::new(
                group.span(),
                format_args!(
                    "`{key}(..)` names a source event, as in `{key}(Source) = {what}`; for the {what} write `{key} = {inner}`"
                ),
            ))
        }
        // #[event(from(OrderPlaced, OrderCancelled) = total_cents)]
        [TokenTree::Group(group), TokenTree::Punct(eq), value @ ..]
            if group.delimiter() == proc_macro2::Delimiter::Parenthesis
                && eq.as_char() == '='
                && matches!(key_text.as_str(), "from" | "with")
                && group
                    .stream()
                    .into_iter()
                    .any(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == ',')) =>
        {
            let value = tidy(value);
            let sources: Vec<String> = group
                .stream()
                .to_string()
                .split(',')
                .map(|source| source.trim().replace(' ', ""))
                .filter(|source| !source.is_empty())
                .collect();
            let each = sources
                .iter()
                .map(|source| format!("`{key}({source}) = {value}`"))
                .collect::<Vec<_>>()
                .join(", ");
            Some(syn::Error::new(
                group.span(),
                format_args!(
                    "`{key}(..)` names one source: write one option per source, {each}; or `{key} = {value}` for every source"
                ),
            ))
        }
        // #[event(from = 1)]
        [TokenTree::Punct(eq), TokenTree::Literal(index)]
            if eq.as_char() == '='
                && key_text == "from"
                && index.to_string().starts_with(|c: char| c.is_ascii_digit()) =>
        {
            Some(syn::Error::new(
                index.span(),
                "`from` names a field of the source by its name, like `from = sale_price_cents`: an event's fields are named",
            ))
        }
        // #[event(from = catalog::sale_price_cents)]
        [TokenTree::Punct(eq), value @ ..]
            if eq.as_char() == '='
                && key_text == "from"
                && value.len() > 1
                && value
                    .iter()
                    .any(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == ':')) =>
        {
            Some(syn::Error::new(
                value[0].span(),
                format_args!(
                    "`from` names a field of the source by its name alone, like `from = sale_price_cents`, not `{}`",
                    tidy(value)
                ),
            ))
        }
        _ => None,
    }
}

/// The key an argument starts with: `version` of `version = 2`.
fn argument_key(tokens: &TokenStream) -> Option<String> {
    match tokens.clone().into_iter().next() {
        Some(proc_macro2::TokenTree::Ident(ident)) => Some(ident.to_string()),
        _ => None,
    }
}

fn parse_str(meta: &ParseNestedMeta, key: &str, example: &str) -> syn::Result<LitStr> {
    let hint = format!("`{key}` takes a string, like `{key} = \"{example}\"`");
    match parse_lit(meta, &hint)? {
        Lit::Str(lit) => Ok(lit),
        other => Err(syn::Error::new(other.span(), hint)),
    }
}

/// Whether what follows a flag's key sets it to `false`: `= false`,
/// `: false` or `(false)`.
fn flag_set_false(rest: TokenStream) -> bool {
    use proc_macro2::TokenTree;
    let trees: Vec<TokenTree> = rest.into_iter().collect();
    let is_false = |tree: &TokenTree| matches!(tree, TokenTree::Ident(i) if i == "false");
    match trees.as_slice() {
        [TokenTree::Punct(p), value, ..] if matches!(p.as_char(), '=' | ':') => is_false(value),
        [TokenTree::Group(group), ..] => {
            let inner: Vec<TokenTree> = group.stream().into_iter().collect();
            matches!(inner.as_slice(), [value] if is_false(value))
        }
        _ => false,
    }
}

/// The fix for `pii = false`: a flag is off unless written.
fn not_unless_marked(key: impl std::fmt::Display) -> String {
    format!("a field is not `{key}` unless marked: remove `{key} = false`")
}

/// A key that takes no value: `pii`, not `pii = true`.
fn expect_flag(meta: &ParseNestedMeta, key: &str) -> syn::Result<()> {
    if meta.input.is_empty() || meta.input.peek(Token![,]) {
        Ok(())
    } else if flag_set_false(meta.input.fork().cursor().token_stream()) {
        Err(meta.error(not_unless_marked(key)))
    } else {
        Err(meta.error(format_args!(
            "`{key}` takes no value; write it alone, as `{key}`"
        )))
    }
}

/// A path as written, without the spaces tokens print with:
/// `::event_core`, `catalog::ProductPutOnSale`.
pub fn path_text(path: &Path) -> String {
    let joined = path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect::<Vec<_>>()
        .join("::");
    if path.leading_colon.is_some() {
        format!("::{joined}")
    } else {
        joined
    }
}

/// `#[event(..)]` on a field.
#[derive(Default)]
pub struct FieldAttrs {
    /// `#[event(pii)]`: the field holds personal data.
    pub pii: Option<Ident>,
    /// `#[event(secret)]`: the field never leaves its domain event.
    pub secret: Option<Ident>,
    /// `#[event(from = field)]`, for every source.
    pub from: Option<Keyed<Ident>>,
    /// `#[event(from(Source) = field)]`.
    pub from_source: Vec<(Path, Keyed<Ident>)>,
    /// `#[event(with = function)]`, for every source.
    pub with: Option<Keyed<Path>>,
    /// `#[event(with(Source) = function)]`.
    pub with_source: Vec<(Path, Keyed<Path>)>,
    /// `#[event(context)]`.
    pub context: Option<Ident>,
    /// `#[event(default)]` or `#[event(default = expr)]`.
    pub default: Option<Keyed<Option<TokenStream>>>,
    /// The mapping keys (`from`, `with`, `context`, `default`) in the order
    /// written, for the rules about them.
    pub mapping_keys: Vec<Ident>,
    /// Some `#[event(..)]` of the field was wrong: the field's value in a
    /// mapping is then left to the error, so nothing cascades from it.
    pub broken: bool,
}

/// A value with the key it was given under, for errors at the key.
pub struct Keyed<T> {
    pub key: Ident,
    pub value: T,
}

const FIELD_KEYS: &[&str] = &["pii", "secret", "from", "with", "context", "default"];

const FIELD_OPTIONS: &str = "`pii`, `secret`, and on events with `maps_from`: `from = field`, `from(Source) = field`, `with = function`, `with(Source) = function`, `context`, `default` and `default = value`";

impl FieldAttrs {
    /// Parses every `#[event(..)]` of a field, reporting each mistake.
    pub fn parse(attrs: &[Attribute], errors: &mut Errors) -> Self {
        let mut out = FieldAttrs::default();
        // A misspelled `#[evnet(pii)]`, or an option written alone,
        // `#[pii]`, still counts, so that nothing follows its error.
        let alone: Vec<Attribute> = attrs
            .iter()
            .filter(|a| bare_option(a).is_some())
            .map(|a| {
                let meta = &a.meta;
                syn::parse_quote_spanned!(a.pound_token.span=> #[event(#meta)])
            })
            .collect();
        for attr in attrs
            .iter()
            .filter(|a| is_event_attr(a) || misspelled_event(a))
            .chain(&alone)
        {
            let list = match &attr.meta {
                syn::Meta::List(list) => list,
                // #[event] or #[event = ..]
                _ => {
                    out.broken = true;
                    errors.spanned(
                        attr,
                        "`#[event]` takes a list of options, like `#[event(pii)]` or `#[event(from = other_field)]`",
                    );
                    continue;
                }
            };
            // #[event[pii]] or #[event{pii}]
            if !matches!(list.delimiter, syn::MacroDelimiter::Paren(_)) {
                out.broken = true;
                let inner = list.tokens.to_string();
                errors.at(
                    list.delimiter.span().join(),
                    format_args!(
                        "`#[event(..)]` takes its options in parentheses: write `#[event({inner})]`"
                    ),
                );
                continue;
            }
            // #[event()]
            if list.tokens.is_empty() {
                out.broken = true;
                errors.spanned(
                    attr,
                    "`#[event()]` gives no option; write one, like `#[event(pii)]`, or remove the attribute",
                );
                continue;
            }
            let (options, mistaken) = separate(FIELD_KEYS, "options", list.tokens.clone(), errors);
            out.broken |= mistaken;
            for option in options {
                if let Some(e) = misshapen_option(&option) {
                    out.broken = true;
                    errors.push(e);
                    continue;
                }
                let parser = syn::meta::parser(|meta| out.parse_one(&meta));
                if let Err(e) = parser.parse2(option.clone()) {
                    out.broken = true;
                    errors.push(ended_early(e, &option));
                }
            }
        }
        out
    }

    fn parse_one(&mut self, meta: &ParseNestedMeta) -> syn::Result<()> {
        let Some(key) = meta.path.get_ident().cloned() else {
            return Err(meta.error(format_args!(
                "unknown field option `{}`; `#[event(..)]` takes {FIELD_OPTIONS}",
                path_text(&meta.path)
            )));
        };
        if matches!(
            key.to_string().as_str(),
            "from" | "with" | "context" | "default"
        ) {
            self.mapping_keys.push(key.clone());
        }
        match key.to_string().as_str() {
            // #[event(pii)]
            "pii" => flag(&mut self.pii, meta, key),
            // #[event(secret)]
            "secret" => flag(&mut self.secret, meta, key),
            // #[event(context)]
            "context" => flag(&mut self.context, meta, key),
            // #[event(from = field)] or #[event(from(Source) = field)]
            "from" => keyed_option(&mut self.from, &mut self.from_source, meta, key),
            // #[event(with = path::to::function)] or #[event(with(Source) = function)]
            "with" => keyed_option(&mut self.with, &mut self.with_source, meta, key),
            // #[event(default)] or #[event(default = expr)]
            "default" => {
                once(&self.default, meta, "default")?;
                // `default(Source) = 0`, written as `from(Source) = ..` is.
                if meta.input.peek(syn::token::Paren) {
                    return Err(meta.error(
                        "`default` has no form per source: `default` or `default = value` fills the field whatever the source; for one source, write `from(Source) = field` or `with(Source) = function`",
                    ));
                }
                let value = if meta.input.peek(Token![=]) {
                    Some(parse_expr_tokens(meta)?)
                } else {
                    expect_flag(meta, "default")?;
                    None
                };
                self.default = Some(Keyed { key, value });
                Ok(())
            }
            // #[event(allow(non_past_tense))] on a field
            "allow" => Err(meta.error(
                "`allow(..)` opts the whole event out of a naming rule, so it goes in the macro's arguments, like `#[domain_event(allow(non_past_tense))]`; a field has no rules to allow",
            )),
            other => Err(meta.error(format_args!(
                "unknown field option `{other}`; {}`#[event(..)]` takes {FIELD_OPTIONS}",
                field_option_hint(other)
            ))),
        }
    }
}

/// serde's options of a field that change what goes on the wire, and that
/// are not also keys of `#[event(..)]` (`default`, `with`).
const SERDE_FIELD_OPTIONS: &[&str] = &[
    "rename",
    "alias",
    "skip",
    "skip_serializing",
    "skip_deserializing",
    "skip_serializing_if",
    "flatten",
    "serialize_with",
    "deserialize_with",
];

/// What an unknown field option was meant to be: one of ours misspelled or
/// named as other tools name it (`personal` for `pii`, `source` for
/// `from`), or serde's.
fn field_option_hint(written: &str) -> String {
    const OTHER_WORDS: &[(&str, &[&str])] = &[
        (
            "pii",
            &["personal", "personal_data", "gdpr", "sensitive", "pd"],
        ),
        (
            "secret",
            &[
                "confidential",
                "private",
                "redact",
                "redacted",
                "hidden",
                "password",
            ],
        ),
        (
            "from",
            &[
                "source",
                "field",
                "map_from",
                "maps_from",
                "mapped_from",
                "rename_from",
            ],
        ),
        (
            "with",
            &["via", "using", "convert", "map_with", "mapper", "function"],
        ),
        (
            "context",
            &["enrich", "enriched", "lookup", "enrichment", "external"],
        ),
    ];
    if SERDE_FIELD_OPTIONS.contains(&written) || written == "borrow" {
        return format!("`{written}` is serde's, written `#[serde({written} ..)]`; ");
    }
    meant(written, FIELD_KEYS, OTHER_WORDS)
        .map_or_else(String::new, |key| format!("did you mean `{key}`? "))
}

/// The one of `keys` that `written` stands for: a misspelling of it, or a
/// word other tools use for it (`other_words`).
fn meant(
    written: &str,
    keys: &[&'static str],
    other_words: &[(&'static str, &[&str])],
) -> Option<&'static str> {
    let lower = written.to_lowercase();
    crate::errors::did_you_mean(written, keys).or_else(|| {
        other_words
            .iter()
            .find(|(_, words)| words.contains(&lower.as_str()))
            .map(|(key, _)| *key)
            .filter(|key| keys.contains(key))
    })
}

/// `key = value` for every source, or `key(Source) = value` for one.
fn keyed_option<T: syn::parse::Parse>(
    every: &mut Option<Keyed<T>>,
    per_source: &mut Vec<(Path, Keyed<T>)>,
    meta: &ParseNestedMeta,
    key: Ident,
) -> syn::Result<()> {
    let name = key.to_string();
    let example = if name == "from" {
        "from = other_field"
    } else {
        "with = path::to::function"
    };
    // #[event(from = )]: the error goes at the key, not at the end of the
    // attribute.
    let value_of = |meta: &ParseNestedMeta| -> syn::Result<T> {
        let value = meta.value()?;
        if value.is_empty() || value.peek(Token![,]) {
            return Err(meta.error(format_args!("`{name} =` needs a value, like `{example}`")));
        }
        // serde writes `with = "module"`; here the value is a name or path.
        if let Ok(text) = value.fork().parse::<syn::LitStr>() {
            let written = text.value();
            // A field's name is one identifier; a function's, a path.
            let (what, fits) = if name == "from" {
                (
                    "the name of the source's field",
                    syn::parse_str::<Ident>(&written).is_ok(),
                )
            } else {
                (
                    "the path of a function",
                    syn::parse_str::<Path>(&written).is_ok(),
                )
            };
            let fix = if fits {
                format!("`{name} = {written}`")
            } else {
                format!("`{example}`")
            };
            return Err(syn::Error::new(
                text.span(),
                format_args!("`{name}` takes {what}, not a string: write {fix}, without quotes"),
            ));
        }
        // `with = |x| ..`: a closure has no name to call.
        if name == "with"
            && (value.peek(Token![|]) || value.peek(Token![||]) || value.peek(Token![move]))
        {
            return Err(value.error(
                "`with` takes the path of a function, not a closure: move the closure's body into a `fn` and write `with = that_function`",
            ));
        }
        // `from = type`: a field named by a keyword is written raw (which
        // `self`, `super`, `crate` and `Self` cannot be).
        let ahead = value.fork();
        if name == "from"
            && value.fork().parse::<Ident>().is_err()
            && let Ok(word) = ahead.call(Ident::parse_any)
            && (ahead.is_empty() || ahead.peek(Token![,]))
            && !["self", "Self", "super", "crate"].iter().any(|w| word == w)
        {
            return Err(syn::Error::new(
                word.span(),
                format_args!(
                    "`{word}` is a keyword; a field of that name is written `r#{word}`: write `from = r#{word}`"
                ),
            ));
        }
        // `from = self.total` or `from = source.total`: the field alone.
        if name == "from" {
            let ahead = value.fork();
            let first = ahead.call(Ident::parse_any);
            if ahead.peek(Token![.]) {
                let _: Token![.] = ahead.parse()?;
                let field = ahead.call(Ident::parse_any).ok();
                let whole = first.as_ref().map(Ident::to_string).unwrap_or_default();
                let message = match (&field, whole.as_str()) {
                    (Some(field), "self") => format!(
                        "`from` names the source event's field by its name alone: write `from = {field}`"
                    ),
                    _ => "`from` names one field of the source event, not a path into it; a value inside a field is taken with `with = function`".to_owned(),
                };
                return Err(syn::Error::new(value.span(), message));
            }
        }
        let parsed = value.parse()?;
        // `with = convert()` or `from = field()`: the macro makes the call.
        if value.peek(syn::token::Paren) {
            let what = if name == "from" {
                "names the source's field, which is read, not called"
            } else {
                "names the function, which is called with the source event"
            };
            return Err(value.error(format_args!("`{name}` {what}: leave out the `(..)`")));
        }
        Ok(parsed)
    };
    if let Some(source) = parse_for_source(meta)? {
        once_for(per_source, &source, meta, &name)?;
        let value = value_of(meta)?;
        per_source.push((source, Keyed { key, value }));
    } else {
        once(every, meta, &name)?;
        let value = value_of(meta)?;
        *every = Some(Keyed { key, value });
    }
    Ok(())
}

fn flag(slot: &mut Option<Ident>, meta: &ParseNestedMeta, key: Ident) -> syn::Result<()> {
    let name = key.to_string();
    once(slot, meta, &name)?;
    expect_flag(meta, &name)?;
    *slot = Some(key);
    Ok(())
}

/// The `(Source)` of `from(Source) = ..`, if written.
fn parse_for_source(meta: &ParseNestedMeta) -> syn::Result<Option<Path>> {
    if !meta.input.peek(syn::token::Paren) {
        return Ok(None);
    }
    let content;
    syn::parenthesized!(content in meta.input);
    Ok(Some(content.parse()?))
}

fn once_for<T>(
    list: &[(Path, T)],
    source: &Path,
    meta: &ParseNestedMeta,
    key: &str,
) -> syn::Result<()> {
    if list.iter().any(|(s, _)| same_path(s, source)) {
        return Err(meta.error(format_args!(
            "duplicate `{key}({})`; give it once",
            path_text(source)
        )));
    }
    Ok(())
}

/// The tokens of `= expr`, up to the next top-level comma.
fn parse_expr_tokens(meta: &ParseNestedMeta) -> syn::Result<TokenStream> {
    let value = meta.value()?;
    let mut tokens = TokenStream::new();
    while !value.is_empty() && !value.peek(Token![,]) {
        let tree: proc_macro2::TokenTree = value.parse()?;
        tokens.extend([tree]);
    }
    if tokens.is_empty() {
        return Err(meta.error(
            "`default =` needs a value, like `default = 0`; or write `default` alone for `Default::default()`",
        ));
    }
    Ok(tokens)
}

/// The `packed` of `#[repr(packed)]` (or `packed(N)`), if there is one:
/// the derives an event gets read its fields by reference, which a packed
/// struct does not allow.
pub fn packed(attr: &Attribute) -> Option<proc_macro2::Ident> {
    if !attr.path().is_ident("repr") {
        return None;
    }
    let syn::Meta::List(list) = &attr.meta else {
        return None;
    };
    list.tokens.clone().into_iter().find_map(|tree| match tree {
        proc_macro2::TokenTree::Ident(ident) if ident == "packed" => Some(ident),
        _ => None,
    })
}

/// The `event` of `#[cfg_attr(predicate, event(..))]`, if there is one.
pub fn conditional_event(attr: &Attribute) -> Option<proc_macro2::Ident> {
    let syn::Meta::List(list) = &attr.meta else {
        return None;
    };
    if !attr.path().is_ident("cfg_attr") {
        return None;
    }
    // The attributes after the predicate, each starting at a comma.
    let mut after_comma = false;
    for token in list.tokens.clone() {
        match token {
            proc_macro2::TokenTree::Punct(p) if p.as_char() == ',' => after_comma = true,
            proc_macro2::TokenTree::Ident(ident) if after_comma && ident == "event" => {
                return Some(ident);
            }
            _ => after_comma = false,
        }
    }
    None
}

/// The `serde` of a `#[cfg_attr(.., serde(..))]` that changes what goes on
/// the wire (a name, a field left out or flattened, a default, the user's
/// own encoding): the macro reads serde's options before any `cfg_attr`
/// applies, and an event's contract is the same in every build.
/// (`deny_unknown_fields` or `bound` under a `cfg_attr` is left alone.)
pub fn conditional_serde(attr: &Attribute) -> Option<proc_macro2::Ident> {
    use proc_macro2::TokenTree;
    const CONTAINER_AND_SHARED: &[&str] = &[
        "rename_all",
        "default",
        "with",
        "tag",
        "content",
        "untagged",
        "transparent",
    ];
    let syn::Meta::List(list) = &attr.meta else {
        return None;
    };
    if !attr.path().is_ident("cfg_attr") {
        return None;
    }
    let trees: Vec<TokenTree> = list.tokens.clone().into_iter().collect();
    trees.windows(3).find_map(|window| match window {
        [
            TokenTree::Punct(comma),
            TokenTree::Ident(tool),
            TokenTree::Group(options),
        ] if comma.as_char() == ',' && tool == "serde" => {
            let changes_shape = options.stream().into_iter().any(|t| {
                matches!(&t, TokenTree::Ident(key)
                        if SERDE_FIELD_OPTIONS.iter().chain(CONTAINER_AND_SHARED).any(|k| key == k))
            });
            changes_shape.then(|| tool.clone())
        }
        _ => None,
    })
}

/// The option of an attribute that is a field option written without
/// `event(..)` around it: `#[pii]`, `#[secret]`, `#[context]`,
/// `#[from = other_field]` or `#[with = function]`. (Not `#[default(..)]`,
/// `#[from]` or `#[with(..)]`, which other derives read.)
pub fn bare_option(attr: &Attribute) -> Option<&'static str> {
    let options: &[&'static str] = match &attr.meta {
        syn::Meta::Path(_) => &["pii", "secret", "context"],
        syn::Meta::NameValue(_) => &["from", "with"],
        syn::Meta::List(_) => &[],
    };
    options
        .iter()
        .copied()
        .find(|option| attr.path().is_ident(option))
}

/// Whether an attribute is a misspelling of `#[event(..)]`, like
/// `#[evnet(pii)]` or `#[Event(pii)]`.
pub fn misspelled_event(attr: &Attribute) -> bool {
    let syn::Meta::List(_) = &attr.meta else {
        return false;
    };
    attr.path().get_ident().is_some_and(|ident| {
        let written = ident.to_string();
        written != "event" && crate::errors::did_you_mean(&written, &["event"]).is_some()
    })
}

/// `#[allow(non_past_tense)]` written on the struct as if it were a lint:
/// the rule is opted out of all the same, the error says where it goes,
/// and the attribute keeps only the real lints.
pub fn lints_that_are_rules(
    kind: Kind,
    attrs: &mut Vec<Attribute>,
    allow: &mut Allow,
    errors: &mut Errors,
) {
    attrs.retain_mut(|attr| {
        if !attr.path().is_ident("allow") {
            return true;
        }
        let Ok(lints) = attr.parse_args_with(Punctuated::<Path, Token![,]>::parse_terminated)
        else {
            return true;
        };
        let (rules, lints): (Vec<Path>, Vec<Path>) = lints.into_iter().partition(|lint| {
            lint.get_ident()
                .is_some_and(|name| kind.opt_outs().iter().any(|rule| name == rule))
        });
        for rule in &rules {
            let name = path_text(rule);
            allow.opt_out(kind, &name);
            errors.spanned(
                rule,
                format_args!(
                    "`{name}` is a rule of `#[{0}]`, not a lint: write `#[{0}(allow({name}))]`",
                    kind.macro_name()
                ),
            );
        }
        if rules.is_empty() {
            return true;
        }
        if lints.is_empty() {
            return false;
        }
        *attr = syn::parse_quote!(#[allow(#(#lints),*)]);
        true
    });
}

/// Whether an attribute is the macros' own `#[event(..)]` helper.
pub fn is_event_attr(attr: &Attribute) -> bool {
    attr.path().is_ident("event")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The options `separate` reads from `tokens`, as text, and whether it
    /// reported a missing separator.
    fn separated(keys: &[&str], tokens: &str) -> (Vec<String>, bool) {
        let mut errors = Errors::default();
        let tokens: TokenStream = tokens.parse().unwrap();
        let (parts, mistaken) = separate(keys, "options", tokens, &mut errors);
        assert_eq!(mistaken, !errors.is_empty());
        let text = parts
            .iter()
            .map(|p| p.to_string().replace(' ', ""))
            .collect();
        (text, mistaken)
    }

    #[test]
    fn a_missing_comma_or_a_semicolon_separates_two_options() {
        for (written, expected) in [
            ("pii secret", vec!["pii", "secret"]),
            ("pii from = email", vec!["pii", "from=email"]),
            ("from = email pii", vec!["from=email", "pii"]),
            ("pii; from = email", vec!["pii", "from=email"]),
            (
                "from(Source) = email default = 1",
                vec!["from(Source)=email", "default=1"],
            ),
        ] {
            let (parts, mistaken) = separated(FIELD_KEYS, written);
            assert!(mistaken, "{written}");
            assert_eq!(parts, expected, "{written}");
        }
    }

    #[test]
    fn values_named_like_keys_and_paths_ending_in_them_stay_whole() {
        for written in [
            "from = default",
            "with = context",
            "default = pii",
            "with = path::to::secret",
            "from(Source) = pii",
            "default = vec![pii]",
            "pii, from = email",
        ] {
            let (parts, mistaken) = separated(FIELD_KEYS, written);
            assert!(!mistaken, "{written}: {parts:?}");
            assert_eq!(parts.len(), written.matches(',').count() + 1, "{written}");
        }
        let keys = Kind::Integration.keys();
        let (_, mistaken) = separated(keys, "crate = my::name, maps_from = a::version");
        assert!(!mistaken);
        let (parts, mistaken) = separated(keys, "allow(missing_suffix) version = 2");
        assert!(mistaken);
        assert_eq!(parts, ["allow(missing_suffix)", "version=2"]);
    }
}
