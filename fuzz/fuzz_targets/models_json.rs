//! libFuzzer target `models_json`: see `necid_reliability::fuzz::models_json`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    necid_reliability::fuzz::models_json(data);
});
