//! Episode files and deterministic splits (to be written).
