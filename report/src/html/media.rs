//! The pictures a report links per episode, copied into it so that it stands
//! alone: the top-down map (`RUN/viz/<episode>.png`, scaled down and written
//! as a palette PNG when it has at most 256 colours) and the replay
//! (`RUN/replay/<episode>.gif` as written by `cow replay --gif --out
//! RUN/replay`, or else its frames folder `RUN/replay/<episode>/`).

use std::collections::HashMap;
use std::fs;
use std::path::Path;

use image::imageops::FilterType;
use image::RgbImage;

use crate::Error;

/// A copied picture: its link relative to the report and its size in bytes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Copied {
    /// Link from `index.html`.
    pub href: String,
    /// Bytes written.
    pub bytes: u64,
}

/// What an episode's replay is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReplayKind {
    /// An animated GIF.
    Gif,
    /// A folder of PNG frames (the link opens the first).
    Frames,
}

/// Copies `RUN/viz/<name>.png` to `OUT/<sub>/<name>.png`, scaled so that its
/// longer side is at most `max_side`; `None` when the run has no map for it.
pub(crate) fn copy_map(
    run: &Path,
    name: &str,
    out: &Path,
    sub: &str,
    max_side: u32,
) -> Result<Option<Copied>, Error> {
    let src = run.join("viz").join(format!("{name}.png"));
    if !src.is_file() {
        return Ok(None);
    }
    let img = image::open(&src)
        .map_err(|e| Error::Image {
            context: format!("reading {}", src.display()),
            message: e.to_string(),
        })?
        .to_rgb8();
    let img = scale(&img, max_side);
    let href = format!("{sub}/{name}.png");
    let dst = out.join(&href);
    let bytes = encode(&img).map_err(|message| Error::Image {
        context: format!("encoding {}", dst.display()),
        message,
    })?;
    write(&dst, &bytes)?;
    Ok(Some(Copied {
        href,
        bytes: bytes.len() as u64,
    }))
}

/// `img` scaled (nearest neighbour, which keeps a map's colours exact) so
/// that its longer side is at most `max_side`; never enlarged.
pub(crate) fn scale(img: &RgbImage, max_side: u32) -> RgbImage {
    let (w, h) = img.dimensions();
    let side = w.max(h);
    if side <= max_side || max_side == 0 {
        return img.clone();
    }
    let f = f64::from(max_side) / f64::from(side);
    let (nw, nh) = (
        ((f64::from(w) * f).round() as u32).max(1),
        ((f64::from(h) * f).round() as u32).max(1),
    );
    image::imageops::resize(img, nw, nh, FilterType::Nearest)
}

/// PNG bytes of `img`: 8-bit palette when it has at most 256 colours (maps
/// have about ten), else RGB; maximum compression.
pub(crate) fn encode(img: &RgbImage) -> Result<Vec<u8>, String> {
    let mut palette: Vec<[u8; 3]> = Vec::new();
    let mut index: HashMap<[u8; 3], u8> = HashMap::new();
    let mut indices = Vec::with_capacity((img.width() * img.height()) as usize);
    for p in img.pixels() {
        let i = match index.get(&p.0) {
            Some(i) => *i,
            None if palette.len() < 256 => {
                let i = palette.len() as u8;
                index.insert(p.0, i);
                palette.push(p.0);
                i
            }
            None => return encode_rgb(img),
        };
        indices.push(i);
    }
    let mut out = Vec::new();
    {
        let mut e = png::Encoder::new(&mut out, img.width(), img.height());
        e.set_color(png::ColorType::Indexed);
        e.set_depth(png::BitDepth::Eight);
        e.set_palette(palette.concat());
        e.set_compression(png::Compression::High);
        let mut w = e.write_header().map_err(|e| e.to_string())?;
        w.write_image_data(&indices).map_err(|e| e.to_string())?;
        w.finish().map_err(|e| e.to_string())?;
    }
    Ok(out)
}

/// RGB PNG bytes of `img`.
fn encode_rgb(img: &RgbImage) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    {
        let mut e = png::Encoder::new(&mut out, img.width(), img.height());
        e.set_color(png::ColorType::Rgb);
        e.set_depth(png::BitDepth::Eight);
        e.set_compression(png::Compression::High);
        let mut w = e.write_header().map_err(|e| e.to_string())?;
        w.write_image_data(img.as_raw())
            .map_err(|e| e.to_string())?;
        w.finish().map_err(|e| e.to_string())?;
    }
    Ok(out)
}

/// Copies the replay of episode `name` of the run in `run` into `OUT/<sub>/`:
/// the GIF when there is one, else the frames folder; `None` without either.
pub(crate) fn copy_replay(
    run: &Path,
    name: &str,
    out: &Path,
    sub: &str,
) -> Result<Option<(Copied, ReplayKind)>, Error> {
    let gif = run.join("replay").join(format!("{name}.gif"));
    if gif.is_file() {
        let href = format!("{sub}/{name}.gif");
        let bytes = copy(&gif, &out.join(&href))?;
        return Ok(Some((Copied { href, bytes }, ReplayKind::Gif)));
    }
    let frames = run.join("replay").join(name);
    if !frames.is_dir() {
        return Ok(None);
    }
    let listing = |e| Error::io(format!("listing {}", frames.display()), e);
    let mut files: Vec<_> = fs::read_dir(&frames)
        .map_err(listing)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(listing)?
        .into_iter()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    let first = files
        .iter()
        .find(|p| p.extension().is_some_and(|e| e == "png"))
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned());
    let Some(first) = first else {
        return Ok(None);
    };
    let mut bytes = 0;
    for f in &files {
        if let Some(n) = f.file_name() {
            bytes += copy(f, &out.join(sub).join(name).join(n))?;
        }
    }
    Ok(Some((
        Copied {
            href: format!("{sub}/{name}/{first}"),
            bytes,
        },
        ReplayKind::Frames,
    )))
}

/// Copies a file, creating the target's folder; returns its size.
fn copy(src: &Path, dst: &Path) -> Result<u64, Error> {
    if let Some(dir) = dst.parent() {
        fs::create_dir_all(dir).map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
    }
    fs::copy(src, dst)
        .map_err(|e| Error::io(format!("copying {} to {}", src.display(), dst.display()), e))
}

/// Writes bytes, creating the target's folder.
fn write(dst: &Path, bytes: &[u8]) -> Result<(), Error> {
    if let Some(dir) = dst.parent() {
        fs::create_dir_all(dir).map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
    }
    fs::write(dst, bytes).map_err(|e| Error::io(format!("writing {}", dst.display()), e))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn maps_shrink_to_the_longest_side_and_keep_their_colours() {
        let mut img = RgbImage::from_pixel(400, 300, image::Rgb([255, 255, 255]));
        for x in 0..200 {
            for y in 0..300 {
                img.put_pixel(x, y, image::Rgb([0, 0, 0]));
            }
        }
        let small = scale(&img, 200);
        assert_eq!(small.dimensions(), (200, 150));
        let bytes = encode(&small).unwrap();
        let back = image::load_from_memory(&bytes).unwrap().to_rgb8();
        assert_eq!(back, small);
        // Only two colours: black left, white right.
        assert_eq!(back.get_pixel(10, 10).0, [0, 0, 0]);
        assert_eq!(back.get_pixel(190, 10).0, [255, 255, 255]);
        // A small picture is not enlarged.
        assert_eq!(scale(&small, 400).dimensions(), (200, 150));
    }

    #[test]
    fn pictures_with_many_colours_stay_rgb() {
        let img = RgbImage::from_fn(32, 32, |x, y| image::Rgb([(x * 8) as u8, (y * 8) as u8, 0]));
        let bytes = encode(&img).unwrap();
        assert_eq!(image::load_from_memory(&bytes).unwrap().to_rgb8(), img);
    }
}
