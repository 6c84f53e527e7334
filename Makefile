# Reliability and conformance entry points (tests/README.md). The full test command is
# scripts/test-all; these run single checks, some longer than the test command does.
.PHONY: help scenarios reliability load durability fuzz fuzz-smoke fuzz-build dist dist-all dist-check actionlint

FUZZ_TARGETS := models_json response_headers authorization image_decode emulator_request
# Seconds per target for `make fuzz` (libFuzzer); override: make fuzz FUZZ_SECS=600
FUZZ_SECS ?= 120
LOAD_SECS ?= 30

help:
	@echo "make scenarios    - one scenario, every language (needs the binding suites' builds)"
	@echo "make reliability  - signing properties, fault injection, 5 s load"
	@echo "make load         - 200 concurrent clients for LOAD_SECS (default 30) s"
	@echo "make durability   - kill -9 the emulator 8 times during a bulk job"
	@echo "make fuzz-smoke   - stable harness + short libFuzzer run of every target"
	@echo "make fuzz         - libFuzzer, FUZZ_SECS (default 120) s per target (nightly, cargo-fuzz)"
	@echo "make dist         - prebuilt packages for Linux x86-64 into dist/ (scripts/package)"
	@echo "make dist-all     - the same for x86-64 and aarch64"
	@echo "make dist-check   - aarch64 packages built and run under qemu-user-static (root)"
	@echo "make actionlint   - lint the release workflows"

scenarios:
	bash scripts/suites/80-scenarios.sh

reliability:
	bash scripts/suites/86-reliability.sh

load:
	cargo build -q -p necid-cli
	NECID_LOAD_SECS=$(LOAD_SECS) cargo test -q -p necid-reliability --test load -- --nocapture

durability:
	cargo build -q -p necid-cli
	cargo test -q -p necid-reliability --test durability -- --nocapture

fuzz-smoke:
	NECID_FUZZ_LIBFUZZER=1 bash scripts/suites/85-fuzz-smoke.sh

fuzz-build:
	@cargo fuzz --version >/dev/null 2>&1 || cargo install --locked cargo-fuzz
	cargo +nightly fuzz build -O

# New corpus entries go to fuzz/target/corpus/<target> (the committed seeds stay as they
# are); crashes to fuzz/artifacts/<target>/. Reproduce: cargo +nightly fuzz run -O <target> <file>
fuzz: fuzz-build
	@set -e; for t in $(FUZZ_TARGETS); do \
	  mkdir -p fuzz/target/corpus/$$t; \
	  echo "== fuzz $$t ($(FUZZ_SECS) s)"; \
	  cargo +nightly fuzz run -O $$t fuzz/target/corpus/$$t fuzz/corpus/$$t -- \
	    -max_total_time=$(FUZZ_SECS) -rss_limit_mb=2048 -malloc_limit_mb=1024 -max_len=65536 \
	    -print_final_stats=1; \
	done

# Prebuilt packages (README "Prebuilt packages"). The x86-64 set is checked by the test
# command (scripts/suites/95-dist.sh); the aarch64 set by dist-check.
dist:
	scripts/package

dist-all:
	scripts/package --arch all

dist-check:
	scripts/dist-check-aarch64

actionlint:
	bash scripts/actionlint.sh
