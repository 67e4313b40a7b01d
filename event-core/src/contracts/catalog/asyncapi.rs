//! The AsyncAPI 3.0 document of a catalog.

use serde_json::{Map, Value, json};

use super::{Catalog, Consumer, description, ident};
use crate::model::event::EventKind;
use crate::model::registry::EventDescriptor;

/// The name of the shared message trait.
const TRAIT: &str = "cloudEvents";

pub(super) fn document(catalog: &Catalog) -> Value {
    let mut channels = Map::new();
    let mut operations = Map::new();
    let mut messages = Map::new();
    let mut schemas = Map::new();

    for descriptor in catalog
        .events
        .iter()
        .filter(|d| d.kind == EventKind::Integration)
    {
        let key = descriptor.full_type;
        let schema = descriptor.schema();
        let summary = description(&schema).map(str::to_owned);
        let payload = payload(descriptor, schema, &mut schemas);

        let mut message = Map::new();
        message.insert("name".into(), Value::from(key));
        message.insert("title".into(), Value::from(descriptor.rust_name));
        if let Some(summary) = &summary {
            message.insert("summary".into(), Value::from(summary.as_str()));
        }
        message.insert("contentType".into(), Value::from("application/json"));
        message.insert("payload".into(), payload);
        message.insert(
            "traits".into(),
            json!([{ "$ref": format!("#/components/messageTraits/{TRAIT}") }]),
        );
        messages.insert(key.to_owned(), Value::Object(message));

        let mut channel = Map::new();
        channel.insert("address".into(), Value::from(key));
        channel.insert(
            "title".into(),
            Value::from(format!(
                "{} version {}",
                descriptor.type_name, descriptor.version
            )),
        );
        channel.insert(
            "description".into(),
            Value::from(format!(
                "Envelopes of the integration event `{key}`; transports route on the full type (the NATS subject `events.{key}.<key>`, the RabbitMQ routing key `{key}`)."
            )),
        );
        channel.insert(
            "messages".into(),
            json!({ key: { "$ref": format!("#/components/messages/{key}") } }),
        );
        channels.insert(key.to_owned(), Value::Object(channel));

        let channel_ref = json!({ "$ref": format!("#/channels/{key}") });
        let message_ref = json!([{ "$ref": format!("#/channels/{key}/messages/{key}") }]);

        let sources: Vec<String> = descriptor
            .maps_from()
            .iter()
            .map(|s| format!("`{}.v{}`", s.type_name, s.version))
            .collect();
        let producer = descriptor.package.map_or_else(
            || format!("`{}`", descriptor.module_path),
            |p| format!("package `{}`", p.name),
        );
        let send_description = if sources.is_empty() {
            format!(
                "Declared by {producer} as `{}`, and published by it.",
                descriptor.rust_name
            )
        } else {
            format!(
                "Declared by {producer} as `{}`, and published when the domain event {} happens (`maps_from`).",
                descriptor.rust_name,
                sources.join(" or ")
            )
        };
        operations.insert(
            format!("send.{key}"),
            json!({
                "action": "send",
                "channel": channel_ref,
                "title": format!("Publish {key}"),
                "description": send_description,
                "messages": message_ref,
            }),
        );

        for consumer in catalog.consumers_of(descriptor.event_ref()) {
            let (id, title, text) = match &consumer {
                Consumer::Named(name) => (
                    ident(name),
                    format!("{name} receives {key}"),
                    format!("`{name}` consumes `{key}`."),
                ),
                Consumer::Event(target) => {
                    let target_name = catalog.find(*target).map_or("", |d| d.rust_name);
                    (
                        format!("{}.{}.v{}", target.kind, target.type_name, target.version),
                        format!("{target} is mapped from {key}"),
                        format!(
                            "The {} `{}` (`{target_name}`) is mapped from `{key}` (`maps_from`).",
                            target.kind, target.type_name
                        ),
                    )
                }
            };
            operations.insert(
                format!("receive.{key}.{id}"),
                json!({
                    "action": "receive",
                    "channel": channel_ref,
                    "title": title,
                    "description": text,
                    "messages": message_ref,
                }),
            );
        }
    }

    let mut components = Map::new();
    if !schemas.is_empty() {
        components.insert("schemas".into(), Value::Object(schemas));
    }
    components.insert("messages".into(), Value::Object(messages));
    components.insert(
        "messageTraits".into(),
        json!({ TRAIT: cloud_events_trait() }),
    );

    json!({
        "asyncapi": "3.0.0",
        "info": {
            "title": catalog.title_text(),
            "version": catalog.version,
            "description": "The integration events of the catalog: each version of each event type is a channel, its message carries the event's data (its JSON Schema is the payload) with the CloudEvents attributes as `ce-` headers (binary mode; in structured mode the same attributes are members of the `application/cloudevents+json` body).",
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": components,
    })
}

/// The payload schema of a message: the event's schema without `$schema`
/// (the document's schemas are AsyncAPI's), its `$defs` moved to
/// `components/schemas` under the full type, and the references rewritten
/// to them.
fn payload(descriptor: &EventDescriptor, schema: Value, schemas: &mut Map<String, Value>) -> Value {
    let Value::Object(mut root) = schema else {
        return schema;
    };
    root.remove("$schema");
    let prefix = format!("{}.", descriptor.full_type);
    if let Some(Value::Object(defs)) = root.remove("$defs") {
        for (name, mut def) in defs {
            rewrite_refs(&mut def, &prefix);
            schemas.insert(format!("{prefix}{}", key(&name)), def);
        }
    }
    let mut root = Value::Object(root);
    rewrite_refs(&mut root, &prefix);
    root
}

/// A component key: letters, digits, `.`, `-` and `_`.
fn key(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn rewrite_refs(value: &mut Value, prefix: &str) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get_mut("$ref")
                && let Some(name) = target.strip_prefix("#/$defs/")
            {
                *target = format!("#/components/schemas/{prefix}{}", key(name));
            }
            for (name, child) in map.iter_mut() {
                if !matches!(name.as_str(), "const" | "enum" | "default" | "examples") {
                    rewrite_refs(child, prefix);
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                rewrite_refs(item, prefix);
            }
        }
        _ => {}
    }
}

/// The CloudEvents attributes of an envelope as binary-mode headers.
fn cloud_events_trait() -> Value {
    let text = |description: &str| json!({ "type": "string", "description": description });
    json!({
        "summary": "The CloudEvents 1.0 attributes of every envelope.",
        "headers": {
            "type": "object",
            "required": ["ce-specversion", "ce-id", "ce-source", "ce-type", "ce-time"],
            "properties": {
                "ce-specversion": { "type": "string", "const": "1.0", "description": "The CloudEvents version." },
                "ce-id": text("The event id, a UUIDv7; brokers de-duplicate on it."),
                "ce-source": { "type": "string", "format": "uri-reference", "description": "The context that produced the event: `/shop/catalog`." },
                "ce-type": text("The full event type, the channel's address: `product.updated.v2`."),
                "ce-time": { "type": "string", "format": "date-time", "description": "When the event happened (RFC 3339)." },
                "ce-subject": text("What the event is about, within its source."),
                "ce-dataschema": { "type": "string", "format": "uri", "description": "The `$id` of the payload's JSON Schema." },
                "ce-correlationid": text("The id shared by every event of one flow."),
                "ce-causationid": text("The id of the event that caused this one."),
                "ce-traceparent": text("The W3C trace context of the producer."),
                "content-type": { "type": "string", "const": "application/json", "description": "The payload's media type." },
            },
        },
    })
}
