//! libFuzzer target `image_decode`: see `necid_reliability::fuzz::image_decode`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    necid_reliability::fuzz::image_decode(data);
});
