//! Protocol v1 encoding and validation (to be written: see PROTOCOL.md).
