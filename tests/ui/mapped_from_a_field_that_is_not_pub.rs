use event_core::prelude::*;

mod meters {
    use event_core::prelude::*;

    /// The source: `fme1ud34ijaouo` is not `pub`, so only this module (and
    /// the modules in it) can map from it. (It has the same 64-bit FNV-1a
    /// hash as `fkrn00qm52ag0p`: a mapping must not take one for the other.)
    #[domain_event]
    pub struct MeterRead {
        pub fkrn00qm52ag0p: u32,
        #[event(secret)]
        fme1ud34ijaouo: u32,
    }
}

#[integration_event(version = 1, maps_from = meters::MeterRead)]
pub struct MeterReadIntegrationEvent {
    pub fme1ud34ijaouo: u32,
}

fn main() {}
