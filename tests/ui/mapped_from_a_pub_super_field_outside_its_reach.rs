use event_core::prelude::*;

mod library {
    pub mod stock {
        use event_core::prelude::*;

        /// `copies` is seen in `library` and the modules in it only.
        #[domain_event]
        pub struct CopyCounted {
            pub book_id: String,
            pub(super) copies: u32,
        }
    }
}

#[integration_event(version = 1, maps_from = library::stock::CopyCounted)]
pub struct CopiesCountedIntegrationEvent {
    pub book_id: String,
    pub copies: u32,
}

fn main() {}
