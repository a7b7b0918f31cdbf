//! cow's own episode files: a JSON list of [`Episode`]s in the world frame
//! (the embedded world's format, modelled on the RoboTHOR challenge
//! records; README "Episode files").

use std::path::Path;

use sim_bridge::Episode;

use crate::{check_episodes, gz, Error, MAX_COORDINATE};

/// Reads a cow episode file (plain or gzip JSON), checking every value.
pub fn read(path: &Path) -> Result<Vec<Episode>, Error> {
    let raw = std::fs::read(path).map_err(|e| Error::io("reading", path, e))?;
    parse(path, raw)
}

/// Parses the bytes `raw` of a cow episode file (plain or gzip JSON) read
/// from `source`, checking every value as [`read`] does; errors name `source`.
pub fn parse(source: &Path, raw: Vec<u8>) -> Result<Vec<Episode>, Error> {
    let episodes: Vec<Episode> = gz::parse_as(source, &gz::decode(source, raw)?)?;
    check_episodes(source, &episodes, MAX_COORDINATE)?;
    Ok(episodes)
}

/// Writes a cow episode file atomically (pretty-printed JSON).
pub fn write(path: &Path, episodes: &[Episode]) -> Result<(), Error> {
    gz::write(path, episodes, false)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use sim_bridge::Position;

    fn episode(id: &str, x: f32) -> Episode {
        Episode {
            id: id.into(),
            scene: "house_1".into(),
            object_type: "Mug".into(),
            goal: "mug".into(),
            initial_position: Position { x, y: 0.5, z: 0.0 },
            initial_orientation: 90.0,
            shortest_path_length: 3.0,
            rooms: 3,
            extra: Default::default(),
        }
    }

    #[test]
    fn round_trip_and_checked_values() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("val.json");
        let eps = vec![episode("a", 1.0), episode("b", 2.0)];
        write(&path, &eps).unwrap();
        assert_eq!(read(&path).unwrap(), eps);
        write(&path, &eps[..1]).unwrap();
        assert_eq!(read(&path).unwrap(), eps[..1].to_vec());

        write(&path, &[episode("a", 1e9)]).unwrap();
        let err = read(&path).unwrap_err().to_string();
        assert!(
            err.contains("initial_position.x is 1000000000 m, beyond the 10000 m"),
            "{err}"
        );
        write(&path, &[episode("a", 1.0), episode("a", 2.0)]).unwrap();
        assert!(read(&path)
            .unwrap_err()
            .to_string()
            .contains("\"a\" appears twice"));
        std::fs::write(&path, b"{not json").unwrap();
        let err = read(&path).unwrap_err().to_string();
        assert!(err.contains("val.json"), "{err}");
    }

    #[test]
    fn bytes_parse_as_the_file_reads_plain_or_gzip() {
        let dir = tempfile::tempdir().unwrap();
        let eps = vec![episode("a", 1.0)];
        for (name, gzip) in [("val.json", false), ("val.json.gz", true)] {
            let path = dir.path().join(name);
            gz::write(&path, &eps, gzip).unwrap();
            let raw = std::fs::read(&path).unwrap();
            assert_eq!(parse(&path, raw).unwrap(), eps, "{name}");
        }
        let err = parse(Path::new("in.json"), vec![0x1f, 0x8b, 0]).unwrap_err();
        assert!(
            err.to_string().starts_with("in.json: not a valid gzip"),
            "{err}"
        );
    }
}
