//! Observation replies: a header with the episode state and a `"parts"`
//! list, followed by the RGB, depth and (optional) semantic parts.
//!
//! Encoding borrows the frame buffers (no copy on little-endian hosts);
//! decoding writes straight from the message bytes into the caller's
//! [`Observation`], reusing its buffers, and validates everything.

use std::borrow::Cow;
use std::ops::Deref;

use serde::{Deserialize, Serialize};

use super::header::{write_header, Header};
use super::parts::{
    check_depth, copy_f32le, copy_u32le, copy_u8, f32le_bytes, u32le_bytes, Dtype, PartSpec,
};
use crate::types::{Action, Observation, Pose};
use crate::Error;

/// The wire `"type"` of an observation reply.
pub const KIND: &str = "observation";

/// Header fields of an observation (besides `v`, `type`, `id`).
#[derive(Serialize, Deserialize)]
struct ObservationHeader<'a> {
    #[serde(borrow)]
    episode_id: Cow<'a, str>,
    step: u32,
    #[serde(borrow)]
    goal: Cow<'a, str>,
    #[serde(borrow)]
    goal_category: Cow<'a, str>,
    #[serde(default)]
    pose: Option<Pose>,
    #[serde(default, borrow)]
    last_action: Option<Cow<'a, str>>,
    last_action_success: bool,
    done: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    stamp: Option<f64>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    reset_map: bool,
    width: u32,
    height: u32,
    parts: Vec<PartSpec>,
}

/// The binary parts of an encoded observation, in wire order, borrowing the
/// observation's buffers where the host byte order allows.
#[derive(Debug)]
pub struct ObservationParts<'a> {
    /// RGB bytes, `H * W * 3`.
    pub rgb: &'a [u8],
    /// Depth, `H * W` little-endian `f32`.
    pub depth: Cow<'a, [u8]>,
    /// Semantic, `H * W` little-endian `u32`, when the frame has one.
    pub semantic: Option<Cow<'a, [u8]>>,
}

impl ObservationParts<'_> {
    /// The parts as byte slices, in wire order (after the header).
    pub fn slices(&self) -> impl Iterator<Item = &[u8]> {
        [Some(self.rgb), Some(&*self.depth), self.semantic.as_deref()]
            .into_iter()
            .flatten()
    }
}

/// The `"parts"` list of a `height x width` frame.
fn part_specs(height: usize, width: usize, semantic: bool) -> Vec<PartSpec> {
    let mut specs = vec![
        PartSpec::new("rgb", Dtype::U8, &[height, width, 3]),
        PartSpec::new("depth", Dtype::F32Le, &[height, width]),
    ];
    if semantic {
        specs.push(PartSpec::new("semantic", Dtype::U32Le, &[height, width]));
    }
    specs
}

/// Encodes an observation reply to request `id` (`null` on the wire if `None`): writes the header into
/// `header` (cleared first) and returns the binary parts.
///
/// [`Error::Malformed`] if the frame buffers do not match its size or the
/// pose is not finite. Depth values are not checked here: the receiver
/// validates them.
pub fn encode_observation<'a>(
    id: Option<u64>,
    obs: &'a Observation,
    header: &mut Vec<u8>,
) -> Result<ObservationParts<'a>, Error> {
    let frame = &obs.frame;
    let (h, w) = (frame.height as usize, frame.width as usize);
    let n = frame.pixels();
    let check = |name: &str, got: usize, want: usize| {
        if got == want {
            Ok(())
        } else {
            Err(Error::Malformed(format!(
                "observation {name} has {got} values, expected {want} for {w}x{h}"
            )))
        }
    };
    check("rgb", frame.rgb.len(), n * 3)?;
    check("depth", frame.depth.len(), n)?;
    if let Some(sem) = &frame.semantic {
        check("semantic", sem.len(), n)?;
    }
    if let Some(p) = &obs.pose {
        check_pose(p)?;
    }
    check_stamp(obs.stamp)?;
    let body = ObservationHeader {
        episode_id: Cow::Borrowed(&obs.episode_id),
        step: obs.step,
        goal: Cow::Borrowed(&obs.goal),
        goal_category: Cow::Borrowed(&obs.goal_category),
        pose: obs.pose,
        last_action: obs.last_action.map(|a| Cow::Borrowed(a.name())),
        last_action_success: obs.last_action_success,
        done: obs.done,
        stamp: obs.stamp,
        reset_map: obs.reset_map,
        width: frame.width,
        height: frame.height,
        parts: part_specs(h, w, frame.semantic.is_some()),
    };
    write_header(header, KIND, id, &body)?;
    Ok(ObservationParts {
        rgb: &frame.rgb,
        depth: f32le_bytes(&frame.depth),
        semantic: frame.semantic.as_deref().map(u32le_bytes),
    })
}

fn check_stamp(stamp: Option<f64>) -> Result<(), Error> {
    match stamp {
        Some(t) if !t.is_finite() => Err(Error::Malformed(format!("stamp {t} is not finite"))),
        _ => Ok(()),
    }
}

fn check_pose(p: &Pose) -> Result<(), Error> {
    if [p.x, p.y, p.z, p.yaw].iter().all(|v| v.is_finite()) {
        Ok(())
    } else {
        Err(Error::Malformed(format!("pose {p:?} is not finite")))
    }
}

/// Decodes an observation message (`parts[0]` is the header, already parsed
/// into `header`) into `obs`, reusing its buffers.
///
/// Errors: [`Error::Malformed`] for a header of another type, missing
/// fields, a `"parts"` list that does not describe this frame, a part count
/// or byte size mismatch, a non-finite pose or negative depth;
/// [`Error::UnknownAction`] for an unknown `last_action`;
/// [`Error::BadDepth`] for NaN or infinite depth. On error the contents of
/// `obs` are unspecified (but valid Rust values).
pub fn decode_observation_into<P: Deref<Target = [u8]>>(
    header: &Header<'_>,
    parts: &[P],
    obs: &mut Observation,
) -> Result<(), Error> {
    if header.kind != KIND {
        return Err(Error::Malformed(format!(
            "expected an observation, got a {:?} message",
            header.kind
        )));
    }
    let body: ObservationHeader<'_> = header.body()?;
    if body.width == 0 || body.height == 0 {
        return Err(Error::Malformed(format!(
            "observation frame is {}x{}, expected a non-empty frame",
            body.width, body.height
        )));
    }
    let (h, w) = (body.height as usize, body.width as usize);
    let semantic = body.parts.len() == 3;
    let expected = part_specs(h, w, semantic);
    if body.parts != expected {
        return Err(Error::Malformed(format!(
            "observation \"parts\" is {:?}, expected rgb u8 [{h}, {w}, 3], depth f32le [{h}, {w}] and optionally semantic u32le [{h}, {w}]",
            body.parts
        )));
    }
    let binary = parts.get(1..).unwrap_or_default();
    if binary.len() != expected.len() {
        return Err(Error::Malformed(format!(
            "observation header describes {} binary parts but the message has {}",
            expected.len(),
            binary.len()
        )));
    }
    for (spec, bytes) in expected.iter().zip(binary) {
        spec.check_len(bytes)?;
    }
    if let Some(p) = &body.pose {
        check_pose(p)?;
    }
    check_stamp(body.stamp)?;
    let last_action = match &body.last_action {
        None => None,
        Some(name) => {
            Some(Action::from_name(name).ok_or_else(|| Error::UnknownAction(name.to_string()))?)
        }
    };

    let frame = &mut obs.frame;
    copy_u8(&binary[0], &mut frame.rgb);
    copy_f32le(&binary[1], &mut frame.depth)?;
    check_depth(&frame.depth)?;
    if semantic {
        copy_u32le(&binary[2], frame.semantic.get_or_insert_with(Vec::new))?;
    } else {
        frame.semantic = None;
    }
    frame.width = body.width;
    frame.height = body.height;
    set_string(&mut obs.episode_id, &body.episode_id);
    set_string(&mut obs.goal, &body.goal);
    set_string(&mut obs.goal_category, &body.goal_category);
    obs.step = body.step;
    obs.pose = body.pose;
    obs.last_action = last_action;
    obs.last_action_success = body.last_action_success;
    obs.done = body.done;
    obs.stamp = body.stamp;
    obs.reset_map = body.reset_map;
    Ok(())
}

fn set_string(dst: &mut String, src: &str) {
    dst.clear();
    dst.push_str(src);
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::types::Frame;

    /// A 3x2 (W x H) observation with distinct pixel values.
    fn sample(semantic: bool) -> Observation {
        let mut frame = Frame::blank(3, 2, semantic);
        for (i, b) in frame.rgb.iter_mut().enumerate() {
            *b = i as u8 * 10;
        }
        frame.depth = vec![0.0, 0.5, 1.0, 1.5, 2.0, 9.75];
        if let Some(s) = &mut frame.semantic {
            *s = vec![0, 0x0001_0001, 0x0002_0001, 0x0002_0002, 0, 7];
        }
        Observation {
            episode_id: "ep-1".into(),
            step: 4,
            goal: "alarm clock".into(),
            goal_category: "AlarmClock".into(),
            frame,
            pose: Some(Pose {
                x: 1.25,
                y: -0.5,
                z: 0.0,
                yaw: 1.5,
            }),
            last_action: Some(Action::MoveAhead),
            last_action_success: false,
            done: false,
            stamp: Some(1_700_000_000.25),
            reset_map: true,
        }
    }

    /// Encodes `obs` and returns the owned message parts.
    fn encode(obs: &Observation) -> Vec<Vec<u8>> {
        let mut header = Vec::new();
        let parts = encode_observation(Some(9), obs, &mut header).unwrap();
        let mut msg = vec![header.clone()];
        msg.extend(parts.slices().map(<[u8]>::to_vec));
        msg
    }

    fn decode(msg: &[Vec<u8>], into: &mut Observation) -> Result<(), Error> {
        let header = Header::parse(&msg[0])?;
        decode_observation_into(&header, msg, into)
    }

    #[test]
    fn round_trips_with_and_without_semantic() {
        for semantic in [false, true] {
            let obs = sample(semantic);
            let msg = encode(&obs);
            assert_eq!(msg.len(), if semantic { 4 } else { 3 });
            let mut back = Observation::default();
            decode(&msg, &mut back).unwrap();
            assert_eq!(back, obs);
        }
    }

    #[test]
    fn decoding_reuses_the_callers_buffers() {
        let obs = sample(true);
        let msg = encode(&obs);
        let mut back = Observation::default();
        decode(&msg, &mut back).unwrap();
        let ptrs = (back.frame.rgb.as_ptr(), back.frame.depth.as_ptr());
        decode(&msg, &mut back).unwrap();
        assert_eq!(ptrs, (back.frame.rgb.as_ptr(), back.frame.depth.as_ptr()));
    }

    #[test]
    fn header_describes_the_parts() {
        let mut header = Vec::new();
        encode_observation(Some(9), &sample(false), &mut header).unwrap();
        let text = std::str::from_utf8(&header).unwrap();
        assert!(text.contains(
            r#""parts":[{"name":"rgb","dtype":"u8","shape":[2,3,3]},{"name":"depth","dtype":"f32le","shape":[2,3]}]"#
        ), "{text}");
        assert!(
            text.starts_with(r#"{"v":1,"type":"observation","id":9,"#),
            "{text}"
        );
    }

    #[test]
    fn encoding_rejects_inconsistent_frames() {
        let mut obs = sample(false);
        obs.frame.depth.pop();
        let mut header = Vec::new();
        assert!(matches!(
            encode_observation(Some(1), &obs, &mut header),
            Err(Error::Malformed(m)) if m.contains("depth has 5 values, expected 6 for 3x2")
        ));
    }

    #[test]
    fn nan_depth_is_a_bad_depth_error() {
        let mut obs = sample(false);
        obs.frame.depth[4] = f32::NAN;
        let msg = encode(&obs);
        assert!(matches!(
            decode(&msg, &mut Observation::default()),
            Err(Error::BadDepth { count: 1, first: 4 })
        ));
    }

    #[test]
    fn wrong_part_count_or_size_is_malformed() {
        let mut msg = encode(&sample(true));
        msg.pop();
        assert!(matches!(
            decode(&msg, &mut Observation::default()),
            Err(Error::Malformed(m)) if m.contains("describes 3 binary parts but the message has 2")
        ));
        let mut msg = encode(&sample(false));
        msg[2].truncate(23);
        assert!(matches!(
            decode(&msg, &mut Observation::default()),
            Err(Error::Malformed(m)) if m.contains("depth part has 23 bytes, expected 24")
        ));
    }

    #[test]
    fn header_problems_are_typed() {
        let msg = encode(&sample(false));
        let text = String::from_utf8(msg[0].clone()).unwrap();
        let with = |from: &str, to: &str| {
            let mut m = msg.clone();
            assert!(text.contains(from), "{from} not in {text}");
            m[0] = text.replace(from, to).into_bytes();
            decode(&m, &mut Observation::default())
        };
        assert!(matches!(
            with(r#""last_action":"MoveAhead""#, r#""last_action":"Fly""#),
            Err(Error::UnknownAction(a)) if a == "Fly"
        ));
        assert!(matches!(
            with(r#""dtype":"f32le""#, r#""dtype":"f64le""#),
            Err(Error::Malformed(_))
        ));
        assert!(matches!(
            with(r#""shape":[2,3]"#, r#""shape":[3,2]"#),
            Err(Error::Malformed(m)) if m.contains("expected rgb u8 [2, 3, 3]")
        ));
        assert!(matches!(
            with(r#""goal":"alarm clock","#, ""),
            Err(Error::Malformed(m)) if m.contains("missing field `goal`")
        ));
        assert!(matches!(
            with(r#""type":"observation""#, r#""type":"capabilities""#),
            Err(Error::Malformed(_))
        ));
        let mut none = Observation::default();
        with(
            r#""pose":{"x":1.25,"y":-0.5,"z":0.0,"yaw":1.5}"#,
            r#""pose":null"#,
        )
        .unwrap();
        let mut m = msg.clone();
        m[0] = text
            .replace(r#""pose":{"x":1.25,"y":-0.5,"z":0.0,"yaw":1.5},"#, "")
            .into_bytes();
        decode(&m, &mut none).unwrap();
        assert_eq!(none.pose, None);
    }
}
