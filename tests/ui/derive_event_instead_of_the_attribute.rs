use event_core::Event;

#[derive(Event)]
pub struct OrderPlaced {
    pub order_id: String,
}

fn main() {}
