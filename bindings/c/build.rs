//! Gives the shared library a SONAME, so programs linked against an installed
//! `libnecid_c.so` record `libnecid_c.so` (not the absolute build path) as their dependency.
fn main() {
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libnecid_c.so");
}
