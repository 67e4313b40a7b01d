//! The JSON Schema shape of a field's Rust type, as schemars writes it, for
//! the types the macro can see: numbers with their widths, strings,
//! booleans, `Option`, sequences, maps, tuples and arrays. A type declared
//! elsewhere is opaque here: only its name (`x-rust-type`) is known, and
//! `check_contracts!` compares its whole schema.

use std::collections::BTreeMap;

use event_compat::Json;
use syn::{GenericArgument, PathArguments, Type};

use crate::contract::type_text;

fn object(entries: Vec<(&str, Json)>) -> Json {
    Json::Object(
        entries
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect::<BTreeMap<_, _>>(),
    )
}

fn text(s: &str) -> Json {
    Json::String(s.to_owned())
}

fn number(n: usize) -> Json {
    Json::Number(n.to_string())
}

/// The schema of `ty`.
pub fn of(ty: &Type) -> Json {
    match ty {
        Type::Paren(inner) => of(&inner.elem),
        Type::Group(inner) => of(&inner.elem),
        Type::Reference(r) => of(&r.elem),
        Type::Tuple(tuple) if tuple.elems.is_empty() => object(vec![("type", text("null"))]),
        Type::Tuple(tuple) => {
            let items: Vec<Json> = tuple.elems.iter().map(of).collect();
            let n = items.len();
            object(vec![
                ("type", text("array")),
                ("prefixItems", Json::Array(items)),
                ("minItems", number(n)),
                ("maxItems", number(n)),
            ])
        }
        Type::Array(array) => {
            let len = array_length(array);
            let mut entries = vec![("type", text("array")), ("items", of(&array.elem))];
            if let Some(n) = len {
                entries.push(("minItems", number(n)));
                entries.push(("maxItems", number(n)));
            }
            object(entries)
        }
        Type::Slice(slice) => object(vec![("type", text("array")), ("items", of(&slice.elem))]),
        Type::Path(path) if path.qself.is_none() => {
            let Some(last) = path.path.segments.last() else {
                return opaque(ty);
            };
            let args: Vec<&Type> = match &last.arguments {
                PathArguments::AngleBracketed(a) => a
                    .args
                    .iter()
                    .filter_map(|g| match g {
                        GenericArgument::Type(t) => Some(t),
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            };
            let name = last.ident.to_string();
            match (name.as_str(), args.as_slice()) {
                ("bool", []) => object(vec![("type", text("boolean"))]),
                ("String" | "str", []) => object(vec![("type", text("string"))]),
                ("char", []) => object(vec![
                    ("type", text("string")),
                    ("minLength", number(1)),
                    ("maxLength", number(1)),
                ]),
                ("f32", []) => object(vec![("type", text("number")), ("format", text("float"))]),
                ("f64", []) => object(vec![("type", text("number")), ("format", text("double"))]),
                ("u8" | "u16" | "u32" | "u64" | "u128" | "usize", []) => {
                    let format = if name == "usize" {
                        "uint".to_owned()
                    } else {
                        format!("uint{}", &name[1..])
                    };
                    object(vec![
                        ("type", text("integer")),
                        ("format", Json::String(format)),
                        ("minimum", number(0)),
                    ])
                }
                ("i8" | "i16" | "i32" | "i64" | "i128" | "isize", []) => {
                    let format = if name == "isize" {
                        "int".to_owned()
                    } else {
                        format!("int{}", &name[1..])
                    };
                    object(vec![
                        ("type", text("integer")),
                        ("format", Json::String(format)),
                    ])
                }
                ("Option", [inner]) => object(vec![(
                    "anyOf",
                    Json::Array(vec![of(inner), object(vec![("type", text("null"))])]),
                )]),
                ("Box" | "Rc" | "Arc" | "Cow", [inner]) => of(inner),
                ("Vec" | "VecDeque" | "LinkedList", [inner]) => {
                    object(vec![("type", text("array")), ("items", of(inner))])
                }
                ("HashSet" | "BTreeSet" | "IndexSet", [inner]) => object(vec![
                    ("type", text("array")),
                    ("items", of(inner)),
                    ("uniqueItems", Json::Bool(true)),
                ]),
                ("HashMap" | "BTreeMap" | "IndexMap", [_, value]) => object(vec![
                    ("type", text("object")),
                    ("additionalProperties", of(value)),
                ]),
                _ => opaque(ty),
            }
        }
        _ => opaque(ty),
    }
}

/// A type whose shape is declared elsewhere.
fn opaque(ty: &Type) -> Json {
    object(vec![("x-rust-type", Json::String(type_text(ty)))])
}

/// Whether a shape holds an opaque type anywhere.
pub fn has_opaque(schema: &Json) -> bool {
    match schema {
        Json::Object(map) => {
            (map.len() == 1 && map.contains_key("x-rust-type")) || map.values().any(has_opaque)
        }
        Json::Array(items) => items.iter().any(has_opaque),
        _ => false,
    }
}

/// The length of an array type written as a number (`[u8; 64]`); `None`
/// for a constant or an expression, which the macro cannot evaluate.
pub fn array_length(array: &syn::TypeArray) -> Option<usize> {
    match &array.len {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(n),
            ..
        }) => n.base10_parse::<usize>().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_of_common_types() {
        let shape = |ty: Type| of(&ty).to_string();
        assert_eq!(
            shape(syn::parse_quote!(u32)),
            r#"{"format":"uint32","minimum":0,"type":"integer"}"#
        );
        assert_eq!(
            shape(syn::parse_quote!(Option<bool>)),
            r#"{"anyOf":[{"type":"boolean"},{"type":"null"}]}"#
        );
        assert_eq!(
            shape(syn::parse_quote!(std::collections::HashMap<String, i64>)),
            r#"{"additionalProperties":{"format":"int64","type":"integer"},"type":"object"}"#
        );
        assert_eq!(
            shape(syn::parse_quote!((u8, String))),
            r#"{"maxItems":2,"minItems":2,"prefixItems":[{"format":"uint8","minimum":0,"type":"integer"},{"type":"string"}],"type":"array"}"#
        );
        assert!(has_opaque(&of(&syn::parse_quote!(Vec<Address>))));
        assert!(!has_opaque(&of(&syn::parse_quote!(Vec<u8>))));
    }
}
