#!/bin/bash
# Installs what building and testing taskwatchd needs on a bare Debian 12 machine (as root).
# Quick when everything is already there: apt-get runs only for missing packages.
set -euo pipefail

packages=(
        # build
        meson ninja-build pkg-config gcc
        libcurl4-openssl-dev libyajl-dev libsystemd-dev libssl-dev libmicrohttpd-dev
        scdoc
        # tests: the simulator, its certificates, a real journald, private mount namespaces
        python3 openssl systemd util-linux procps
        # the alert rules and scrapes checked by promtool; OpenMetrics scrapes by the
        # prometheus-client parser (run by Debian's /usr/bin/python3)
        prometheus python3-prometheus-client
        # system tests: a real systemd as PID 1 in a container
        systemd-container debootstrap zstd
        # the package suite: the .deb (debian/control's Build-Depends are above) and lintian
        build-essential dpkg-dev debhelper lintian
        # fuzzing (libFuzzer comes with clang's runtime) and memcheck
        clang libclang-rt-14-dev valgrind
)

missing=()
for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
        if [ "$(id -u)" -ne 0 ]; then
                echo "install-deps: missing packages: ${missing[*]}; run as root (or with sudo)" >&2
                exit 1
        fi
        echo "install-deps: installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q
        apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
