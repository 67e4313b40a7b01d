use event_core::prelude::*;

#[domain_event]
pub struct OrderPlaced {
    pub order_id: String,
    #[cfg(feature = "gift-notes")]
    pub gift_note: String,
}

fn main() {
    let _ = OrderPlaced {
        order_id: String::new(),
        gift_note: String::new(),
    };
}
