//! ONNX Runtime: the shared library and process-wide environment
//! ([`library`]), devices ([`device`]), and sessions opened with one runtime
//! configuration ([`SessionFactory`]).

pub mod device;
pub mod library;

use std::path::Path;

use ort::session::builder::{GraphOptimizationLevel, SessionBuilder};
use ort::session::Session;

pub use device::{cuda_available, resolve_device, Device};
pub use library::{environment, LibrarySearch};

use crate::perception::config::{GraphOptLevel, Precision, RuntimeConfig};
use crate::Error;

/// Opens sessions with one runtime configuration.
#[derive(Debug, Clone)]
pub struct SessionFactory {
    config: RuntimeConfig,
    device: Device,
}

impl SessionFactory {
    /// Loads the runtime and resolves the device (CUDA availability, fallback).
    pub fn new(config: &RuntimeConfig) -> Result<SessionFactory, Error> {
        let requested = Device::parse(&config.device)?;
        environment(config.onnxruntime.as_deref())?;
        let cuda_ok = match requested {
            Device::Cpu => false,
            Device::Cuda(_) => cuda_available()?,
        };
        let device = resolve_device(requested, cuda_ok, config.allow_cpu_fallback)?;
        Ok(SessionFactory {
            config: config.clone(),
            device,
        })
    }

    /// The device sessions run on (after any fallback).
    pub fn device(&self) -> Device {
        self.device
    }

    /// Whether fp16 graphs should be used where a bundle has them.
    pub fn prefer_fp16(&self) -> bool {
        match self.config.precision {
            Precision::Auto => matches!(self.device, Device::Cuda(_)),
            Precision::Fp32 | Precision::Int8 => false,
            Precision::Fp16 => true,
        }
    }

    /// Whether int8 graphs should be used where a bundle has them.
    pub fn prefer_int8(&self) -> bool {
        self.config.precision == Precision::Int8
    }

    /// Whether graph-optimised fp32 variants should be used where a bundle
    /// has them (CPU with `auto`, or `int8` for graphs without an int8 variant).
    pub fn prefer_optimized(&self) -> bool {
        match self.config.precision {
            Precision::Auto => self.device == Device::Cpu,
            Precision::Int8 => true,
            Precision::Fp32 | Precision::Fp16 => false,
        }
    }

    /// A session for the ONNX file at `path`.
    pub fn open(&self, path: &Path) -> Result<Session, Error> {
        let (env, _) = environment(self.config.onnxruntime.as_deref())?;
        let what = |e: &dyn std::fmt::Display| Error::Bundle {
            bundle: path
                .parent()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            message: format!("opening {}: {e}", path.display()),
        };
        let mut builder: SessionBuilder = Session::builder(env).map_err(|e| what(&e))?;
        let level = match self.config.graph_opt_level {
            GraphOptLevel::Disable => GraphOptimizationLevel::Disable,
            GraphOptLevel::Basic => GraphOptimizationLevel::Level1,
            GraphOptLevel::Extended => GraphOptimizationLevel::Level2,
            GraphOptLevel::All => GraphOptimizationLevel::All,
        };
        builder = builder
            .with_optimization_level(level)
            .map_err(|e| what(&e))?;
        if self.config.threads > 0 {
            builder = builder
                .with_intra_threads(self.config.threads)
                .map_err(|e| what(&e))?;
        }
        if let Device::Cuda(id) = self.device {
            let ep = ort::ep::CUDA::default()
                .with_device_id(id)
                .build()
                .error_on_failure();
            builder = match builder.with_execution_providers([ep]) {
                Ok(b) => b,
                Err(e) if self.config.allow_cpu_fallback => {
                    tracing::warn!(
                        device = %self.device,
                        error = %e,
                        model = %path.display(),
                        "CUDA execution provider failed to register; running this graph on the CPU"
                    );
                    e.recover()
                }
                Err(e) => return Err(what(&e)),
            };
        }
        builder.commit_from_file(path).map_err(|e| what(&e))
    }
}
