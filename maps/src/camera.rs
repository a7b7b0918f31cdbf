//! Pinhole camera and the agent-pose to camera-pose transform.
//!
//! Frames: camera optical frame x right, y down, z forward; world frame
//! REP-103 x forward, y left, z up.

use nalgebra::{Isometry3, Point3, Rotation3, Translation3, UnitQuaternion, Vector3};

use crate::error::Error;

/// A pinhole depth camera. Pixel `(u, v)` (u right, v down) with depth `d`
/// (metres along the optical axis) is the optical-frame point
/// `((u + 0.5 - cx) d / fx, (v + 0.5 - cy) d / fy, d)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PinholeCamera {
    /// Image width, pixels.
    pub width: u32,
    /// Image height, pixels.
    pub height: u32,
    /// Focal length along x, pixels.
    pub fx: f32,
    /// Focal length along y, pixels.
    pub fy: f32,
    /// Principal point x, pixels.
    pub cx: f32,
    /// Principal point y, pixels.
    pub cy: f32,
}

impl PinholeCamera {
    /// A camera from its intrinsics; errors on a zero size or a non-positive focal length.
    pub fn new(width: u32, height: u32, fx: f32, fy: f32, cx: f32, cy: f32) -> Result<Self, Error> {
        let cam = PinholeCamera {
            width,
            height,
            fx,
            fy,
            cx,
            cy,
        };
        cam.validate()?;
        Ok(cam)
    }

    /// A square-pixel camera with centred principal point and the given
    /// horizontal field of view (degrees); CoW uses 90.
    pub fn from_hfov(width: u32, height: u32, hfov_deg: f32) -> Result<Self, Error> {
        if !(hfov_deg > 0.0 && hfov_deg < 180.0) {
            return Err(Error::InvalidParameter {
                what: "hfov_deg",
                value: hfov_deg,
                why: "must be in (0, 180) degrees",
            });
        }
        let fx = width as f32 / 2.0 / (hfov_deg.to_radians() / 2.0).tan();
        Self::new(
            width,
            height,
            fx,
            fx,
            width as f32 / 2.0,
            height as f32 / 2.0,
        )
    }

    /// Checks the intrinsics.
    pub fn validate(&self) -> Result<(), Error> {
        if self.width == 0 || self.height == 0 {
            return Err(Error::InvalidParameter {
                what: "camera size",
                value: (self.width.min(self.height)) as f32,
                why: "width and height must be > 0",
            });
        }
        for (what, v) in [("fx", self.fx), ("fy", self.fy)] {
            if !(v.is_finite() && v > 0.0) {
                return Err(Error::InvalidParameter {
                    what,
                    value: v,
                    why: "focal length must be finite and > 0",
                });
            }
        }
        for (what, v) in [("cx", self.cx), ("cy", self.cy)] {
            if !v.is_finite() {
                return Err(Error::InvalidParameter {
                    what,
                    value: v,
                    why: "principal point must be finite",
                });
            }
        }
        Ok(())
    }

    /// Number of pixels in a frame.
    pub fn pixels(&self) -> usize {
        self.width as usize * self.height as usize
    }

    /// The optical-frame point of pixel `(u, v)` at depth `d` metres.
    #[inline]
    pub fn back_project(&self, u: u32, v: u32, d: f32) -> Point3<f32> {
        Point3::new(
            (u as f32 + 0.5 - self.cx) * d / self.fx,
            (v as f32 + 0.5 - self.cy) * d / self.fy,
            d,
        )
    }
}

/// Rotation taking optical-frame vectors (x right, y down, z forward) to the
/// agent body frame (x forward, y left, z up): body x = optical z,
/// body y = -optical x, body z = -optical y.
pub fn body_from_optical() -> Rotation3<f32> {
    Rotation3::from_matrix_unchecked(nalgebra::Matrix3::new(
        0.0, 0.0, 1.0, //
        -1.0, 0.0, 0.0, //
        0.0, -1.0, 0.0,
    ))
}

/// The world-frame pose of the camera optical frame for an agent at world
/// `(x, y)` (metres, REP-103) with heading `yaw` (radians, counter-clockwise
/// from +x) and a level camera `camera_height` metres above the floor
/// (z = 0), looking along the heading.
pub fn world_from_camera(x: f32, y: f32, yaw: f32, camera_height: f32) -> Isometry3<f32> {
    let world_from_body = UnitQuaternion::from_axis_angle(&Vector3::z_axis(), yaw);
    let rot = world_from_body * UnitQuaternion::from_rotation_matrix(&body_from_optical());
    Isometry3::from_parts(Translation3::new(x, y, camera_height), rot)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn close(a: Point3<f32>, b: Point3<f32>) -> bool {
        let ok = (a - b).norm() < 1e-5;
        if !ok {
            eprintln!("{a:?} != {b:?}");
        }
        ok
    }

    #[test]
    fn hfov_90_focal_is_half_width() {
        let c = PinholeCamera::from_hfov(224, 224, 90.0).unwrap();
        assert!((c.fx - 112.0).abs() < 1e-3);
        assert_eq!(c.cx, 112.0);
        assert!(PinholeCamera::from_hfov(0, 224, 90.0).is_err());
        assert!(PinholeCamera::new(4, 4, -1.0, 1.0, 2.0, 2.0).is_err());
    }

    #[test]
    fn optical_axes_map_to_world() {
        // Agent at (1, 2) facing +y (yaw 90 deg), camera 0.8 m up.
        let t = world_from_camera(1.0, 2.0, std::f32::consts::FRAC_PI_2, 0.8);
        // Optical +z (forward) 1 m -> world +y 1 m.
        assert!(close(
            t * Point3::new(0.0, 0.0, 1.0),
            Point3::new(1.0, 3.0, 0.8)
        ));
        // Optical +x (right) -> facing +y (seen from above, x to the
        // right of the page, y up), the right-hand side is +x.
        assert!(close(
            t * Point3::new(1.0, 0.0, 0.0),
            Point3::new(2.0, 2.0, 0.8)
        ));
        // Optical +y (down) -> world -z.
        assert!(close(
            t * Point3::new(0.0, 1.0, 0.0),
            Point3::new(1.0, 2.0, -0.2)
        ));
    }
}
