//! CLIP-Patch (CoW): split the frame into k x k tiles, embed all tiles in one
//! batched run, softmax over the tile-goal logits (x logit scale, 100 for
//! CLIP), and give every pixel of a tile that tile's probability.

use ort::value::Tensor;
use sim_bridge::{Capabilities, Frame};

use crate::localize::{Goal, Localizer};
use crate::perception::clip::{dot, ClipModel, GraphKind};
use crate::perception::common::{check_frame, resolve_threshold, softmax_scaled};
use crate::perception::config::{LocalizerConfig, TemplateSet};
use crate::perception::preprocess::{Preprocessor, Rect};
use crate::Error;

/// The CLIP-Patch localizer.
#[derive(Debug)]
pub struct PatchLocalizer {
    model: ClipModel,
    pre: Preprocessor,
    tiles: u32,
    templates: TemplateSet,
    threshold: f32,
    input: Tensor<f32>,
    goal: Vec<f32>,
    probs: Vec<f32>,
    rects: Vec<Rect>,
}

impl PatchLocalizer {
    /// Loads the bundle (text and image graphs) and allocates the batch tensor.
    pub fn new(config: &LocalizerConfig) -> Result<PatchLocalizer, Error> {
        if config.tiles == 0 || config.tiles > 16 {
            return Err(Error::Config(format!(
                "patch localizer tiles = {} (must be 1..=16)",
                config.tiles
            )));
        }
        let model = ClipModel::load(&config.bundle, &config.runtime, &[GraphKind::Image])?;
        let m = model.manifest();
        let pre = Preprocessor::new(m.image_size, m.image_mean, m.image_std, config.resize);
        let n = (config.tiles * config.tiles) as usize;
        let s = m.image_size as usize;
        let input = Tensor::from_array(([n, 3, s, s], vec![0.0f32; n * 3 * s * s]))
            .map_err(|e| model.run_error("image", &e))?;
        let threshold = resolve_threshold(config, m)?;
        let templates = config
            .templates
            .unwrap_or_else(|| model.default_templates());
        Ok(PatchLocalizer {
            pre,
            tiles: config.tiles,
            templates,
            threshold,
            input,
            goal: Vec::new(),
            probs: vec![0.0; n],
            rects: Vec::with_capacity(n),
            model,
        })
    }

    /// Tile `i` (row-major) of a `width x height` frame.
    fn tile(&self, i: u32, width: u32, height: u32) -> Rect {
        let (r, c, k) = (i / self.tiles, i % self.tiles, self.tiles);
        let x0 = c * width / k;
        let x1 = (c + 1) * width / k;
        let y0 = r * height / k;
        let y1 = (r + 1) * height / k;
        Rect {
            x: x0,
            y: y0,
            width: x1 - x0,
            height: y1 - y0,
        }
    }
}

impl Localizer for PatchLocalizer {
    fn name(&self) -> &str {
        "patch"
    }

    fn set_goal(&mut self, goal: &Goal, _capabilities: &Capabilities) -> Result<(), Error> {
        let e = self.model.goal_embedding(&goal.text, self.templates)?;
        self.goal.clear();
        self.goal.extend_from_slice(e);
        Ok(())
    }

    fn localize(&mut self, frame: &Frame, out: &mut [f32]) -> Result<(), Error> {
        check_frame("patch", frame, out)?;
        if self.goal.is_empty() {
            return Err(Error::Config(
                "patch localizer: localize called before set_goal".into(),
            ));
        }
        if frame.width < self.tiles || frame.height < self.tiles {
            return Err(Error::Observation(format!(
                "patch: frame {}x{} is smaller than {} tiles per side",
                frame.width, frame.height, self.tiles
            )));
        }
        let n = (self.tiles * self.tiles) as usize;
        let len = self.pre.tensor_len();
        let mut tiles = std::mem::take(&mut self.rects);
        tiles.clear();
        tiles.extend((0..n as u32).map(|i| self.tile(i, frame.width, frame.height)));
        {
            let (_, data) = self.input.extract_tensor_mut();
            for (i, rect) in tiles.iter().enumerate() {
                self.pre.run(
                    &frame.rgb,
                    frame.width,
                    frame.height,
                    *rect,
                    &mut data[i * len..(i + 1) * len],
                )?;
            }
        }
        let d = self.model.manifest().embed_dim;
        let scale = self.model.manifest().logit_scale;
        let (probs, goal) = (&mut self.probs, &self.goal);
        self.model
            .with_image_output(&self.input, "image_embeddings", n * d, |emb| {
                for (p, e) in probs.iter_mut().zip(emb.chunks_exact(d)) {
                    *p = dot(e, goal);
                }
            })?;
        softmax_scaled(&mut self.probs, scale);
        let w = frame.width as usize;
        for (rect, p) in tiles.iter().zip(&self.probs) {
            for y in rect.y..rect.y + rect.height {
                let row = y as usize * w;
                out[row + rect.x as usize..row + (rect.x + rect.width) as usize].fill(*p);
            }
        }
        self.rects = tiles;
        Ok(())
    }

    fn threshold(&self) -> f32 {
        self.threshold
    }
}
