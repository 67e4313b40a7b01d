//! Logging through `tracing` when the `tracing` feature is on, and nothing at
//! all otherwise: the call sites stay the same, the dependency is optional.

/// `tracing::debug!`, or nothing.
macro_rules! trace_debug {
    ($($arg:tt)*) => {
        #[cfg(feature = "tracing")]
        ::tracing::debug!($($arg)*);
    };
}

/// `tracing::warn!`, or nothing.
#[cfg_attr(not(feature = "tokio"), allow(unused_macros))]
macro_rules! trace_warn {
    ($($arg:tt)*) => {
        #[cfg(feature = "tracing")]
        ::tracing::warn!($($arg)*);
    };
}

/// Enters a `tracing::debug_span!` until the end of the enclosing block, or
/// does nothing.
macro_rules! trace_span {
    ($($arg:tt)*) => {
        #[cfg(feature = "tracing")]
        let _span = ::tracing::debug_span!($($arg)*).entered();
    };
}
