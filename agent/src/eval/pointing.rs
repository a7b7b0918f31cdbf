//! Localization quality on goal views (frames with a goal and its ground
//! truth, e.g. the embedded world's `embedded::views`): pointing
//! accuracy (the top-confidence pixel lies on an instance of the goal
//! category; ties, e.g. a whole tile of the patch localizer, are resolved to
//! the tied pixel nearest the centroid of all tied pixels), detection rates at
//! the localizer's threshold on positive and negative views, and latency per
//! frame.

use std::time::Instant;

use serde::Serialize;
use sim_bridge::{Capabilities, Frame};

use crate::localize::{Goal, Localizer};
use crate::results::TimingSummary;
use crate::Error;

/// A frame with the goal to localize in it and its ground truth: the
/// semantic class whose pixels show the goal (none on a negative view).
#[derive(Debug, Clone, PartialEq)]
pub struct GoalView {
    /// The frame; its semantic part is the ground truth.
    pub frame: Frame,
    /// The goal given to the localizer.
    pub goal: Goal,
    /// Semantic class of the goal category in `frame`.
    pub goal_class: u32,
}

impl GoalView {
    /// Whether pixel `(u, v)` shows an instance of the goal category.
    pub fn on_goal(&self, u: u32, v: u32) -> bool {
        self.frame.class_at(u, v) == Some(self.goal_class)
    }
}

/// What one localizer achieved on a set of views.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PointingReport {
    /// Localizer name.
    pub localizer: String,
    /// Positive views (goal visible).
    pub positives: usize,
    /// Negative views (goal absent).
    pub negatives: usize,
    /// Positive views whose top pixel lies on the goal.
    pub hits: usize,
    /// `hits / positives`.
    pub pointing_accuracy: f64,
    /// The localizer's threshold.
    pub threshold: f32,
    /// Fraction of positive views whose top confidence reaches the threshold.
    pub detect_rate: f64,
    /// Fraction of negative views whose top confidence reaches the threshold.
    pub false_alarm_rate: f64,
    /// Top confidence of every positive view, in view order.
    pub positive_max: Vec<f32>,
    /// Top confidence of every negative view, in view order.
    pub negative_max: Vec<f32>,
    /// Time of `localize` per frame.
    pub latency: TimingSummary,
}

/// The top pixel of a confidence map (`width` columns): the maximum, ties
/// resolved to the tied pixel nearest the centroid of the tied pixels.
pub fn top_pixel(conf: &[f32], width: usize) -> Option<(u32, u32, f32)> {
    let max = conf
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .fold(f32::NEG_INFINITY, f32::max);
    if !max.is_finite() || width == 0 {
        return None;
    }
    let (mut sx, mut sy, mut n) = (0.0f64, 0.0f64, 0usize);
    for (i, _) in conf.iter().enumerate().filter(|(_, &v)| v == max) {
        sx += (i % width) as f64;
        sy += (i / width) as f64;
        n += 1;
    }
    let (cx, cy) = (sx / n as f64, sy / n as f64);
    conf.iter()
        .enumerate()
        .filter(|(_, &v)| v == max)
        .map(|(i, _)| {
            (
                i,
                ((i % width) as f64 - cx).powi(2) + ((i / width) as f64 - cy).powi(2),
            )
        })
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _)| ((i % width) as u32, (i / width) as u32, max))
}

/// Runs `localizer` on every view (goal set per view) and scores it.
pub fn evaluate_pointing(
    localizer: &mut dyn Localizer,
    positives: &[GoalView],
    negatives: &[GoalView],
    capabilities: &Capabilities,
) -> Result<PointingReport, Error> {
    let mut conf = Vec::new();
    let mut times = Vec::with_capacity(positives.len() + negatives.len());
    let mut run = |v: &GoalView, times: &mut Vec<f64>| -> Result<Option<(u32, u32, f32)>, Error> {
        localizer.set_goal(&v.goal, capabilities)?;
        conf.resize(v.frame.pixels(), 0.0);
        let t = Instant::now();
        localizer.localize(&v.frame, &mut conf)?;
        times.push(t.elapsed().as_secs_f64() * 1e3);
        Ok(top_pixel(&conf, v.frame.width as usize))
    };
    let mut hits = 0;
    let mut positive_max = Vec::with_capacity(positives.len());
    for v in positives {
        let top = run(v, &mut times)?;
        if let Some((u, y, _)) = top {
            hits += usize::from(v.on_goal(u, y));
        }
        positive_max.push(top.map_or(0.0, |t| t.2));
    }
    let mut negative_max = Vec::with_capacity(negatives.len());
    for v in negatives {
        negative_max.push(run(v, &mut times)?.map_or(0.0, |t| t.2));
    }
    let threshold = localizer.threshold();
    let rate = |xs: &[f32]| {
        if xs.is_empty() {
            0.0
        } else {
            xs.iter().filter(|&&m| m >= threshold).count() as f64 / xs.len() as f64
        }
    };
    Ok(PointingReport {
        localizer: localizer.name().to_string(),
        positives: positives.len(),
        negatives: negatives.len(),
        hits,
        pointing_accuracy: if positives.is_empty() {
            0.0
        } else {
            hits as f64 / positives.len() as f64
        },
        threshold,
        detect_rate: rate(&positive_max),
        false_alarm_rate: rate(&negative_max),
        positive_max,
        negative_max,
        latency: TimingSummary::of(&times),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::localize::OracleLocalizer;
    use embedded::views::goal_views;
    use embedded::{EmbeddedSim, SimConfig, Split};
    use sim_bridge::Backend;

    #[test]
    fn top_pixel_resolves_ties_to_the_centre() {
        // 4x3 map; max 1.0 on the 3x3 block of columns 1..4: centroid (2, 1).
        let conf = [0.0, 1.0, 1.0, 1.0, 0.2, 1.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0];
        assert_eq!(top_pixel(&conf, 4), Some((2, 1, 1.0)));
        assert_eq!(top_pixel(&[0.1, 0.3, 0.2], 3), Some((1, 0, 0.3)));
        assert_eq!(top_pixel(&[], 3), None);
    }

    #[test]
    fn oracle_points_at_every_goal_and_never_at_absent_ones() {
        let cfg = SimConfig::default();
        let caps = EmbeddedSim::new(cfg.clone(), Vec::new()).unwrap().hello();
        let (pos, neg) = goal_views(Split::Val, 5, 40, 10, &cfg);
        let view = |v: embedded::views::GoalView| GoalView {
            frame: v.frame,
            goal: Goal {
                text: v.goal.clip_name().to_string(),
                category: v.goal.name().to_string(),
                instance: None,
            },
            goal_class: v.goal.class(),
        };
        let (pos, neg): (Vec<_>, Vec<_>) = (
            pos.into_iter().map(view).collect(),
            neg.into_iter().map(view).collect(),
        );
        let mut oracle = OracleLocalizer::new();
        let r = evaluate_pointing(&mut oracle, &pos, &neg, &caps).unwrap();
        assert_eq!((r.positives, r.hits), (5, 5));
        assert_eq!(r.pointing_accuracy, 1.0);
        assert_eq!(r.false_alarm_rate, 0.0);
        assert_eq!(r.latency.n, pos.len() + neg.len());
    }
}
