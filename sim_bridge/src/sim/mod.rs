//! The embedded simulator (to be written).
