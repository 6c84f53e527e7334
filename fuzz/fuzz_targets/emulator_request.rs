//! libFuzzer target `emulator_request`: see `necid_reliability::fuzz::emulator_request`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    necid_reliability::fuzz::emulator_request(data);
});
