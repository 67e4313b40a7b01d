// `OAuth` read as two words would publish the type `o.auth.token.refreshed`.
use event_core::prelude::*;

/// A token was refreshed.
#[domain_event]
pub struct OAuthTokenRefreshed {
    pub user_id: String,
}

/// An X-ray was taken, named explicitly: accepted.
#[domain_event(name = "xray.taken")]
pub struct XRayTaken {
    pub patient_id: String,
}

fn main() {}
