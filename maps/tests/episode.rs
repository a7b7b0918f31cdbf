//! End to end over the synthetic apartment: frontier exploration with the
//! `maps` API maps most of the reachable floor without collisions.

mod support;

use maps::CellState;
use support::Explorer;

#[test]
fn exploration_maps_the_apartment() {
    let mut ex = Explorer::new(48);
    for _ in 0..300 {
        ex.step();
    }
    let (free, occupied) = ex.map.census();
    eprintln!(
        "free {free} occupied {occupied} collisions {} bounds {:?} pose {:?}",
        ex.collisions,
        ex.map.known_bounds(),
        ex.pose.pose
    );
    // The apartment floor is 140 m2 minus furniture ~ 8,500 cells; the start
    // room alone is 5 x 10 m = 3,200 cells. (Measured: ~7,900 after 300 steps.)
    assert!(free > 6_000, "free = {free}");
    assert!(occupied > 200, "occupied = {occupied}");
    // The agent saw both end rooms: x from about 0 to 14 m (cells 0..=111).
    let (lo, hi) = ex.map.known_bounds().expect("frames were integrated");
    assert!(lo.x <= 8 && hi.x >= 104, "known bounds {lo:?}..{hi:?}");
    // The start cell stays known free.
    let start = ex.map.cell_of(ex.apartment.start.point());
    assert_eq!(ex.map.state(start), CellState::Free);
    // The follower may clip a door jamb now and then; the collision is
    // marked on the map and the agent re-plans (measured: 5 in 300 steps).
    assert!(ex.collisions < 10, "collisions = {}", ex.collisions);
}
