#!/usr/bin/env bash
# Builds necid-uniffi and the pinned uniffi-bindgen (dev profile, the shared target dir),
# then generates the foreign bindings from the freshly built library (library mode):
#   kotlin: kotlin/target/generated-sources/uniffi/necid/necid.kt
#           + kotlin/target/native/linux-x86-64/libnecid_uniffi.so (packaged into the jar)
#           + kotlin/target/generated-sources/uniffi/necid/models/necid_models.kt (the
#           core's own models, derived behind its `uniffi` feature; core/uniffi.toml)
#   swift:  swift/Sources/Necid/{Necid,NecidModels}.swift + their headers
#           swift/Sources/necidFFI/include/{necidFFI,necid_modelsFFI}.h, one Swift module
#           (committed: the suite fails if they differ from what is generated)
# Usage: bindings/uniffi/generate.sh [kotlin] [swift]   (default: both)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT"
langs=("$@")
[ ${#langs[@]} -gt 0 ] || langs=(kotlin swift)

# NECID_UNIFFI_FEATURES (e.g. "necid-uniffi/test-hooks", as the test suite sets) adds cargo
# features to the library build; the generated code does not depend on them.
cargo build -q -p necid-uniffi -p necid-uniffi-bindgen ${NECID_UNIFFI_FEATURES:+--features "$NECID_UNIFFI_FEATURES"}
OUT="$ROOT/target/x86_64-unknown-linux-gnu/debug"
LIB="$OUT/libnecid_uniffi.so"
BINDGEN="$OUT/uniffi-bindgen"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

for lang in "${langs[@]}"; do
  case "$lang" in
    kotlin)
      KT="$HERE/kotlin/target"
      # RUST_BACKTRACE=0: a generator error prints one readable line, not a backtrace.
      RUST_BACKTRACE=0 "$BINDGEN" generate --library "$LIB" --language kotlin \
        --out-dir "$TMP/kotlin" --no-format >/dev/null
      # Compiled classes go too: a class no longer generated (e.g. a record now aliased
      # to the core's in Models.kt) must not survive in target/classes and shadow it.
      rm -rf "$KT/generated-sources/uniffi" "$KT/native" "$KT/classes" "$KT/test-classes"
      mkdir -p "$KT/generated-sources/uniffi" "$KT/native/linux-x86-64"
      cp -r "$TMP/kotlin/." "$KT/generated-sources/uniffi/"
      cp "$LIB" "$KT/native/linux-x86-64/libnecid_uniffi.so"
      # Debug info is most of a dev build's size; the packaged copy does not need it.
      if command -v strip >/dev/null; then strip --strip-debug "$KT/native/linux-x86-64/libnecid_uniffi.so"; fi
      ;;
    swift)
      SW="$HERE/swift/Sources"
      RUST_BACKTRACE=0 "$BINDGEN" generate --library "$LIB" --language swift \
        --out-dir "$TMP/swift" --no-format >/dev/null
      mkdir -p "$SW/Necid" "$SW/necidFFI/include"
      cp "$TMP/swift/Necid.swift" "$TMP/swift/NecidModels.swift" "$SW/Necid/"
      cp "$TMP/swift/necidFFI.h" "$TMP/swift/necid_modelsFFI.h" "$SW/necidFFI/include/"
      # The generated modulemap `use`s Darwin; the committed one (module.modulemap) is the
      # Linux-compatible equivalent and also links the library.
      ;;
    *) echo "unknown language: $lang (kotlin|swift)" >&2; exit 2 ;;
  esac
done
