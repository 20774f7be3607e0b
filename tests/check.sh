#!/bin/bash
# The whole test suite, from a bare Debian 12 machine: installs what it needs, builds three
# times (a normal build, one under ASan+UBSan, and the libFuzzer targets with clang), and
# runs every suite: unit, integration (one scenario also under valgrind), package (the .deb
# and lintian on it), system (the .deb installed in a container), fuzz.
# Ends with a line "N passed, N failed" and exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."

tests/install-deps.sh || exit 1

logs=()
status=0

# build-check: the normal build, every suite (unit, integration, package, system).
meson setup --reconfigure build-check >/dev/null 2>&1 || meson setup build-check || exit 1
ninja -C build-check || exit 1
meson test -C build-check --print-errorlogs --num-processes 2 || status=1
logs+=(build-check/meson-logs/testlog.json)

# build-asan: unit and integration suites again under AddressSanitizer + UBSan.
meson setup --reconfigure build-asan -Db_sanitize=address,undefined -Db_lundef=false \
        >/dev/null 2>&1 || meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false || exit 1
ninja -C build-asan || exit 1
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        meson test -C build-asan --suite unit --suite integration --print-errorlogs --num-processes 2 || status=1
logs+=(build-asan/meson-logs/testlog.json)

# build-fuzz: the libFuzzer targets (clang), each for FUZZ_SECONDS (default 60) on its seeds.
CC=clang meson setup --reconfigure build-fuzz -Dfuzz=true -Db_sanitize=address,undefined \
        -Db_lundef=false >/dev/null 2>&1 || CC=clang meson setup build-fuzz -Dfuzz=true \
        -Db_sanitize=address,undefined -Db_lundef=false || exit 1
ninja -C build-fuzz || exit 1
meson test -C build-fuzz --suite fuzz --print-errorlogs || status=1
logs+=(build-fuzz/meson-logs/testlog.json)

python3 tests/summarize.py "${logs[@]}" || status=1
exit $status
