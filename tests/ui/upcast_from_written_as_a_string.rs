use event_core::prelude::*;

#[integration_event(version = 1)]
pub struct ProductUpdatedIntegrationEvent {
    pub product_id: String,
}

pub mod v2 {
    use event_core::prelude::*;

    #[integration_event(version = 2, upcast_from = "super::ProductUpdatedIntegrationEvent")]
    pub struct ProductUpdatedIntegrationEvent {
        pub product_id: String,
    }
}

fn main() {}
