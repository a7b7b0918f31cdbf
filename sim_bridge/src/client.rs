//! ZeroMQ lazy-pirate client (to be written).
