// A field written through a module of serde functions: the contract cannot
// tell what it is on the wire. One error, at the module's name.
use event_core::prelude::*;

mod weight {
    use event_core::serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(grams: &u64, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format!("{grams} g"))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.trim_end_matches(" g")
            .parse()
            .map_err(event_core::serde::de::Error::custom)
    }
}

/// A parcel was weighed.
#[domain_event]
pub struct ParcelWeighed {
    pub parcel_id: String,
    #[serde(with = "weight")]
    pub weight_grams: u64,
}

fn main() {
    let _ = ParcelWeighed::schema();
}
