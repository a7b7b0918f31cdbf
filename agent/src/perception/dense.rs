//! Dense CLIP (MaskCLIP-style): `image.onnx` also returns one unit embedding
//! per patch from the last layer's value path. Each patch is compared (cosine)
//! with the goal embedding and with the embeddings of background prompts
//! ("wall", "floor", ...); the goal's probability under a softmax with the
//! logit scale (100 for CLIP) is the patch's confidence, upsampled
//! bilinearly to the frame. One image pass per frame.

use ort::value::Tensor;
use sim_bridge::{Capabilities, Frame};

use crate::localize::{Goal, Localizer};
use crate::perception::clip::{dot, run_error, ClipModel, GraphKind};
use crate::perception::common::{prepare_frame, resolve_threshold, softmax_scaled};
use crate::perception::config::{LocalizerConfig, TemplateSet};
use crate::perception::grid::GridUpsampler;
use crate::perception::preprocess::Preprocessor;
use crate::Error;

/// The dense localizer.
#[derive(Debug)]
pub struct DenseLocalizer {
    model: ClipModel,
    /// Bundle folder, for error messages.
    dir: std::path::PathBuf,
    pre: Preprocessor,
    templates: TemplateSet,
    threshold: f32,
    logit_scale: f32,
    pixels: Tensor<f32>,
    /// Goal embedding first, then one per background prompt, `embed_dim` each.
    classes: Vec<f32>,
    backgrounds: Vec<String>,
    has_goal: bool,
    logits: Vec<f32>,
    grid_values: Vec<f32>,
    upsampler: GridUpsampler,
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
        Ok(DenseLocalizer {
            pre,
            templates: config
                .templates
                .unwrap_or_else(|| model.default_templates()),
            threshold: resolve_threshold(config, m)?,
            logit_scale: config.dense_logit_scale,
            pixels,
            classes: Vec::new(),
            backgrounds: config.background_prompts.clone(),
            has_goal: false,
            logits: vec![0.0; 1 + config.background_prompts.len()],
            grid_values: vec![0.0; m.patches()],
            upsampler: GridUpsampler::default(),
            dir: model.dir().to_path_buf(),
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

impl Localizer for DenseLocalizer {
    fn name(&self) -> &str {
        "dense"
    }

    fn set_goal(&mut self, goal: &Goal, _capabilities: &Capabilities) -> Result<(), Error> {
        self.classes.clear();
        let g = self
            .model
            .goal_embedding(&goal.text, self.templates)?
            .to_vec();
        self.classes.extend_from_slice(&g);
        let mut used = 0;
        for b in self
            .backgrounds
            .iter()
            .filter(|b| !names_part_of(b, &goal.text))
        {
            let e = self.model.goal_embedding(b, self.templates)?;
            self.classes.extend_from_slice(e);
            used += 1;
        }
        if used == 0 {
            return Err(Error::Config(format!(
                "dense localizer: every background prompt is part of the goal {:?}",
                goal.text
            )));
        }
        self.logits.resize(1 + used, 0.0);
        self.has_goal = true;
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
        let m = self.model.manifest();
        let (grid, patch, size, n, d) = (
            m.patch_grid,
            m.patch_size,
            m.image_size,
            m.patches(),
            m.embed_dim,
        );
        let dir = &self.dir;
        let session = self.model.image_session()?;
        let outputs = session
            .run(ort::inputs!["pixel_values" => &self.pixels])
            .map_err(|e| run_error(dir, "image", &e))?;
        let (_, dense) = outputs["patch_embeddings"]
            .try_extract_tensor::<f32>()
            .map_err(|e| run_error(dir, "image", &e))?;
        if dense.len() != n * d {
            return Err(run_error(
                dir,
                "image",
                &format!(
                    "patch_embeddings has {} values, expected {}",
                    dense.len(),
                    n * d
                ),
            ));
        }
        for (g, p) in self.grid_values.iter_mut().zip(dense.chunks_exact(d)) {
            for (l, c) in self.logits.iter_mut().zip(self.classes.chunks_exact(d)) {
                *l = dot(p, c);
            }
            softmax_scaled(&mut self.logits, self.logit_scale);
            *g = self.logits[0];
        }
        drop(outputs);
        self.upsampler
            .prepare(frame.width, frame.height, &geometry, grid, patch, size);
        self.upsampler.apply(&self.grid_values, out);
        Ok(())
    }

    fn threshold(&self) -> f32 {
        self.threshold
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
