//! `manifest.json` of a CLIP model bundle, and the check of every graph's
//! inputs and outputs against it.
//!
//! Written by `cow-export` (tools/src/cow_tools/bundle.py). Shapes list fixed
//! sizes as integers and symbolic dimensions as strings (`"batch"`).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::Error;

/// Manifest format this code reads.
pub const FORMAT_VERSION: u32 = 1;

/// Bundle kinds this code reads.
pub const KINDS: [&str; 2] = ["clip", "owlvit"];

/// One dimension of a declared shape.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Dim {
    /// A fixed size.
    Fixed(i64),
    /// A symbolic (dynamic) dimension such as `"batch"`.
    Symbolic(String),
}

/// A declared graph input or output.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TensorSpec {
    /// Name in the ONNX graph.
    pub name: String,
    /// Element type: `"float32"`, `"float16"`, `"int64"`.
    pub dtype: String,
    /// Shape.
    pub shape: Vec<Dim>,
}

/// A declared graph.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct GraphSpec {
    /// ONNX file, relative to the bundle folder.
    pub file: String,
    /// Optional fp16 variant with the same float32 inputs and outputs.
    #[serde(default)]
    pub fp16_file: Option<String>,
    /// Optional graph-level optimised variant (fused attention and GELU;
    /// same inputs and outputs, fp32), preferred on the CPU.
    #[serde(default)]
    pub opt_file: Option<String>,
    /// Optional int8-quantised variant for CPUs (same inputs and outputs).
    #[serde(default)]
    pub int8_file: Option<String>,
    /// Inputs in order.
    pub inputs: Vec<TensorSpec>,
    /// Outputs in order.
    pub outputs: Vec<TensorSpec>,
}

/// Tokenizer settings.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TokenizerSpec {
    /// tokenizer.json file, relative to the bundle folder.
    pub file: String,
    /// Start-of-text id.
    pub sot_id: u32,
    /// End-of-text id (the largest id: the text graph finds it with argmax).
    pub eot_id: u32,
    /// Padding id.
    pub pad_id: u32,
}

/// The graphs of a CLIP bundle.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Graphs {
    /// `input_ids` -> `text_embeddings`.
    pub text: GraphSpec,
    /// `pixel_values` -> `image_embeddings`, `patch_embeddings`.
    pub image: Option<GraphSpec>,
    /// `pixel_values`, `text_embedding` -> `relevance`.
    pub relevance: Option<GraphSpec>,
}

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Manifest {
    /// Format version ([`FORMAT_VERSION`]).
    pub format_version: u32,
    /// Model kind: `"clip"` (CLIP dual encoder) or `"owlvit"` (OWL-ViT detector).
    pub kind: String,
    /// Free-form name.
    pub name: String,
    /// Square input size, pixels.
    pub image_size: u32,
    /// ViT patch size, pixels.
    pub patch_size: u32,
    /// Patches per side `[rows, cols]`.
    pub patch_grid: [u32; 2],
    /// Per-channel mean of the normalisation (RGB, on [0, 1] values).
    pub image_mean: [f32; 3],
    /// Per-channel standard deviation.
    pub image_std: [f32; 3],
    /// Embedding dimension.
    pub embed_dim: usize,
    /// Text context length (token ids per prompt).
    pub context_length: usize,
    /// Logit scale of image-text similarities (CLIP: 100).
    pub logit_scale: f32,
    /// Tokenizer.
    pub tokenizer: TokenizerSpec,
    /// Recommended prompt templates (`"single"` or `"imagenet80"`).
    pub templates: String,
    /// The graphs.
    pub graphs: Graphs,
    /// Recommended thresholds by localizer name.
    #[serde(default)]
    pub thresholds: BTreeMap<String, f32>,
    /// Files holding the graphs' external weights (shared between graphs).
    #[serde(default)]
    pub external_data: Vec<String>,
}

impl Manifest {
    /// Reads and checks `dir/manifest.json`.
    pub fn load(dir: &Path) -> Result<Manifest, Error> {
        let path = dir.join("manifest.json");
        let bundle = dir.display().to_string();
        let text = std::fs::read_to_string(&path).map_err(|e| Error::Bundle {
            bundle: bundle.clone(),
            message: format!("reading manifest.json: {e}"),
        })?;
        let manifest = Manifest::parse(&text, &bundle)?;
        if let Some(missing) = manifest
            .external_data
            .iter()
            .find(|f| !dir.join(f).is_file())
        {
            return Err(Error::Bundle {
                bundle,
                message: format!("external weights file {missing} is missing"),
            });
        }
        Ok(manifest)
    }

    /// Parses and checks the text of a `manifest.json` (of the bundle named
    /// `bundle` in errors), without looking at any file: what [`Manifest::load`]
    /// does before it checks that the external weights files exist.
    pub fn parse(text: &str, bundle: &str) -> Result<Manifest, Error> {
        let manifest: Manifest = serde_json::from_str(text).map_err(|e| Error::Bundle {
            bundle: bundle.to_string(),
            message: format!("manifest.json: {e}"),
        })?;
        manifest.check().map_err(|message| Error::Bundle {
            bundle: bundle.to_string(),
            message,
        })?;
        Ok(manifest)
    }

    /// Internal consistency of the numbers.
    fn check(&self) -> Result<(), String> {
        if self.format_version != FORMAT_VERSION {
            return Err(format!(
                "manifest format_version {} is not supported (expected {FORMAT_VERSION})",
                self.format_version
            ));
        }
        if !KINDS.contains(&self.kind.as_str()) {
            return Err(format!(
                "manifest kind {:?} is not one of {KINDS:?}",
                self.kind
            ));
        }
        if self.patch_size == 0 || self.image_size % self.patch_size != 0 {
            return Err(format!(
                "image_size {} is not a multiple of patch_size {}",
                self.image_size, self.patch_size
            ));
        }
        let g = self.image_size / self.patch_size;
        if self.patch_grid != [g, g] {
            return Err(format!(
                "patch_grid {:?} does not match image_size / patch_size = {g}",
                self.patch_grid
            ));
        }
        if self.image_std.iter().any(|s| *s <= 0.0) {
            return Err(format!(
                "image_std {:?} has a non-positive value",
                self.image_std
            ));
        }
        if self.context_length < 2 {
            return Err(format!("context_length {} is below 2", self.context_length));
        }
        Ok(())
    }

    /// Number of patches (`rows * cols`).
    pub fn patches(&self) -> usize {
        self.patch_grid[0] as usize * self.patch_grid[1] as usize
    }
}

/// What a session says about one of its inputs or outputs.
#[derive(Debug, Clone, PartialEq)]
pub struct ActualTensor {
    /// Name.
    pub name: String,
    /// Element type in the manifest's spelling (`"float32"`, ...).
    pub dtype: String,
    /// Shape, -1 for dynamic dimensions.
    pub shape: Vec<i64>,
}

/// Element-type names as the manifest spells them.
pub fn dtype_name(ty: ort::value::TensorElementType) -> String {
    use ort::value::TensorElementType as T;
    match ty {
        T::Float32 => "float32".to_string(),
        T::Float16 => "float16".to_string(),
        T::Float64 => "float64".to_string(),
        T::Int64 => "int64".to_string(),
        T::Int32 => "int32".to_string(),
        T::Uint8 => "uint8".to_string(),
        T::Bool => "bool".to_string(),
        other => other.to_string(),
    }
}

/// The inputs or outputs of a session in comparable form.
pub fn actual_tensors(outlets: &[ort::value::Outlet]) -> Vec<ActualTensor> {
    outlets
        .iter()
        .map(|o| match o.dtype() {
            ort::value::ValueType::Tensor { ty, shape, .. } => ActualTensor {
                name: o.name().to_string(),
                dtype: dtype_name(*ty),
                shape: shape.iter().copied().collect(),
            },
            other => ActualTensor {
                name: o.name().to_string(),
                dtype: format!("{other:?}"),
                shape: Vec::new(),
            },
        })
        .collect()
}

/// Compares declared and actual inputs (`kind` = "input") or outputs of the
/// graph file `file`; the message names the first mismatch.
pub fn check_tensors(
    file: &str,
    kind: &str,
    declared: &[TensorSpec],
    actual: &[ActualTensor],
) -> Result<(), String> {
    for d in declared {
        let Some(a) = actual.iter().find(|a| a.name == d.name) else {
            let names: Vec<&str> = actual.iter().map(|a| a.name.as_str()).collect();
            return Err(format!(
                "{file} has no {kind} '{}' (it has {names:?})",
                d.name
            ));
        };
        if a.dtype != d.dtype {
            return Err(format!(
                "{file} {kind} '{}' has dtype {}, manifest says {}",
                d.name, a.dtype, d.dtype
            ));
        }
        if a.shape.len() != d.shape.len() {
            return Err(format!(
                "{file} {kind} '{}' has rank {}, manifest says {}",
                d.name,
                a.shape.len(),
                d.shape.len()
            ));
        }
        for (i, (ad, dd)) in a.shape.iter().zip(&d.shape).enumerate() {
            if let Dim::Fixed(n) = dd {
                if *ad >= 0 && ad != n {
                    return Err(format!(
                        "{file} {kind} '{}' has size {ad} in dimension {i}, manifest says {n}",
                        d.name
                    ));
                }
            }
        }
    }
    if actual.len() != declared.len() {
        let extra: Vec<&str> = actual
            .iter()
            .filter(|a| !declared.iter().any(|d| d.name == a.name))
            .map(|a| a.name.as_str())
            .collect();
        return Err(format!(
            "{file} has {} {kind}s, manifest declares {} (undeclared: {extra:?})",
            actual.len(),
            declared.len()
        ));
    }
    Ok(())
}

/// Checks a session against its graph spec (inputs, then outputs).
pub fn check_session(
    spec: &GraphSpec,
    file: &str,
    session: &ort::session::Session,
) -> Result<(), String> {
    check_tensors(
        file,
        "input",
        &spec.inputs,
        &actual_tensors(session.inputs()),
    )?;
    check_tensors(
        file,
        "output",
        &spec.outputs,
        &actual_tensors(session.outputs()),
    )
}

/// Finds a declared tensor by name or explains which one is missing.
pub fn require<'a>(
    tensors: &'a [TensorSpec],
    file: &str,
    name: &str,
) -> Result<&'a TensorSpec, String> {
    tensors
        .iter()
        .find(|t| t.name == name)
        .ok_or_else(|| format!("manifest entry of {file} does not declare '{name}'"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn spec(name: &str, dtype: &str, shape: Vec<Dim>) -> TensorSpec {
        TensorSpec {
            name: name.into(),
            dtype: dtype.into(),
            shape,
        }
    }

    fn actual(name: &str, dtype: &str, shape: Vec<i64>) -> ActualTensor {
        ActualTensor {
            name: name.into(),
            dtype: dtype.into(),
            shape,
        }
    }

    #[test]
    fn matching_tensors_pass() {
        let d = [spec(
            "patch_embeddings",
            "float32",
            vec![
                Dim::Symbolic("batch".into()),
                Dim::Fixed(36),
                Dim::Fixed(32),
            ],
        )];
        let a = [actual("patch_embeddings", "float32", vec![-1, 36, 32])];
        check_tensors("image.onnx", "output", &d, &a).unwrap();
    }

    #[test]
    fn rank_mismatch_names_graph_tensor_and_ranks() {
        let d = [spec(
            "patch_embeddings",
            "float32",
            vec![Dim::Symbolic("b".into()), Dim::Fixed(36), Dim::Fixed(32)],
        )];
        let a = [actual("patch_embeddings", "float32", vec![-1, 32])];
        let msg = check_tensors("image.onnx", "output", &d, &a).unwrap_err();
        assert_eq!(
            msg,
            "image.onnx output 'patch_embeddings' has rank 2, manifest says 3"
        );
    }

    #[test]
    fn dtype_size_name_and_count_mismatches() {
        let d = [spec(
            "input_ids",
            "int64",
            vec![Dim::Fixed(1), Dim::Fixed(16)],
        )];
        let msg = check_tensors(
            "text.onnx",
            "input",
            &d,
            &[actual("input_ids", "int32", vec![1, 16])],
        )
        .unwrap_err();
        assert!(msg.contains("dtype int32, manifest says int64"), "{msg}");
        let msg = check_tensors(
            "text.onnx",
            "input",
            &d,
            &[actual("input_ids", "int64", vec![1, 77])],
        )
        .unwrap_err();
        assert!(
            msg.contains("size 77 in dimension 1, manifest says 16"),
            "{msg}"
        );
        let msg = check_tensors(
            "text.onnx",
            "input",
            &d,
            &[actual("ids", "int64", vec![1, 16])],
        )
        .unwrap_err();
        assert!(msg.contains("no input 'input_ids'"), "{msg}");
        let two = [
            actual("input_ids", "int64", vec![1, 16]),
            actual("mask", "int64", vec![1, 16]),
        ];
        let msg = check_tensors("text.onnx", "input", &d, &two).unwrap_err();
        assert!(msg.contains("undeclared: [\"mask\"]"), "{msg}");
    }

    #[test]
    fn fixture_manifest_loads() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tiny_clip");
        let m = Manifest::load(&dir).unwrap();
        assert_eq!(m.patch_grid, [6, 6]);
        assert_eq!(m.patches(), 36);
        assert!(m.graphs.relevance.is_some());
    }

    #[test]
    fn missing_weights_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let src =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tiny_clip/manifest.json");
        std::fs::copy(src, dir.path().join("manifest.json")).unwrap();
        let msg = Manifest::load(dir.path()).unwrap_err().to_string();
        assert!(
            msg.contains("external weights file weights.bin is missing"),
            "{msg}"
        );
    }

    #[test]
    fn owl_fixture_manifest_loads_and_unknown_kinds_are_named() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tiny_owl");
        let m = Manifest::load(&dir).unwrap();
        assert_eq!(m.kind, "owlvit");
        assert_eq!(m.patch_grid, [4, 4]);
        assert_eq!(m.thresholds.get("owl"), Some(&0.125));
        let tmp = tempfile::tempdir().unwrap();
        let mut v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap())
                .unwrap();
        v["kind"] = serde_json::json!("detr");
        std::fs::write(tmp.path().join("manifest.json"), v.to_string()).unwrap();
        let msg = Manifest::load(tmp.path()).unwrap_err().to_string();
        assert!(
            msg.contains(r#"manifest kind "detr" is not one of ["clip", "owlvit"]"#),
            "{msg}"
        );
    }

    #[test]
    fn inconsistent_grid_is_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let src =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tiny_clip/manifest.json");
        let mut v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(src).unwrap()).unwrap();
        v["patch_grid"] = serde_json::json!([7, 7]);
        std::fs::write(dir.path().join("manifest.json"), v.to_string()).unwrap();
        let msg = Manifest::load(dir.path()).unwrap_err().to_string();
        assert!(msg.contains("patch_grid [7, 7]"), "{msg}");
    }
}
