//! OpenAI CLIP preprocessing of an RGB region into a normalised `[3, S, S]`
//! tensor, bit-compatible with PIL + torchvision:
//!
//! - `crop`: resize so the shorter side is `S` (the longer becomes
//!   `floor(S * long / short)`, as torchvision), bicubic, then centre crop with
//!   offsets `round_half_even((dim - S) / 2)`;
//! - `pad`: paste the region centred (offsets `(side - dim) / 2`, floored) on a
//!   square of its longer side filled with the mean colour (`round(255 * mean)`),
//!   then resize bicubic to `S x S`;
//! - then `(v / 255 - mean) / std` per channel.
//!
//! The resampler is a port of PIL's two-pass 8-bit convolution (`Resample.c`:
//! bicubic a = -0.5, support scaled by the downscale factor, 22-bit fixed-point
//! coefficients, horizontal pass then vertical, each rounded to u8), so results
//! match `Image.resize(..., BICUBIC)` exactly. All scratch buffers are owned by
//! the [`Preprocessor`] and reused between frames.

use crate::perception::config::ResizeMode;
use crate::Error;

const PRECISION_BITS: u32 = 32 - 8 - 2;

/// An axis-aligned pixel rectangle of a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    /// Left column.
    pub x: u32,
    /// Top row.
    pub y: u32,
    /// Width, pixels.
    pub width: u32,
    /// Height, pixels.
    pub height: u32,
}

/// How region pixels map into the model input: a region point `(px, py)`
/// (continuous, pixel centres at `+0.5`) lands at input coordinates
/// `(px * scale_x - offset_x, py * scale_y - offset_y)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InputGeometry {
    /// Input pixels per region pixel, horizontally.
    pub scale_x: f32,
    /// Input pixels per region pixel, vertically.
    pub scale_y: f32,
    /// Horizontal offset, input pixels.
    pub offset_x: f32,
    /// Vertical offset, input pixels.
    pub offset_y: f32,
}

impl InputGeometry {
    /// Input coordinates of the region point `(px, py)`.
    pub fn to_input(&self, px: f32, py: f32) -> (f32, f32) {
        (
            px * self.scale_x - self.offset_x,
            py * self.scale_y - self.offset_y,
        )
    }
}

/// PIL's bicubic kernel (a = -0.5).
fn bicubic(x: f64) -> f64 {
    const A: f64 = -0.5;
    let x = x.abs();
    if x < 1.0 {
        ((A + 2.0) * x - (A + 3.0)) * x * x + 1.0
    } else if x < 2.0 {
        (((x - 5.0) * x + 8.0) * x - 4.0) * A
    } else {
        0.0
    }
}

/// Fixed-point coefficients of one axis of a resize (PIL `precompute_coeffs`
/// + `normalize_coeffs_8bpc`).
#[derive(Debug, Default)]
struct AxisCoeffs {
    ksize: usize,
    /// `(first input index, count)` per output index.
    bounds: Vec<(usize, usize)>,
    /// `ksize` coefficients per output index.
    kk: Vec<i32>,
    scratch: Vec<f64>,
}

impl AxisCoeffs {
    fn compute(&mut self, in_size: usize, out_size: usize) {
        let scale = in_size as f64 / out_size as f64;
        let filterscale = scale.max(1.0);
        let support = 2.0 * filterscale;
        let ksize = support.ceil() as usize * 2 + 1;
        self.ksize = ksize;
        self.bounds.clear();
        self.kk.clear();
        self.kk.resize(out_size * ksize, 0);
        self.scratch.resize(ksize, 0.0);
        let ss = 1.0 / filterscale;
        for xx in 0..out_size {
            let center = (xx as f64 + 0.5) * scale;
            // C's (int) cast truncates toward zero; negative values clamp to 0 anyway.
            let xmin = ((center - support + 0.5) as i64).max(0) as usize;
            let xmax = ((center + support + 0.5) as i64).min(in_size as i64) as usize;
            let n = xmax.saturating_sub(xmin);
            let mut ww = 0.0;
            for x in 0..n {
                let w = bicubic((x as f64 + xmin as f64 - center + 0.5) * ss);
                self.scratch[x] = w;
                ww += w;
            }
            let k = &mut self.kk[xx * ksize..(xx + 1) * ksize];
            for (kx, pre) in k.iter_mut().zip(&self.scratch[..n]) {
                let w = if ww != 0.0 { pre / ww } else { *pre };
                let f = w * f64::from(1u32 << PRECISION_BITS);
                *kx = if w < 0.0 {
                    (f - 0.5) as i32
                } else {
                    (f + 0.5) as i32
                };
            }
            self.bounds.push((xmin, n));
        }
    }
}

fn clip8(v: i32) -> u8 {
    if v >= (1 << PRECISION_BITS << 8) {
        255
    } else if v <= 0 {
        0
    } else {
        (v >> PRECISION_BITS) as u8
    }
}

/// A view of an RGB image as the virtual canvas being resized: the region
/// placed at `(pad_x, pad_y)` on a `canvas_w x canvas_h` canvas of `fill`.
struct Canvas<'a> {
    rgb: &'a [u8],
    stride: usize,
    region: Rect,
    pad_x: usize,
    pad_y: usize,
    fill: [u8; 3],
}

impl Canvas<'_> {
    /// Writes canvas row `cy` (`out.len() / 3` pixels wide) into `out`.
    fn row_into(&self, cy: usize, out: &mut [u8]) {
        let ry = cy.wrapping_sub(self.pad_y);
        if ry >= self.region.height as usize {
            for px in out.chunks_exact_mut(3) {
                px.copy_from_slice(&self.fill);
            }
            return;
        }
        let w = self.region.width as usize;
        let start = (self.region.y as usize + ry) * self.stride + self.region.x as usize * 3;
        let (before, rest) = out.split_at_mut(self.pad_x * 3);
        let (inside, after) = rest.split_at_mut(w * 3);
        inside.copy_from_slice(&self.rgb[start..start + w * 3]);
        for px in before.chunks_exact_mut(3).chain(after.chunks_exact_mut(3)) {
            px.copy_from_slice(&self.fill);
        }
    }
}

/// CLIP preprocessing with reusable buffers.
#[derive(Debug)]
pub struct Preprocessor {
    size: usize,
    mean: [f32; 3],
    std: [f32; 3],
    fill: [u8; 3],
    mode: ResizeMode,
    horiz: AxisCoeffs,
    vert: AxisCoeffs,
    /// Horizontal-pass result: rows needed by the vertical pass x `size` columns, RGB.
    temp: Vec<u8>,
    /// One canvas row, RGB.
    row: Vec<u8>,
    /// Fixed-point accumulators of one output row, RGB.
    acc: Vec<i32>,
}

impl Preprocessor {
    /// A preprocessor for `size x size` inputs with the given normalisation.
    pub fn new(size: u32, mean: [f32; 3], std: [f32; 3], mode: ResizeMode) -> Preprocessor {
        let fill = mean.map(|m| (255.0 * f64::from(m)).round_ties_even().clamp(0.0, 255.0) as u8);
        Preprocessor {
            size: size as usize,
            mean,
            std,
            fill,
            mode,
            horiz: AxisCoeffs::default(),
            vert: AxisCoeffs::default(),
            temp: Vec::new(),
            row: Vec::new(),
            acc: Vec::new(),
        }
    }

    /// Side of the square output.
    pub fn size(&self) -> u32 {
        self.size as u32
    }

    /// Values written per image (`3 * size * size`).
    pub fn tensor_len(&self) -> usize {
        3 * self.size * self.size
    }

    /// Preprocesses `region` of the `width x height` RGB image `rgb` into
    /// `out` (`3 * size * size` values, channel-major) and returns how region
    /// pixels map into the input.
    pub fn run(
        &mut self,
        rgb: &[u8],
        width: u32,
        height: u32,
        region: Rect,
        out: &mut [f32],
    ) -> Result<InputGeometry, Error> {
        if rgb.len() != width as usize * height as usize * 3 {
            return Err(Error::Observation(format!(
                "rgb frame has {} bytes, expected {} for {width}x{height} RGB",
                rgb.len(),
                width as usize * height as usize * 3
            )));
        }
        if region.width == 0
            || region.height == 0
            || region.x + region.width > width
            || region.y + region.height > height
        {
            return Err(Error::Observation(format!(
                "region {region:?} is empty or outside the {width}x{height} frame"
            )));
        }
        if out.len() != self.tensor_len() {
            return Err(Error::Observation(format!(
                "input tensor has {} values, expected {}",
                out.len(),
                self.tensor_len()
            )));
        }
        let s = self.size;
        let (w, h) = (region.width as usize, region.height as usize);
        // canvas size, resized size and the crop offset into the resized image
        let (canvas_w, canvas_h, pad_x, pad_y, resized_w, resized_h, left, top) = match self.mode {
            ResizeMode::Crop => {
                let (rw, rh) = if w <= h {
                    (s, (s as u64 * h as u64 / w as u64) as usize)
                } else {
                    ((s as u64 * w as u64 / h as u64) as usize, s)
                };
                let left = ((rw - s) as f64 / 2.0).round_ties_even() as usize;
                let top = ((rh - s) as f64 / 2.0).round_ties_even() as usize;
                (w, h, 0, 0, rw, rh, left, top)
            }
            ResizeMode::Pad => {
                let side = w.max(h);
                (side, side, (side - w) / 2, (side - h) / 2, s, s, 0, 0)
            }
        };
        let canvas = Canvas {
            rgb,
            stride: width as usize * 3,
            region,
            pad_x,
            pad_y,
            fill: self.fill,
        };
        let need_h = resized_w != canvas_w;
        let need_v = resized_h != canvas_h;
        if need_h {
            self.horiz.compute(canvas_w, resized_w);
        }
        if need_v {
            self.vert.compute(canvas_h, resized_h);
        }
        // rows of the canvas the output rows need
        let (row_first, row_last) = if need_v {
            let first = self.vert.bounds[top].0;
            let (lb, ln) = self.vert.bounds[top + s - 1];
            (first, lb + ln)
        } else {
            (top, top + s)
        };
        // horizontal pass into temp: rows row_first..row_last, columns left..left+s
        let rows = row_last - row_first;
        self.temp.resize(rows * s * 3, 0);
        self.row.resize(canvas_w * 3, 0);
        for r in 0..rows {
            canvas.row_into(row_first + r, &mut self.row);
            let line = &mut self.temp[r * s * 3..(r + 1) * s * 3];
            for (c, px) in line.chunks_exact_mut(3).enumerate() {
                if need_h {
                    let (xmin, n) = self.horiz.bounds[left + c];
                    let k = &self.horiz.kk[(left + c) * self.horiz.ksize..][..n];
                    let src = &self.row[xmin * 3..(xmin + n) * 3];
                    let mut acc = [1i32 << (PRECISION_BITS - 1); 3];
                    for (p, kx) in src.chunks_exact(3).zip(k) {
                        acc[0] += i32::from(p[0]) * kx;
                        acc[1] += i32::from(p[1]) * kx;
                        acc[2] += i32::from(p[2]) * kx;
                    }
                    px.copy_from_slice(&acc.map(clip8));
                } else {
                    px.copy_from_slice(&self.row[(left + c) * 3..(left + c) * 3 + 3]);
                }
            }
        }
        // vertical pass (row by row, all columns at once) and normalisation
        let plane = s * s;
        self.acc.resize(s * 3, 0);
        for r in 0..s {
            if need_v {
                let (ymin, n) = self.vert.bounds[top + r];
                let k = &self.vert.kk[(top + r) * self.vert.ksize..][..n];
                self.acc.fill(1i32 << (PRECISION_BITS - 1));
                for (y, ky) in k.iter().enumerate() {
                    let src = &self.temp[(ymin + y - row_first) * s * 3..][..s * 3];
                    for (a, p) in self.acc.iter_mut().zip(src) {
                        *a += i32::from(*p) * ky;
                    }
                }
            } else {
                let src = &self.temp[(top + r - row_first) * s * 3..][..s * 3];
                for (a, p) in self.acc.iter_mut().zip(src) {
                    *a = i32::from(*p) << PRECISION_BITS;
                }
            }
            for (c, px) in self.acc.chunks_exact(3).enumerate() {
                for ch in 0..3 {
                    out[ch * plane + r * s + c] =
                        (f32::from(clip8(px[ch])) / 255.0 - self.mean[ch]) / self.std[ch];
                }
            }
        }
        Ok(InputGeometry {
            scale_x: resized_w as f32 / canvas_w as f32,
            scale_y: resized_h as f32 / canvas_h as f32,
            offset_x: left as f32 - pad_x as f32 * resized_w as f32 / canvas_w as f32,
            offset_y: top as f32 - pad_y as f32 * resized_h as f32 / canvas_h as f32,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::excessive_precision)]
mod tests {
    use super::*;
    use std::path::Path;

    const MEAN: [f32; 3] = [0.481_454_66, 0.457_827_5, 0.408_210_73];
    const STD: [f32; 3] = [0.268_629_54, 0.261_302_58, 0.275_777_11];

    fn fixture() -> (image::RgbImage, serde_json::Value) {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/preprocess");
        let img = image::open(dir.join("input.png")).unwrap().to_rgb8();
        let expected: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap())
                .unwrap();
        (img, expected)
    }

    fn check_against_pil(mode: ResizeMode, key: &str) {
        let (img, expected) = fixture();
        let (w, h) = img.dimensions();
        let mut p = Preprocessor::new(16, MEAN, STD, mode);
        let mut out = vec![0.0; p.tensor_len()];
        p.run(
            img.as_raw(),
            w,
            h,
            Rect {
                x: 0,
                y: 0,
                width: w,
                height: h,
            },
            &mut out,
        )
        .unwrap();
        let want: Vec<f32> = expected[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap() as f32)
            .collect();
        assert_eq!(want.len(), out.len());
        let worst = out
            .iter()
            .zip(&want)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        // PIL-exact bytes: only float rounding of the normalisation remains.
        assert!(worst < 1e-5, "{key}: max difference {worst}");
    }

    #[test]
    fn crop_matches_pil_torchvision() {
        check_against_pil(ResizeMode::Crop, "crop");
    }

    #[test]
    fn pad_matches_pil() {
        check_against_pil(ResizeMode::Pad, "pad");
    }

    #[test]
    fn uniform_colour_normalises_to_hand_value() {
        // 8x4 pure red, crop to 2x2: every output red value is (1 - 0.48145466) / 0.26862954 = 1.930...
        let rgb: Vec<u8> = (0..32).flat_map(|_| [255u8, 0, 0]).collect();
        let mut p = Preprocessor::new(2, MEAN, STD, ResizeMode::Crop);
        let mut out = vec![0.0; p.tensor_len()];
        let g = p
            .run(
                &rgb,
                8,
                4,
                Rect {
                    x: 0,
                    y: 0,
                    width: 8,
                    height: 4,
                },
                &mut out,
            )
            .unwrap();
        for v in &out[0..4] {
            assert!((v - 1.930_340_1).abs() < 1e-5, "{v}");
        }
        for v in &out[4..8] {
            assert!((v + 1.752_114).abs() < 1e-4, "{v}");
        }
        // 8x4 -> 4x2 (scale 0.5), crop left = round(1.0) = 1
        assert_eq!(g.scale_x, 0.5);
        assert_eq!(g.offset_x, 1.0);
        assert_eq!(g.to_input(4.0, 2.0), (1.0, 1.0));
    }

    #[test]
    fn sub_region_equals_cropped_image() {
        let (img, _) = fixture();
        let (w, h) = img.dimensions();
        let region = Rect {
            x: 5,
            y: 3,
            width: 20,
            height: 15,
        };
        let sub = image::imageops::crop_imm(&img, 5, 3, 20, 15).to_image();
        let mut p = Preprocessor::new(8, MEAN, STD, ResizeMode::Crop);
        let mut a = vec![0.0; p.tensor_len()];
        let mut b = vec![0.0; p.tensor_len()];
        p.run(img.as_raw(), w, h, region, &mut a).unwrap();
        p.run(
            sub.as_raw(),
            20,
            15,
            Rect {
                x: 0,
                y: 0,
                width: 20,
                height: 15,
            },
            &mut b,
        )
        .unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn bad_inputs_are_reported() {
        let mut p = Preprocessor::new(4, MEAN, STD, ResizeMode::Crop);
        let mut out = vec![0.0; p.tensor_len()];
        let err = p
            .run(
                &[0u8; 10],
                2,
                2,
                Rect {
                    x: 0,
                    y: 0,
                    width: 2,
                    height: 2,
                },
                &mut out,
            )
            .unwrap_err();
        assert!(err.to_string().contains("10 bytes, expected 12"), "{err}");
        let err = p
            .run(
                &[0u8; 12],
                2,
                2,
                Rect {
                    x: 1,
                    y: 0,
                    width: 2,
                    height: 2,
                },
                &mut out,
            )
            .unwrap_err();
        assert!(err.to_string().contains("outside"), "{err}");
    }
}
