# Concord's user interface for building, testing and running. See README.md.
DATA_DIR ?= ./data
LISTEN ?= 127.0.0.1:8080
SAMPLE_COMMUNITIES ?= 300
PRESET ?= default
JOBS ?= $(shell nproc)

.PHONY: bootstrap configure build test test-sanitized run clean format

bootstrap:
	@bash scripts/bootstrap.sh

configure: bootstrap
	@cmake --preset $(PRESET) >/dev/null

build: configure
	@cmake --build --preset $(PRESET) -j $(JOBS)

# The whole suite, then the unit and end-to-end suites again built with AddressSanitizer and
# UndefinedBehaviorSanitizer (preset debug, into build-debug/).
test: build
	@ctest --preset $(PRESET) -j $(JOBS)
	@$(MAKE) --no-print-directory test-sanitized

test-sanitized: bootstrap
	@cmake --preset debug >/dev/null
	@cmake --build --preset debug -j $(JOBS)
	@ctest --preset debug -j $(JOBS)

# Starts Concord on its embedded default (SQLite under $(DATA_DIR)), with sample data the first time.
run: build
	@bash scripts/run.sh "$(DATA_DIR)" "$(LISTEN)" "$(SAMPLE_COMMUNITIES)"

format:
	@git ls-files '*.h' '*.cc' | xargs clang-format -i

clean:
	rm -rf build build-debug
