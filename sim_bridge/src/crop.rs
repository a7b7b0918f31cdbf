//! Object crops: the square crop around an object's pixel box that the
//! embedded world's training crops and the dense localizer's verification
//! both use. One rule, so that a model sees at run time the framing it was
//! trained on (`models/cow-embedded` was trained on crops cut this way).

/// A crop's square side is the object's larger box side times `1 + 2 * CROP_MARGIN`.
pub const CROP_MARGIN: f32 = 0.25;
/// Smallest crop side, pixels.
pub const MIN_CROP_SIDE: u32 = 24;

/// The square crop rectangle around box `b` in a `w x h` frame: side
/// `max(box) * (1 + 2 CROP_MARGIN)` (at least [`MIN_CROP_SIDE`], at most the
/// frame), centred on the box and shifted to lie inside the frame.
pub fn crop_rect(b: [u32; 4], w: u32, h: u32) -> [u32; 4] {
    let bw = (b[2] - b[0]) as f32;
    let bh = (b[3] - b[1]) as f32;
    let side = ((bw.max(bh) * (1.0 + 2.0 * CROP_MARGIN)).round() as u32)
        .max(MIN_CROP_SIDE)
        .min(w.min(h));
    let cx = (b[0] + b[2]) as f32 / 2.0;
    let cy = (b[1] + b[3]) as f32 / 2.0;
    let x0 = (cx - side as f32 / 2.0)
        .round()
        .clamp(0.0, (w - side) as f32) as u32;
    let y0 = (cy - side as f32 / 2.0)
        .round()
        .clamp(0.0, (h - side) as f32) as u32;
    [x0, y0, x0 + side, y0 + side]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crops_are_square_margined_and_inside_the_frame() {
        // A 20 x 10 box: side 20 * 1.5 = 30, centred on (20, 15).
        assert_eq!(crop_rect([10, 10, 30, 20], 224, 224), [5, 0, 35, 30]);
        // A 4 x 4 box gets the minimum side.
        assert_eq!(
            crop_rect([100, 100, 104, 104], 224, 224),
            [90, 90, 114, 114]
        );
        // Near the right edge it is shifted inside; never larger than the frame.
        assert_eq!(crop_rect([210, 50, 224, 60], 224, 224), [200, 43, 224, 67]);
        // A box wider than a 224 x 112 frame is tall: side 112, centred on x = 112.
        assert_eq!(crop_rect([0, 0, 224, 100], 224, 112), [56, 0, 168, 112]);
    }
}
