#!/usr/bin/env bash
# Builds the local Debian base image fabric-base:bookworm WITHOUT a container
# registry: debootstrap a minimal bookworm root file system from the Debian
# mirror this machine's apt already uses, and `docker import` it.
#
#   compose/build-base-image.sh [--force]
#
# Idempotent: does nothing when the image exists, unless --force.
# The debootstrapped tree is cached as a tarball under
# ${XDG_CACHE_HOME:-~/.cache}/fabric/ (about 70 MB), so a --force or a wiped
# Docker engine re-imports in seconds; delete the tarball to fetch afresh.
#
# Environment:
#   FABRIC_BASE_IMAGE      image to create (default fabric-base:bookworm)
#   FABRIC_DEBIAN_MIRROR   Debian mirror (default: the first bookworm URI of
#                          /etc/apt/sources.list{,.d/*}, else deb.debian.org)
#   FABRIC_DEBIAN_SECURITY security mirror (default: likewise, else
#                          http://deb.debian.org/debian-security)
#   FABRIC_CACHE_DIR       cache directory (default ~/.cache/fabric)
# Needs root (or sudo) for debootstrap, and `debootstrap` (apt-get install
# debootstrap; ./fabric.sh deps installs it).
set -euo pipefail
IMAGE=${FABRIC_BASE_IMAGE:-fabric-base:bookworm}
SUITE=bookworm
CACHE_DIR=${FABRIC_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/fabric}
TARBALL=$CACHE_DIR/debootstrap-$SUITE-minbase.tar
FORCE=0

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'build-base-image: %s\n' "$*" >&2; exit 1; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

for arg in "$@"; do
  case "$arg" in
    --force) FORCE=1 ;;
    -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$arg' (usage: $0 [--force])" ;;
  esac
done

command -v docker >/dev/null || die "docker is not installed"
docker info >/dev/null 2>&1 || die "the Docker engine does not answer (is dockerd running? are you allowed to use it?)"

if [ $FORCE = 0 ] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
  log "$IMAGE exists already (--force to rebuild)"
  exit 0
fi

# The apt source URIs (deb822 *.sources and one-line *.list) whose suites
# include the given one. Disabled files (other suffixes) are not read.
apt_uris_for_suite() { # suite
  local suite=$1 f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -r "$f" ] || continue
    case "$f" in
      *.sources)
        awk -v suite="$suite" '
          function flush() { if (uris != "" && (" " suites " ") ~ (" " suite " ")) print uris; uris = ""; suites = "" }
          /^[[:space:]]*$/ { flush(); next }
          /^URIs:/ { sub(/^URIs:[[:space:]]*/, ""); uris = $0 }
          /^Suites:/ { sub(/^Suites:[[:space:]]*/, ""); suites = $0 }
          END { flush() }' "$f" | tr ' ' '\n' ;;
      *)
        awk -v suite="$suite" '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ } if ($(i + 1) == suite) print $i }' "$f" ;;
    esac
  done | grep -E '^https?://' | head -n 1 || true
}

MIRROR=${FABRIC_DEBIAN_MIRROR:-$(apt_uris_for_suite "$SUITE")}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
SECURITY=${FABRIC_DEBIAN_SECURITY:-$(apt_uris_for_suite "$SUITE-security")}
SECURITY=${SECURITY:-http://deb.debian.org/debian-security}

if [ ! -s "$TARBALL" ]; then
  command -v debootstrap >/dev/null || [ -x /usr/sbin/debootstrap ] ||
    die "debootstrap is missing: apt-get install debootstrap (or ./fabric.sh deps)"
  mkdir -p "$CACHE_DIR"
  ROOTFS=$(mktemp -d "$CACHE_DIR/rootfs.XXXXXX")
  trap 'as_root rm -rf "$ROOTFS" "$TARBALL.part"' EXIT
  log "debootstrap --variant=minbase $SUITE from $MIRROR (about a minute and a half)"
  start=$(date +%s)
  if ! as_root env PATH="/usr/sbin:/sbin:$PATH" debootstrap --variant=minbase "$SUITE" "$ROOTFS" "$MIRROR" \
      >"$CACHE_DIR/debootstrap.log" 2>&1; then
    tail -n 20 "$CACHE_DIR/debootstrap.log" >&2
    die "debootstrap failed (full log: $CACHE_DIR/debootstrap.log)"
  fi
  # The image's own apt sources: the same mirrors, with updates and security.
  as_root tee "$ROOTFS/etc/apt/sources.list" >/dev/null <<EOF
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb $SECURITY $SUITE-security main
EOF
  # Keep images small, as the official slim images do: no apt caches, no
  # docs or man pages from later installs, no recommends.
  as_root tee "$ROOTFS/etc/apt/apt.conf.d/90fabric-docker" >/dev/null <<'EOF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Languages "none";
EOF
  as_root tee "$ROOTFS/etc/dpkg/dpkg.cfg.d/90fabric-docker" >/dev/null <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
EOF
  as_root rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/* \
    "$ROOTFS"/var/log/* "$ROOTFS"/tmp/* "$ROOTFS"/dev/*
  as_root truncate -s 0 "$ROOTFS/etc/resolv.conf" "$ROOTFS/etc/hostname" 2>/dev/null || true
  as_root tar --numeric-owner -C "$ROOTFS" -cf "$TARBALL.part" .
  as_root chown "$(id -u):$(id -g)" "$TARBALL.part"
  mv "$TARBALL.part" "$TARBALL"
  log "cached the root file system in $TARBALL ($(( $(date +%s) - start )) s)"
else
  log "using the cached root file system $TARBALL"
fi

log "importing it as $IMAGE"
docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'CMD ["bash"]' \
  --message "debootstrap --variant=minbase $SUITE $MIRROR" \
  - "$IMAGE" <"$TARBALL" >/dev/null
docker image ls "$IMAGE"
