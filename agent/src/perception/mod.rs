//! CLIP goal localization through ONNX Runtime.
//!
//! A model bundle (folder with `manifest.json`, `text.onnx`, `image.onnx`,
//! `relevance.onnx`, `tokenizer.json`; written by `cow-export` in `tools/`)
//! is loaded once per run; goal text embeddings are computed once per goal.
//! Three localizers implement [`crate::localize::Localizer`]:
//! [`PatchLocalizer`] (CoW's CLIP-Patch), [`GradLocalizer`] (CoW's CLIP-Grad)
//! and [`DenseLocalizer`] (MaskCLIP-style patch embeddings); [`OwlLocalizer`]
//! runs an OWL-ViT bundle (manifest kind `"owlvit"`).
//! [`build_localizer`] picks one from a [`LocalizerConfig`].
//!
//! The ONNX Runtime library is found as described in [`runtime::library`].

pub mod clip;
pub mod common;
pub mod config;
pub mod dense;
pub mod dense_geometry;
pub mod grad;
pub mod grid;
pub mod manifest;
pub mod owl;
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
pub use owl::OwlLocalizer;
pub use patch::PatchLocalizer;

use crate::localize::Localizer;
use crate::Error;

/// Builds the localizer `config.kind` names, after checking that the bundle
/// is of the kind it needs (a CLIP localizer refuses an OWL-ViT bundle and
/// the other way round).
pub fn build_localizer(config: &LocalizerConfig) -> Result<Box<dyn Localizer>, Error> {
    let manifest = manifest::Manifest::load(&config.bundle)?;
    let want = config.kind.bundle_kind();
    if manifest.kind != want {
        return Err(Error::Bundle {
            bundle: config.bundle.display().to_string(),
            message: format!(
                "the {} localizer needs a \"{want}\" bundle, this one is \"{}\"",
                config.kind.name(),
                manifest.kind
            ),
        });
    }
    Ok(match config.kind {
        LocalizerKind::Patch => Box::new(PatchLocalizer::new(config)?),
        LocalizerKind::Grad => Box::new(GradLocalizer::new(config)?),
        LocalizerKind::Dense => Box::new(DenseLocalizer::new(config)?),
        LocalizerKind::Owl => Box::new(OwlLocalizer::new(config)?),
    })
}
