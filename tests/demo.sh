#!/bin/bash
# The demo: builds taskwatchd, starts the bundled ACK simulator (HTTPS, real V3 signature
# checks) and watches a node-pool scale-out that succeeds and a cluster scale-out that fails
# with its reason and one failed instance. No cloud account needed.
set -euo pipefail
cd "$(dirname "$0")/.."

tests/install-deps.sh
if [ ! -d build ]; then
        meson setup build >/dev/null
fi
ninja -C build taskwatchd >/dev/null

work=$(mktemp -d /tmp/taskwatchd-demo.XXXXXX)
sim_pid=
cleanup() {
        [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
        rm -rf "$work"
}
trap cleanup EXIT

python3 tests/simulator/acksim.py --scenario tests/demo/scenario.json --dir "$work/sim" \
        >"$work/sim.log" 2>&1 &
sim_pid=$!
for _ in $(seq 100); do
        [ -s "$work/sim/ready.json" ] && break
        kill -0 "$sim_pid" 2>/dev/null || { cat "$work/sim.log" >&2; exit 1; }
        sleep 0.1
done
[ -s "$work/sim/ready.json" ] || { echo "demo: the simulator did not start" >&2; exit 1; }
url=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["url"])' "$work/sim/ready.json")

cat >"$work/taskwatchd.conf" <<CONF
[API]
Endpoint=$url
CAFile=$work/sim/ca.pem
[Poll]
MinInterval=500ms
MaxInterval=2s
[Tasks]
Task=T-65f3a1c0d2b4e5f6a7b8c9d0
Task=T-65f3a1c0d2b4e5f6a7b8c9d1
CONF

echo "== taskwatchd watching two tasks on the ACK simulator at $url"
echo
set +e
ALIBABA_CLOUD_ACCESS_KEY_ID=LTAIdemo0000000000000000 \
ALIBABA_CLOUD_ACCESS_KEY_SECRET=demo-secret-not-a-real-key \
        build/taskwatchd --config "$work/taskwatchd.conf" --exit-when-done --timeout=60s
rc=$?
set -e
echo
case $rc in
        1) echo "== taskwatchd exited 1: a task failed (with its reason above) and an instance failed, as the scenario says." ;;
        *) echo "== taskwatchd exited $rc; the scenario expects 1 (a task failed)" >&2; exit 1 ;;
esac
