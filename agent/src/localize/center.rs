//! CoW's "center" option: reduce the thresholded mask to its single pixel
//! nearest the mask centroid, so the policy aims at one point of the goal.

/// Keeps only the above-`threshold` pixel of `conf` (row-major, `width` wide)
/// nearest the centroid of all above-threshold pixels; every other pixel is
/// set to 0. Leaves `conf` unchanged when no pixel is above the threshold.
/// Returns the kept pixel `(column, row)`.
pub fn reduce_to_center(conf: &mut [f32], width: usize, threshold: f32) -> Option<(usize, usize)> {
    if width == 0 {
        return None;
    }
    let (mut sx, mut sy, mut n) = (0.0f64, 0.0f64, 0usize);
    for (i, _) in conf.iter().enumerate().filter(|(_, c)| **c > threshold) {
        sx += (i % width) as f64;
        sy += (i / width) as f64;
        n += 1;
    }
    if n == 0 {
        return None;
    }
    let (cx, cy) = (sx / n as f64, sy / n as f64);
    let mut best: Option<(usize, f64)> = None;
    for (i, _) in conf.iter().enumerate().filter(|(_, c)| **c > threshold) {
        let dx = (i % width) as f64 - cx;
        let dy = (i / width) as f64 - cy;
        let d = dx * dx + dy * dy;
        if best.is_none_or(|(_, bd)| d < bd) {
            best = Some((i, d));
        }
    }
    let (keep, _) = best?;
    let value = conf[keep];
    conf.fill(0.0);
    conf[keep] = value;
    Some((keep % width, keep / width))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The kept pixel was above the threshold, kept its value, and is the
        /// only non-zero pixel left.
        #[test]
        fn keeps_exactly_one_mask_pixel(
            w in 1usize..20, cells in proptest::collection::vec(0.0f32..1.0, 1..400),
        ) {
            let mut c = cells.clone();
            let kept = reduce_to_center(&mut c, w, 0.5);
            match kept {
                None => prop_assert!(cells.iter().all(|v| *v <= 0.5)),
                Some((x, y)) => {
                    let i = y * w + x;
                    prop_assert!(cells[i] > 0.5);
                    prop_assert_eq!(c[i], cells[i]);
                    prop_assert_eq!(c.iter().filter(|v| **v != 0.0).count(), 1);
                }
            }
        }
    }

    #[test]
    fn ring_keeps_pixel_nearest_centroid() {
        // 5x3, mask at (1,1), (2,1), (3,1) and (2,0): centroid (2, 0.75) -> nearest (2,1).
        let mut c = vec![0.0; 15];
        for i in [6, 7, 8, 2] {
            c[i] = 0.9;
        }
        assert_eq!(reduce_to_center(&mut c, 5, 0.5), Some((2, 1)));
        assert_eq!(c.iter().filter(|v| **v > 0.0).count(), 1);
        assert_eq!(c[7], 0.9);
    }

    #[test]
    fn l_shape_centroid_outside_mask_picks_a_mask_pixel() {
        // 3x3 L: (0,0),(0,1),(0,2),(1,2),(2,2): centroid (0.6, 1.4) -> nearest mask pixel (0,1).
        let mut c = vec![0.0; 9];
        for i in [0, 3, 6, 7, 8] {
            c[i] = 1.0;
        }
        assert_eq!(reduce_to_center(&mut c, 3, 0.5), Some((0, 1)));
    }

    #[test]
    fn empty_mask_leaves_values() {
        let mut c = vec![0.1, 0.2, 0.3];
        assert_eq!(reduce_to_center(&mut c, 3, 0.5), None);
        assert_eq!(c, vec![0.1, 0.2, 0.3]);
    }
}
