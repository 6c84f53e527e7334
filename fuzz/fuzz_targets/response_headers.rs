//! libFuzzer target `response_headers`: see `necid_reliability::fuzz::response_headers`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    necid_reliability::fuzz::response_headers(data);
});
