//! Small pieces the CLIP localizers share: frame checks, whole-frame
//! preprocessing, softmax and threshold resolution.

use ort::value::Tensor;
use sim_bridge::Frame;

use crate::perception::preprocess::{InputGeometry, Preprocessor, Rect};

use crate::perception::config::LocalizerConfig;
use crate::perception::manifest::Manifest;
use crate::Error;

/// Checks the frame and the goal state, then preprocesses the whole frame
/// into the model's reused input tensor; returns how frame pixels map into it.
pub fn prepare_frame(
    name: &str,
    has_goal: bool,
    pre: &mut Preprocessor,
    pixels: &mut Tensor<f32>,
    frame: &Frame,
    out: &[f32],
) -> Result<InputGeometry, Error> {
    check_frame(name, frame, out)?;
    if !has_goal {
        return Err(Error::Config(format!(
            "{name} localizer: localize called before set_goal"
        )));
    }
    let whole = Rect {
        x: 0,
        y: 0,
        width: frame.width,
        height: frame.height,
    };
    let (_, data) = pixels.extract_tensor_mut();
    pre.run(&frame.rgb, frame.width, frame.height, whole, data)
}

/// Checks that `frame` is consistent and that `out` has one value per pixel.
pub fn check_frame(name: &str, frame: &Frame, out: &[f32]) -> Result<(), Error> {
    let n = frame.pixels();
    if frame.rgb.len() != n * 3 {
        return Err(Error::Observation(format!(
            "{name}: rgb frame has {} bytes, expected {} for {}x{} RGB",
            frame.rgb.len(),
            n * 3,
            frame.width,
            frame.height
        )));
    }
    if out.len() != n {
        return Err(Error::Observation(format!(
            "{name}: confidence buffer has {} values, frame has {n} pixels",
            out.len()
        )));
    }
    if n == 0 {
        return Err(Error::Observation(format!("{name}: frame is empty")));
    }
    Ok(())
}

/// Softmax of `scale * x` in place.
pub fn softmax_scaled(x: &mut [f32], scale: f32) {
    let max = x.iter().fold(f32::NEG_INFINITY, |m, v| m.max(scale * v));
    let mut sum = 0.0;
    for v in x.iter_mut() {
        *v = (scale * *v - max).exp();
        sum += *v;
    }
    if sum > 0.0 {
        x.iter_mut().for_each(|v| *v /= sum);
    }
}

/// Threshold order: config, the bundle's recommendation for this localizer,
/// then [`crate::perception::LocalizerKind::default_threshold`].
pub fn resolve_threshold(config: &LocalizerConfig, manifest: &Manifest) -> Result<f32, Error> {
    let t = config
        .threshold
        .or_else(|| manifest.thresholds.get(config.kind.name()).copied())
        .unwrap_or_else(|| config.kind.default_threshold());
    if !(0.0..=1.0).contains(&t) {
        return Err(Error::Config(format!(
            "threshold {t} of localizer {} is outside [0, 1]",
            config.kind.name()
        )));
    }
    Ok(t)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn softmax_by_hand() {
        // scale 100: logits 0.30 and 0.29 -> exp(1) : 1 -> 0.731, 0.269
        let mut x = [0.30, 0.29];
        softmax_scaled(&mut x, 100.0);
        assert!((x[0] - 0.731_058_6).abs() < 1e-5, "{x:?}");
        assert!((x[0] + x[1] - 1.0).abs() < 1e-6);
    }

    #[test]
    fn frame_and_buffer_sizes_are_checked() {
        let f = Frame::blank(4, 2, false);
        assert!(check_frame("patch", &f, &[0.0; 8]).is_ok());
        let msg = check_frame("patch", &f, &[0.0; 7]).unwrap_err().to_string();
        assert!(msg.contains("7 values, frame has 8 pixels"), "{msg}");
    }
}
