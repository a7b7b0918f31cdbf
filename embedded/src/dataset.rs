//! Training data for the embedded-world CLIP model (`cow sim dataset`):
//! frames rendered in a split's houses, per-pixel class and instance masks,
//! square object crops with captions, and JSON-lines indexes.
//!
//! Layout of the output folder (all PNG images, row-major, `(0, 0)` top left):
//!
//! - `dataset.json`: split, frame size, semantic class names (index = class), counts;
//! - `frames/NNNNNN.png`: RGB frames, `size x size`;
//! - `classes/NNNNNN.png`: 8-bit grey, the semantic class of every pixel
//!   (names in `dataset.json`'s `classes`; 0 = nothing, 1 floor, 2 wall, ...);
//! - `instances/NNNNNN.png`: 16-bit grey, the instance of every pixel (0 = none);
//! - `index.jsonl`: one line per frame: `id`, file names, `scene`, `pose`
//!   (world frame, metres and radians), `source` (`"episode"` start, `"object"`-facing
//!   or `"random"` pose) and `objects` (visible objects with category, words,
//!   colour, material, pixel count and bounding box `[x0, y0, x1, y1)`);
//! - `crops/NNNNNN_III.png` + `crops.jsonl`: a square crop around each visible
//!   object with at least [`MIN_CROP_PIXELS`] pixels (its box grown by
//!   [`sim_bridge::crop::CROP_MARGIN`], native resolution) and its captions ("a red mug",
//!   "a striped vase", "a photo of a mug.").
//!
//! Poses per house: the house's episode starts, poses facing an object from
//! 0.5-3 m with a line of sight, and random navigable poses. Everything is a
//! function of the split, the count and the world version (deterministic).
//!
//! World version 2 (`SimConfig::world_version`) renders its own houses
//! (objects placed by room priors) and adds room context: each object
//! record and crop names the room kind it stands in (`room`), the crops get
//! two more captions ("a mug in a kitchen", "a red mug in a kitchen"), and
//! each frame record the room kind the camera stands in (`room`) with frame
//! captions ("a kitchen", "a photo of a kitchen.") and the goal categories
//! standing in that room, visible or not (`contents`); `dataset.json` says
//! `world_version`. The uncommon kinds are removed from every house before
//! rendering ([`House::without_uncommon`]) and `classes` lists only
//! version 1's classes, so no render, mask or caption shows or names them.
//! Version 1's output is unchanged, byte for byte.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::Path;

use image::{GrayImage, ImageBuffer, Luma, RgbImage};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::sim::catalog::semantic_classes;
use crate::sim::house::Object;
use crate::sim::truth::visible_objects;
use crate::sim::{Camera, House, SimConfig, World};
use crate::splits::{house_episodes, Split};
use crate::variants::{self, Variant};
use sim_bridge::crop::crop_rect;
use sim_bridge::goal::article;
use sim_bridge::types::{split_semantic, Frame, Pose};
use sim_bridge::Error;

/// Objects with fewer pixels in a frame get no crop.
pub const MIN_CROP_PIXELS: u32 = 40;
/// Distance range of object-facing poses, metres.
const FACING_RANGE: (f32, f32) = (0.5, 3.0);

/// What to render.
#[derive(Debug, Clone, PartialEq)]
pub struct DatasetOptions {
    /// Split whose houses are used.
    pub split: Split,
    /// Number of frames.
    pub count: usize,
    /// Frame side in pixels (square frames).
    pub size: u32,
    /// Frames rendered per house before moving to the next one.
    pub frames_per_house: usize,
}

/// What was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DatasetSummary {
    /// Frames written.
    pub frames: usize,
    /// Object crops written.
    pub crops: usize,
    /// Houses used.
    pub houses: usize,
}

/// One visible object of a frame in `index.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FrameObject {
    /// Instance number (the value in `instances/`).
    pub instance: u32,
    /// Semantic class (the value in `classes/`).
    pub class: u32,
    /// Category as in episode files (`"Mug"`).
    pub category: String,
    /// Category in words (`"mug"`).
    pub words: String,
    /// Whether it is a goal category.
    pub is_goal: bool,
    /// Colour name.
    pub color: String,
    /// Material / pattern word.
    pub material: String,
    /// Pixels showing it.
    pub pixels: u32,
    /// Bounding box `[x0, y0, x1, y1)` in pixels.
    pub bbox: [u32; 4],
    /// World version 2: the kind of the room it stands in (`"kitchen"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub room: Option<String>,
}

#[derive(Serialize)]
struct FrameRecord<'a> {
    id: usize,
    frame: String,
    classes: String,
    instances: String,
    scene: String,
    source: &'a str,
    pose: Pose,
    objects: Vec<FrameObject>,
    /// World version 2: the kind of the room the camera stands in.
    #[serde(skip_serializing_if = "Option::is_none")]
    room: Option<&'static str>,
    /// World version 2: frame captions of that room.
    #[serde(skip_serializing_if = "Option::is_none")]
    captions: Option<Vec<String>>,
    /// World version 2: the goal categories (in words, sorted, once each)
    /// of the objects in that room, seen in the frame or not: what a scene
    /// description of the room would name.
    #[serde(skip_serializing_if = "Option::is_none")]
    contents: Option<Vec<&'static str>>,
}

#[derive(Serialize)]
struct CropRecord<'a> {
    file: String,
    frame: usize,
    instance: u32,
    category: &'a str,
    words: &'a str,
    is_goal: bool,
    color: &'a str,
    material: &'a str,
    /// Crop rectangle in the frame, `[x0, y0, x1, y1)`.
    rect: [u32; 4],
    captions: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    room: Option<&'a str>,
}

#[derive(Serialize)]
struct Meta<'a> {
    format_version: u32,
    split: &'a str,
    size: u32,
    frames: usize,
    crops: usize,
    houses: usize,
    frames_per_house: usize,
    classes: Vec<String>,
    hfov_deg: f32,
    camera_height: f32,
    #[serde(skip_serializing_if = "Option::is_none")]
    world_version: Option<u32>,
}

/// Captions of an object: colour, material, both, and CLIP's template.
pub fn captions(words: &str, color: &str, material: &str) -> Vec<String> {
    vec![
        format!("{} {color} {words}", article(color)),
        format!("{} {material} {words}", article(material)),
        format!("{} {color} {material} {words}", article(color)),
        format!("a photo of {} {words}.", article(words)),
    ]
}

/// Captions of an object with its room (world version 2): [`captions`]
/// and two with the room kind ("a mug in a kitchen", "a red mug in a kitchen").
pub fn captions_in_room(words: &str, color: &str, material: &str, room: &str) -> Vec<String> {
    let mut out = captions(words, color, material);
    out.push(format!(
        "{} {words} in {} {room}",
        article(words),
        article(room)
    ));
    out.push(format!(
        "{} {color} {words} in {} {room}",
        article(color),
        article(room)
    ));
    out
}

/// The goal categories, in words, of the objects standing in room `room`
/// of `house`: sorted, each once.
fn room_contents(house: &House, room: usize) -> Vec<&'static str> {
    let mut words: Vec<&'static str> = house
        .objects
        .iter()
        .filter(|o| o.room == room && o.kind.is_goal())
        .map(|o| o.kind.clip_name())
        .collect();
    words.sort_unstable();
    words.dedup();
    words
}

/// Frame captions of a room kind (world version 2): "a kitchen", "a photo of a kitchen.".
pub fn room_captions(room: &str) -> Vec<String> {
    vec![
        format!("{} {room}", article(room)),
        format!("a photo of {} {room}.", article(room)),
    ]
}

fn io_err(context: String) -> impl FnOnce(std::io::Error) -> Error {
    move |source| Error::Io {
        context,
        cause: source,
    }
}

fn image_err(path: &Path) -> impl FnOnce(image::ImageError) -> Error + '_ {
    move |e| Error::Io {
        context: format!("writing {}", path.display()),
        cause: std::io::Error::other(e.to_string()),
    }
}

/// Bounding boxes per instance (`[x0, y0, x1, y1)`), indexed by instance.
fn instance_boxes(frame: &Frame, boxes: &mut Vec<[u32; 4]>) {
    boxes.clear();
    let Some(sem) = frame.semantic.as_ref() else {
        return;
    };
    let w = frame.width as usize;
    for (i, &v) in sem.iter().enumerate() {
        let inst = split_semantic(v).1 as usize;
        if inst == 0 {
            continue;
        }
        if inst >= boxes.len() {
            boxes.resize(inst + 1, [u32::MAX, u32::MAX, 0, 0]);
        }
        let (x, y) = ((i % w) as u32, (i / w) as u32);
        let b = &mut boxes[inst];
        b[0] = b[0].min(x);
        b[1] = b[1].min(y);
        b[2] = b[2].max(x + 1);
        b[3] = b[3].max(y + 1);
    }
}

/// A pose facing `obj` from a free cell of `main` 0.5-3 m away with a line of
/// sight, yaw jittered by up to 25 degrees; `None` after 30 failed draws.
fn facing_pose(world: &World, main: &[bool], obj: &Object, rng: &mut ChaCha8Rng) -> Option<Pose> {
    for _ in 0..30 {
        let r = rng.gen_range(FACING_RANGE.0..FACING_RANGE.1);
        let a = rng.gen_range(0.0..std::f32::consts::TAU);
        let (x, y) = (obj.x + r * a.cos(), obj.y + r * a.sin());
        let Some(i) = world.nav.index_of(x, y) else {
            continue;
        };
        if !main[i] || !world.sees(obj, x, y) {
            continue;
        }
        let jitter = rng.gen_range(-25.0f32..25.0).to_radians();
        let yaw = (obj.y - y).atan2(obj.x - x) + jitter;
        return Some(Pose { x, y, z: 0.0, yaw });
    }
    None
}

/// A random pose on a free cell of `main` with a random heading.
fn random_pose(world: &World, free_cells: &[usize], rng: &mut ChaCha8Rng) -> Option<Pose> {
    let &i = free_cells.choose(rng)?;
    let (x, y) = world.nav.center(i);
    Some(Pose {
        x,
        y,
        z: 0.0,
        yaw: rng.gen_range(-std::f32::consts::PI..std::f32::consts::PI),
    })
}

/// The poses rendered in one house, `(source, pose)`: episode starts, then
/// object-facing and random poses alternating, `want` in all.
pub(crate) fn house_poses(
    world: &World,
    split: Split,
    want: usize,
    cfg: &SimConfig,
) -> Vec<(&'static str, Pose)> {
    let mut rng = ChaCha8Rng::seed_from_u64(world.house.seed ^ 0xda7a_5e7d_0000_0001);
    let mut camera = Camera::new(cfg.intrinsics());
    let starts = if cfg.world_version == 2 {
        variants::house_episodes(
            world,
            split,
            Variant::Category,
            want.min(5),
            cfg,
            &mut camera,
        )
    } else {
        house_episodes(world, split, want.min(5), cfg, &mut camera)
    };
    let mut out: Vec<(&'static str, Pose)> = starts
        .into_iter()
        .map(|e| {
            let pose = Pose {
                x: e.initial_position.x,
                y: e.initial_position.y,
                z: 0.0,
                yaw: e.initial_orientation.to_radians(),
            };
            ("episode", pose)
        })
        .collect();
    let main = world.nav.largest_component();
    let free_cells: Vec<usize> = (0..main.len()).filter(|&i| main[i]).collect();
    let objects = &world.house.objects;
    let mut k = 0usize;
    let mut misses = 0usize;
    while out.len() < want && misses < 4 * want {
        k += 1;
        let next = if k % 3 != 0 && !objects.is_empty() {
            let obj = &objects[rng.gen_range(0..objects.len())];
            facing_pose(world, &main, obj, &mut rng).map(|p| ("object", p))
        } else {
            random_pose(world, &free_cells, &mut rng).map(|p| ("random", p))
        };
        match next {
            Some(p) => out.push(p),
            None => misses += 1,
        }
    }
    out
}

/// Writes the dataset into `out` (created if missing) and returns what was written.
pub fn write_dataset(
    opts: &DatasetOptions,
    cfg: &SimConfig,
    out: &Path,
) -> Result<DatasetSummary, Error> {
    if opts.count == 0 || opts.frames_per_house == 0 {
        return Err(Error::Episodes(format!(
            "dataset needs at least one frame and one frame per house (count {}, frames per house {})",
            opts.count, opts.frames_per_house
        )));
    }
    let mut cfg = cfg.clone();
    cfg.width = opts.size;
    cfg.height = opts.size;
    cfg.semantic = true;
    cfg.validate()?;
    for sub in ["frames", "classes", "instances", "crops"] {
        let dir = out.join(sub);
        fs::create_dir_all(&dir).map_err(io_err(format!("creating {}", dir.display())))?;
    }
    let open = |name: &str| -> Result<BufWriter<File>, Error> {
        let p = out.join(name);
        File::create(&p)
            .map(BufWriter::new)
            .map_err(io_err(format!("creating {}", p.display())))
    };
    let mut index = open("index.jsonl")?;
    let mut crops_index = open("crops.jsonl")?;
    let mut camera = Camera::new(cfg.intrinsics());
    let mut frame = Frame::blank(cfg.width, cfg.height, true);
    let mut boxes = Vec::new();
    let (w, h) = (cfg.width, cfg.height);
    let n = w as usize * h as usize;
    let mut classes_buf = vec![0u8; n];
    let mut instances_buf = vec![0u16; n];
    let mut summary = DatasetSummary {
        frames: 0,
        crops: 0,
        houses: 0,
    };
    let v2 = cfg.world_version == 2;
    let first_seed = opts.split.first_seed_of(cfg.world_version);
    let mut seed = first_seed;
    while summary.frames < opts.count {
        if seed - first_seed > 10 * opts.count as u64 + 10 {
            return Err(Error::Episodes(format!(
                "only {} frames could be posed in {} houses",
                summary.frames, summary.houses
            )));
        }
        let house = if v2 {
            House::generate_version(seed, 2).without_uncommon()
        } else {
            House::generate(seed)
        };
        let world = World::new(house, &cfg);
        seed += 1;
        let want = opts.frames_per_house.min(opts.count - summary.frames);
        let poses = house_poses(&world, opts.split, want, &cfg);
        if poses.is_empty() {
            continue;
        }
        summary.houses += 1;
        for (source, pose) in poses {
            camera.render_into(&world.house, &pose, &mut frame);
            let room_index = if v2 {
                world.house.room_at(pose.x, pose.y)
            } else {
                None
            };
            let camera_room = room_index.map(|r| world.house.rooms[r].kind.name());
            let id = summary.frames;
            write_frame(out, id, &frame, &mut classes_buf, &mut instances_buf)?;
            instance_boxes(&frame, &mut boxes);
            let objects: Vec<FrameObject> = visible_objects(&world.house, &frame)
                .into_iter()
                .filter_map(|v| {
                    let bbox = *boxes.get(v.instance as usize)?;
                    let obj = world.house.object_by_instance(v.instance)?;
                    let class = obj.kind.class();
                    let room = v2.then(|| world.house.rooms[obj.room].kind.name().to_string());
                    Some(FrameObject {
                        instance: v.instance,
                        class,
                        category: v.category,
                        words: v.words,
                        is_goal: v.is_goal,
                        color: v.color,
                        material: v.material,
                        pixels: v.pixels,
                        bbox,
                        room,
                    })
                })
                .collect();
            for o in objects.iter().filter(|o| o.pixels >= MIN_CROP_PIXELS) {
                let rect = crop_rect(o.bbox, w, h);
                let file = format!("crops/{id:06}_{:03}.png", o.instance);
                let img = RgbImage::from_fn(rect[2] - rect[0], rect[3] - rect[1], |x, y| {
                    let i = ((rect[1] + y) * w + rect[0] + x) as usize * 3;
                    image::Rgb([frame.rgb[i], frame.rgb[i + 1], frame.rgb[i + 2]])
                });
                let path = out.join(&file);
                img.save(&path).map_err(image_err(&path))?;
                let rec = CropRecord {
                    file,
                    frame: id,
                    instance: o.instance,
                    category: &o.category,
                    words: &o.words,
                    is_goal: o.is_goal,
                    color: &o.color,
                    material: &o.material,
                    rect,
                    captions: match &o.room {
                        Some(room) => captions_in_room(&o.words, &o.color, &o.material, room),
                        None => captions(&o.words, &o.color, &o.material),
                    },
                    room: o.room.as_deref(),
                };
                write_json_line(&mut crops_index, &rec, out, "crops.jsonl")?;
                summary.crops += 1;
            }
            let rec = FrameRecord {
                id,
                frame: format!("frames/{id:06}.png"),
                classes: format!("classes/{id:06}.png"),
                instances: format!("instances/{id:06}.png"),
                scene: world.house.scene_name(),
                source,
                pose,
                objects,
                room: camera_room,
                captions: camera_room.map(room_captions),
                contents: room_index.map(|r| room_contents(&world.house, r)),
            };
            write_json_line(&mut index, &rec, out, "index.jsonl")?;
            summary.frames += 1;
        }
        tracing::debug!(house = seed - 1, frames = summary.frames, "house rendered");
    }
    for (mut f, name) in [(index, "index.jsonl"), (crops_index, "crops.jsonl")] {
        f.flush()
            .map_err(io_err(format!("writing {}", out.join(name).display())))?;
    }
    let meta = Meta {
        format_version: 1,
        split: opts.split.name(),
        size: opts.size,
        frames: summary.frames,
        crops: summary.crops,
        houses: summary.houses,
        frames_per_house: opts.frames_per_house,
        classes: semantic_classes(),
        hfov_deg: cfg.hfov_deg,
        camera_height: cfg.camera_height,
        world_version: v2.then_some(2),
    };
    let path = out.join("dataset.json");
    let text = serde_json::to_string_pretty(&meta)
        .map_err(|e| Error::Episodes(format!("encoding dataset.json: {e}")))?;
    fs::write(&path, text + "\n").map_err(io_err(format!("writing {}", path.display())))?;
    Ok(summary)
}

fn write_json_line<T: Serialize>(
    f: &mut BufWriter<File>,
    rec: &T,
    out: &Path,
    name: &str,
) -> Result<(), Error> {
    let line =
        serde_json::to_string(rec).map_err(|e| Error::Episodes(format!("encoding {name}: {e}")))?;
    writeln!(f, "{line}").map_err(io_err(format!("writing {}", out.join(name).display())))
}

/// Writes frame `id`'s RGB, class and instance PNGs (buffers reused).
fn write_frame(
    out: &Path,
    id: usize,
    frame: &Frame,
    classes: &mut [u8],
    instances: &mut [u16],
) -> Result<(), Error> {
    let (w, h) = (frame.width, frame.height);
    if let Some(sem) = frame.semantic.as_ref() {
        for ((c, i), &v) in classes.iter_mut().zip(instances.iter_mut()).zip(sem) {
            let (class, inst) = split_semantic(v);
            *c = class.min(255) as u8;
            *i = inst.min(u16::MAX as u32) as u16;
        }
    }
    let path = out.join(format!("frames/{id:06}.png"));
    RgbImage::from_raw(w, h, frame.rgb.clone())
        .ok_or_else(|| {
            Error::Episodes(format!(
                "frame {id}: rgb has {} bytes for {w}x{h}",
                frame.rgb.len()
            ))
        })?
        .save(&path)
        .map_err(image_err(&path))?;
    let path = out.join(format!("classes/{id:06}.png"));
    GrayImage::from_raw(w, h, classes.to_vec())
        .ok_or_else(|| Error::Episodes(format!("frame {id}: class mask size mismatch")))?
        .save(&path)
        .map_err(image_err(&path))?;
    let path = out.join(format!("instances/{id:06}.png"));
    ImageBuffer::<Luma<u16>, Vec<u16>>::from_raw(w, h, instances.to_vec())
        .ok_or_else(|| Error::Episodes(format!("frame {id}: instance mask size mismatch")))?
        .save(&path)
        .map_err(image_err(&path))?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn captions_use_the_right_article() {
        assert_eq!(
            captions("apple", "orange", "speckled"),
            vec![
                "an orange apple",
                "a speckled apple",
                "an orange speckled apple",
                "a photo of an apple."
            ]
        );
        assert_eq!(captions("mug", "red", "striped")[0], "a red mug");
    }

    #[test]
    fn crop_rect_is_square_grown_and_inside() {
        // box 20x10 at (100, 100): side round(20 * 1.5) = 30, centred on (110, 105).
        assert_eq!(
            crop_rect([100, 100, 120, 110], 224, 224),
            [95, 90, 125, 120]
        );
        // tiny box: side MIN_CROP_SIDE; near the corner: shifted inside.
        assert_eq!(crop_rect([0, 0, 2, 2], 224, 224), [0, 0, 24, 24]);
        assert_eq!(
            crop_rect([220, 220, 224, 224], 224, 224),
            [200, 200, 224, 224]
        );
        // huge box: at most the frame.
        assert_eq!(crop_rect([0, 0, 224, 200], 224, 224), [0, 0, 224, 224]);
    }

    #[test]
    fn dataset_is_deterministic_and_consistent() {
        let cfg = SimConfig::default();
        let opts = DatasetOptions {
            split: Split::Train,
            count: 12,
            size: 64,
            frames_per_house: 8,
        };
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let sa = write_dataset(&opts, &cfg, a.path()).unwrap();
        let sb = write_dataset(&opts, &cfg, b.path()).unwrap();
        assert_eq!(sa, sb);
        assert_eq!(sa.frames, 12);
        assert_eq!(sa.houses, 2);
        let ia = fs::read_to_string(a.path().join("index.jsonl")).unwrap();
        assert_eq!(
            ia,
            fs::read_to_string(b.path().join("index.jsonl")).unwrap()
        );
        assert_eq!(ia.lines().count(), 12);
        assert_eq!(
            fs::read(a.path().join("frames/000011.png")).unwrap(),
            fs::read(b.path().join("frames/000011.png")).unwrap()
        );
        // The masks agree with the index: every listed object's pixels carry its instance
        // and class, and the pixel counts match.
        let mut seen_objects = 0;
        for line in ia.lines() {
            let rec: serde_json::Value = serde_json::from_str(line).unwrap();
            let inst = image::open(a.path().join(rec["instances"].as_str().unwrap()))
                .unwrap()
                .into_luma16();
            let cls = image::open(a.path().join(rec["classes"].as_str().unwrap()))
                .unwrap()
                .into_luma8();
            assert_eq!(inst.dimensions(), (64, 64));
            for o in rec["objects"].as_array().unwrap() {
                seen_objects += 1;
                let id = o["instance"].as_u64().unwrap() as u16;
                let class = o["class"].as_u64().unwrap() as u8;
                let pixels: Vec<usize> = (0..64 * 64).filter(|&i| inst.as_raw()[i] == id).collect();
                assert_eq!(pixels.len() as u64, o["pixels"].as_u64().unwrap());
                assert!(pixels.iter().all(|&i| cls.as_raw()[i] == class));
            }
        }
        assert!(seen_objects > 0, "no object visible in 12 frames");
        let crops = fs::read_to_string(a.path().join("crops.jsonl")).unwrap();
        assert_eq!(crops.lines().count(), sa.crops);
        for line in crops.lines() {
            let rec: serde_json::Value = serde_json::from_str(line).unwrap();
            let img = image::open(a.path().join(rec["file"].as_str().unwrap())).unwrap();
            assert_eq!(img.width(), img.height());
            assert_eq!(rec["captions"].as_array().unwrap().len(), 4);
        }
    }

    #[test]
    fn zero_frames_is_an_error() {
        let opts = DatasetOptions {
            split: Split::Train,
            count: 0,
            size: 64,
            frames_per_house: 8,
        };
        let dir = tempfile::tempdir().unwrap();
        let e = write_dataset(&opts, &SimConfig::default(), dir.path()).unwrap_err();
        assert!(e.to_string().contains("at least one frame"), "{e}");
    }
}
