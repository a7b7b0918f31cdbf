//! cow's coverage-guided fuzz targets (libFuzzer through `libfuzzer-sys`),
//! one binary per decoder in `fuzz_targets/`, each a one-line call of its
//! check in [`checks`]. Built and run by `fuzz/run.sh` (`make fuzz`,
//! `make fuzz-smoke`); see `fuzz/README.md`.

pub mod checks;
pub mod framing;
