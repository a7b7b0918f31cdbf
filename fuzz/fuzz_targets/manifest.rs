//! Fuzz target `manifest`: [`cow_fuzz::checks::manifest`] on every input.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    // A typed error is a fine outcome; only a panic, a hang or a leak is a finding.
    let _ = cow_fuzz::checks::manifest(data);
});
