//! ZeroMQ server over a [`crate::Backend`] (to be written).
