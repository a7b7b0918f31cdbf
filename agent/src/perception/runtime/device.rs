//! Devices: parsing `"cpu"` / `"cuda:N"`, and deciding where sessions really
//! run when CUDA is requested (error, or CPU fallback when allowed).

use ort::ep::ExecutionProvider as _;

use crate::Error;

/// Where a session runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Device {
    /// The CPU execution provider.
    Cpu,
    /// The CUDA execution provider on the given GPU.
    Cuda(i32),
}

impl Device {
    /// Parses `"cpu"` or `"cuda:N"` (`"cuda"` means `cuda:0`).
    pub fn parse(s: &str) -> Result<Device, Error> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("cpu") {
            return Ok(Device::Cpu);
        }
        if s.eq_ignore_ascii_case("cuda") {
            return Ok(Device::Cuda(0));
        }
        if let Some(n) = s.strip_prefix("cuda:") {
            return n
                .parse::<i32>()
                .ok()
                .filter(|n| *n >= 0)
                .map(Device::Cuda)
                .ok_or_else(|| {
                    Error::Config(format!("device {s:?}: GPU index must be a number >= 0"))
                });
        }
        Err(Error::Config(format!(
            "device {s:?} is not \"cpu\" or \"cuda:N\""
        )))
    }
}

impl std::fmt::Display for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Device::Cpu => f.write_str("cpu"),
            Device::Cuda(n) => write!(f, "cuda:{n}"),
        }
    }
}

/// Whether the loaded ONNX Runtime has the CUDA execution provider.
pub fn cuda_available() -> Result<bool, Error> {
    ort::ep::CUDA::is_available()
        .map_err(|e| Error::Config(format!("querying ONNX Runtime providers: {e}")))
}

/// Decides the device a session really runs on: CUDA when requested and
/// available; when it is not, an error, or the CPU with a warning if
/// `allow_cpu_fallback`.
pub fn resolve_device(
    requested: Device,
    cuda_ok: bool,
    allow_cpu_fallback: bool,
) -> Result<Device, Error> {
    match requested {
        Device::Cpu => Ok(Device::Cpu),
        Device::Cuda(_) if cuda_ok => Ok(requested),
        Device::Cuda(_) if allow_cpu_fallback => {
            tracing::warn!(
                device = %requested,
                "CUDA execution provider unavailable in this ONNX Runtime; falling back to the CPU"
            );
            Ok(Device::Cpu)
        }
        Device::Cuda(_) => Err(Error::Config(format!(
            "device {requested} requested but this ONNX Runtime has no CUDA execution provider \
             (install the onnxruntime-gpu wheel and CUDA, or set runtime.allow_cpu_fallback = true, \
             or device = \"cpu\")"
        ))),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn device_parses() {
        assert_eq!(Device::parse("cpu").unwrap(), Device::Cpu);
        assert_eq!(Device::parse("cuda").unwrap(), Device::Cuda(0));
        assert_eq!(Device::parse("cuda:2").unwrap(), Device::Cuda(2));
        assert!(Device::parse("cuda:x").is_err());
        assert!(Device::parse("tpu")
            .unwrap_err()
            .to_string()
            .contains("tpu"));
    }

    #[test]
    fn cuda_fallback_rules() {
        let cuda = Device::Cuda(0);
        assert_eq!(resolve_device(cuda, true, false).unwrap(), cuda);
        assert_eq!(resolve_device(cuda, false, true).unwrap(), Device::Cpu);
        let err = resolve_device(cuda, false, false).unwrap_err().to_string();
        assert!(err.contains("allow_cpu_fallback"), "{err}");
    }
}
