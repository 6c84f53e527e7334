//! `uniffi-bindgen`, pinned through the workspace to the same UniFFI version as
//! `necid-uniffi`, so generated foreign code always matches the library's scaffolding.

fn main() {
    uniffi::uniffi_bindgen_main()
}
