//! Unit tests of `util.rs` (a child module of it: `#[path]` from there).

use super::*;

#[test]
fn strings_round_trip_and_nul_is_replaced() {
    let p = out_str("abc");
    assert_eq!(unsafe { CStr::from_ptr(p) }.to_str().unwrap(), "abc");
    unsafe { free_str(p) };
    let p = out_str("a\0b");
    assert_eq!(unsafe { CStr::from_ptr(p) }.to_str().unwrap(), "a\u{FFFD}b");
    unsafe { free_str(p) };
    assert!(out_opt_str(None).is_null());
    unsafe { free_str(std::ptr::null()) };
}

#[test]
fn empty_arrays_are_null_and_free_is_safe() {
    let (p, n) = out_array::<u32>(Vec::new());
    assert!(p.is_null());
    assert_eq!(n, 0);
    unsafe { free_array(p, n) };
    let (p, n) = out_array(vec![out_str("x"), out_str("y")]);
    assert_eq!(n, 2);
    let items = unsafe { std::slice::from_raw_parts(p, n) };
    for s in items {
        unsafe { free_str(*s) };
    }
    unsafe { free_array(p, n) };
}

#[test]
fn argument_checks() {
    let e = unsafe { arg_str(std::ptr::null(), "name") }.unwrap_err();
    assert_eq!(e.field(), Some("name"));
    let bad = [0xC3u8, 0x28, 0];
    let e = unsafe { arg_str(bad.as_ptr().cast(), "name") }.unwrap_err();
    assert!(e.message().contains("UTF-8"));
    assert_eq!(unsafe { arg_opt_str(std::ptr::null(), "x") }.unwrap(), None);
    assert!(
        unsafe { arg_bytes(std::ptr::null(), 0, "body", true) }
            .unwrap()
            .is_empty()
    );
    assert!(unsafe { arg_bytes(std::ptr::null(), 0, "image", false) }.is_err());
    let one = [1u8];
    let e = unsafe { arg_image(one.as_ptr(), 0, "face") }.unwrap_err();
    assert_eq!(e.field(), Some("face"));
    assert!(
        unsafe { arg_str_array(std::ptr::null(), 0, "tags") }
            .unwrap()
            .is_empty()
    );
    let e = unsafe { arg_str_array(std::ptr::null(), 1, "tags") }.unwrap_err();
    assert_eq!(e.field(), Some("tags"));
    let items = [c"a".as_ptr(), std::ptr::null()];
    let e = unsafe { arg_str_array(items.as_ptr(), 2, "tags") }.unwrap_err();
    assert_eq!(e.field(), Some("tags[1]"));
    let e = unsafe { out_slot::<u8>(std::ptr::null_mut(), "out") }.unwrap_err();
    assert_eq!(e.field(), Some("out"));
    let mut target: *mut u8 = std::ptr::dangling_mut();
    let slot = unsafe { out_slot(&raw mut target, "out") }.unwrap();
    assert!(slot.is_null());
}
