//! OWL-ViT (CoW's best localizer): open-vocabulary detection with the goal
//! as the text query (CoW's single prompt "a photo of a {}.", "an" before a vowel).
//!
//! The bundle (manifest kind `"owlvit"`, written by `cow-export owlvit`) has
//! a text graph, run once per goal, and an image graph returning per patch a
//! unit class embedding `c`, a logit shift `s`, a logit scale `k` and a box
//! (centre x, centre y, width, height, normalised to the model input). A
//! patch's score is `sigmoid((c . q + s) * k)` for the unit query `q`, as
//! OWL-ViT's class head computes it. Boxes scoring above the threshold become
//! the mask: each of their pixels gets the highest score of the boxes that
//! cover it, every other pixel 0 (so the mask thresholded at the same value is
//! exactly the union of those boxes, as in CoW). Box corners are mapped back
//! through the preprocessing and truncated to whole pixels as CoW does. CoW's
//! "center" mode is the agent's `center` option, which applies to every
//! localizer.

use ort::value::Tensor;
use sim_bridge::{Capabilities, Frame};

use crate::localize::{Goal, Localizer};
use crate::perception::clip::{dot, output_values, run_error, ClipModel, GraphKind};
use crate::perception::common::{prepare_frame, resolve_threshold};
use crate::perception::config::{LocalizerConfig, TemplateSet};
use crate::perception::preprocess::{InputGeometry, Preprocessor};
use crate::Error;

/// Manifest kind of OWL-ViT bundles.
pub const OWL_KIND: &str = "owlvit";

/// A detection box in frame pixels: columns `x0..x1`, rows `y0..y1` (ends
/// exclusive, clamped to the frame; empty when `x0 == x1` or `y0 == y1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PixelBox {
    /// First column.
    pub x0: u32,
    /// First row.
    pub y0: u32,
    /// One past the last column.
    pub x1: u32,
    /// One past the last row.
    pub y1: u32,
}

/// Logistic function.
pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// Per-patch detection scores `sigmoid((c_i . q + shift_i) * scale_i)` for
/// the unit query `query`; `class_embeddings` holds `scores.len()` rows of
/// `query.len()` values.
pub fn patch_scores(
    class_embeddings: &[f32],
    shift: &[f32],
    scale: &[f32],
    query: &[f32],
    scores: &mut [f32],
) {
    let d = query.len();
    for (((s, c), sh), k) in scores
        .iter_mut()
        .zip(class_embeddings.chunks_exact(d))
        .zip(shift)
        .zip(scale)
    {
        *s = sigmoid((dot(c, query) + sh) * k);
    }
}

/// The frame-pixel box of a normalised `(cx, cy, w, h)` box of a
/// `input_size`-pixel model input whose content maps from a `width x height`
/// frame by `geometry`: corners are mapped back to the frame, truncated
/// (floored) to whole pixels and clamped to the frame.
pub fn box_to_pixels(
    cxcywh: [f32; 4],
    input_size: u32,
    geometry: &InputGeometry,
    width: u32,
    height: u32,
) -> PixelBox {
    let s = input_size as f32;
    let [cx, cy, w, h] = cxcywh.map(|v| v * s);
    let to_frame_x = |ix: f32| (ix + geometry.offset_x) / geometry.scale_x;
    let to_frame_y = |iy: f32| (iy + geometry.offset_y) / geometry.scale_y;
    let clamp = |v: f32, hi: u32| -> u32 {
        if v.is_nan() {
            0
        } else {
            v.floor().clamp(0.0, hi as f32) as u32
        }
    };
    PixelBox {
        x0: clamp(to_frame_x(cx - w / 2.0), width),
        y0: clamp(to_frame_y(cy - h / 2.0), height),
        x1: clamp(to_frame_x(cx + w / 2.0), width),
        y1: clamp(to_frame_y(cy + h / 2.0), height),
    }
}

/// Paints the boxes scoring above `threshold` into `out` (row-major, `width`
/// wide): each covered pixel gets the highest such score, all others 0.
/// Returns how many boxes were painted.
pub fn paint_boxes(
    scores: &[f32],
    boxes: &[PixelBox],
    threshold: f32,
    width: usize,
    out: &mut [f32],
) -> usize {
    out.fill(0.0);
    let mut painted = 0;
    for (score, b) in scores.iter().zip(boxes) {
        if *score <= threshold || b.x1 <= b.x0 || b.y1 <= b.y0 {
            continue;
        }
        painted += 1;
        for y in b.y0 as usize..b.y1 as usize {
            let row = &mut out[y * width + b.x0 as usize..y * width + b.x1 as usize];
            for v in row {
                *v = v.max(*score);
            }
        }
    }
    painted
}

/// The OWL-ViT localizer.
#[derive(Debug)]
pub struct OwlLocalizer {
    model: ClipModel,
    /// Bundle folder, for error messages.
    dir: std::path::PathBuf,
    pre: Preprocessor,
    threshold: f32,
    pixels: Tensor<f32>,
    query: Vec<f32>,
    scores: Vec<f32>,
    boxes: Vec<PixelBox>,
}

impl OwlLocalizer {
    /// Loads an OWL-ViT bundle (text and image graphs) and allocates the
    /// per-frame buffers. Threshold: the config's, else the bundle's `owl`
    /// value, else CoW's RoboTHOR 0.125.
    pub fn new(config: &LocalizerConfig) -> Result<OwlLocalizer, Error> {
        let model = ClipModel::load(&config.bundle, &config.runtime, &[GraphKind::Image])?;
        let m = model.manifest();
        if m.kind != OWL_KIND {
            return Err(Error::Bundle {
                bundle: config.bundle.display().to_string(),
                message: format!(
                    "the owl localizer needs an OWL-ViT bundle (kind \"{OWL_KIND}\"), this one is \"{}\"",
                    m.kind
                ),
            });
        }
        if config.templates.is_some_and(|t| t != TemplateSet::Single) {
            tracing::warn!("the owl localizer uses CoW's single prompt; templates setting ignored");
        }
        let s = m.image_size as usize;
        let n = m.patches();
        let pre = Preprocessor::new(m.image_size, m.image_mean, m.image_std, config.resize);
        let pixels = Tensor::from_array(([1, 3, s, s], vec![0.0f32; 3 * s * s]))
            .map_err(|e| model.run_error("image", &e))?;
        Ok(OwlLocalizer {
            pre,
            threshold: resolve_threshold(config, m)?,
            pixels,
            query: Vec::new(),
            scores: vec![0.0; n],
            boxes: vec![PixelBox::default(); n],
            dir: model.dir().to_path_buf(),
            model,
        })
    }

    /// Per-patch scores of the last frame (row-major over the patch grid).
    pub fn scores(&self) -> &[f32] {
        &self.scores
    }

    /// Per-patch boxes of the last frame, in frame pixels.
    pub fn boxes(&self) -> &[PixelBox] {
        &self.boxes
    }

    /// The unit query embedding of the current goal (empty before `set_goal`).
    pub fn query(&self) -> &[f32] {
        &self.query
    }
}

impl Localizer for OwlLocalizer {
    fn name(&self) -> &str {
        "owl"
    }

    fn set_goal(&mut self, goal: &Goal, _capabilities: &Capabilities) -> Result<(), Error> {
        let q = self.model.goal_embedding(&goal.text, TemplateSet::Single)?;
        self.query.clear();
        self.query.extend_from_slice(q);
        Ok(())
    }

    fn localize(&mut self, frame: &Frame, out: &mut [f32]) -> Result<(), Error> {
        let geometry = prepare_frame(
            "owl",
            !self.query.is_empty(),
            &mut self.pre,
            &mut self.pixels,
            frame,
            out,
        )?;
        let (n, d, size) = (
            self.scores.len(),
            self.query.len(),
            self.model.manifest().image_size,
        );
        let dir = &self.dir;
        let session = self.model.image_session()?;
        let outputs = session
            .run(ort::inputs!["pixel_values" => &self.pixels])
            .map_err(|e| run_error(dir, "image", &e))?;
        let extract = |name: &str, len: usize| output_values(&outputs, dir, "image", name, len);
        let class_embeddings = extract("class_embeddings", n * d)?;
        let shift = extract("logit_shift", n)?;
        let scale = extract("logit_scale", n)?;
        let boxes = extract("boxes", n * 4)?;
        patch_scores(
            class_embeddings,
            shift,
            scale,
            &self.query,
            &mut self.scores,
        );
        for (b, raw) in self.boxes.iter_mut().zip(boxes.chunks_exact(4)) {
            *b = box_to_pixels(
                [raw[0], raw[1], raw[2], raw[3]],
                size,
                &geometry,
                frame.width,
                frame.height,
            );
        }
        drop(outputs);
        paint_boxes(
            &self.scores,
            &self.boxes,
            self.threshold,
            frame.width as usize,
            out,
        );
        Ok(())
    }

    fn threshold(&self) -> f32 {
        self.threshold
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const IDENTITY: InputGeometry = InputGeometry {
        scale_x: 1.0,
        scale_y: 1.0,
        offset_x: 0.0,
        offset_y: 0.0,
    };

    #[test]
    fn scores_by_hand() {
        // q = (1, 0); patch 0: c = (0.6, 0.8), shift -0.1, scale 2 -> (0.6 - 0.1) * 2 = 1
        // patch 1: c = (0, 1), shift 0, scale 3 -> 0 -> 0.5
        let mut s = [0.0; 2];
        patch_scores(
            &[0.6, 0.8, 0.0, 1.0],
            &[-0.1, 0.0],
            &[2.0, 3.0],
            &[1.0, 0.0],
            &mut s,
        );
        assert!((s[0] - 0.731_058_6).abs() < 1e-6, "{s:?}");
        assert!((s[1] - 0.5).abs() < 1e-7);
    }

    #[test]
    fn box_decoding_by_hand() {
        // 64-pixel input from a 128-pixel frame (scale 0.5): centre (0.5, 0.25),
        // size (0.5, 0.25) -> input x 16..48, y 8..24 -> frame x 32..96, y 16..48
        let g = InputGeometry {
            scale_x: 0.5,
            scale_y: 0.5,
            offset_x: 0.0,
            offset_y: 0.0,
        };
        let b = box_to_pixels([0.5, 0.25, 0.5, 0.25], 64, &g, 128, 128);
        assert_eq!(
            b,
            PixelBox {
                x0: 32,
                y0: 16,
                x1: 96,
                y1: 48
            }
        );
        // Past the edges: clamped; corners truncated (x0 = 108.8 -> 108).
        let b = box_to_pixels([0.95, 0.05, 0.2, 0.2], 64, &g, 128, 128);
        assert_eq!(
            b,
            PixelBox {
                x0: 108,
                y0: 0,
                x1: 128,
                y1: 19
            }
        );
    }

    #[test]
    fn box_decoding_through_a_centre_crop() {
        // A 96 x 64 frame cropped to a 64 input: scale 1, the input starts
        // at frame column 16 (offset_x 16). Input x 0..32 -> frame 16..48.
        let g = InputGeometry {
            scale_x: 1.0,
            scale_y: 1.0,
            offset_x: 16.0,
            offset_y: 0.0,
        };
        let b = box_to_pixels([0.25, 0.5, 0.5, 1.0], 64, &g, 96, 64);
        assert_eq!(
            b,
            PixelBox {
                x0: 16,
                y0: 0,
                x1: 48,
                y1: 64
            }
        );
        let nan = box_to_pixels([f32::NAN, 0.5, 0.5, 0.5], 64, &IDENTITY, 64, 64);
        assert_eq!((nan.x0, nan.x1), (0, 0));
    }

    #[test]
    fn boxes_above_threshold_paint_their_best_score() {
        // 4 x 3 frame; box A (0.9) covers columns 0..2 rows 0..2, box B (0.5)
        // columns 1..4 rows 1..3, box C (0.1) everything but is below 0.125.
        let boxes = [
            PixelBox {
                x0: 0,
                y0: 0,
                x1: 2,
                y1: 2,
            },
            PixelBox {
                x0: 1,
                y0: 1,
                x1: 4,
                y1: 3,
            },
            PixelBox {
                x0: 0,
                y0: 0,
                x1: 4,
                y1: 3,
            },
        ];
        let mut out = [7.0; 12];
        let painted = paint_boxes(&[0.9, 0.5, 0.1], &boxes, 0.125, 4, &mut out);
        assert_eq!(painted, 2);
        #[rustfmt::skip]
        let want = [
            0.9, 0.9, 0.0, 0.0,
            0.9, 0.9, 0.5, 0.5,
            0.0, 0.5, 0.5, 0.5,
        ];
        assert_eq!(out, want);
        // A score equal to the threshold is not above it.
        let painted = paint_boxes(&[0.125], &boxes[..1], 0.125, 4, &mut out);
        assert_eq!(painted, 0);
        assert!(out.iter().all(|v| *v == 0.0));
    }
}
