//! One score for a whole view: what a value map (`agent.cow.explore =
//! "value"`, `maps::ValueMap`) spreads over the cells the camera saw.
//!
//! [`ViewScores`] is what a localizer can say about its last frame as a
//! whole ([`crate::localize::Localizer::view_scores`]); [`top_share_mean`]
//! pools a relevance map into one number.

/// Scores of a localizer's last frame as a whole; `None` where the
/// localizer has no such score.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ViewScores {
    /// Cosine similarity between the frame's image embedding and the goal's
    /// text embedding (CLIP localizers whose image graph outputs
    /// `image_embeddings`).
    pub embedding: Option<f32>,
    /// The localizer's own pooled relevance: the mean of the top share of
    /// its relevance over the frame before any threshold or verification
    /// ([`top_share_mean`]). A localizer without one leaves it to the agent,
    /// which pools the confidence map it was given instead.
    pub relevance: Option<f32>,
}

/// Mean of the largest `share` of `values` (at least one value; `share` in
/// `(0, 1]`, clamped): the "top-k %" pooling of a relevance map. 0 for no
/// values. `scratch` is reused between calls; `values` is left as it is.
pub fn top_share_mean(values: &[f32], share: f32, scratch: &mut Vec<f32>) -> f32 {
    if values.is_empty() {
        return 0.0;
    }
    let n = values.len();
    // `share` is an f32 (0.2 is 0.2000000030): a hair below the product
    // keeps 20% of 10 values at 2, not 3.
    let exact = n as f64 * f64::from(share.clamp(0.0, 1.0));
    let k = ((exact - 1e-6).ceil() as usize).clamp(1, n);
    scratch.clear();
    scratch.extend_from_slice(values);
    // The k largest first (any order among them).
    let (top, kth, _) = scratch.select_nth_unstable_by(k - 1, |a, b| b.total_cmp(a));
    let sum: f64 = top.iter().map(|&v| f64::from(v)).sum::<f64>() + f64::from(*kth);
    (sum / k as f64) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_top_share_is_averaged() {
        let mut s = Vec::new();
        let v = [0.1, 0.9, 0.3, 0.5, 0.7, 0.0, 0.2, 0.4, 0.6, 0.8];
        // 20% of 10 values: 0.9 and 0.8.
        assert!((top_share_mean(&v, 0.2, &mut s) - 0.85).abs() < 1e-6);
        // 25% rounds up to 3 values: (0.9 + 0.8 + 0.7) / 3.
        assert!((top_share_mean(&v, 0.25, &mut s) - 0.8).abs() < 1e-6);
        // At least one value; all of them at share 1.
        assert_eq!(top_share_mean(&v, 0.0, &mut s), 0.9);
        assert!((top_share_mean(&v, 1.0, &mut s) - 0.45).abs() < 1e-6);
        assert_eq!(top_share_mean(&[], 0.5, &mut s), 0.0);
        // The oracle's binary map: the share of goal pixels, capped at 1.
        let mut mask = vec![0.0f32; 100];
        mask[..3].iter_mut().for_each(|m| *m = 1.0);
        assert!((top_share_mean(&mask, 0.1, &mut s) - 0.3).abs() < 1e-6);
        assert_eq!(top_share_mean(&mask, 0.02, &mut s), 1.0);
    }
}
