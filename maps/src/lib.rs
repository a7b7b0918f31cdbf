//! `maps`: geometry and planning for cow (to be written).
