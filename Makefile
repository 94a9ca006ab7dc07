# Concord's user interface for building, testing and running. See README.md.
DATA_DIR ?= ./data
LISTEN ?= 127.0.0.1:8080
SAMPLE_COMMUNITIES ?= 300
PRESET ?= default
JOBS ?= $(shell nproc)
# Seconds each libFuzzer target runs: briefly in `make test`, long in `make fuzz` (ADR 0016).
FUZZ_SMOKE_SECONDS ?= 10
FUZZ_SECONDS ?= 600

.PHONY: bootstrap configure build test test-unit test-e2e test-sanitized run clean format tidy \
        fuzz-build fuzz-smoke fuzz

bootstrap:
	@bash scripts/bootstrap.sh

configure: bootstrap
	@cmake --preset $(PRESET) >/dev/null

build: configure
	@cmake --build --preset $(PRESET) -j $(JOBS)

# The whole suite; then the unit and end-to-end suites again built with AddressSanitizer and
# UndefinedBehaviorSanitizer (preset debug, build-debug/); then a short run of every fuzz target
# (preset fuzz, build-fuzz/).
test: build
	@ctest --preset $(PRESET) -j $(JOBS)
	@$(MAKE) --no-print-directory test-sanitized
	@$(MAKE) --no-print-directory fuzz-smoke

# Parts of the suite (ctest labels): the unit tests alone take seconds.
test-unit: build
	@ctest --preset $(PRESET) -j $(JOBS) -L unit

test-e2e: build
	@ctest --preset $(PRESET) -j $(JOBS) -L e2e

test-sanitized: bootstrap
	@cmake --preset debug >/dev/null
	@cmake --build --preset debug -j $(JOBS)
	@ctest --preset debug -j $(JOBS)

fuzz-build: bootstrap
	@cmake --preset fuzz >/dev/null
	@cmake --build --preset fuzz -j $(JOBS)

fuzz-smoke: fuzz-build
	@CONCORD_FUZZ_SECONDS=$(FUZZ_SMOKE_SECONDS) ctest --preset fuzz -j $(JOBS) \
	  --timeout $$(( $(FUZZ_SMOKE_SECONDS) + 120 ))

# Every fuzz target for FUZZ_SECONDS each, two at a time; findings in build-fuzz/fuzz/<name>/.
fuzz: fuzz-build
	@CONCORD_FUZZ_SECONDS=$(FUZZ_SECONDS) ctest --preset fuzz -j $(JOBS) \
	  --timeout $$(( $(FUZZ_SECONDS) + 300 ))

# Starts Concord on its embedded default (SQLite under $(DATA_DIR)), with sample data the first time.
run: build
	@bash scripts/run.sh "$(DATA_DIR)" "$(LISTEN)" "$(SAMPLE_COMMUNITIES)"

# Every C++ file, tracked or new (not ignored ones).
format:
	@git ls-files --cached --others --exclude-standard '*.h' '*.cc' | xargs clang-format -i

# clang-tidy (.clang-tidy: naming, bugprone, performance) over everything the build compiles;
# `make test` runs it too (ctest: code_tidy).
tidy: build
	bash tests/style/check_tidy.sh build

clean:
	rm -rf build build-debug build-fuzz
