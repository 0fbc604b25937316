#!/usr/bin/env bash
# Prints, one per line, the Debian packages that hold the shared libraries
# the given binaries load (ldd, then dpkg -S), so that an image runs them
# with only those packages installed (the Dockerfile's runtime stage). Fails,
# naming the library, when one belongs to no package (a library built or
# copied by hand would be missing from the image).
# Usage: scripts/runtime-packages.sh BINARY...
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: $0 BINARY..." >&2; exit 2; }

# The package owning `path`. Debian 12 merges /lib into /usr/lib, and dpkg
# knows each file under the name its package ships, so try both spellings
# (and the target of a symlink).
owner() {
  local path=$1 real candidate found
  real=$(readlink -f "$path")
  for candidate in "$path" "$real" "/usr$path" "${path#/usr}" "/usr$real" "${real#/usr}"; do
    if found=$(dpkg -S "$candidate" 2>/dev/null); then
      # "libgrpc++1.51:amd64: /usr/lib/..." -> "libgrpc++1.51"
      found=${found%%: *}
      echo "${found%%:*}"
      return 0
    fi
  done
  echo "$0: no Debian package holds $path" >&2
  return 1
}

libraries=$(ldd "$@" | awk '$2 == "=>" && $3 ~ /^\// {print $3}' | sort -u)
for library in $libraries; do owner "$library"; done | sort -u
