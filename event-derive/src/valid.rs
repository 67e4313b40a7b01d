//! Rules across the name, the arguments and the fields, and what they resolve
//! to: the type name, version and schema id of the event.

use proc_macro2::Span;
use syn::ext::IdentExt;
use syn::{Ident, LitStr};

use crate::ast::Input;
use crate::attr::{Kind, path_text, same_source};
use crate::errors::Errors;
use crate::naming::{self, DomainName};

/// The environment variable that sets the schema base of every event that
/// gives no `schema_base = ".."`.
pub const SCHEMA_BASE_ENV: &str = "EVENT_CORE_SCHEMA_BASE";
const DEFAULT_SCHEMA_BASE: &str = "urn:event:";

/// The default base of a package's events: `urn:event:<package>:`, so that
/// two packages' events of the same type have different `$id`s; the shared
/// `urn:event:` outside cargo (or for a name a URN cannot hold as it is).
fn default_schema_base(package: Option<&str>) -> String {
    match package {
        Some(name)
            if !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_')) =>
        {
            format!("{DEFAULT_SCHEMA_BASE}{name}:")
        }
        _ => DEFAULT_SCHEMA_BASE.to_owned(),
    }
}

/// What an event resolves to once its rules are checked.
pub struct Resolved {
    pub type_name: String,
    pub version: u32,
    pub full_type: String,
    pub schema_id: String,
    /// The warning of a too-generic domain event name, if any.
    pub generic_name: Option<String>,
    /// The schema base came from the environment (or its absence), so the
    /// expansion must be redone when the variable changes.
    pub base_from_env: bool,
}

pub fn check(input: &Input, errors: &mut Errors) -> Resolved {
    let ident = input.ident();
    // `r#OrderPlaced` is the event `OrderPlaced`.
    let name = ident.unraw().to_string();
    let span = ident.span();
    let allow = &input.args.allow;

    let mut name_is_wrong = false;
    let (stem, suffix_version) = match input.kind {
        Kind::Domain => {
            for finding in naming::check_domain(&name, allow.reserved_suffix, allow.non_past_tense)
            {
                name_is_wrong = true;
                let (message, opt_out) = match finding {
                    DomainName::ReservedSuffix { message } => (message, "reserved_suffix"),
                    DomainName::NotPastTense { message } => (message, "non_past_tense"),
                };
                errors.at(
                    span,
                    format_args!(
                        "{message}\n(to keep this name, write `#[domain_event(allow({opt_out}))]`)"
                    ),
                );
            }
            // `OrderPlacedV2`: the version of the name is the event's.
            naming::trailing_version(&name)
        }
        Kind::Integration => suffix_rule(&name, "IntegrationEvent", input, span, errors),
        Kind::Notification => suffix_rule(&name, "Notification", input, span, errors),
    };

    let version = version(input, suffix_version, errors);

    let type_name = match &input.args.name {
        Some(lit) => {
            let value = lit.value();
            if let Err(message) = naming::check_type_name(&value) {
                errors.at(lit.span(), message);
            } else if let Some(message) = naming::own_version_in_name(&value, version) {
                errors.at(lit.span(), message);
            }
            value
        }
        None => {
            let dotted = naming::dotted(stem);
            // `OAuthTokenRefreshed`: a word of one letter first is most
            // likely part of the next (`OAuth`, `EMail`, `XRay`); the type
            // name is published, so the user names it.
            if let Some((letter, rest)) = dotted.split_once('.')
                && letter.len() == 1
                && !name_is_wrong
            {
                // The letter joined to the word after it.
                let joined = format!("{letter}{rest}");
                errors.at(
                    span,
                    format_args!(
                        "the type name of `{name}` would start with the one-letter word `{letter}`: `{dotted}`; the type name is published, so give it the one you mean, like `#[{}({}name = \"{joined}\")]`",
                        input.kind.macro_name(),
                        input.args.version_argument(input.kind),
                    ),
                );
            }
            // `BestellungGeändert`: a type name is routed and matched by
            // every consumer, so it stays ASCII; the user names it.
            if !dotted.is_ascii()
                && !name_is_wrong
                && let Err(message) = naming::check_type_name(&dotted)
            {
                let example = naming::ascii_type_name(&dotted);
                errors.at(
                    span,
                    format_args!(
                        "the type name of `{name}` would be `{dotted}`, but {message}; give it one with `#[{}(name = \"{example}\")]`",
                        input.kind.macro_name()
                    ),
                );
            }
            dotted
        }
    };

    let base_from_env = input.args.schema_base.is_none();
    let base = schema_base(
        input.args.schema_base.as_ref(),
        std::env::var(SCHEMA_BASE_ENV).ok(),
        std::env::var("CARGO_PKG_NAME").ok().as_deref(),
        errors,
    );

    for field in &input.fields {
        if let (Some(pii), Some(_)) = (&field.attrs.pii, &field.attrs.secret) {
            errors.at(
                pii.span(),
                "a field is either `pii` or `secret`, not both: `secret` already keeps it inside its domain event",
            );
        }
        if let Some(secret) = &field.attrs.secret {
            if input.kind != Kind::Domain {
                errors.at(
                    secret.span(),
                    format_args!(
                        "`secret` fields never leave their domain event, and {} is sent out; drop the field or mark it `pii`",
                        input.kind.noun()
                    ),
                );
            } else if let Some(debug) = &input.derived.debug {
                errors.spanned(
                    debug,
                    format_args!(
                        "`{ident}` has a `secret` field, which the generated `Debug` redacts; remove `Debug` from this derive"
                    ),
                );
            }
        }
    }

    check_mapping(input, errors);

    // A name that is already an error gets no warning on top.
    let generic_name = (input.kind == Kind::Domain && !allow.generic_name && !name_is_wrong)
        .then(|| naming::generic_warning(&name))
        .flatten()
        .map(|warning| {
            format!("{warning} (to keep this name, write `#[domain_event(allow(generic_name))]`)")
        });

    let full_type = format!("{type_name}.v{version}");
    Resolved {
        schema_id: schema_id(&base, input.kind, &full_type),
        type_name,
        version,
        full_type,
        generic_name,
        base_from_env,
    }
}

/// The `$id` of an event's schema. Type names are scoped by kind, so the kind
/// is part of the id: `urn:event:integration:product.updated.v2`, or
/// `https://schemas.example.com/events/integration/product.updated.v2`.
fn schema_id(base: &str, kind: Kind, full_type: &str) -> String {
    let separator = if base.ends_with(':') { ':' } else { '/' };
    format!("{base}{}{separator}{full_type}", kind.as_str())
}

/// Integration events end in `IntegrationEvent`, notifications in
/// `Notification`, either optionally followed by `V<N>`. Returns the stem the
/// default type name is made of and the version in the name, if any.
fn suffix_rule<'n>(
    name: &'n str,
    suffix: &str,
    input: &Input,
    span: Span,
    errors: &mut Errors,
) -> (&'n str, Option<u32>) {
    match naming::split_suffix(name, suffix) {
        Some(split) if split.stem.is_empty() => {
            errors.at(
                span,
                format_args!(
                    "name what happened before the `{suffix}` suffix, like `OrderPlaced{suffix}`"
                ),
            );
            (name, split.version)
        }
        // `OrderPlacedIntegrationEventIntegrationEvent`: the suffix twice
        // would be in the type name.
        Some(split) if split.stem.ends_with(suffix) => {
            let once = &name[..split.stem.len()];
            errors.at(
                span,
                format_args!(
                    "the `{suffix}` suffix is written twice: rename it to `{once}`{}",
                    split.version.map_or_else(String::new, |n| format!(
                        " (version {n} in the attribute or as `V{n}`)"
                    ))
                ),
            );
            (
                &split.stem[..split.stem.len() - suffix.len()],
                split.version,
            )
        }
        Some(split) => (split.stem, split.version),
        // Without the suffix, a `V<N>` at the end is still the version:
        // `ProductStateV3` is `product.state` version 3.
        None if input.args.allow.missing_suffix => naming::trailing_version(name),
        None => {
            // `SendWelcomeEmail`: a notification is named after what it
            // tells, not after sending it.
            let told = ["Send", "Notify"]
                .into_iter()
                .find_map(|verb| name.strip_prefix(verb))
                .filter(|rest| rest.starts_with(|c: char| c.is_ascii_uppercase()))
                .filter(|_| suffix == "Notification")
                .unwrap_or(name);
            let renamed = naming::with_suffix(told, suffix);
            // The opt-out as the whole attribute, with the version it needs.
            let version = input.args.version_argument(input.kind);
            errors.at(
                span,
                format_args!(
                    "the name of {} ends in `{suffix}`, so readers can tell it from a domain event: rename it to `{renamed}`\n(to keep this name, write `#[{}({version}allow(missing_suffix))]`)",
                    input.kind.noun(),
                    input.kind.macro_name()
                ),
            );
            (name, None)
        }
    }
}

fn version(input: &Input, suffix_version: Option<u32>, errors: &mut Errors) -> u32 {
    // `OrderPlacedV0`: versions count from 1, in the name as in the
    // attribute.
    if suffix_version == Some(0) {
        let name = input.ident().unraw().to_string();
        let (base, _) = naming::trailing_version(&name);
        errors.at(
            input.ident().span(),
            format_args!(
                "versions count from 1, and the `V0` of `{name}` names none: rename it `{base}` (version 1 needs no `V`), or `{base}V1`"
            ),
        );
        return input.args.version.as_ref().map_or(1, |v| v.value);
    }
    match (&input.args.version, suffix_version) {
        (Some(version), Some(in_name)) if version.value != in_name => {
            errors.at(
                input.ident().span(),
                format_args!(
                    "the name says version {in_name} but the attribute says `version = {}`; make them agree",
                    version.value
                ),
            );
            version.value
        }
        (Some(version), _) => version.value,
        // A `version = ..` that was wrong is already reported.
        (None, in_name) if input.args.failed.iter().any(|k| k == "version") => in_name.unwrap_or(1),
        (None, _) if input.kind == Kind::Integration => {
            errors.at(
                Span::call_site(),
                format_args!(
                    "an integration event is a versioned contract: write `#[integration_event(version = {})]`",
                    suffix_version.unwrap_or(1)
                ),
            );
            suffix_version.unwrap_or(1)
        }
        (None, in_name) => in_name.unwrap_or(1),
    }
}

/// The rules of the mapping keys: they need `maps_from`, each field takes
/// one source per source event, and `from(Source)` names a listed source.
fn check_mapping(input: &Input, errors: &mut Errors) {
    let sources = input.sources();
    let older = input.args.upcast_from.as_ref();
    let is_older = |source: &syn::Path| older.is_some_and(|older| same_source(older, source));
    let failed = |key: &str| input.args.failed.iter().any(|k| k == key);
    // `upcast = "manual"` without a version to upcast from says nothing
    // (unless `upcast_from` is there but did not parse, which has had its
    // error).
    // A `manual` that was misspelled has had its error too.
    let misspelled = failed("upcast") || failed("manual");
    if let (Some(manual), None, false) = (
        &input.args.upcast_manual,
        older,
        failed("upcast_from") || misspelled,
    ) {
        errors.at(
            manual.span(),
            "`upcast = \"manual\"` goes with `upcast_from = Older`, the version this one is converted from; add it, or remove `upcast`",
        );
    }
    for field in &input.fields {
        let a = &field.attrs;
        let name = field.ident;
        if sources.is_empty() {
            // A `maps_from` or `upcast_from` that did not parse has had its
            // error.
            if failed("maps_from") || failed("upcast_from") {
                continue;
            }
            // An upcast reads `from = field` of the older version, and
            // `default` where the older version has no value.
            if let Some(older) = older {
                upcast_keys(input, field, older, errors);
                continue;
            }
            for key in &a.mapping_keys {
                let fix = if input.kind == Kind::Domain {
                    "a domain event maps from no other event".to_owned()
                } else {
                    format!(
                        "add the source event to the attribute: `#[{}(maps_from = Source)]`",
                        input.kind.macro_name()
                    )
                };
                // serde's `#[serde(default)]` is what a reader of older
                // documents wants when no event is mapped from.
                let serde = if key == "default" {
                    "; for a value that documents may lack, write `#[serde(default)]`"
                } else {
                    ""
                };
                if key == "context" && input.kind == Kind::Domain {
                    errors.at(
                        key.span(),
                        "`context` marks a field of an integration event or a notification that the use case fills in when it maps the domain event; a domain event's fields are all its own: remove `context`",
                    );
                    continue;
                }
                errors.at(
                    key.span(),
                    format_args!("`{key}` takes `{name}`'s value from a source event, but there is none: {fix}{serde}"),
                );
            }
            continue;
        }
        let conflict = |errors: &mut Errors, later: &Ident, earlier: &str| {
            errors.at(
                later.span(),
                format_args!("`{earlier}` and `{later}` both give `{name}` its value; keep one"),
            );
        };
        // Keys without a source apply to every source that has no key of
        // its own (`from(Source) = ..`), so two of them conflict, while a
        // keyed one and an unkeyed one do not.
        let unkeyed: Vec<&Ident> = [
            a.from.as_ref().map(|k| &k.key),
            a.with.as_ref().map(|k| &k.key),
            a.context.as_ref(),
            a.default.as_ref().map(|k| &k.key),
        ]
        .into_iter()
        .flatten()
        .collect();
        if let Some((first, rest)) = unkeyed.split_first() {
            for later in rest {
                conflict(errors, later, &first.to_string());
            }
        }
        for (source, with) in &a.with_source {
            if a.from_source.iter().any(|(s, _)| same_source(s, source)) {
                conflict(errors, &with.key, &format!("from({})", path_text(source)));
            }
        }
        if input.args.upcast_manual.is_some() {
            for (source, from) in a.from_source.iter().filter(|(s, _)| is_older(s)) {
                errors.at(
                    from.key.span(),
                    format_args!(
                        "`from({})` has no effect with `upcast = \"manual\"`: your `From<{}>` gives `{name}` its value; remove it",
                        path_text(source),
                        path_text(source)
                    ),
                );
            }
        }
        let keyed = a
            .from_source
            .iter()
            .map(|(s, _)| s)
            .filter(|s| !is_older(s))
            .chain(a.with_source.iter().map(|(s, _)| s));
        for source in keyed {
            // `from(OrderPlaced)` among `ordering::OrderPlaced` and
            // `marketplace::OrderPlaced`.
            let matching: Vec<String> = crate::attr::resolve_source(sources, source)
                .into_iter()
                .map(path_text)
                .collect();
            if matching.len() > 1 {
                errors.spanned(
                    source,
                    format_args!(
                        "`{}` names more than one source: {}; write the one meant as `maps_from` writes it",
                        path_text(source),
                        crate::errors::backticked(
                            &matching.iter().map(String::as_str).collect::<Vec<_>>()
                        )
                    ),
                );
                continue;
            }
            // A source naming this event itself has had its error.
            if !sources.iter().any(|s| same_source(s, source))
                && !crate::ast::names_itself(source, input.ident())
            {
                let written = path_text(source);
                let names: Vec<String> = sources.iter().map(path_text).collect();
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                errors.spanned(
                    source,
                    format_args!(
                        "`{written}` is not a source of this event; {}the sources are {}",
                        crate::errors::suggestion(&written, &names),
                        sources
                            .iter()
                            .map(|s| format!("`{}`", path_text(s)))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
            }
        }
    }
}

/// The mapping keys of a field of an event that upcasts from `older` and
/// maps from no other event: `from = field` and `from(Older) = field` name
/// the older version's field, `default` its value where the older version
/// has none; `with` and `context` have no source to take from, and with
/// `upcast = "manual"` the conversion is the user's alone.
fn upcast_keys(input: &Input, field: &crate::ast::Field, older: &syn::Path, errors: &mut Errors) {
    let a = &field.attrs;
    let name = field.ident;
    let older_name = path_text(older);
    for key in &a.mapping_keys {
        let key_text = key.to_string();
        let message = if input.args.upcast_manual.is_some() {
            format!(
                "`{key}` has no effect with `upcast = \"manual\"`: your `From<{older_name}>` gives `{name}` its value; remove `{key}`"
            )
        } else if matches!(key_text.as_str(), "from" | "default") {
            continue;
        } else {
            format!(
                "`{key}` takes `{name}`'s value from a source event, and this event maps from none; an upcast from `{older_name}` takes `from = field` of it or a `default`, or write the conversion yourself with `upcast = \"manual\"`"
            )
        };
        errors.at(key.span(), message);
    }
    // One value per field: the older version's field, or the default for
    // an older version without it, not both.
    if input.args.upcast_manual.is_none()
        && let Some(default) = &a.default
    {
        let from = a
            .from
            .as_ref()
            .map(|from| from.key.to_string())
            .or_else(|| {
                a.from_source
                    .iter()
                    .find(|(s, _)| same_source(s, older))
                    .map(|(s, _)| format!("from({})", path_text(s)))
            });
        if let Some(from) = from {
            errors.at(
                default.key.span(),
                format_args!(
                    "`{from}` and `default` both give `{name}` its value; keep one: `{from}` when `{older_name}` has the field, `default` when it has none"
                ),
            );
        }
    }
    for (source, from) in &a.from_source {
        if !same_source(source, older) {
            let written = path_text(source);
            errors.spanned(
                source,
                format_args!(
                    "`{written}` is not a source of this event; {}it upcasts from `{older_name}`",
                    crate::errors::suggestion(&written, &[older_name.as_str()]),
                ),
            );
        } else if a.from.is_some() {
            errors.at(
                from.key.span(),
                format_args!(
                    "`from` and `from({older_name})` both give `{name}` its value; keep one"
                ),
            );
        }
    }
}

/// The schema base: the event's `schema_base = ".."`, else the environment
/// variable's value, else the default of the package.
fn schema_base(
    attr: Option<&LitStr>,
    env: Option<String>,
    package: Option<&str>,
    errors: &mut Errors,
) -> String {
    if let Some(lit) = attr {
        let value = lit.value();
        if let Err(message) = check_schema_base(&value) {
            errors.at(lit.span(), message);
        }
        return value;
    }
    let Some(value) = env else {
        return default_schema_base(package);
    };
    if let Err(message) = check_schema_base(&value) {
        errors.at(
            Span::call_site(),
            format_args!(
                "the environment variable `{SCHEMA_BASE_ENV}` is not a schema base: {message}"
            ),
        );
    }
    value
}

fn check_schema_base(base: &str) -> Result<(), String> {
    const EXAMPLES: &str = "like `https://schemas.example.com/events/` or `urn:acme:events:`";
    if base.is_empty() {
        return Err(
            "the schema base is empty; leave it out for the default `urn:event:<package>:`".into(),
        );
    }
    if base.chars().any(char::is_whitespace) {
        return Err(format!(
            "`{base}` contains white space, which a URI cannot hold"
        ));
    }
    if let Some(bad) = base
        .chars()
        .find(|c| !c.is_ascii() || c.is_ascii_control() || "\"<>\\^`{|}".contains(*c))
    {
        return Err(format!(
            "`{base}` contains `{bad}`, which a URI cannot hold unescaped; percent-encode it or leave it out"
        ));
    }
    // An absolute URI: a scheme (a letter, then letters, digits, `+`, `-`,
    // `.`) and a colon, so that the `$id` does not resolve against wherever
    // the schema happens to be read from.
    let scheme = base.split_once(':').map(|(scheme, _)| scheme);
    let scheme_ok = scheme.is_some_and(|s| {
        s.starts_with(|c: char| c.is_ascii_alphabetic())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    });
    if !scheme_ok {
        return Err(format!(
            "`{base}` is not an absolute URI: a schema base starts with a scheme, {EXAMPLES}"
        ));
    }
    let rest = &base[base.find(':').map_or(0, |i| i + 1)..];
    if let Some(authority) = rest.strip_prefix("//") {
        let host = authority.split(['/', '?', '#']).next().unwrap_or_default();
        if host.is_empty() {
            return Err(format!(
                "`{base}` has no host after `//`; write one, {EXAMPLES}"
            ));
        }
    } else if rest.is_empty() || rest.starts_with(['#', '?']) {
        return Err(format!(
            "`{base}` has nothing after its scheme; write a path or a name, {EXAMPLES}"
        ));
    }
    if base.ends_with('#') && base[..base.len() - 1].contains('#') {
        return Err(format!(
            "`{base}` has two `#`; a URI has at most one fragment"
        ));
    }
    if !base.ends_with(['/', ':', '#']) {
        // A URN's parts are separated by `:`, a URL's path by `/`.
        let separator = if base.to_ascii_lowercase().starts_with("urn:") {
            ':'
        } else {
            '/'
        };
        return Err(format!(
            "`{base}` must end in `/`, `:` or `#` so the type can follow it, like `{base}{separator}`"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_base_precedence() {
        let mut errors = Errors::default();
        let attr: LitStr = syn::parse_quote!("https://a.example/events/");
        let env = Some("urn:acme:".to_owned());
        assert_eq!(
            schema_base(Some(&attr), env.clone(), Some("shop"), &mut errors),
            "https://a.example/events/"
        );
        assert_eq!(
            schema_base(None, env, Some("shop"), &mut errors),
            "urn:acme:"
        );
        assert_eq!(
            schema_base(None, None, Some("shop-events"), &mut errors),
            "urn:event:shop-events:"
        );
        assert_eq!(
            schema_base(None, None, None, &mut errors),
            DEFAULT_SCHEMA_BASE
        );
        assert_eq!(
            schema_base(None, None, Some("odd name"), &mut errors),
            DEFAULT_SCHEMA_BASE
        );
        assert!(errors.is_empty());
        assert!(check_schema_base(&default_schema_base(Some("shop_events-2"))).is_ok());

        assert_eq!(
            schema_base(
                None,
                Some("https://a.example/events".into()),
                Some("shop"),
                &mut errors
            ),
            "https://a.example/events"
        );
        assert!(
            !errors.is_empty(),
            "a base from the environment is checked too"
        );
    }

    #[test]
    fn schema_bases_are_absolute_uris() {
        for good in [
            "urn:event:",
            "urn:acme:events:",
            "https://schemas.example.com/events/",
            "https://schemas.example.com/events#",
            "tag:example.com,2026:events/",
        ] {
            assert!(check_schema_base(good).is_ok(), "{good}");
        }
        for bad in [
            "#",
            "/",
            ":",
            "events/",
            "https:///",
            "https://#",
            "1urn:",
            "urn:",
            "https://schemas.example.com/ev ents/",
            "https://schémas.example.com/",
            "https://a.example/x#y#",
        ] {
            assert!(check_schema_base(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn schema_ids_join_base_kind_and_type() {
        assert_eq!(
            schema_id("urn:event:", Kind::Integration, "product.updated.v2"),
            "urn:event:integration:product.updated.v2"
        );
        assert_eq!(
            schema_id("https://s.example/e/", Kind::Domain, "order.placed.v1"),
            "https://s.example/e/domain/order.placed.v1"
        );
    }
}
