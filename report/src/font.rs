//! The font of the PNG pictures: DejaVu Sans (Latin-1 subset, see
//! `report/fonts/`), compiled in and registered with plotters once, so that
//! no system font is needed.

use std::sync::OnceLock;

use plotters::style::{register_font, FontStyle};

use crate::Error;

/// The font file, as shipped.
static FONT: &[u8] = include_bytes!("../fonts/DejaVuSans-Latin1.ttf");

/// Whether registration worked (it runs once per process).
static REGISTERED: OnceLock<bool> = OnceLock::new();

/// Registers the shipped font as plotters' `sans-serif` (every style falls
/// back to it). Call before drawing; later calls cost nothing.
pub(crate) fn register() -> Result<(), Error> {
    let ok =
        *REGISTERED.get_or_init(|| register_font("sans-serif", FontStyle::Normal, FONT).is_ok());
    if ok {
        Ok(())
    } else {
        Err(Error::Font)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_shipped_font_registers() {
        assert!(super::register().is_ok());
    }
}
