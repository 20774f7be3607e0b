#!/bin/bash
# Builds, once, the Debian 12 rootfs tarball that the system tests boot with systemd-nspawn.
#
#   tests/system/make-rootfs.sh [--print-path]
#
# The tarball is cached under $TASKWATCHD_TEST_CACHE (default /var/cache/taskwatchd-test),
# named after a hash of everything that goes into it, so a changed package list builds a
# new one and an unchanged one is reused at once. Prints the tarball's path on stdout.
# CI runs this as a step of its own (it needs the network, ~1 min); the test calls it too.
set -euo pipefail

SUITE=bookworm
PACKAGES=systemd,systemd-sysv,dbus,libsystemd0,procps,util-linux,libnss-systemd,libcurl4,libyajl2,libssl3,libmicrohttpd12,python3
CACHE=${TASKWATCHD_TEST_CACHE:-/var/cache/taskwatchd-test}

die() { echo "make-rootfs: $*" >&2; exit 1; }

# The mirror the host itself uses: the first non-security URIs: in the deb822 sources, or a
# "deb URI bookworm" line in the one-line format.
mirror() {
        local f
        for f in /etc/apt/sources.list.d/debian.sources; do
                [ -r "$f" ] || continue
                awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' "$f"
                return
        done
        awk '$1 == "deb" && $3 == "'"$SUITE"'" { print $2; exit }' /etc/apt/sources.list 2>/dev/null
}

MIRROR=${TASKWATCHD_TEST_MIRROR:-$(mirror)}
[ -n "$MIRROR" ] || die "no Debian mirror found in /etc/apt/sources.list.d/debian.sources"

key=$(printf '%s\n' "$SUITE" "$PACKAGES" "$MIRROR" "minbase-v1" | sha256sum | cut -c1-12)
TARBALL=$CACHE/rootfs-$SUITE-$key.tar.zst

if [ ! -s "$TARBALL" ]; then
        [ "$(id -u)" = 0 ] || die "must run as root to build $TARBALL"
        command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install debootstrap)"
        command -v zstd >/dev/null || die "zstd is not installed (apt-get install zstd)"
        mkdir -p "$CACHE"
        # One builder at a time; a second one waits and then finds the tarball.
        exec 9>"$CACHE/.lock"
        flock 9
        if [ ! -s "$TARBALL" ]; then
                work=$(mktemp -d "$CACHE/build.XXXXXX")
                trap 'rm -rf --one-file-system "$work"' EXIT
                echo "make-rootfs: debootstrap $SUITE from $MIRROR (about a minute)" >&2
                debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$work/root" "$MIRROR" \
                        >"$work/debootstrap.log" 2>&1 ||
                        { tail -n 30 "$work/debootstrap.log" >&2; die "debootstrap failed"; }
                # What every boot would otherwise do, or complain about, again.
                rm -f "$work/root/etc/machine-id"
                : >"$work/root/etc/machine-id"
                rm -rf "$work/root/var/cache/apt/archives/"*.deb "$work/root/var/lib/apt/lists/"*
                tar --zstd -C "$work/root" --numeric-owner --xattrs -cf "$work/rootfs.tar.zst" .
                mv "$work/rootfs.tar.zst" "$TARBALL"
                # Older tarballs of other package lists are dead weight.
                find "$CACHE" -maxdepth 1 -name "rootfs-$SUITE-*.tar.zst" ! -path "$TARBALL" -delete
                echo "make-rootfs: wrote $TARBALL ($(du -h "$TARBALL" | cut -f1))" >&2
        fi
fi
echo "$TARBALL"
