#!/bin/bash
# Runs one libFuzzer binary for $FUZZ_SECONDS (default 60) on a scratch copy of its seed
# corpus, so new inputs never land in the source tree. libFuzzer exits non-zero on a crash,
# a leak, a timeout or a sanitizer report, and leaves the input that did it in the scratch
# dir's artifacts/ (printed here).
set -uo pipefail
bin=$1 seeds=$2 seconds=${FUZZ_SECONDS:-60}

scratch=$(mktemp -d /tmp/taskwatchd-fuzz.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/corpus" "$scratch/artifacts"
cp -r "$seeds"/. "$scratch/corpus/"

"$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$scratch/artifacts/" "$scratch/corpus" 2>&1 | tail -n 40
rc=${PIPESTATUS[0]}
if [ "$rc" -ne 0 ]; then
        for f in "$scratch"/artifacts/*; do
                [ -e "$f" ] || continue
                echo "# failing input $(basename "$f") (base64):"
                base64 -w 100 "$f" | head -n 50
        done
fi
exit "$rc"
