//! Encoding charts: PNG (drawn by plotters' bitmap backend into a buffer
//! with the shipped font, encoded by `image`) and SVG (text as `<text>` in
//! `sans-serif`), and writing a set of figures into a folder.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use plotters::prelude::{BitMapBackend, IntoDrawingArea, SVGBackend};

use super::{Chart, Figure, HEIGHT, WIDTH};
use crate::{font, Error};

/// The chart as a PNG file of [`WIDTH`] × [`HEIGHT`] pixels.
pub fn png(chart: &Chart, name: &str) -> Result<Vec<u8>, Error> {
    encode_png(&rgb(chart, name)?, name)
}

/// The chart drawn into an RGB image of [`WIDTH`] × [`HEIGHT`] pixels.
pub fn rgb(chart: &Chart, name: &str) -> Result<image::RgbImage, Error> {
    font::register()?;
    let draw_error = |e: &dyn std::fmt::Display| Error::Draw {
        figure: name.to_string(),
        message: e.to_string(),
    };
    let mut buffer = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buffer, (WIDTH, HEIGHT)).into_drawing_area();
        chart.draw(&root).map_err(|e| draw_error(&e))?;
        root.present().map_err(|e| draw_error(&e))?;
    }
    image::RgbImage::from_raw(WIDTH, HEIGHT, buffer).ok_or_else(|| Error::Image {
        context: format!("drawing {name}"),
        message: "buffer of the wrong size".into(),
    })
}

/// An RGB image as PNG bytes.
fn encode_png(img: &image::RgbImage, name: &str) -> Result<Vec<u8>, Error> {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .map_err(|e| Error::Image {
            context: format!("encoding {name}.png"),
            message: e.to_string(),
        })?;
    Ok(out.into_inner())
}

/// The chart as an SVG document of [`WIDTH`] × [`HEIGHT`].
pub fn svg(chart: &Chart, name: &str) -> Result<String, Error> {
    font::register()?;
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, (WIDTH, HEIGHT)).into_drawing_area();
        let draw_error = |e: &dyn std::fmt::Display| Error::Draw {
            figure: name.to_string(),
            message: e.to_string(),
        };
        chart.draw(&root).map_err(|e| draw_error(&e))?;
        root.present().map_err(|e| draw_error(&e))?;
    }
    Ok(text)
}

/// The files written for one figure.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    /// The figure's name.
    pub name: String,
    /// Its caption.
    pub caption: String,
    /// `DIR/NAME.png`.
    pub png: PathBuf,
    /// `DIR/NAME.svg`.
    pub svg: PathBuf,
}

/// Writes every figure as `DIR/NAME.png` and `DIR/NAME.svg` (creating DIR).
pub fn write_all(figures: &[Figure], dir: &Path) -> Result<Vec<Written>, Error> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
    figures
        .iter()
        .map(|f| {
            let png_path = dir.join(format!("{}.png", f.name));
            let svg_path = dir.join(format!("{}.svg", f.name));
            let write = |path: &Path, bytes: &[u8]| {
                std::fs::write(path, bytes)
                    .map_err(|e| Error::io(format!("writing {}", path.display()), e))
            };
            write(&png_path, &png(&f.chart, &f.name)?)?;
            write(&svg_path, svg(&f.chart, &f.name)?.as_bytes())?;
            Ok(Written {
                name: f.name.clone(),
                caption: f.caption.clone(),
                png: png_path,
                svg: svg_path,
            })
        })
        .collect()
}
