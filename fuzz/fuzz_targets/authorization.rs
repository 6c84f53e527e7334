//! libFuzzer target `authorization`: see `necid_reliability::fuzz::authorization`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    necid_reliability::fuzz::authorization(data);
});
