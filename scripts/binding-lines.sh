#!/bin/sh
# Hand-written binding lines (the measure of issue 15): git-tracked files under python/,
# node/ and bindings/ with a source extension (.rs .py .pyi .js .mjs .cjs .ts .kt .swift
# .c .h), excluding tests (tests/, test/, Tests/, src/test/), examples, typecheck samples,
# generated files (node/index.d.ts, bindings/uniffi/swift/Sources/ except the hand-written
# Extensions.swift), build scripts (build.rs, Package.swift), the bindgen tool, and the
# emulator test helpers (python/necid/testing.py + pytest_plugin.py, node/testing.js +
# testing.d.ts, the C libnecid_testing (bindings/c/testing/), Kotlin's necid-kotlin-testing
# (bindings/uniffi/kotlin/testing/) and Swift's NecidTesting product: a feature of their
# own, issue 24, that starts the emulator for a user's tests; they mirror nothing of the
# core's API, which is what this count measures).
# Lines between `# BEGIN GENERATED` and `# END GENERATED` are generated, so not counted:
# blocks rendered from the core's tables by tests/e2e/tests/surfaces.rs, which fails while
# one is stale (NECID_BLESS=1 rewrites them): the Python stub's operations, settings
# keywords and AsyncClient's copy of Client's shared members, Python's exception classes
# (exceptions.py) and result dataclasses (models.py), Node's error-kind lists (errors.js,
# index.mjs, dts-header.d.ts), its ClientOptions settings (dts-header.d.ts) and its result
# and argument objects (src/models.rs), and the UniFFI ConfigBuilder's setters
# (bindings/uniffi/src/config.rs).
# Usage: scripts/binding-lines.sh [repo-dir]   (prints per-file counts and the total)
cd "${1:-.}" || exit 1
git ls-files python node bindings \
  | grep -E '\.(rs|py|pyi|js|mjs|cjs|ts|kt|swift|c|h)$' \
  | grep -v -E '(^|/)(tests?|Tests|examples|typecheck|bench)/|src/test/|node/index\.d\.ts$|/build\.rs$|Package\.swift$|bindgen/' \
  | grep -v -E 'swift/Sources/(necidFFI/|Necid/Necid(Models)?\.swift$)' \
  | grep -v -E '^(python/necid/(testing|pytest_plugin)\.py|node/testing\.(js|d\.ts))$' \
  | grep -v -E '^bindings/(c/testing|uniffi/kotlin/testing|uniffi/swift/Sources/NecidTesting)/' \
  | xargs awk '
      FNR == 1 && NR > 1 { print n, prev; total += n }
      FNR == 1 { n = 0; gen = 0; prev = FILENAME }
      /# BEGIN GENERATED/ { gen = 1 }
      !gen { n++ }
      /# END GENERATED/ { gen = 0 }
      END { print n, prev; total += n; printf "%d total\n", total }' \
  | sort -n | awk '{ printf "%7d %s\n", $1, $2 }'
