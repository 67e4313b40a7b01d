// An array longer than 32 elements: serde has no impl for it. One error at
// the length (were five, inside the serde and schemars derives).
use event_core::prelude::*;

/// A device was enrolled.
#[domain_event]
pub struct DeviceEnrolled {
    pub device_id: String,
    pub fingerprint: [u8; 64],
    pub nonce: [u8; 32],
}

fn main() {}
