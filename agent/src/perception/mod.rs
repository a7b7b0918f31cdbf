//! CLIP goal localization through ONNX Runtime.
//!
//! A model bundle (folder with `manifest.json`, `text.onnx`, `image.onnx`,
//! `relevance.onnx`, `tokenizer.json`; written by `cow-export` in `tools/`)
//! is loaded once per run; goal text embeddings are computed once per goal.
//! Three localizers implement [`crate::localize::Localizer`]:
//! [`PatchLocalizer`] (CoW's CLIP-Patch), [`GradLocalizer`] (CoW's CLIP-Grad)
//! and [`DenseLocalizer`] (MaskCLIP-style patch embeddings).
//! [`build_localizer`] picks one from a [`LocalizerConfig`].
//!
//! The ONNX Runtime library is found as described in [`runtime::library`].

pub mod clip;
pub mod common;
pub mod config;
pub mod dense;
pub mod grad;
pub mod grid;
pub mod manifest;
pub mod patch;
pub mod preprocess;
pub mod runtime;
pub mod templates;
pub mod tokenizer;

pub use config::{
    LocalizerConfig, LocalizerKind, Precision, ResizeMode, RuntimeConfig, TemplateSet,
};
pub use dense::DenseLocalizer;
pub use grad::GradLocalizer;
pub use patch::PatchLocalizer;

use crate::localize::Localizer;
use crate::Error;

/// Builds the localizer `config.kind` names.
pub fn build_localizer(config: &LocalizerConfig) -> Result<Box<dyn Localizer>, Error> {
    Ok(match config.kind {
        LocalizerKind::Patch => Box::new(PatchLocalizer::new(config)?),
        LocalizerKind::Grad => Box::new(GradLocalizer::new(config)?),
        LocalizerKind::Dense => Box::new(DenseLocalizer::new(config)?),
    })
}
