//! Choosing episodes: by scene and category, and deterministic shards.
//!
//! A shard `K/N` holds the episodes whose id hashes (FNV-1a, 64 bit) to `K`
//! modulo `N`: N jobs with shards `0/N .. (N-1)/N` cover an episode set
//! exactly once, whatever the order of the file, and an episode stays in
//! its shard when others are added or removed.

use sim_bridge::Episode;

/// Keeps episodes whose scene is one of `scenes` and whose category is one
/// of `categories` (an empty list keeps all). Categories match by name
/// (`"Mug"`) or goal text (`"mug"`), ignoring case.
pub fn filter(episodes: Vec<Episode>, scenes: &[String], categories: &[String]) -> Vec<Episode> {
    episodes
        .into_iter()
        .filter(|e| scenes.is_empty() || scenes.contains(&e.scene))
        .filter(|e| {
            categories.is_empty()
                || categories.iter().any(|c| {
                    c.eq_ignore_ascii_case(&e.object_type) || c.eq_ignore_ascii_case(&e.goal)
                })
        })
        .collect()
}

/// A shard `index / count` of an episode set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// Which shard, `0..count`.
    pub index: u32,
    /// How many shards.
    pub count: u32,
}

impl Shard {
    /// Parses `"K/N"` with `0 <= K < N`.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let (k, n) = text
            .split_once('/')
            .ok_or_else(|| format!("shard {text:?} is not of the form K/N"))?;
        let index: u32 = k
            .trim()
            .parse()
            .map_err(|e| format!("shard index {k:?} in {text:?}: {e}"))?;
        let count: u32 = n
            .trim()
            .parse()
            .map_err(|e| format!("shard count {n:?} in {text:?}: {e}"))?;
        if count == 0 || index >= count {
            return Err(format!(
                "shard {text:?}: the index must be below the count, and the count at least 1"
            ));
        }
        Ok(Shard { index, count })
    }

    /// Whether the episode with this id belongs to the shard.
    pub fn contains(&self, id: &str) -> bool {
        fnv1a(id) % u64::from(self.count) == u64::from(self.index)
    }

    /// The episodes of the shard, in their given order.
    pub fn select(&self, episodes: Vec<Episode>) -> Vec<Episode> {
        episodes
            .into_iter()
            .filter(|e| self.contains(&e.id))
            .collect()
    }
}

/// FNV-1a, 64 bit: stable across machines, runs and Rust versions.
pub fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use sim_bridge::Position;

    fn episode(id: String, scene: &str, category: &str) -> Episode {
        Episode {
            id,
            scene: scene.into(),
            object_type: category.into(),
            goal: category.to_lowercase(),
            initial_position: Position::default(),
            initial_orientation: 0.0,
            shortest_path_length: 1.0,
            rooms: 0,
            extra: Default::default(),
        }
    }

    #[test]
    fn shards_parse_and_refuse_nonsense() {
        assert_eq!(Shard::parse("3/8"), Ok(Shard { index: 3, count: 8 }));
        for bad in ["8/8", "1/0", "x/2", "3", "-1/4"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(fnv1a(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a("a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn filters_by_scene_and_category_name_or_words() {
        let eps = vec![
            episode("1".into(), "a", "Mug"),
            episode("2".into(), "b", "Mug"),
            episode("3".into(), "a", "Apple"),
        ];
        let ids = |v: Vec<Episode>| v.into_iter().map(|e| e.id).collect::<Vec<_>>();
        assert_eq!(ids(filter(eps.clone(), &["a".into()], &[])), ["1", "3"]);
        assert_eq!(ids(filter(eps.clone(), &[], &["mug".into()])), ["1", "2"]);
        assert_eq!(
            ids(filter(eps.clone(), &["a".into()], &["MUG".into()])),
            ["1"]
        );
        assert_eq!(ids(filter(eps, &[], &[])), ["1", "2", "3"]);
    }

    proptest! {
        /// Every episode lands in exactly one shard of N, for any N from 1 to
        /// 64, on random episode sets, and shuffling the set changes nothing.
        #[test]
        fn every_episode_is_in_exactly_one_shard(
            ids in proptest::collection::hash_set("[a-z0-9_-]{1,24}", 0..300),
            n in 1u32..=64,
            rotate in 0usize..300,
        ) {
            let mut eps: Vec<Episode> = ids.iter().map(|i| episode(i.clone(), "s", "Mug")).collect();
            let total = eps.len();
            let mut counts = std::collections::HashMap::new();
            for k in 0..n {
                for e in (Shard { index: k, count: n }).select(eps.clone()) {
                    *counts.entry(e.id).or_insert(0) += 1;
                }
            }
            prop_assert_eq!(counts.len(), total);
            prop_assert!(counts.values().all(|&c| c == 1));
            if total > 0 {
                eps.rotate_left(rotate % total);
            }
            let shard = Shard { index: 0, count: n };
            let mut a: Vec<String> = shard.select(eps).into_iter().map(|e| e.id).collect();
            let mut b: Vec<String> = ids.iter().filter(|i| shard.contains(i)).cloned().collect();
            a.sort();
            b.sort();
            prop_assert_eq!(a, b);
        }
    }
}
