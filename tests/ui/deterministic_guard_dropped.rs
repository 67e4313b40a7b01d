// The guard of `testing::deterministic` dropped at once: ids and times are
// deterministic only while it lives.
#![deny(unused_must_use)]

use event_core::testing;

fn main() {
    testing::deterministic();
}
