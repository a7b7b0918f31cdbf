//! Dense CLIP (MaskCLIP-style): `image.onnx` also returns one unit embedding
//! per patch from the last layer's value path. Each patch is compared (cosine)
//! with the goal embedding and with the embeddings of background prompts
//! ("wall", "floor", ...); the goal's probability under a softmax with the
//! logit scale (100 for CLIP) is the patch's confidence, upsampled
//! bilinearly to the frame. One image pass per frame, plus one per region
//! checked when crop verification is on (`dense_verify`): a region of the
//! patch map above the threshold is kept only if a square crop around it,
//! embedded whole, is classified as the goal among the same prompts.
//! With `dense_zoom = k` (k >= 2), views of 1/k of the frame across its
//! middle band are run as well (k times the patch resolution where distant
//! things appear) and each pixel keeps the highest confidence of the views
//! that cover it.
//!
//! For value maps ([`Localizer::view_scores`]) the whole-frame pass also
//! yields the cosine similarity of the frame's image embedding with the
//! goal's text embedding (or, with `value_prompt`, with that prompt's
//! embedding: "a room with a mug.") and the pooled patch map (the mean of
//! its top share, before verification); the zoomed views and crops add
//! nothing.

use ort::value::Tensor;
use sim_bridge::{Capabilities, Frame};

use crate::localize::pool::{top_share_mean, ViewScores};
use crate::localize::{Goal, Localizer};
use crate::perception::clip::{dot, ClipModel, GraphKind};
use crate::perception::common::{prepare_frame, resolve_threshold, softmax_scaled};
use crate::perception::config::{LocalizerConfig, TemplateSet};
use crate::perception::dense_geometry::{frame_box, regions, zoom_tiles};
use crate::perception::grid::GridUpsampler;
use crate::perception::preprocess::{InputGeometry, Preprocessor, Rect};
use crate::Error;

/// The dense localizer.
#[derive(Debug)]
pub struct DenseLocalizer {
    model: ClipModel,
    pre: Preprocessor,
    templates: TemplateSet,
    threshold: f32,
    logit_scale: f32,
    /// Input of the whole frame, then of each zoomed view.
    pixels: Tensor<f32>,
    /// Input of one verification crop.
    crop_pixels: Tensor<f32>,
    /// Minimum goal probability of a verified region (0 = no verification).
    verify: f32,
    /// Regions verified per frame.
    verify_regions: usize,
    /// Softmax scale of whole-crop classification (the model's own).
    crop_logit_scale: f32,
    /// Goal embedding first, then one per background prompt, `embed_dim` each.
    classes: Vec<f32>,
    backgrounds: Vec<String>,
    /// Prompts a verification crop is classified against (empty: `backgrounds`).
    verify_prompts: Vec<String>,
    /// Goal embedding first, then one per verification prompt.
    verify_classes: Vec<f32>,
    verify_logits: Vec<f32>,
    has_goal: bool,
    logits: Vec<f32>,
    grid_values: Vec<f32>,
    upsampler: GridUpsampler,
    /// Zoom factor of the extra views of [`zoom_tiles`] (below 2: none).
    zoom: u32,
    zoom_upsampler: GridUpsampler,
    /// Confidence of one zoomed view, its pixels.
    tile_values: Vec<f32>,
    /// Whether the image graph outputs `image_embeddings` (for [`ViewScores::embedding`]).
    has_image_embedding: bool,
    /// Template of the value prompt (`value_prompt`; empty: the goal's embedding).
    value_prompt: String,
    /// Embedding of the goal's value prompt (empty without one).
    value_embedding: Vec<f32>,
    /// Cosine of the last frame's image embedding with the goal's text
    /// embedding, or with `value_embedding` when there is one.
    similarity: Option<f32>,
    /// The last frame's whole-view patch map before verification.
    view_patches: Vec<f32>,
}

impl DenseLocalizer {
    /// Loads the bundle (text and image graphs) and embeds the background prompts.
    pub fn new(config: &LocalizerConfig) -> Result<DenseLocalizer, Error> {
        if config.background_prompts.is_empty() {
            return Err(Error::Config(
                "dense localizer needs at least one background prompt".to_string(),
            ));
        }
        let model = ClipModel::load(&config.bundle, &config.runtime, &[GraphKind::Image])?;
        let m = model.manifest();
        let s = m.image_size as usize;
        let pre = Preprocessor::new(m.image_size, m.image_mean, m.image_std, config.resize);
        let pixels = Tensor::from_array(([1, 3, s, s], vec![0.0f32; 3 * s * s]))
            .map_err(|e| model.run_error("image", &e))?;
        let crop_pixels = Tensor::from_array(([1, 3, s, s], vec![0.0f32; 3 * s * s]))
            .map_err(|e| model.run_error("image", &e))?;
        if !config.value_prompt.is_empty() && !config.value_prompt.contains("{}") {
            return Err(Error::Config(format!(
                "value_prompt {:?} has no {{}} for the goal",
                config.value_prompt
            )));
        }
        if !(0.0..=1.0).contains(&config.dense_verify) {
            return Err(Error::Config(format!(
                "dense_verify {} is outside [0, 1]",
                config.dense_verify
            )));
        }
        Ok(DenseLocalizer {
            pre,
            templates: config
                .templates
                .unwrap_or_else(|| model.default_templates()),
            threshold: resolve_threshold(config, m)?,
            logit_scale: config.dense_logit_scale,
            pixels,
            crop_pixels,
            verify: config.dense_verify,
            verify_regions: config.dense_verify_regions,
            crop_logit_scale: m.logit_scale,
            classes: Vec::new(),
            backgrounds: config.background_prompts.clone(),
            verify_prompts: config.dense_verify_prompts.clone(),
            verify_classes: Vec::new(),
            verify_logits: Vec::new(),
            has_goal: false,
            logits: vec![0.0; 1 + config.background_prompts.len()],
            grid_values: vec![0.0; m.patches()],
            upsampler: GridUpsampler::default(),
            zoom: config.dense_zoom,
            zoom_upsampler: GridUpsampler::default(),
            tile_values: Vec::new(),
            has_image_embedding: model.image_has_output("image_embeddings"),
            value_prompt: config.value_prompt.clone(),
            value_embedding: Vec::new(),
            similarity: None,
            view_patches: Vec::new(),
            model,
        })
    }
}

/// Whether every word of the background prompt `prompt` occurs in `goal`
/// (case-insensitive): such a prompt ("mug" for the goal "red mug", "table"
/// for "mug on the table") would compete with the goal itself, so it is
/// left out of the softmax.
pub fn names_part_of(prompt: &str, goal: &str) -> bool {
    let words = |t: &str| -> Vec<String> {
        t.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect()
    };
    let goal = words(goal);
    let prompt = words(prompt);
    !prompt.is_empty() && prompt.iter().all(|w| goal.contains(w))
}

impl DenseLocalizer {
    /// The goal's embedding followed by those of the `prompts` that do not
    /// name part of the goal.
    fn class_embeddings(&mut self, goal: &str, prompts: &[String]) -> Result<Vec<f32>, Error> {
        let mut classes = self.model.goal_embedding(goal, self.templates)?.to_vec();
        let mut used = 0;
        for b in prompts.iter().filter(|b| !names_part_of(b, goal)) {
            classes.extend_from_slice(self.model.goal_embedding(b, self.templates)?);
            used += 1;
        }
        if used == 0 {
            return Err(Error::Config(format!(
                "dense localizer: every background prompt is part of the goal {goal:?}"
            )));
        }
        Ok(classes)
    }

    /// Runs the image graph on the preprocessed view `rect` of `frame` (in
    /// `pixels`, mapped by `geometry`) and fills `grid_values` with the goal's
    /// probability per patch, verified when `verify` is on. For the `whole`
    /// frame it also keeps the view scores (`similarity`, `view_patches`).
    fn view_grid(
        &mut self,
        frame: &Frame,
        rect: Rect,
        geometry: &InputGeometry,
        whole: bool,
    ) -> Result<(), Error> {
        let m = self.model.manifest();
        let (n, d) = (m.patches(), m.embed_dim);
        let (grid, logits, classes, scale) = (
            &mut self.grid_values,
            &mut self.logits,
            &self.classes,
            self.logit_scale,
        );
        let value_text = if self.value_embedding.is_empty() {
            &classes[..d]
        } else {
            &self.value_embedding[..]
        };
        let with_embedding = whole && self.has_image_embedding;
        let outputs: &[(&str, usize)] = if with_embedding {
            &[("patch_embeddings", n * d), ("image_embeddings", d)]
        } else {
            &[("patch_embeddings", n * d)]
        };
        let similarity = self
            .model
            .with_image_outputs(&self.pixels, outputs, |out| {
                for (g, p) in grid.iter_mut().zip(out[0].chunks_exact(d)) {
                    for (l, c) in logits.iter_mut().zip(classes.chunks_exact(d)) {
                        *l = dot(p, c);
                    }
                    softmax_scaled(logits, scale);
                    *g = logits[0];
                }
                out.get(1).map(|image| cosine(image, value_text))
            })?;
        if whole {
            self.similarity = similarity;
            self.view_patches.clear();
            self.view_patches.extend_from_slice(&self.grid_values);
        }
        if self.verify > 0.0 {
            self.verify_regions_of(frame, rect, geometry)?;
        }
        Ok(())
    }

    /// Clears every region of `grid_values` above the threshold whose crop
    /// is not classified as the goal (goal probability below `verify`), and
    /// every region beyond the `verify_regions` most confident.
    fn verify_regions_of(
        &mut self,
        frame: &Frame,
        view: Rect,
        geometry: &InputGeometry,
    ) -> Result<(), Error> {
        let m = self.model.manifest();
        let (rows, cols) = (m.patch_grid[0] as usize, m.patch_grid[1] as usize);
        let patch = m.patch_size;
        for (k, region) in regions(&self.grid_values, cols, rows, self.threshold)
            .into_iter()
            .enumerate()
        {
            let p = if k < self.verify_regions {
                let b = frame_box(region.bounds, patch, geometry, view.width, view.height);
                let b = [b[0] + view.x, b[1] + view.y, b[2] + view.x, b[3] + view.y];
                let c = sim_bridge::crop::crop_rect(b, frame.width, frame.height);
                let rect = Rect {
                    x: c[0],
                    y: c[1],
                    width: c[2] - c[0],
                    height: c[3] - c[1],
                };
                let p = self.crop_goal_probability(frame, rect)?;
                tracing::trace!(?rect, p, peak = region.peak, "dense: region verified");
                p
            } else {
                0.0
            };
            if p < self.verify {
                for &i in &region.cells {
                    self.grid_values[i] = 0.0;
                }
            }
        }
        Ok(())
    }

    /// The goal's probability when the crop `rect` of `frame`, embedded
    /// whole, is classified among the goal and the background prompts.
    fn crop_goal_probability(&mut self, frame: &Frame, rect: Rect) -> Result<f32, Error> {
        {
            let (_, data) = self.crop_pixels.extract_tensor_mut();
            self.pre
                .run(&frame.rgb, frame.width, frame.height, rect, data)?;
        }
        let d = self.model.manifest().embed_dim;
        let (logits, classes) = (&mut self.verify_logits, &self.verify_classes);
        self.model
            .with_image_output(&self.crop_pixels, "image_embeddings", d, |emb| {
                for (l, c) in logits.iter_mut().zip(classes.chunks_exact(d)) {
                    *l = dot(emb, c);
                }
            })?;
        softmax_scaled(&mut self.verify_logits, self.crop_logit_scale);
        Ok(self.verify_logits[0])
    }
}

impl Localizer for DenseLocalizer {
    fn name(&self) -> &str {
        "dense"
    }

    fn set_goal(&mut self, goal: &Goal, _capabilities: &Capabilities) -> Result<(), Error> {
        let backgrounds = std::mem::take(&mut self.backgrounds);
        let classes = self.class_embeddings(&goal.text, &backgrounds);
        self.backgrounds = backgrounds;
        self.classes = classes?;
        let verify = std::mem::take(&mut self.verify_prompts);
        let classes = if verify.is_empty() {
            Ok(self.classes.clone())
        } else {
            self.class_embeddings(&goal.text, &verify)
        };
        self.verify_prompts = verify;
        self.verify_classes = classes?;
        self.value_embedding = if self.value_prompt.is_empty() {
            Vec::new()
        } else {
            let prompt = crate::perception::templates::fill(&self.value_prompt, &goal.text);
            self.model.embed_texts(&[prompt])?
        };
        let d = self.model.manifest().embed_dim;
        self.logits.resize(self.classes.len() / d, 0.0);
        self.verify_logits
            .resize(self.verify_classes.len() / d, 0.0);
        self.has_goal = true;
        self.similarity = None;
        self.view_patches.clear();
        Ok(())
    }

    fn localize(&mut self, frame: &Frame, out: &mut [f32]) -> Result<(), Error> {
        let geometry = prepare_frame(
            "dense",
            self.has_goal,
            &mut self.pre,
            &mut self.pixels,
            frame,
            out,
        )?;
        self.similarity = None;
        self.view_patches.clear();
        let whole = Rect {
            x: 0,
            y: 0,
            width: frame.width,
            height: frame.height,
        };
        self.view_grid(frame, whole, &geometry, true)?;
        let m = self.model.manifest();
        let (grid, patch, size) = (m.patch_grid, m.patch_size, m.image_size);
        self.upsampler
            .prepare(frame.width, frame.height, &geometry, grid, patch, size);
        self.upsampler.apply(&self.grid_values, out);
        if self.zoom >= 2 {
            for rect in zoom_tiles(frame.width, frame.height, self.zoom) {
                let geometry = {
                    let (_, data) = self.pixels.extract_tensor_mut();
                    self.pre
                        .run(&frame.rgb, frame.width, frame.height, rect, data)?
                };
                self.view_grid(frame, rect, &geometry, false)?;
                self.zoom_upsampler
                    .prepare(rect.width, rect.height, &geometry, grid, patch, size);
                self.tile_values
                    .resize(rect.width as usize * rect.height as usize, 0.0);
                self.zoom_upsampler
                    .apply(&self.grid_values, &mut self.tile_values);
                let w = frame.width as usize;
                for (v, line) in self
                    .tile_values
                    .chunks_exact(rect.width as usize)
                    .enumerate()
                {
                    let start = (rect.y as usize + v) * w + rect.x as usize;
                    for (o, t) in out[start..start + line.len()].iter_mut().zip(line) {
                        *o = o.max(*t);
                    }
                }
            }
        }
        Ok(())
    }

    fn threshold(&self) -> f32 {
        self.threshold
    }

    fn view_scores(&self, top_share: f32) -> ViewScores {
        let mut scratch = Vec::with_capacity(self.view_patches.len());
        ViewScores {
            embedding: self.similarity,
            relevance: (!self.view_patches.is_empty())
                .then(|| top_share_mean(&self.view_patches, top_share, &mut scratch)),
        }
    }
}

/// Cosine similarity of two vectors (0 when either is zero).
fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let norm = (dot(a, a) * dot(b, b)).sqrt();
    if norm > 0.0 {
        dot(a, b) / norm
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::names_part_of;

    #[test]
    fn background_prompts_that_name_the_goal_are_recognised() {
        assert!(names_part_of("mug", "mug"));
        assert!(names_part_of("Mug", "a red mug"));
        assert!(names_part_of("table", "mug on the table"));
        assert!(names_part_of("garbage can", "green garbage can"));
        assert!(!names_part_of("garbage can", "can of soup on the shelf"));
        assert!(!names_part_of("wall", "mug"));
        assert!(!names_part_of("", "mug"));
    }
}
