// A notification named after sending it: the suggestion names what it
// tells.
use event_core::prelude::*;

/// A welcome email.
#[notification_event]
pub struct SendWelcomeEmail {
    pub email: String,
}

fn main() {}
