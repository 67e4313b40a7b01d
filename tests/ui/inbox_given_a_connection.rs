// A SQLite connection given as the consumer's inbox.
use event_core::host::Host;
use event_core::transport::InMemoryTransport;

fn main() {
    let connection = rusqlite::Connection::open_in_memory().unwrap();
    let _consumer = Host::new(InMemoryTransport::new()).consumer("desk", connection);
}
