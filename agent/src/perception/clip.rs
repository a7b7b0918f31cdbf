//! A loaded CLIP bundle: manifest, tokenizer and the ONNX sessions a
//! localizer needs, each checked against the manifest, plus the cache of goal
//! text embeddings (keyed by template set and goal text).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use ort::session::{Session, SessionOutputs};
use ort::value::Tensor;

use crate::perception::config::{RuntimeConfig, TemplateSet};
use crate::perception::manifest::{actual_tensors, check_session, GraphSpec, Manifest};
use crate::perception::runtime::{Device, SessionFactory};
use crate::perception::templates;
use crate::perception::tokenizer::ClipTokenizer;
use crate::Error;

/// The graphs of a bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphKind {
    /// `text.onnx`.
    Text,
    /// `image.onnx`.
    Image,
    /// `relevance.onnx`.
    Relevance,
}

impl GraphKind {
    fn name(self) -> &'static str {
        match self {
            GraphKind::Text => "text",
            GraphKind::Image => "image",
            GraphKind::Relevance => "relevance",
        }
    }
}

/// A CLIP bundle with open sessions.
pub struct ClipModel {
    dir: PathBuf,
    manifest: Manifest,
    tokenizer: ClipTokenizer,
    device: Device,
    text: Session,
    image: Option<Session>,
    relevance: Option<Session>,
    cache: HashMap<(TemplateSet, String), Vec<f32>>,
}

impl std::fmt::Debug for ClipModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClipModel")
            .field("dir", &self.dir)
            .field("name", &self.manifest.name)
            .field("device", &self.device)
            .finish()
    }
}

impl ClipModel {
    /// Loads the bundle in `dir` and opens the text graph plus the graphs in
    /// `need`, checking each against the manifest.
    pub fn load(
        dir: &Path,
        runtime: &RuntimeConfig,
        need: &[GraphKind],
    ) -> Result<ClipModel, Error> {
        let manifest = Manifest::load(dir)?;
        let tokenizer = ClipTokenizer::load(dir, &manifest.tokenizer, manifest.context_length)?;
        let factory = SessionFactory::new(runtime)?;
        let open = |kind: GraphKind| -> Result<Session, Error> {
            let spec = match kind {
                GraphKind::Text => Some(&manifest.graphs.text),
                GraphKind::Image => manifest.graphs.image.as_ref(),
                GraphKind::Relevance => manifest.graphs.relevance.as_ref(),
            };
            let spec = spec.ok_or_else(|| Error::Bundle {
                bundle: dir.display().to_string(),
                message: format!(
                    "manifest has no {} graph, which this localizer needs",
                    kind.name()
                ),
            })?;
            open_checked(&factory, dir, spec)
        };
        let text = open(GraphKind::Text)?;
        let image = need
            .contains(&GraphKind::Image)
            .then(|| open(GraphKind::Image))
            .transpose()?;
        let relevance = need
            .contains(&GraphKind::Relevance)
            .then(|| open(GraphKind::Relevance))
            .transpose()?;
        for (graph, session) in [Some(("text", &text)), image.as_ref().map(|s| ("image", s))]
            .into_iter()
            .flatten()
        {
            check_embed_dims(dir, graph, session, manifest.embed_dim)?;
        }
        tracing::info!(
            bundle = %dir.display(),
            name = %manifest.name,
            device = %factory.device(),
            "CLIP bundle loaded"
        );
        let mut model = ClipModel {
            dir: dir.to_path_buf(),
            manifest,
            tokenizer,
            device: factory.device(),
            text,
            image,
            relevance,
            cache: HashMap::new(),
        };
        // One prompt through the text graph: a manifest whose embed_dim the
        // graph does not produce is refused here, not in the first episode.
        model
            .embed_texts(&["a photo".to_string()])
            .map_err(|e| Error::Bundle {
                bundle: dir.display().to_string(),
                message: format!(
                    "the text graph does not produce embed_dim = {} values per prompt ({e})",
                    model.manifest.embed_dim
                ),
            })?;
        Ok(model)
    }

    /// The manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The bundle folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The device sessions run on.
    pub fn device(&self) -> Device {
        self.device
    }

    /// The template set the bundle recommends (single when it names none we know).
    pub fn default_templates(&self) -> TemplateSet {
        templates::parse_set(&self.manifest.templates).unwrap_or(TemplateSet::Single)
    }

    /// Unit embeddings of `texts` (`texts.len() * embed_dim` values, row-major).
    pub fn embed_texts(&mut self, texts: &[String]) -> Result<Vec<f32>, Error> {
        let c = self.manifest.context_length;
        let d = self.manifest.embed_dim;
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let mut ids = vec![0i64; texts.len() * c];
        for (t, row) in texts.iter().zip(ids.chunks_mut(c)) {
            self.tokenizer.encode_into(t, row)?;
        }
        let input =
            Tensor::from_array(([texts.len(), c], ids)).map_err(|e| self.run_error("text", &e))?;
        let outputs = self
            .text
            .run(ort::inputs!["input_ids" => input])
            .map_err(|e| run_error(&self.dir, "text", &e))?;
        let data = output_values(
            &outputs,
            &self.dir,
            "text",
            "text_embeddings",
            texts.len() * d,
        )?;
        Ok(data.to_vec())
    }

    /// The goal's text embedding: the prompts of `set` embedded, averaged and
    /// renormalised; computed once per (set, goal) and cached.
    pub fn goal_embedding(&mut self, goal: &str, set: TemplateSet) -> Result<&[f32], Error> {
        let key = (set, goal.to_string());
        if !self.cache.contains_key(&key) {
            let prompts = templates::prompts(set, goal);
            let all = self.embed_texts(&prompts)?;
            let mean = mean_normalized(&all, self.manifest.embed_dim);
            self.cache.insert(key.clone(), mean);
        }
        self.cache
            .get(&key)
            .map(Vec::as_slice)
            .ok_or_else(|| Error::Config("goal embedding cache lost an entry".to_string()))
    }

    /// The image session (present when loaded with [`GraphKind::Image`]).
    pub fn image_session(&mut self) -> Result<&mut Session, Error> {
        let dir = self.dir.display().to_string();
        self.image.as_mut().ok_or_else(|| Error::Bundle {
            bundle: dir,
            message: "image graph was not loaded".to_string(),
        })
    }

    /// Runs the image graph on `pixels` and hands `f` its output `output`
    /// (row-major), after checking that it has `expected` values.
    pub fn with_image_output<R>(
        &mut self,
        pixels: &Tensor<f32>,
        output: &str,
        expected: usize,
        f: impl FnOnce(&[f32]) -> R,
    ) -> Result<R, Error> {
        self.with_image_outputs(pixels, &[(output, expected)], |values| f(values[0]))
    }

    /// Runs the image graph on `pixels` once and hands `f` the outputs
    /// named in `outputs` (each checked to hold its expected number of
    /// values), in that order.
    pub fn with_image_outputs<R>(
        &mut self,
        pixels: &Tensor<f32>,
        outputs: &[(&str, usize)],
        f: impl FnOnce(&[&[f32]]) -> R,
    ) -> Result<R, Error> {
        let dir = &self.dir;
        let session = self.image.as_mut().ok_or_else(|| Error::Bundle {
            bundle: dir.display().to_string(),
            message: "image graph was not loaded".to_string(),
        })?;
        let run = session
            .run(ort::inputs!["pixel_values" => pixels])
            .map_err(|e| run_error(dir, "image", &e))?;
        let values = outputs
            .iter()
            .map(|&(name, expected)| output_values(&run, dir, "image", name, expected))
            .collect::<Result<Vec<_>, Error>>()?;
        Ok(f(&values))
    }

    /// Whether the manifest's image graph declares the output `name`.
    pub fn image_has_output(&self, name: &str) -> bool {
        self.manifest
            .graphs
            .image
            .as_ref()
            .is_some_and(|g| g.outputs.iter().any(|o| o.name == name))
    }

    /// The relevance session (present when loaded with [`GraphKind::Relevance`]).
    pub fn relevance_session(&mut self) -> Result<&mut Session, Error> {
        let dir = self.dir.display().to_string();
        self.relevance.as_mut().ok_or_else(|| Error::Bundle {
            bundle: dir,
            message: "relevance graph was not loaded".to_string(),
        })
    }

    /// An error for a failed run of `graph`.
    pub fn run_error(&self, graph: &str, e: &dyn std::fmt::Display) -> Error {
        run_error(&self.dir, graph, e)
    }
}

/// An error for a failed run of `graph` in the bundle `dir`.
pub fn run_error(dir: &Path, graph: &str, e: &dyn std::fmt::Display) -> Error {
    Error::Bundle {
        bundle: dir.display().to_string(),
        message: format!("running {graph}.onnx: {e}"),
    }
}

/// The `f32` values of output `name` of a run of `graph` (bundle `dir`),
/// checked to number `expected`: the output check of every localizer.
pub fn output_values<'a>(
    outputs: &'a SessionOutputs<'_>,
    dir: &Path,
    graph: &str,
    name: &str,
    expected: usize,
) -> Result<&'a [f32], Error> {
    let value = outputs
        .get(name)
        .ok_or_else(|| run_error(dir, graph, &format!("no output named {name}")))?;
    let (_, values) = value
        .try_extract_tensor::<f32>()
        .map_err(|e| run_error(dir, graph, &e))?;
    if values.len() != expected {
        return Err(run_error(
            dir,
            graph,
            &format!("{name} has {} values, expected {expected}", values.len()),
        ));
    }
    Ok(values)
}

/// The file of `spec` that `factory`'s precision asks for: fp16, int8 or
/// optimised variants where the bundle has them, else the plain graph.
pub fn variant_file<'a>(spec: &'a GraphSpec, factory: &SessionFactory) -> &'a str {
    if factory.prefer_fp16() {
        if let Some(f16) = &spec.fp16_file {
            return f16;
        }
        tracing::warn!(graph = %spec.file, "bundle has no fp16 variant of this graph; using fp32");
    }
    if factory.prefer_int8() {
        if let Some(int8) = &spec.int8_file {
            return int8;
        }
    }
    if factory.prefer_optimized() {
        if let Some(opt) = &spec.opt_file {
            return opt;
        }
    }
    &spec.file
}

fn open_checked(factory: &SessionFactory, dir: &Path, spec: &GraphSpec) -> Result<Session, Error> {
    let file = variant_file(spec, factory);
    let path = dir.join(file);
    if !path.is_file() {
        return Err(Error::Bundle {
            bundle: dir.display().to_string(),
            message: format!("{file} is missing"),
        });
    }
    tracing::debug!(file, "opening graph");
    let session = factory.open(&path)?;
    check_session(spec, file, &session).map_err(|message| Error::Bundle {
        bundle: dir.display().to_string(),
        message,
    })?;
    Ok(session)
}

/// A graph's `*_embeddings` outputs whose last dimension is fixed must have
/// the manifest's `embed_dim`.
fn check_embed_dims(
    dir: &Path,
    graph: &str,
    session: &Session,
    embed_dim: usize,
) -> Result<(), Error> {
    for t in actual_tensors(session.outputs()) {
        let last = t.shape.last().copied().unwrap_or(-1);
        if t.name.ends_with("_embeddings") && last > 0 && last as usize != embed_dim {
            return Err(Error::Bundle {
                bundle: dir.display().to_string(),
                message: format!(
                    "the {graph} graph's output {} has {last} values per row, the manifest's \
                     embed_dim is {embed_dim}",
                    t.name
                ),
            });
        }
    }
    Ok(())
}

/// Mean of the `rows x dim` matrix `all`, divided by its L2 norm.
pub fn mean_normalized(all: &[f32], dim: usize) -> Vec<f32> {
    let mut mean = vec![0.0f32; dim];
    let rows = all.len() / dim.max(1);
    for row in all.chunks_exact(dim) {
        for (m, v) in mean.iter_mut().zip(row) {
            *m += v;
        }
    }
    let norm = mean.iter().map(|v| v * v).sum::<f32>().sqrt();
    if norm > 0.0 && rows > 0 {
        mean.iter_mut().for_each(|v| *v /= norm);
    }
    mean
}

/// Dot product.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_normalized_by_hand() {
        // rows (1,0) and (0,1): mean (0.5,0.5) -> (0.7071, 0.7071)
        let m = mean_normalized(&[1.0, 0.0, 0.0, 1.0], 2);
        assert!((m[0] - std::f32::consts::FRAC_1_SQRT_2).abs() < 1e-6);
        assert!((m[1] - std::f32::consts::FRAC_1_SQRT_2).abs() < 1e-6);
    }
}
