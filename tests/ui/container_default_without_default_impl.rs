// `#[serde(default)]` on the struct, which has no `Default`: one error, at
// `default`, saying to derive it.
use event_core::prelude::*;

/// A book was lent.
#[domain_event]
#[serde(default)]
pub struct BookLent {
    pub book_id: String,
    pub copies: u32,
}

fn main() {
    let lent = BookLent {
        book_id: "b-1".into(),
        copies: 1,
    };
    let _ = BookLent::schema();
    let _ = Envelope::new("/library", lent);
}
