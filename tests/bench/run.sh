#!/bin/bash
# The benchmark's entry point: build taskwatchd (release), fetch nginx and the SDK, run, report.
#
#   tests/bench/run.sh [--quick] [--reps N] [--phases matrix,default,state,simulator,full,startup,latency,profile]
#   tests/bench/run.sh --from-json tests/bench/.work/results.json   # only rewrite RESULTS.md
#
# The binary under test: by default build-bench/ (or $BENCH_BUILD, any meson build directory,
# of this tree or another one) is set up as a release build and rebuilt; --taskwatchd BIN
# takes BIN as it is and builds nothing (for an A/B of two trees, say).
#
# Prints the table and rewrites tests/bench/RESULTS.md. Scratch output (the npm install, the
# certificates, reply files, logs, perf data, results.json) goes to tests/bench/.work/,
# which git ignores. Not a pass/fail test: it measures.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=${BENCH_WORK:-$here/.work}
build=${BENCH_BUILD:-$root/build-bench}
quick=""
binary=""
prev=""
for a in "$@"; do
        [[ $a == --quick ]] && quick=" --quick"
        [[ $prev == --taskwatchd ]] && binary=$a
        [[ $a == --taskwatchd=* ]] && binary=${a#--taskwatchd=}
        prev=$a
done

if [[ $EUID -ne 0 ]]; then
        echo "run.sh: needs root (apt-get, nginx as root, perf)" >&2
        exit 1
fi

# ---- tools: from Debian, only what is missing ----
need=()
command -v nginx >/dev/null || need+=(nginx-light)
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
command -v curl >/dev/null || need+=(curl)
command -v openssl >/dev/null || need+=(openssl)
command -v taskset >/dev/null || need+=(util-linux)
command -v perf >/dev/null || need+=(linux-perf)
command -v strace >/dev/null || need+=(strace)
command -v meson >/dev/null || need+=(meson)
command -v ninja >/dev/null || need+=(ninja-build)
if ((${#need[@]})); then
        echo "run.sh: installing ${need[*]}" >&2
        apt-get update -qq
        # The nginx package's own service is not started (no systemd here); we run our own.
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

# ---- the official SDK, into the scratch directory (never committed) ----
mkdir -p "$work/node"
if [[ ! -f $work/node/node_modules/@alicloud/cs20151215/package.json ]]; then
        echo "run.sh: npm install @alicloud/cs20151215 @alicloud/openapi-core" >&2
        [[ -f $work/node/package.json ]] || echo '{"private": true}' >"$work/node/package.json"
        # openapi-core's postinstall only pins TypeScript for Node 10/12: not needed to run.
        (cd "$work/node" && npm install --no-audit --no-fund --ignore-scripts --loglevel=error \
                @alicloud/cs20151215 @alicloud/openapi-core >/dev/null)
fi

# ---- taskwatchd, release build in its own directory (unless --taskwatchd names one) ----
if [[ -n $binary ]]; then
        [[ -x $binary ]] || { echo "run.sh: --taskwatchd $binary: not an executable" >&2; exit 1; }
        dir=$(dirname "$(realpath "$binary")")
        buildtype=$( (meson introspect --buildoptions "$dir" 2>/dev/null || echo '[]') |
                python3 -c 'import json,sys; print(next((o["value"] for o in json.load(sys.stdin) if o["name"]=="buildtype"), "unknown"))')
        # the --taskwatchd BIN is in "$@", for bench.py
        exec python3 "$here/bench.py" --node-modules "$work/node/node_modules" --work "$work" \
                --buildtype "$buildtype" --binary-note "binary given: $binary" \
                --command "tests/bench/run.sh$quick --taskwatchd $binary" "$@"
fi
if [[ ! -f $build/build.ninja ]]; then
        meson setup "$build" "$root" --buildtype=release >/dev/null
fi
note=""
if ! ninja -C "$build" taskwatchd >"$work/build.log" 2>&1; then
        # Others edit the tree while this runs: a half-written file must not stop a benchmark
        # when a binary is there, but the report says so.
        [[ -x $build/taskwatchd ]] || { cat "$work/build.log" >&2; exit 1; }
        note="the tree did not build (see .work/build.log); binary of $(date -r "$build/taskwatchd" '+%F %T')"
        echo "run.sh: WARNING: $note" >&2
fi
buildtype=$(meson introspect --buildoptions "$build" |
        python3 -c 'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"]=="buildtype"))')

exec python3 "$here/bench.py" --taskwatchd "$build/taskwatchd" \
        --node-modules "$work/node/node_modules" --work "$work" --buildtype "$buildtype" \
        --binary-note "$note" \
        --command "tests/bench/run.sh$quick" "$@"
