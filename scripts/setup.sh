#!/usr/bin/env bash
# Installs what libwpu's builds need from Debian's packages, if missing.
# Idempotent; needs root (or sudo) only when something is missing.
#   scripts/setup.sh          everything (Linux legs and the mingw-wine leg)
#   scripts/setup.sh --linux  only what the Linux legs need
set -euo pipefail

linux_pkgs=(cmake ninja-build gcc pkg-config libuv1-dev libcmocka-dev libwine-dev)
windows_pkgs=(gcc-mingw-w64-x86-64 wine wine64 dpkg-dev)
pkgs=("${linux_pkgs[@]}")
[ "${1:-}" = "--linux" ] || pkgs+=("${windows_pkgs[@]}")

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "setup.sh: need root to run: $*" >&2; exit 1; fi
}

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

# The mingw-wine leg builds libuv and CMocka from Debian's source packages:
# apt-get source needs a deb-src entry for the same archive.
need_src=0
if [ "${1:-}" != "--linux" ] && ! grep -rqs '^Types:.*deb-src\|^deb-src ' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  need_src=1
fi

if [ ${#missing[@]} -eq 0 ] && [ $need_src -eq 0 ]; then
  exit 0
fi
if [ $need_src -eq 1 ]; then
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources |
      as_root tee /etc/apt/sources.list.d/libwpu-deb-src.sources >/dev/null
  elif [ -f /etc/apt/sources.list ]; then
    grep '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' |
      as_root tee /etc/apt/sources.list.d/libwpu-deb-src.list >/dev/null
  fi
fi
echo "setup.sh: installing ${missing[*]:-(source index only)}"
as_root apt-get update -qq
if [ ${#missing[@]} -gt 0 ]; then
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
