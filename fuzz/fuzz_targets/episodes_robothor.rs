//! Fuzz target `episodes_robothor`: [`cow_fuzz::checks::episodes_robothor`] on every input.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    // A typed error is a fine outcome; only a panic, a hang or a leak is a finding.
    let _ = cow_fuzz::checks::episodes_robothor(data);
});
