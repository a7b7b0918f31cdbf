//! CoW's "center" mode, available for every localizer: the thresholded mask
//! is reduced to the single pixel of the mask nearest the mask centroid, so
//! that one goal point (not a blob) is projected into the map.

/// Keeps only the mask pixel (confidence above `threshold`) nearest the
/// centroid of all mask pixels, and zeroes every other pixel. A frame
/// without mask pixels is left all below the threshold (unchanged).
pub fn reduce_to_center(confidence: &mut [f32], width: usize, threshold: f32) {
    if width == 0 {
        return;
    }
    let (mut sx, mut sy, mut n) = (0.0_f64, 0.0_f64, 0usize);
    for (i, &c) in confidence.iter().enumerate() {
        if c > threshold {
            sx += (i % width) as f64;
            sy += (i / width) as f64;
            n += 1;
        }
    }
    if n == 0 {
        return;
    }
    let (cx, cy) = (sx / n as f64, sy / n as f64);
    let mut best = (f64::INFINITY, 0usize);
    for (i, &c) in confidence.iter().enumerate() {
        if c > threshold {
            let d = ((i % width) as f64 - cx).powi(2) + ((i / width) as f64 - cy).powi(2);
            if d < best.0 {
                best = (d, i);
            }
        }
    }
    let keep = confidence[best.1];
    confidence.fill(0.0);
    confidence[best.1] = keep;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_pixel_nearest_the_centroid() {
        // 5 x 3 image, mask at (0,0), (4,0), (2,2) -> centroid (2, 0.667);
        // distances^2: 4.44, 4.44, 1.78 -> (2,2) i.e. index 12 wins.
        let mut c = vec![0.0; 15];
        c[0] = 0.9;
        c[4] = 0.95;
        c[12] = 0.8;
        reduce_to_center(&mut c, 5, 0.5);
        let kept: Vec<usize> = (0..15).filter(|&i| c[i] > 0.0).collect();
        assert_eq!(kept, vec![12]);
        assert_eq!(c[12], 0.8);
    }

    #[test]
    fn a_ring_keeps_a_ring_pixel_not_the_empty_centre() {
        // 3 x 3 ring: the centroid (1,1) is not in the mask; one of the four
        // edge midpoints (distance 1) is kept.
        let mut c = vec![1.0; 9];
        c[4] = 0.0;
        reduce_to_center(&mut c, 3, 0.5);
        let kept: Vec<usize> = (0..9).filter(|&i| c[i] > 0.5).collect();
        assert_eq!(kept.len(), 1);
        assert!([1, 3, 5, 7].contains(&kept[0]), "{kept:?}");
    }

    #[test]
    fn empty_mask_is_untouched() {
        let mut c = vec![0.1; 4];
        reduce_to_center(&mut c, 2, 0.5);
        assert_eq!(c, vec![0.1; 4]);
    }
}
