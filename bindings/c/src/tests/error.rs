//! Unit tests of `error.rs` (a child module of it: `#[path]` from there).

use super::*;
use std::ffi::CStr;

fn last_message() -> Option<String> {
    let p = necid_last_error_message();
    (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
}

#[test]
fn panic_becomes_internal_error() {
    let status = guard(|| panic!("boom in a test"));
    assert_eq!(status, NECID_ERR_INTERNAL);
    assert_eq!(necid_last_error_status(), NECID_ERR_INTERNAL);
    let msg = last_message().unwrap();
    assert!(msg.contains("boom in a test"), "{msg}");
    // The next successful call clears it.
    assert_eq!(guard(|| Ok(())), NECID_OK);
    assert!(necid_last_error_message().is_null());
    assert_eq!(necid_last_error_status(), NECID_OK);
}

#[test]
fn guard_value_catches_panics() {
    let v: i32 = guard_value(7, || panic!("accessor panic"));
    assert_eq!(v, 7);
}

#[test]
fn every_kind_maps_to_its_own_status() {
    let mut seen = std::collections::HashSet::new();
    for (i, k) in ErrorKind::ALL.into_iter().enumerate() {
        let s = necid_status_t::from_kind(k);
        assert_ne!(s, NECID_OK);
        assert_ne!(s, NECID_ERR_INTERNAL);
        assert!(seen.insert(s as i32), "{k:?} shares a status");
        // The C name is the core's kind name, the code its 1-based position, skipping
        // NECID_ERR_INTERNAL's 15 (shipped before the kinds after it).
        assert_eq!(s.name().to_str().unwrap(), k.as_str());
        let expected = if i + 1 < NECID_ERR_INTERNAL as usize {
            i + 1
        } else {
            i + 2
        };
        assert_eq!(s as usize, expected);
    }
}

#[test]
fn message_with_nul_is_kept_readable() {
    let status = guard(|| Err(Error::new(ErrorKind::Decode, "bad\0body")));
    assert_eq!(status, NECID_ERR_DECODE);
    assert_eq!(last_message().unwrap(), "bad\u{FFFD}body");
}

#[test]
fn status_names() {
    let name = |v| {
        unsafe { CStr::from_ptr(necid_status_name(v)) }
            .to_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(name(0), "OK");
    assert_eq!(name(3), "NotFound");
    assert_eq!(name(15), "Internal");
    assert_eq!(name(16), "Cancelled");
    assert_eq!(name(17), "Unknown");
    assert_eq!(name(-1), "Unknown");
}
