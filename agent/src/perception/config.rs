//! Configuration of the CLIP localizers and of the ONNX Runtime sessions they
//! use. Every field has a default, so an empty TOML table is a valid config.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Which CLIP localizer to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LocalizerKind {
    /// CoW's CLIP-Patch: k x k tiles, softmax over tile-goal logits.
    #[default]
    Patch,
    /// CoW's CLIP-Grad: Chefer relevance of the last attention layer.
    Grad,
    /// MaskCLIP-style dense patch embeddings against goal and background prompts.
    Dense,
    /// OWL-ViT detection with the goal as text query (an `owlvit` bundle).
    Owl,
}

impl LocalizerKind {
    /// The name used in configs and results (`"patch"`, `"grad"`, `"dense"`).
    pub fn name(self) -> &'static str {
        match self {
            LocalizerKind::Patch => "patch",
            LocalizerKind::Grad => "grad",
            LocalizerKind::Dense => "dense",
            LocalizerKind::Owl => "owl",
        }
    }

    /// The manifest kind of the bundles this localizer loads (`"clip"` or `"owlvit"`).
    pub fn bundle_kind(self) -> &'static str {
        match self {
            LocalizerKind::Owl => "owlvit",
            _ => "clip",
        }
    }

    /// Default threshold when neither the config nor the bundle gives one:
    /// CoW's ViT-B/32 RoboTHOR values (0.875 patch, 0.625 grad); dense has no
    /// published value and uses 0.5, the point where the goal wins its softmax
    /// against the background prompts; OWL-ViT 0.125 (CoW, RoboTHOR).
    pub fn default_threshold(self) -> f32 {
        match self {
            LocalizerKind::Patch => 0.875,
            LocalizerKind::Grad => 0.625,
            LocalizerKind::Dense => 0.5,
            LocalizerKind::Owl => 0.125,
        }
    }
}

/// Prompt templates applied to the goal text; embeddings of all templates are
/// averaged and renormalised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TemplateSet {
    /// `"a photo of a {}."` ("an" before a vowel: "a photo of an apple.").
    Single,
    /// The 80 ImageNet templates of the CLIP paper.
    Imagenet80,
}

/// How a frame is fitted into the model's square input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ResizeMode {
    /// OpenAI CLIP: shorter side to the input size (bicubic), centre crop.
    /// Pixels outside the crop get confidence 0.
    Crop,
    /// Pad to a square with the mean colour, then resize: every pixel is seen.
    Pad,
}

/// Graph optimisation level of ONNX Runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GraphOptLevel {
    /// No optimisation.
    Disable,
    /// Constant folding and redundant-node removal.
    Basic,
    /// Plus complex fusions.
    Extended,
    /// Everything, including layout optimisations.
    All,
}

/// Where and how ONNX Runtime runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RuntimeConfig {
    /// Path of `libonnxruntime.so`; when absent, `ORT_DYLIB_PATH`, then the
    /// project's `.venv` (searched from the current directory and from the
    /// executable's ancestors) are tried.
    pub onnxruntime: Option<PathBuf>,
    /// `"cpu"` or `"cuda:N"`.
    pub device: String,
    /// When CUDA is requested but unavailable: warn and run on the CPU (true)
    /// or fail (false, the default).
    pub allow_cpu_fallback: bool,
    /// Intra-op threads per session; 0 lets ONNX Runtime choose.
    pub threads: usize,
    /// Graph optimisation level.
    pub graph_opt_level: GraphOptLevel,
    /// Which graph variant to run: `auto` (the bundle's fp16 graphs on CUDA
    /// where it has them; on the CPU its optimised fp32 graphs where it has
    /// them, else the plain ones), `fp32` (the plain graphs), `fp16` (also on
    /// the CPU), or `int8` (the int8 image graph where the bundle has one).
    pub precision: Precision,
}

/// Numeric precision of the graphs a session runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// fp16 graphs on CUDA when the bundle has them; on the CPU the
    /// optimised fp32 graphs when it has them; else the plain fp32 graphs.
    Auto,
    /// Always the plain fp32 graphs.
    Fp32,
    /// The fp16 graphs wherever the bundle has them (a warning names those it lacks).
    Fp16,
    /// The int8 graphs wherever the bundle has them (the image graph of a
    /// `cow-export --fast` bundle), the optimised or plain fp32 ones elsewhere.
    Int8,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig {
            onnxruntime: None,
            device: "cpu".to_string(),
            allow_cpu_fallback: false,
            threads: 1,
            graph_opt_level: GraphOptLevel::All,
            precision: Precision::Auto,
        }
    }
}

/// Configuration of one CLIP localizer (`[localizer]` in a run config).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LocalizerConfig {
    /// Which localizer. Not read from config files: the run config's
    /// `agent.localizer` chooses it (`"patch"`, `"grad"`, `"dense"`, `"owl"`).
    #[serde(skip)]
    pub kind: LocalizerKind,
    /// Model bundle folder (manifest.json, ONNX graphs, tokenizer.json).
    pub bundle: PathBuf,
    /// ONNX Runtime settings.
    pub runtime: RuntimeConfig,
    /// Prompt templates; `None` uses the bundle's recommendation.
    pub templates: Option<TemplateSet>,
    /// Confidence threshold; `None` uses the bundle's recommended value for
    /// this localizer, else [`LocalizerKind::default_threshold`].
    pub threshold: Option<f32>,
    /// Tiles per side for the patch localizer (CoW: 3).
    pub tiles: u32,
    /// How frames are fitted into the model input.
    pub resize: ResizeMode,
    /// Background prompts the dense localizer compares the goal against.
    pub background_prompts: Vec<String>,
    /// Softmax temperature (logit scale) of the dense localizer.
    pub dense_logit_scale: f32,
    /// Crop verification of the dense localizer: each region of the patch map
    /// above the threshold is cropped from the frame (a square around it, as
    /// the training crops), embedded whole, and classified against the goal
    /// and the background prompts; a region whose goal probability is below
    /// this value is cleared. 0 turns verification off.
    pub dense_verify: f32,
    /// Regions verified per frame (most confident first; the rest are cleared
    /// when verification is on). Each costs one image pass.
    pub dense_verify_regions: usize,
    /// Prompts a verification crop is classified against besides the goal;
    /// empty: the background prompts. A short background list gives the
    /// patch map recall, a long list here (the world's other objects)
    /// rejects look-alikes.
    pub dense_verify_prompts: Vec<String>,
    /// Zoom factor k of extra dense views: squares of 1/k of the frame across
    /// its middle band, overlapping by at least half (2k - 1 more image passes for a
    /// square frame): k times the patch resolution where distant, small goals
    /// appear to a level camera. 0 or 1: none.
    pub dense_zoom: u32,
    /// Factor applied to Chefer relevance before clamping to [0, 1] (CoW: 10).
    pub grad_scale: f32,
    /// Prompt of the view score that value maps use (`agent.cow.explore =
    /// "value"`, [`crate::localize::pool::ViewScores::embedding`]), its
    /// `{}` filled with the goal ("a room with a {}." : "a room with an
    /// apple."): a text about the place that holds the goal rather than
    /// the goal itself. Empty: the goal's own embedding (its templates).
    pub value_prompt: String,
}

/// Default background prompts of the dense localizer: things every indoor
/// frame has that are not the goal.
pub const DEFAULT_BACKGROUND_PROMPTS: [&str; 8] = [
    "background",
    "wall",
    "floor",
    "ceiling",
    "door",
    "window",
    "furniture",
    "room",
];

impl Default for LocalizerConfig {
    fn default() -> Self {
        LocalizerConfig {
            kind: LocalizerKind::Patch,
            bundle: PathBuf::from("models/cow-embedded"),
            runtime: RuntimeConfig::default(),
            templates: None,
            threshold: None,
            tiles: 3,
            resize: ResizeMode::Crop,
            background_prompts: DEFAULT_BACKGROUND_PROMPTS
                .iter()
                .map(|s| s.to_string())
                .collect(),
            dense_logit_scale: 100.0,
            dense_verify: 0.0,
            dense_verify_regions: 3,
            dense_verify_prompts: Vec::new(),
            dense_zoom: 0,
            grad_scale: 10.0,
            value_prompt: String::new(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn empty_json_is_the_default() {
        let c: LocalizerConfig = serde_json::from_str("{}").unwrap();
        assert_eq!(c, LocalizerConfig::default());
        assert_eq!(c.tiles, 3);
        assert_eq!(c.runtime.device, "cpu");
    }

    #[test]
    fn fields_parse_and_unknown_fields_are_rejected() {
        let c: LocalizerConfig = serde_json::from_str(
            r#"{"threshold": 0.4, "templates": "imagenet80",
                "runtime": {"device": "cuda:1", "allow_cpu_fallback": true, "graph_opt_level": "basic"}}"#,
        )
        .unwrap();
        assert_eq!(c.threshold, Some(0.4));
        assert_eq!(c.templates, Some(TemplateSet::Imagenet80));
        assert_eq!(c.runtime.graph_opt_level, GraphOptLevel::Basic);
        let err = serde_json::from_str::<LocalizerConfig>(r#"{"tile": 3}"#).unwrap_err();
        assert!(err.to_string().contains("tile"), "{err}");
        // The kind comes from the run config's agent.localizer, not from here.
        let err = serde_json::from_str::<LocalizerConfig>(r#"{"kind": "grad"}"#).unwrap_err();
        assert!(err.to_string().contains("kind"), "{err}");
        assert!(err.to_string().contains("tile"), "{err}");
    }

    #[test]
    fn default_thresholds_follow_cow() {
        assert_eq!(LocalizerKind::Patch.default_threshold(), 0.875);
        assert_eq!(LocalizerKind::Grad.default_threshold(), 0.625);
        assert_eq!(LocalizerKind::Owl.default_threshold(), 0.125);
        assert_eq!(LocalizerKind::Owl.name(), "owl");
        assert_eq!(LocalizerKind::Owl.bundle_kind(), "owlvit");
    }
}
