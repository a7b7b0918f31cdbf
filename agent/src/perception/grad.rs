//! CLIP-Grad (CoW's CLIP-Ref): Chefer relevance of the last attention layer,
//! computed inside `relevance.onnx` (gradient of the image-text logit w.r.t.
//! the CLS row of the attention probabilities, times those probabilities,
//! clamped at 0, averaged over heads, patch columns). Rust runs the graph,
//! multiplies by `grad_scale` (CoW: 10) and clamps to [0, 1] on the patch
//! grid, then upsamples bilinearly to the frame.

use ort::value::Tensor;
use sim_bridge::{Capabilities, Frame};

use crate::localize::{Goal, Localizer};
use crate::perception::clip::{output_values, run_error, ClipModel, GraphKind};
use crate::perception::common::{prepare_frame, resolve_threshold};
use crate::perception::config::{LocalizerConfig, TemplateSet};
use crate::perception::grid::GridUpsampler;
use crate::perception::preprocess::Preprocessor;
use crate::Error;

/// The CLIP-Grad localizer.
#[derive(Debug)]
pub struct GradLocalizer {
    model: ClipModel,
    /// Bundle folder, for error messages.
    dir: std::path::PathBuf,
    pre: Preprocessor,
    templates: TemplateSet,
    threshold: f32,
    scale: f32,
    pixels: Tensor<f32>,
    text: Tensor<f32>,
    has_goal: bool,
    grid_values: Vec<f32>,
    upsampler: GridUpsampler,
}

impl GradLocalizer {
    /// Loads the bundle (text and relevance graphs) and allocates the inputs.
    pub fn new(config: &LocalizerConfig) -> Result<GradLocalizer, Error> {
        let model = ClipModel::load(&config.bundle, &config.runtime, &[GraphKind::Relevance])?;
        let m = model.manifest();
        let s = m.image_size as usize;
        let pre = Preprocessor::new(m.image_size, m.image_mean, m.image_std, config.resize);
        let pixels = Tensor::from_array(([1, 3, s, s], vec![0.0f32; 3 * s * s]))
            .map_err(|e| model.run_error("relevance", &e))?;
        let text = Tensor::from_array(([1, m.embed_dim], vec![0.0f32; m.embed_dim]))
            .map_err(|e| model.run_error("relevance", &e))?;
        if !config.grad_scale.is_finite() || config.grad_scale <= 0.0 {
            return Err(Error::Config(format!(
                "grad_scale {} must be > 0",
                config.grad_scale
            )));
        }
        Ok(GradLocalizer {
            pre,
            templates: config
                .templates
                .unwrap_or_else(|| model.default_templates()),
            threshold: resolve_threshold(config, m)?,
            scale: config.grad_scale,
            pixels,
            text,
            has_goal: false,
            grid_values: vec![0.0; m.patches()],
            upsampler: GridUpsampler::default(),
            dir: model.dir().to_path_buf(),
            model,
        })
    }
}

impl Localizer for GradLocalizer {
    fn name(&self) -> &str {
        "grad"
    }

    fn set_goal(&mut self, goal: &Goal, _capabilities: &Capabilities) -> Result<(), Error> {
        let e = self.model.goal_embedding(&goal.text, self.templates)?;
        let (_, data) = self.text.extract_tensor_mut();
        data.copy_from_slice(e);
        self.has_goal = true;
        Ok(())
    }

    fn localize(&mut self, frame: &Frame, out: &mut [f32]) -> Result<(), Error> {
        let geometry = prepare_frame(
            "grad",
            self.has_goal,
            &mut self.pre,
            &mut self.pixels,
            frame,
            out,
        )?;
        let m = self.model.manifest();
        let (grid, patch, size, n) = (m.patch_grid, m.patch_size, m.image_size, m.patches());
        let dir = &self.dir;
        let session = self.model.relevance_session()?;
        let outputs = session
            .run(ort::inputs!["pixel_values" => &self.pixels, "text_embedding" => &self.text])
            .map_err(|e| run_error(dir, "relevance", &e))?;
        let rel = output_values(&outputs, dir, "relevance", "relevance", n)?;
        for (g, r) in self.grid_values.iter_mut().zip(rel) {
            *g = (r * self.scale).clamp(0.0, 1.0);
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
