use event_core::prelude::*;

#[notification_event]
pub struct ServiceStoppedNotification;

fn main() {}
