//! Finding and loading the ONNX Runtime shared library (`load-dynamic`).
//!
//! Search order:
//! 1. the config field `runtime.onnxruntime`;
//! 2. the `ORT_DYLIB_PATH` environment variable;
//! 3. the project's virtual environment:
//!    `.venv/lib/python3*/site-packages/onnxruntime/capi/libonnxruntime.so*`,
//!    relative to the current directory and to every ancestor of the executable.
//!
//! ONNX Runtime allows one environment per process, so the first successful
//! call fixes the library; later calls reuse it.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use ort::environment::Environment;

use crate::Error;

/// search can be tested.
#[derive(Debug, Clone, Default)]
pub struct LibrarySearch {
    /// Path from the config, tried first.
    pub explicit: Option<PathBuf>,
    /// Value of `ORT_DYLIB_PATH`, tried second.
    pub env_var: Option<PathBuf>,
    /// Folders whose `.venv` is searched, in order.
    pub roots: Vec<PathBuf>,
}

impl LibrarySearch {
    /// The search the binary does: config path, `ORT_DYLIB_PATH`, then `.venv`
    /// under the current directory and under each ancestor of the executable.
    pub fn from_process(explicit: Option<&Path>) -> LibrarySearch {
        let env_var = std::env::var_os("ORT_DYLIB_PATH")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        let mut roots = Vec::new();
        if let Ok(cwd) = std::env::current_dir() {
            roots.push(cwd);
        }
        if let Ok(exe) = std::env::current_exe() {
            roots.extend(exe.ancestors().skip(1).map(Path::to_path_buf));
        }
        roots.dedup();
        LibrarySearch {
            explicit: explicit.map(Path::to_path_buf),
            env_var,
            roots,
        }
    }

    /// The library file, or [`Error::OnnxRuntimeMissing`] naming every place looked at.
    pub fn locate(&self) -> Result<PathBuf, Error> {
        let mut looked_at = Vec::new();
        for (what, path) in [
            ("config field `onnxruntime`", &self.explicit),
            ("ORT_DYLIB_PATH", &self.env_var),
        ] {
            if let Some(p) = path {
                if p.is_file() {
                    return Ok(p.clone());
                }
                return Err(Error::OnnxRuntimeMissing {
                    reason: format!("{what} names {} which is not a file", p.display()),
                    looked_at: p.display().to_string(),
                });
            }
        }
        for root in &self.roots {
            let lib = root.join(".venv/lib");
            looked_at.push(format!(
                "{}/python3*/site-packages/onnxruntime/capi/libonnxruntime.so*",
                lib.display()
            ));
            if let Some(found) = venv_library(&lib) {
                return Ok(found);
            }
        }
        Err(Error::OnnxRuntimeMissing {
            reason: "no config path, no ORT_DYLIB_PATH, and no .venv with the onnxruntime wheel"
                .to_string(),
            looked_at: looked_at.join(", "),
        })
    }
}

/// `lib/python3*/site-packages/onnxruntime/capi/libonnxruntime.so*` under a
/// venv's `lib` folder (the highest-sorting match, so `.so.1.31.1` wins over a bare `.so` link).
fn venv_library(lib: &Path) -> Option<PathBuf> {
    let mut pythons: Vec<PathBuf> = std::fs::read_dir(lib)
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("python3"))
        })
        .collect();
    pythons.sort();
    for py in pythons.iter().rev() {
        let capi = py.join("site-packages/onnxruntime/capi");
        let Ok(entries) = std::fs::read_dir(&capi) else {
            continue;
        };
        let mut libs: Vec<PathBuf> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| {
                p.is_file()
                    && p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("libonnxruntime.so"))
            })
            .collect();
        libs.sort();
        if let Some(found) = libs.pop() {
            return Some(found);
        }
    }
    None
}

/// The process-wide environment and the library it was loaded from.
struct Runtime {
    env: Environment,
    library: PathBuf,
}

static RUNTIME: OnceLock<Runtime> = OnceLock::new();
static INIT_LOCK: Mutex<()> = Mutex::new(());

/// The ONNX Runtime environment, loading the library on first use (see the
/// module docs for the search order). Returns the library path in use.
pub fn environment(
    explicit: Option<&Path>,
) -> Result<(&'static Environment, &'static Path), Error> {
    if let Some(rt) = RUNTIME.get() {
        return Ok(reuse(rt, explicit));
    }
    let _guard = INIT_LOCK
        .lock()
        .map_err(|_| Error::Config("ONNX Runtime initialisation panicked earlier".to_string()))?;
    if let Some(rt) = RUNTIME.get() {
        return Ok(reuse(rt, explicit));
    }
    let library = LibrarySearch::from_process(explicit).locate()?;
    let builder = ort::init_from(&library).map_err(|e| Error::OnnxRuntimeMissing {
        reason: format!("{} failed to load: {e}", library.display()),
        looked_at: library.display().to_string(),
    })?;
    let env = builder
        .with_name("cow")
        .with_telemetry(false)
        .build()
        .map_err(|e| Error::OnnxRuntimeMissing {
            reason: format!(
                "{} loaded but the environment failed: {e}",
                library.display()
            ),
            looked_at: library.display().to_string(),
        })?;
    tracing::info!(library = %library.display(), "ONNX Runtime loaded");
    let rt = RUNTIME.get_or_init(|| Runtime { env, library });
    Ok((&rt.env, rt.library.as_path()))
}

fn reuse<'a>(rt: &'a Runtime, explicit: Option<&Path>) -> (&'a Environment, &'a Path) {
    if let Some(p) = explicit {
        if p != rt.library {
            tracing::warn!(
                requested = %p.display(),
                loaded = %rt.library.display(),
                "ONNX Runtime is already loaded from another file; keeping it"
            );
        }
    }
    (&rt.env, rt.library.as_path())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn missing_library_names_places_and_install_command() {
        let dir = tempfile::tempdir().unwrap();
        let search = LibrarySearch {
            explicit: None,
            env_var: None,
            roots: vec![dir.path().to_path_buf()],
        };
        let err = search.locate().unwrap_err();
        assert!(matches!(err, Error::OnnxRuntimeMissing { .. }));
        let msg = err.to_string();
        assert!(msg.contains("make setup"), "{msg}");
        assert!(msg.contains("pip install onnxruntime"), "{msg}");
        assert!(
            msg.contains(&dir.path().join(".venv/lib").display().to_string()),
            "{msg}"
        );
    }

    #[test]
    fn explicit_path_that_is_not_a_file_is_an_error() {
        let search = LibrarySearch {
            explicit: Some(PathBuf::from("/nonexistent/libonnxruntime.so")),
            env_var: None,
            roots: vec![],
        };
        let msg = search.locate().unwrap_err().to_string();
        assert!(msg.contains("/nonexistent/libonnxruntime.so"), "{msg}");
        assert!(msg.contains("config field"), "{msg}");
    }

    #[test]
    fn venv_layout_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let capi = dir
            .path()
            .join(".venv/lib/python3.11/site-packages/onnxruntime/capi");
        std::fs::create_dir_all(&capi).unwrap();
        std::fs::write(capi.join("libonnxruntime.so.1.31.1"), b"x").unwrap();
        std::fs::write(capi.join("libonnxruntime_providers_shared.so"), b"x").unwrap();
        let search = LibrarySearch {
            explicit: None,
            env_var: None,
            roots: vec![PathBuf::from("/nonexistent"), dir.path().to_path_buf()],
        };
        assert_eq!(
            search.locate().unwrap(),
            capi.join("libonnxruntime.so.1.31.1")
        );
    }
}
