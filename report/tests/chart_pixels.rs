//! The pictures say what their numbers say: in a bar chart of known success
//! rates, each bar's length in pixels is proportional to its rate, and the
//! interval whisker ends where its interval does; the stacked bars split in
//! proportion to their counts. Read back from the PNG bytes.
#![allow(clippy::unwrap_used)]

use report::plot::bars::{Bar, Bars, Series};
use report::plot::render::{png, svg};
use report::plot::stacked::{Part, Stacked};
use report::plot::{Chart, HEIGHT, WIDTH};

/// The first series' colour (Okabe-Ito blue).
const BLUE: [u8; 3] = [0, 114, 178];

fn bar(value: f64, ci95: (f64, f64)) -> Option<Bar> {
    Some(Bar {
        value,
        ci95,
        text: format!("{:.0}%", value * 100.0),
    })
}

fn decode(bytes: &[u8]) -> image::RgbImage {
    image::load_from_memory_with_format(bytes, image::ImageFormat::Png)
        .unwrap()
        .to_rgb8()
}

/// Vertical runs of rows holding `colour` (below the title strip), each with
/// its widest horizontal extent `(first x, last x)` of that colour.
fn bars_of(img: &image::RgbImage, colour: [u8; 3]) -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    let mut current: Option<(u32, u32)> = None;
    for y in 60..img.height() {
        let xs: Vec<u32> = (0..img.width())
            .filter(|&x| img.get_pixel(x, y).0 == colour)
            .collect();
        match (xs.first(), xs.last(), current) {
            (Some(&a), Some(&b), None) => current = Some((a, b)),
            (Some(&a), Some(&b), Some((c, d))) => current = Some((a.min(c), b.max(d))),
            (None, _, Some(run)) => {
                out.push(run);
                current = None;
            }
            _ => {}
        }
    }
    out.extend(current);
    out
}

#[test]
fn bar_lengths_are_proportional_to_the_success_rates() {
    let chart = Chart::Bars(Bars {
        title: "Success by category".into(),
        rows: vec!["Mug".into(), "Apple".into(), "Vase".into(), "Laptop".into()],
        series: vec![Series {
            name: "run".into(),
            bars: vec![
                bar(1.0, (1.0, 1.0)),
                bar(0.5, (0.5, 0.5)),
                bar(0.25, (0.25, 0.25)),
                bar(0.0, (0.0, 0.0)),
            ],
        }],
        axis: "success".into(),
        max: 1.0,
        percent: true,
    });
    let bytes = png(&chart, "bars").unwrap();
    let img = decode(&bytes);
    assert_eq!(img.dimensions(), (WIDTH, HEIGHT));
    let bars = bars_of(&img, BLUE);
    // Three visible bars, top to bottom; the 0% bar has no width.
    assert_eq!(bars.len(), 3, "{bars:?}");
    let lengths: Vec<f64> = bars.iter().map(|(a, b)| f64::from(b - a + 1)).collect();
    // All start at the same x (the axis).
    assert!(bars.iter().all(|(a, _)| *a == bars[0].0), "{bars:?}");
    let full = lengths[0];
    assert!(full > 400.0, "a 100% bar spans most of the width: {full}");
    assert!((lengths[1] / full - 0.5).abs() < 0.01, "50%: {lengths:?}");
    assert!((lengths[2] / full - 0.25).abs() < 0.01, "25%: {lengths:?}");
    // And the 100% bar ends on the 100% grid line (light vertical lines at
    // 0, 20, ..., 100%), read in the gap between the first two bars.
    let gap_y = {
        let ys: Vec<u32> = (60..img.height())
            .filter(|&y| img.get_pixel(bars[0].0 + 2, y).0 == BLUE)
            .collect();
        let end_of_first = ys.windows(2).find(|w| w[1] != w[0] + 1).unwrap()[0];
        end_of_first + 4
    };
    let grid: Vec<u32> = (0..img.width())
        .filter(|&x| img.get_pixel(x, gap_y).0 == [225, 225, 225])
        .collect();
    assert_eq!(grid.len(), 6, "grid lines at 0..100%: {grid:?}");
    assert!(
        bars[0].0.abs_diff(grid[0]) <= 1,
        "bars start at 0%: {bars:?} {grid:?}"
    );
    assert!(
        bars[0].1.abs_diff(grid[5]) <= 1,
        "100% bar ends at {}, the 100% line is at {}",
        bars[0].1,
        grid[5]
    );
    let mid = grid[2] + (grid[3] - grid[2]) / 2;
    assert!(
        bars[1].1.abs_diff(mid) <= 1,
        "50% bar ends at {}, midway between 40% and 60% is {mid}",
        bars[1].1
    );
    // The SVG of the same chart is a document of the stated size.
    let text = svg(&chart, "bars").unwrap();
    assert!(
        text.contains(&format!("width=\"{WIDTH}\""))
            && text.contains(&format!("height=\"{HEIGHT}\""))
    );
    assert!(
        text.contains("\nMug\n</text>"),
        "row labels are text in the SVG"
    );
}

#[test]
fn whiskers_end_where_the_intervals_do() {
    // One bar at 50% with the interval [20%, 80%]: the whisker (black, two
    // pixels thick, at the bar's middle) spans 60% of the 100% length.
    let chart = |ci| {
        Chart::Bars(Bars {
            title: String::new(),
            rows: vec!["a".into(), "b".into()],
            series: vec![Series {
                name: "run".into(),
                bars: vec![bar(1.0, (1.0, 1.0)), bar(0.5, ci)],
            }],
            axis: "success".into(),
            max: 1.0,
            percent: true,
        })
    };
    let img = decode(&png(&chart((0.2, 0.8)), "whisker").unwrap());
    let bars = bars_of(&img, BLUE);
    assert_eq!(bars.len(), 2, "{bars:?}");
    let (x0, full_end) = bars[0];
    let full = f64::from(full_end - x0);
    // The middle row of the second bar holds its whisker.
    let (top, bottom) = {
        let ys: Vec<u32> = (60..img.height())
            .filter(|&y| img.get_pixel(x0 + 2, y).0 == BLUE)
            .collect();
        let second: Vec<u32> = ys
            .iter()
            .copied()
            .skip_while(|&y| y < ys[0] + 10 || ys.contains(&(y - 1)))
            .collect();
        (second[0], *second.last().unwrap())
    };
    let mid = (top + bottom) / 2;
    let black: Vec<u32> = (0..img.width())
        .filter(|&x| (mid - 1..=mid + 1).any(|y| img.get_pixel(x, y).0 == [0, 0, 0]))
        .filter(|&x| x > x0 + 5)
        .collect();
    let (lo, hi) = (
        f64::from(black[0] - x0),
        f64::from(*black.last().unwrap() - x0),
    );
    assert!(
        (lo / full - 0.2).abs() < 0.015,
        "whisker starts at {}",
        lo / full
    );
    assert!(
        (hi / full - 0.8).abs() < 0.015,
        "whisker ends at {}",
        hi / full
    );
}

#[test]
fn stacked_parts_are_proportional_to_their_counts() {
    let green = (0, 158, 115);
    let orange = (213, 94, 0);
    let chart = Chart::Stacked(Stacked {
        title: "Outcomes".into(),
        rows: vec!["run".into()],
        parts: vec![
            Part {
                name: "success".into(),
                colour: green,
            },
            Part {
                name: "vision failure".into(),
                colour: orange,
            },
        ],
        counts: vec![vec![3, 1]],
    });
    let img = decode(&png(&chart, "stacked").unwrap());
    // Ignore the legend: the bar is the widest run of each colour.
    let width = |c: (u8, u8, u8)| {
        bars_of(&img, [c.0, c.1, c.2])
            .into_iter()
            .map(|(a, b)| b - a + 1)
            .max()
            .unwrap()
    };
    let (g, o) = (f64::from(width(green)), f64::from(width(orange)));
    assert!(
        (g / (g + o) - 0.75).abs() < 0.01,
        "success share {}",
        g / (g + o)
    );
}
