// Four mistakes in one mapping: each is reported at its field in one run,
// not one per build.
use event_core::prelude::*;

/// A member joined the club.
#[domain_event]
pub struct MemberJoined {
    pub member_id: String,
    #[event(pii)]
    pub email: String,
    #[event(pii)]
    pub phone: String,
    #[event(secret)]
    pub pin: String,
}

/// A member joined, for other contexts.
#[integration_event(version = 1, maps_from = MemberJoined)]
pub struct MemberJoinedIntegrationEvent {
    pub member_id: String,
    pub email: String,
    pub phone: String,
    pub pin: String,
    pub nickname: String,
}

fn main() {}
