//! One picture per step of a replayed episode (`cow replay`), side by side:
//! the egocentric RGB with the goal relevance blended over it, the depth in
//! grey, and the top-down map (drawn by [`crate::viz`]); a title over each
//! panel and a status line (step, action, mode) under them, in the
//! [`crate::font`] bitmap font.
//!
//! - Relevance overlay: each pixel is blended with a colour running from
//!   yellow (relevance 0) to magenta (1) with opacity `0.7 × relevance`
//!   (clamped to [0, 1]): pixels of relevance 0 keep their colour.
//! - Depth: grey from black (0 m) to white (the camera's `max_depth`); pixels
//!   without a reading (0, not finite, or beyond the range) are blue.

use image::imageops::{self, FilterType};
use image::{Rgb, RgbImage};

use crate::font::{draw_text, text_width, GLYPH_HEIGHT};

/// Opacity of the overlay at relevance 1.
pub const OVERLAY_OPACITY: f32 = 0.7;
/// Colour of depth pixels without a reading.
pub const NO_DEPTH: Rgb<u8> = Rgb([40, 60, 170]);
/// Camera panels are scaled up by a whole factor until at least this tall.
pub const MIN_PANEL_HEIGHT: u32 = 320;
/// The map panel is at most this many panel heights wide.
pub const MAP_MAX_ASPECT: f32 = 1.5;

const BACKGROUND: Rgb<u8> = Rgb([30, 30, 30]);
const TEXT: Rgb<u8> = Rgb([240, 240, 240]);
const FONT_SCALE: u32 = 2;
const GAP: u32 = 4;
const STRIP: u32 = GLYPH_HEIGHT * FONT_SCALE + 8;

/// The colour of relevance `v` (clamped to [0, 1]): yellow at 0, magenta
/// at 1 (a colour few objects have, unlike red).
pub fn relevance_colour(v: f32) -> Rgb<u8> {
    let v = v.clamp(0.0, 1.0);
    Rgb([
        255,
        (255.0 * (1.0 - v)).round() as u8,
        (255.0 * v).round() as u8,
    ])
}

/// The RGB frame (`width × height × 3` bytes, row-major) with `relevance`
/// (one value per pixel) blended over it.
pub fn overlay_relevance(
    rgb: &[u8],
    relevance: Option<&[f32]>,
    width: u32,
    height: u32,
) -> RgbImage {
    let mut img = RgbImage::from_fn(width, height, |x, y| {
        let i = 3 * (y * width + x) as usize;
        Rgb([rgb[i], rgb[i + 1], rgb[i + 2]])
    });
    if let Some(rel) = relevance {
        for (p, &v) in img.pixels_mut().zip(rel) {
            let a = OVERLAY_OPACITY * v.clamp(0.0, 1.0);
            if a > 0.0 {
                let c = relevance_colour(v);
                for k in 0..3 {
                    p.0[k] = (f32::from(p.0[k]) * (1.0 - a) + f32::from(c.0[k]) * a).round() as u8;
                }
            }
        }
    }
    img
}

/// The depth frame (metres, row-major) in grey, black at 0 m and white at
/// `max_depth`; pixels without a reading in [`NO_DEPTH`].
pub fn depth_image(depth: &[f32], width: u32, height: u32, max_depth: f32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        let d = depth[(y * width + x) as usize];
        if !(d.is_finite() && d > 0.0 && d <= max_depth) {
            return NO_DEPTH;
        }
        let g = (255.0 * d / max_depth).round() as u8;
        Rgb([g, g, g])
    })
}

/// Sizes of the panels of an episode's pictures (the same for every step).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// Camera frame size, pixels.
    pub camera: (u32, u32),
    /// Whole factor the camera panels are scaled up by.
    pub camera_scale: u32,
    /// Size of the map panel, pixels (the map picture scaled to fit).
    pub map: (u32, u32),
}

impl Layout {
    /// The layout for frames of `camera` size and map pictures of `map` size.
    pub fn new(camera: (u32, u32), map: (u32, u32)) -> Layout {
        let (cw, ch) = (camera.0.max(1), camera.1.max(1));
        let camera_scale = MIN_PANEL_HEIGHT.div_ceil(ch).max(1);
        let panel_h = ch * camera_scale;
        let (mw, mh) = (map.0.max(1) as f32, map.1.max(1) as f32);
        let f = (panel_h as f32 / mh).min(MAP_MAX_ASPECT * panel_h as f32 / mw);
        let map = (
            ((mw * f).round() as u32).max(1),
            ((mh * f).round() as u32).clamp(1, panel_h),
        );
        Layout {
            camera: (cw, ch),
            camera_scale,
            map,
        }
    }

    /// Height of the panels, pixels.
    pub fn panel_height(&self) -> u32 {
        self.camera.1 * self.camera_scale
    }

    /// Width of a camera panel, pixels.
    pub fn camera_panel_width(&self) -> u32 {
        self.camera.0 * self.camera_scale
    }

    /// Size of the whole picture, pixels.
    pub fn size(&self) -> (u32, u32) {
        (
            2 * self.camera_panel_width() + self.map.0 + 4 * GAP,
            self.panel_height() + 2 * STRIP,
        )
    }

    /// Left edges of the three panels (RGB, depth, map), pixels.
    pub fn panel_lefts(&self) -> [u32; 3] {
        let w = self.camera_panel_width();
        [GAP, 2 * GAP + w, 3 * GAP + 2 * w]
    }

    /// Top edge of the panels, pixels (under the title strip).
    pub fn panel_top(&self) -> u32 {
        STRIP
    }
}

/// What one step's picture shows.
#[derive(Debug, Clone, Copy)]
pub struct StepView<'a> {
    /// RGB frame, `width × height × 3` bytes.
    pub rgb: &'a [u8],
    /// Depth frame, metres.
    pub depth: &'a [f32],
    /// Goal relevance the agent computed on this frame, if recorded.
    pub relevance: Option<&'a [f32]>,
    /// Range of the depth scale, metres.
    pub max_depth: f32,
    /// The map picture of this step (every step's the same size).
    pub map: &'a RgbImage,
    /// Panel titles: RGB, depth, map.
    pub titles: [&'a str; 3],
    /// The status line under the panels.
    pub status: &'a str,
}

/// Draws one step's picture.
pub fn compose(view: &StepView<'_>, layout: &Layout) -> RgbImage {
    let (w, h) = layout.size();
    let mut img = RgbImage::from_pixel(w, h, BACKGROUND);
    let (cw, ch) = layout.camera;
    let s = layout.camera_scale;
    let scale = |p: RgbImage| {
        if s == 1 {
            p
        } else {
            imageops::resize(&p, cw * s, ch * s, FilterType::Nearest)
        }
    };
    let rgb = scale(overlay_relevance(view.rgb, view.relevance, cw, ch));
    let depth = scale(depth_image(view.depth, cw, ch, view.max_depth));
    let filter = if layout.map.1 >= view.map.height() {
        FilterType::Nearest
    } else {
        FilterType::Triangle
    };
    let map = imageops::resize(view.map, layout.map.0, layout.map.1, filter);
    let [l_rgb, l_depth, l_map] = layout.panel_lefts();
    let top = layout.panel_top();
    imageops::replace(&mut img, &rgb, i64::from(l_rgb), i64::from(top));
    imageops::replace(&mut img, &depth, i64::from(l_depth), i64::from(top));
    let map_top = top + (layout.panel_height() - layout.map.1) / 2;
    imageops::replace(&mut img, &map, i64::from(l_map), i64::from(map_top));
    let widths = [
        layout.camera_panel_width(),
        layout.camera_panel_width(),
        layout.map.0,
    ];
    for ((title, left), width) in view.titles.iter().zip([l_rgb, l_depth, l_map]).zip(widths) {
        let x = left + width.saturating_sub(text_width(title, FONT_SCALE)) / 2;
        draw_text(&mut img, i64::from(x), 4, title, FONT_SCALE, TEXT);
    }
    let y = top + layout.panel_height() + 4;
    draw_text(
        &mut img,
        i64::from(GAP),
        i64::from(y),
        view.status,
        FONT_SCALE,
        TEXT,
    );
    img
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_overlay_marks_relevant_pixels_only() {
        let rgb = [100u8, 100, 100, 100, 100, 100];
        let img = overlay_relevance(&rgb, Some(&[0.0, 1.0]), 2, 1);
        assert_eq!(img.get_pixel(0, 0).0, [100, 100, 100]);
        // 0.3 × 100 + 0.7 × (255, 0, 255).
        assert_eq!(img.get_pixel(1, 0).0, [209, 30, 209]);
        assert_eq!(
            overlay_relevance(&rgb, None, 2, 1).get_pixel(1, 0).0,
            [100, 100, 100]
        );
        assert_eq!(relevance_colour(0.0), Rgb([255, 255, 0]));
        assert_eq!(relevance_colour(0.5), Rgb([255, 128, 128]));
        assert_eq!(relevance_colour(7.0), Rgb([255, 0, 255]));
    }

    #[test]
    fn depth_is_grey_over_its_range_and_blue_without_a_reading() {
        let img = depth_image(&[0.0, 5.0, 10.0, f32::NAN, 12.0], 5, 1, 10.0);
        let px: Vec<[u8; 3]> = img.pixels().map(|p| p.0).collect();
        assert_eq!(
            px,
            vec![
                NO_DEPTH.0,
                [128, 128, 128],
                [255, 255, 255],
                NO_DEPTH.0,
                NO_DEPTH.0
            ]
        );
    }

    #[test]
    fn the_layout_scales_small_cameras_and_fits_the_map() {
        let l = Layout::new((224, 224), (1000, 400));
        assert_eq!(l.camera_scale, 2);
        assert_eq!(l.panel_height(), 448);
        // Limited by the width: 1.5 × 448 = 672 wide.
        assert_eq!(l.map, (672, 269));
        assert_eq!(l.size(), (2 * 448 + 672 + 16, 448 + 2 * STRIP));
        let l = Layout::new((640, 480), (200, 400));
        assert_eq!((l.camera_scale, l.map), (1, (240, 480)));
    }

    #[test]
    fn compose_puts_each_panel_in_its_place() {
        let (w, h) = (4u32, 2u32);
        let rgb = vec![10u8; (w * h * 3) as usize];
        let depth = vec![5.0f32; (w * h) as usize];
        let map = RgbImage::from_pixel(8, 8, Rgb([0, 200, 0]));
        let layout = Layout::new((w, h), (8, 8));
        let img = compose(
            &StepView {
                rgb: &rgb,
                depth: &depth,
                relevance: None,
                max_depth: 10.0,
                map: &map,
                titles: ["", "", ""],
                status: "",
            },
            &layout,
        );
        assert_eq!(img.dimensions(), layout.size());
        let [a, b, c] = layout.panel_lefts();
        let top = layout.panel_top();
        assert_eq!(img.get_pixel(a, top).0, [10, 10, 10]);
        assert_eq!(img.get_pixel(b, top).0, [128, 128, 128]);
        assert_eq!(img.get_pixel(c, top).0, [0, 200, 0]);
    }
}
