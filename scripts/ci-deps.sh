#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages the end-to-end bed needs (__tests__/bed/README.md), as root.
# Idempotent: a tool that is already there is left alone, so a runner that ships Docker (moby-*,
# docker-ce) keeps its own packages instead of conflicting with docker.io. Starts no service on
# the host: a policy-rc.d denies every start during the install, and units the install enabled on
# a systemd host are disabled again. The bed starts its own daemons inside its namespaces.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  exec sudo -n "$0" "$@"
fi

# command the bed runs -> package that provides it
declare -A package_of=(
  [dockerd]=docker.io
  [docker]=docker.io
  [containerd]=containerd
  [ctr]=containerd
  [runc]=runc
  [docker-registry]=docker-registry
  [openssl]=openssl
  [htpasswd]=apache2-utils
  [ip]=iproute2
  [unshare]=util-linux
  [nsenter]=util-linux
  [setpriv]=util-linux
  [sudo]=sudo
  [iptables]=iptables
  [curl]=curl
)

export PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin
# `type -P` falls back to a non-executable match, hence the -x.
have() {
  local path
  path=$(type -P "$1") && [ -x "$path" ]
}
wanted=()
for cmd in "${!package_of[@]}"; do
  have "$cmd" || wanted+=("${package_of[$cmd]}")
done
# The images the bed builds are FROM scratch + /bin/busybox, which must be statically linked.
if ! dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'ok installed'; then
  wanted+=(busybox-static)
fi
mapfile -t wanted < <(printf '%s\n' "${wanted[@]}" | sort -u | sed '/^$/d')

if [ ${#wanted[@]} -eq 0 ]; then
  echo "ci-deps: everything the bed needs is installed"
  exit 0
fi
echo "ci-deps: installing ${wanted[*]}"

policy=/usr/sbin/policy-rc.d
saved=''
if [ -e "$policy" ]; then
  saved=$(mktemp)
  cp -p "$policy" "$saved"
fi
restore_policy() {
  if [ -n "$saved" ]; then mv "$saved" "$policy"; else rm -f "$policy"; fi
}
trap restore_policy EXIT
printf '#!/bin/sh\n# ci-deps.sh: start no service while installing\nexit 101\n' > "$policy"
chmod 755 "$policy"

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${wanted[@]}"

if [ -d /run/systemd/system ]; then
  for unit in docker.service docker.socket containerd.service docker-registry.service; do
    pkg=$(dpkg-query -S "/lib/systemd/system/$unit" "/usr/lib/systemd/system/$unit" 2>/dev/null | head -n 1 | cut -d: -f1 || true)
    if [ -n "$pkg" ] && printf '%s\n' "${wanted[@]}" | grep -qx "$pkg"; then
      systemctl disable --now "$unit" >/dev/null 2>&1 || true
    fi
  done
fi
echo "ci-deps: done"
