use event_core::notify::Notifier;
use event_core::prelude::*;
use event_core::BoxError;

#[domain_event]
pub struct OrderPlaced {
    pub order_id: String,
}

pub struct Mailer;

impl Notifier<OrderPlaced> for Mailer {
    async fn send(&self, _batch: Vec<Envelope<OrderPlaced>>) -> Result<(), BoxError> {
        Ok(())
    }
}

fn main() {}
