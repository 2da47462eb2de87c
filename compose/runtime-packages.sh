#!/usr/bin/env bash
# Prints the Debian packages that provide the shared libraries the given
# binaries load (ldd + dpkg -S), one per line, sorted. The images install
# exactly these in their runtime stage, so a new library dependency of
# fabric needs no edit here. Run it on the machine (or in the build stage)
# where the binaries were linked.
#
#   compose/runtime-packages.sh BINARY...
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: $0 BINARY..." >&2; exit 2; }
libs=$(for b in "$@"; do
  [ -x "$b" ] || { echo "runtime-packages: $b is not an executable" >&2; exit 1; }
  if ldd "$b" | grep -q 'not found'; then
    echo "runtime-packages: $b has unresolved libraries:" >&2
    ldd "$b" | grep 'not found' >&2
    exit 1
  fi
  ldd "$b" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }'
done | sort -u)
for lib in $libs; do
  # usrmerge: ldd may say /lib/... while dpkg knows /usr/lib/... (or back).
  real=$(readlink -f "$lib")
  for candidate in "$lib" "$real" "/usr$lib" "/usr$real" "${lib#/usr}" "${real#/usr}"; do
    if pkg=$(dpkg -S "$candidate" 2>/dev/null); then
      echo "${pkg%%:*}"
      continue 2
    fi
  done
  echo "runtime-packages: no Debian package owns $lib" >&2
  exit 1
done | sed 's/, .*//' | sort -u
