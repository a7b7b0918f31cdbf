//! [`MapConfig`]: every constant of the occupancy map, defaults from CoW (THOR).

use crate::error::Error;

/// Settings of the occupancy map. `Default` gives CoW's RoboTHOR values; for
/// Habitat set `floor_tolerance = 0.15`.
#[derive(Debug, Clone, PartialEq)]
pub struct MapConfig {
    /// Side of a square map cell, metres (CoW: 0.125).
    pub cell_size: f32,
    /// World-frame z of the floor the agent stands on, metres.
    pub floor_height: f32,
    /// Points with `|z - floor_height| <= floor_tolerance` are floor (free),
    /// metres (CoW: 0.05 in THOR, 0.15 in Habitat).
    pub floor_tolerance: f32,
    /// Points higher than this above the floor are ignored entirely (no mark,
    /// no ray clearing), metres (CoW: 1.9).
    pub ceiling_cut: f32,
    /// Depth below this is invalid and dropped, metres (CoW: 0.051).
    pub min_depth: f32,
    /// Depth beyond this is dropped entirely (neither marked nor used for ray
    /// clearing): far readings are the least accurate and would clear long
    /// grazing rays, metres.
    pub max_depth: f32,
    /// Pixels sampled per frame along each image axis: the depth image is read
    /// every `max(1, width / target_resolution)`-th pixel (block centres), so a
    /// 672x672 frame costs the same as CoW's 224x224 resize.
    pub target_resolution: u32,
    /// Agent radius used to inflate obstacles into the configuration space,
    /// metres. Every cell whose centre lies within `agent_radius` (measured in
    /// whole cells, centre to centre) of an occupied cell is inflated. 0.18 m at
    /// 0.125 m cells inflates the 8 neighbours; `cell_size` gives CoW's
    /// 4-neighbour growth.
    pub agent_radius: f32,
    /// Radius of the obstacle-proximity cost around occupied cells, metres;
    /// 0 disables the proximity cost.
    pub proximity_radius: f32,
    /// Extra planning cost per metre travelled in a cell right next to an
    /// obstacle (the cost falls linearly to 0 at `proximity_radius`); the
    /// step cost in such a cell is `length * (1 + proximity_weight * p)`,
    /// `p` in `[0, 1]`.
    pub proximity_weight: f32,
    /// Occupied cells are "sticky": a cell with `hits` obstacle frames stays
    /// occupied until it was seen free in at least `clear_ratio * hits`
    /// frames. In one frame a cell counts at most once, and an obstacle point
    /// beats floor points and clearing rays. `u16::MAX` makes obstacles permanent.
    pub clear_ratio: u16,
    /// Free frames a collision mark ([`crate::OccupancyMap::mark_obstacle`])
    /// outlasts on top of what `clear_ratio` asks: whatever blocked a move
    /// and the depth camera does not show (too low, too thin, the simulator's
    /// coarser navigation mesh) would otherwise be seen "free" again within
    /// a few frames, and the agent would walk into it again and again.
    pub collision_persistence: u16,
    /// Goal confidence at or above which a cell holds goal evidence (CoW: 0.9
    /// after the localizer's own threshold).
    pub goal_threshold: f32,
    /// Largest side of the mapped area, metres. A frame that would make the
    /// map span more (a pose that jumped across the world, a wrong unit) is
    /// refused with [`Error::ExtentExceeded`] instead of growing the map
    /// without bound; 200 m holds the largest benchmark scenes twice over.
    pub max_extent: f32,
}

impl Default for MapConfig {
    fn default() -> Self {
        MapConfig {
            cell_size: 0.125,
            floor_height: 0.0,
            floor_tolerance: 0.05,
            ceiling_cut: 1.9,
            min_depth: 0.051,
            max_depth: 5.0,
            target_resolution: 224,
            agent_radius: 0.18,
            proximity_radius: 0.375,
            proximity_weight: 2.0,
            clear_ratio: 4,
            collision_persistence: 60,
            goal_threshold: 0.9,
            max_extent: 200.0,
        }
    }
}

/// Largest `max_extent` accepted, metres (5 km at 0.125 m cells is 40 000
/// cells a side, far inside `i32`).
pub const MAX_EXTENT: f32 = 5000.0;

/// Most cells a side the `max_extent` square may hold (bounds the storage
/// whatever the cell size).
pub const MAX_CELLS: i32 = 65_536;

/// Largest absolute world coordinate of a camera the map accepts, metres:
/// beyond it a pose is nonsense (and cell indices would overflow).
pub const MAX_COORDINATE: f32 = 1.0e6;

fn check(what: &'static str, value: f32, ok: bool, why: &'static str) -> Result<(), Error> {
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidParameter { what, value, why })
    }
}

impl MapConfig {
    /// CoW's Habitat settings: the defaults with a 0.15 m floor tolerance.
    pub fn habitat() -> Self {
        MapConfig {
            floor_tolerance: 0.15,
            ..MapConfig::default()
        }
    }

    /// Checks every field's range; the map constructor calls this.
    pub fn validate(&self) -> Result<(), Error> {
        let c = self;
        check(
            "cell_size",
            c.cell_size,
            c.cell_size.is_finite() && (0.01..=10.0).contains(&c.cell_size),
            "must be in [0.01, 10] m (cell indices of points within 1e6 m fit i32)",
        )?;
        check(
            "floor_height",
            c.floor_height,
            c.floor_height.is_finite(),
            "must be finite",
        )?;
        check(
            "floor_tolerance",
            c.floor_tolerance,
            c.floor_tolerance.is_finite() && c.floor_tolerance >= 0.0,
            "must be finite and >= 0",
        )?;
        check(
            "ceiling_cut",
            c.ceiling_cut,
            c.ceiling_cut.is_finite() && c.ceiling_cut > c.floor_tolerance,
            "must be finite and above floor_tolerance",
        )?;
        check(
            "min_depth",
            c.min_depth,
            c.min_depth.is_finite() && c.min_depth >= 0.0,
            "must be finite and >= 0",
        )?;
        check(
            "max_depth",
            c.max_depth,
            c.max_depth > c.min_depth,
            "must exceed min_depth",
        )?;
        check(
            "max_extent",
            c.max_extent,
            c.max_extent.is_finite()
                && c.max_extent >= 2.0 * c.max_depth.min(1000.0)
                && c.max_extent <= MAX_EXTENT,
            "must be finite, at least twice max_depth and at most 5000 m",
        )?;
        check(
            "max_extent",
            c.max_extent,
            c.max_extent / c.cell_size <= MAX_CELLS as f32,
            "must be at most 65536 cells of cell_size a side",
        )?;
        check(
            "target_resolution",
            c.target_resolution as f32,
            c.target_resolution > 0,
            "must be > 0",
        )?;
        check(
            "agent_radius",
            c.agent_radius,
            c.agent_radius.is_finite() && (0.0..=2.0).contains(&c.agent_radius),
            "must be in [0, 2] m",
        )?;
        check(
            "proximity_radius",
            c.proximity_radius,
            c.proximity_radius.is_finite() && (0.0..=2.0).contains(&c.proximity_radius),
            "must be in [0, 2] m",
        )?;
        check(
            "proximity_weight",
            c.proximity_weight,
            c.proximity_weight.is_finite() && c.proximity_weight >= 0.0,
            "must be finite and >= 0",
        )?;
        check(
            "goal_threshold",
            c.goal_threshold,
            c.goal_threshold.is_finite(),
            "must be finite",
        )
    }

    /// Pixel stride used for a frame `width` pixels wide.
    pub fn stride_for(&self, width: u32) -> usize {
        (width / self.target_resolution.max(1)).max(1) as usize
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_match_cow() {
        let c = MapConfig::default();
        assert!(c.validate().is_ok());
        assert_eq!(c.stride_for(672), 3);
        assert_eq!(c.stride_for(224), 1);
        assert_eq!(c.stride_for(100), 1);
    }

    #[test]
    fn rejects_bad_values() {
        let c = MapConfig {
            cell_size: 0.0,
            ..MapConfig::default()
        };
        let e = c.validate().unwrap_err();
        assert!(e.to_string().contains("cell_size"), "{e}");
        let c = MapConfig {
            max_depth: 0.01,
            ..MapConfig::default()
        };
        assert!(c.validate().is_err());
        // Cells so small that indices of far points would overflow i32.
        let c = MapConfig {
            cell_size: 0.001,
            ..MapConfig::default()
        };
        let e = c.validate().unwrap_err();
        assert!(e.to_string().contains("[0.01, 10] m"), "{e}");
        // 5 km at 5 cm cells is 100 000 cells a side: more than any storage may hold.
        let c = MapConfig {
            cell_size: 0.05,
            max_extent: 5000.0,
            ..MapConfig::default()
        };
        let e = c.validate().unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid max_extent: 5000 (must be at most 65536 cells of cell_size a side)"
        );
    }
}
