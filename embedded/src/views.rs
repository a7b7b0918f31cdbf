//! Goal views for localization benchmarks: frames of a split's houses with
//! the goal category to look for, positive (an instance of the goal is
//! visible with at least `min_pixels` pixels) and negative (no pixel of the
//! goal category in the frame). Poses as in [`crate::dataset`]: episode
//! starts, object-facing and random poses; deterministic.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::dataset::house_poses;
use crate::sim::catalog::{ObjectKind, GOAL_CATEGORIES};
use crate::sim::{Camera, House, SimConfig, World};
use crate::splits::Split;
use sim_bridge::types::{split_semantic, Frame};

/// One frame with a goal category to localize.
#[derive(Debug, Clone, PartialEq)]
pub struct GoalView {
    /// The rendered frame (RGB, depth, semantic).
    pub frame: Frame,
    /// The goal category.
    pub goal: ObjectKind,
    /// Scene name (`house_<seed>`).
    pub scene: String,
    /// Pixels of the goal category in the frame (0 for a negative view).
    pub goal_pixels: u32,
}

impl GoalView {
    /// Whether pixel `(u, v)` shows an instance of the goal category.
    pub fn on_goal(&self, u: u32, v: u32) -> bool {
        self.frame.class_at(u, v) == Some(self.goal.class())
    }
}

/// Pixels per goal category in `frame`, in [`GOAL_CATEGORIES`] order.
fn goal_counts(frame: &Frame) -> [u32; 12] {
    let mut counts = [0u32; 12];
    if let Some(sem) = frame.semantic.as_ref() {
        for &v in sem {
            let class = split_semantic(v).0;
            if let Some(k) = GOAL_CATEGORIES.iter().position(|g| g.class() == class) {
                counts[k] += 1;
            }
        }
    }
    counts
}

/// `count` positive and up to `count` negative views from `split`'s houses
/// (`per_house` poses each), positives and negatives interleaved.
pub fn goal_views(
    split: Split,
    count: usize,
    min_pixels: u32,
    per_house: usize,
    cfg: &SimConfig,
) -> (Vec<GoalView>, Vec<GoalView>) {
    let mut cfg = cfg.clone();
    cfg.semantic = true;
    let mut camera = Camera::new(cfg.intrinsics());
    let mut frame = Frame::blank(cfg.width, cfg.height, true);
    let (mut pos, mut neg) = (Vec::new(), Vec::new());
    let mut seed = split.first_seed();
    while pos.len() < count && seed - split.first_seed() < 10 * count as u64 + 10 {
        let world = World::new(House::generate(seed), &cfg);
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x005e_ed0f_9a1e);
        seed += 1;
        for (_, pose) in house_poses(&world, split, per_house.max(1), &cfg) {
            if pos.len() >= count {
                break;
            }
            camera.render_into(&world.house, &pose, &mut frame);
            let counts = goal_counts(&frame);
            let view = |goal: ObjectKind, goal_pixels: u32| GoalView {
                frame: frame.clone(),
                goal,
                scene: world.house.scene_name(),
                goal_pixels,
            };
            let visible: Vec<usize> = (0..12).filter(|&k| counts[k] >= min_pixels).collect();
            if let Some(&k) = visible.choose(&mut rng) {
                pos.push(view(GOAL_CATEGORIES[k], counts[k]));
            }
            let absent: Vec<usize> = (0..12).filter(|&k| counts[k] == 0).collect();
            if neg.len() < count {
                if let Some(&k) = absent.choose(&mut rng) {
                    neg.push(view(GOAL_CATEGORIES[k], 0));
                }
            }
        }
    }
    (pos, neg)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn views_show_their_goal_or_none_of_it() {
        let cfg = SimConfig::default();
        let (pos, neg) = goal_views(Split::Val, 6, 40, 10, &cfg);
        assert_eq!(pos.len(), 6);
        assert!(!neg.is_empty());
        for v in &pos {
            let n = (0..cfg.height)
                .flat_map(|y| (0..cfg.width).map(move |x| (x, y)))
                .filter(|&(x, y)| v.on_goal(x, y))
                .count();
            assert_eq!(n as u32, v.goal_pixels);
            assert!(n >= 40);
        }
        for v in &neg {
            assert!((0..cfg.width).all(|x| (0..cfg.height).all(|y| !v.on_goal(x, y))));
        }
        let (again, _) = goal_views(Split::Val, 6, 40, 10, &cfg);
        assert_eq!(pos, again);
    }
}
