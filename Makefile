# Praxis: thin wrapper over CMake. Every target first installs what is missing.
#   make            release build into build/ (binaries in build/bin/)
#   make test       ASan+UBSan build into build/test/, then every test
#   make test-long  the long reliability runs, then valgrind over the demo
#   make demo       a live federation of four organizations, then its report
#   make demo-serve same, and keeps the hub dashboard running
#   make bench      benchmarks; table + build/bench-results.json
#   make fuzz       libFuzzer targets, FUZZ_SECONDS each (default 60)
#   make install    binaries, plugins, the plugin SDK header and praxis-plugin.pc

JOBS ?= 2
PREFIX ?= /usr/local
FUZZ_SECONDS ?= 60
CMAKE_FLAGS ?=

.PHONY: all build deps test test-long demo demo-serve bench fuzz install clean

all: build

deps:
	@scripts/deps.sh

build: deps
	@cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=$(PREFIX) $(CMAKE_FLAGS) >/dev/null
	@cmake --build build -j$(JOBS)

build-test: deps
	@scripts/deps.sh browser
	@cmake -S . -B build/test -DCMAKE_BUILD_TYPE=Debug -DPX_SANITIZE=ON $(CMAKE_FLAGS) >/dev/null
	@cmake --build build/test -j$(JOBS)

test: build-test
	@cd build/test && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --output-on-failure -j$(JOBS) -LE long

# The long load test runs the release hub: its memory figure is the hub's,
# not AddressSanitizer's allocator (which keeps freed chunks mapped).
test-long: build-test build
	@scripts/deps.sh valgrind
	@cd build/test && ctest --output-on-failure -L long -E load
	@cd build && ctest --output-on-failure -L long -R load
	@scripts/valgrind-e2e.sh

demo: build
	@scripts/demo.sh

demo-serve: build
	@scripts/demo.sh --serve

bench: build
	@scripts/deps.sh bench
	@cmake -S . -B build -DPX_BENCH=ON >/dev/null && cmake --build build -j$(JOBS)
	@scripts/bench.sh

fuzz: deps
	@CC=clang cmake -S . -B build/fuzz -DPX_FUZZ=ON -DPX_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build build/fuzz -j$(JOBS)
	@FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh

install: build
	@cmake --install build --prefix $(PREFIX)

clean:
	rm -rf build
