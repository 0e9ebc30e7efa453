#!/usr/bin/env bash
# Installs everything the local stack (scripts/stack.sh) needs: Debian packages
# for Ceph and backy2, the Temporal CLI (dev server + Web UI) built from source,
# and a backy2 2.9.17 virtualenv.
#
# Usage: scripts/install-deps.sh [apt|temporal|backy2 ...]   (default: all)
#        scripts/install-deps.sh packages   (prints the apt package list, installs nothing)
#
# Idempotent: every step first checks whether its result is already usable and
# skips itself, so a warm run takes about a second. Tools land in a per-user
# cache, not in the clone, so several clones share one multi-minute Go build.
set -euo pipefail

log() { printf '[stack] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

CACHE_ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/vmbackup"

TEMPORAL_VERSION=1.5.1
# v1.6.0+ carry a `replace` directive in go.mod, which `go install pkg@version`
# refuses; v1.5.1 is the newest tag that installs this way.
TEMPORAL_MODULE=github.com/temporalio/cli/cmd/temporal
TEMPORAL_DIR="$CACHE_ROOT/temporal-v$TEMPORAL_VERSION"
TEMPORAL_BIN="$TEMPORAL_DIR/bin/temporal"

BACKY2_VERSION=2.9.17
BACKY2_VENV="$CACHE_ROOT/backy2-$BACKY2_VERSION-venv"
# python3-rbd/python3-rados are built only for Debian's own interpreter, so the
# venv must come from it even when another python3 is first on PATH.
SYSTEM_PYTHON=/usr/bin/python3

# The apt packages: what a worker runs (deploy/packages/worker.txt, also what
# the worker image installs) and what only the local stack needs on top.
PACKAGES_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/deploy/packages"
read_packages() { # file → one Debian package name a line, comments and blanks dropped
  local file=$1 name
  [[ -r $file ]] || die "package list $file is missing"
  while read -r name; do
    [[ -n $name ]] || continue
    # Names reach apt-get as arguments: nothing but a Debian package name gets there.
    [[ $name =~ ^[a-z0-9][a-z0-9+.-]+$ ]] || die "$file: '$name' is not a Debian package name"
    printf '%s\n' "$name"
  done < <(sed -e 's/#.*//' -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' "$file")
}
# A command substitution, not `< <(…)`: a bad list must stop the script here.
apt_list=$(read_packages "$PACKAGES_DIR/worker.txt" && read_packages "$PACKAGES_DIR/local-stack.txt") || exit 1
mapfile -t APT_PACKAGES <<<"$apt_list"

# Serialises builds across processes (two clones, or `up` run twice at once):
# the loser waits and then finds the winner's result instead of building again.
# Uses fd 9; the lock is released when the fd is closed.
take_lock() {
  local lockfile=$1 what=$2
  mkdir -p "$(dirname "$lockfile")"
  exec 9>"$lockfile"
  if ! flock -n 9; then
    log "another process is installing $what; waiting for it (lock $lockfile)"
    flock 9
  fi
}
release_lock() { exec 9>&-; }

as_root() {
  if [[ $EUID -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "need root (or sudo) to run: $*"
  fi
}

# Without systemd, a package's postinst starts its daemon through invoke-rc.d
# and /etc/init.d (the prometheus package would bind :9090). policy-rc.d
# exit 101 forbids that; one already there (Docker images have one) is left
# as it is, ours is removed when the script exits.
POLICY_RC=/usr/sbin/policy-rc.d
no_service_starts() {
  [[ -e $POLICY_RC ]] && return
  as_root sh -c "printf '#!/bin/sh\\n# vmbackup install-deps: no daemon starts during apt-get install\\nexit 101\\n' >$POLICY_RC && chmod 755 $POLICY_RC"
  trap 'as_root rm -f "$POLICY_RC"' EXIT
}

install_apt() {
  local missing=() pkg status
  for pkg in "${APT_PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
    [[ $status == installed ]] || missing+=("$pkg")
  done
  if ((${#missing[@]} == 0)); then
    log "apt: all ${#APT_PACKAGES[@]} packages present"
    return
  fi
  log "apt: installing ${missing[*]}"
  # Only refresh the index when something is actually missing: update is the
  # slow, network-bound part and pointless on a provisioned machine.
  local aptlog="$CACHE_ROOT/apt.log"
  if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >"$aptlog" 2>&1; then
    tail -n 20 "$aptlog" >&2 || true
    die "apt-get update failed (full log: $aptlog)"
  fi
  no_service_starts
  # Lock::Timeout waits for a concurrent apt/dpkg instead of failing at once.
  if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
      --no-install-recommends -o DPkg::Lock::Timeout=300 "${missing[@]}" >>"$aptlog" 2>&1; then
    tail -n 30 "$aptlog" >&2 || true
    die "apt-get install failed for: ${missing[*]} (full log: $aptlog)"
  fi
  log "apt: done"
}

temporal_ok() {
  [[ -x $TEMPORAL_BIN ]] && "$TEMPORAL_BIN" --version >/dev/null 2>&1
}

install_temporal() {
  if temporal_ok; then
    log "temporal: $("$TEMPORAL_BIN" --version) present"
    return
  fi
  take_lock "$CACHE_ROOT/temporal-v$TEMPORAL_VERSION.lock" "the Temporal CLI"
  if temporal_ok; then
    release_lock
    log "temporal: built by another process meanwhile"
    return
  fi
  # Holding the lock, any temp dir left here is from a killed earlier build.
  rm -rf "$TEMPORAL_DIR"/.gobin.*
  command -v go >/dev/null 2>&1 || die "temporal: Go toolchain not found on PATH (needed to build the Temporal CLI)"
  mkdir -p "$TEMPORAL_DIR/bin"
  # Temp GOBIN on the same filesystem as the target, so the final mv is an
  # atomic rename: a killed build never leaves a truncated binary behind.
  local tmpbin buildlog="$TEMPORAL_DIR/build.log"
  tmpbin=$(mktemp -d "$TEMPORAL_DIR/.gobin.XXXXXX")
  log "temporal: building v$TEMPORAL_VERSION with $(go version | cut -d' ' -f3) (several minutes on 2 cores; log $buildlog)"
  # GOTOOLCHAIN=local: the module asks for go 1.25; never try to download a
  # toolchain (only the module proxy is reachable, and the local Go is newer).
  if ! GOTOOLCHAIN=local GOBIN="$tmpbin" go install "$TEMPORAL_MODULE@v$TEMPORAL_VERSION" >"$buildlog" 2>&1; then
    rm -rf "$tmpbin"
    tail -n 30 "$buildlog" >&2 || true
    die "temporal: go install failed (full log: $buildlog)"
  fi
  "$tmpbin/temporal" --version >/dev/null 2>&1 || { rm -rf "$tmpbin"; die "temporal: built binary does not run"; }
  mv -f "$tmpbin/temporal" "$TEMPORAL_BIN"
  rm -rf "$tmpbin"
  release_lock
  log "temporal: installed $("$TEMPORAL_BIN" --version) at $TEMPORAL_BIN"
}

backy2_ok() {
  # --help alone would pass without the shim; importing backy2's bundled rados
  # bindings is what breaks on Python >= 3.10, so check that too.
  [[ -x $BACKY2_VENV/bin/backy2 ]] \
    && "$BACKY2_VENV/bin/backy2" --help >/dev/null 2>&1 \
    && "$BACKY2_VENV/bin/python" -c 'import backy2.io.rbd' >/dev/null 2>&1
}

install_backy2() {
  if backy2_ok; then
    log "backy2: $BACKY2_VERSION venv present"
    return
  fi
  take_lock "$CACHE_ROOT/backy2-$BACKY2_VERSION.lock" "backy2"
  if backy2_ok; then
    release_lock
    log "backy2: installed by another process meanwhile"
    return
  fi
  # Holding the lock, any temp venv left here is from a killed earlier run.
  rm -rf "$CACHE_ROOT"/.backy2-venv.*
  [[ -x $SYSTEM_PYTHON ]] || die "backy2: $SYSTEM_PYTHON not found (install python3)"
  local tmp sitepkgs
  tmp=$(mktemp -d "$CACHE_ROOT/.backy2-venv.XXXXXX")
  log "backy2: building venv in $tmp"
  # --system-site-packages: backy2's deps come from Debian (python3-sqlalchemy
  # etc.), which are the old versions 2.9.17 works with.
  "$SYSTEM_PYTHON" -m venv --system-site-packages "$tmp" \
    || { rm -rf "$tmp"; die "backy2: python3 -m venv failed (is python3-venv installed?)"; }
  # --no-deps: backy2's own requirements would pull a SQLAlchemy newer than it
  # can use. --no-compile: .pyc files would record the temp path; they are
  # compiled after the rename instead.
  if ! "$tmp/bin/python" -m pip install --quiet --disable-pip-version-check \
      --no-deps --no-compile "backy2==$BACKY2_VERSION" >&2; then
    rm -rf "$tmp"
    die "backy2: pip install backy2==$BACKY2_VERSION failed"
  fi
  sitepkgs=$("$tmp/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  # backy2 ships its own rados bindings doing `from collections import
  # Iterator`, removed in Python 3.10. Alias the ABCs back into `collections`.
  # A .pth file is the hook that runs at startup: a sitecustomize.py in the venv
  # would be shadowed by Debian's own sitecustomize.
  cat >"$sitepkgs/vmbackup_collections_shim.py" <<'PY'
# Added by vmbackup scripts/install-deps.sh: backy2 2.9.17 imports ABCs such as
# collections.Iterator, which moved to collections.abc (gone since Python 3.10).
import collections
import collections.abc

for _name in collections.abc.__all__:
    if not hasattr(collections, _name):
        setattr(collections, _name, getattr(collections.abc, _name))
del _name
PY
  echo 'import vmbackup_collections_shim' >"$sitepkgs/vmbackup_collections_shim.pth"
  # venv scripts (bin/backy2, bin/pip, activate) embed the venv's absolute
  # path; point them at the final location before the rename.
  grep -rlI --null -F "$tmp" "$tmp/bin" "$tmp/pyvenv.cfg" | xargs -0 -r sed -i "s#$tmp#$BACKY2_VENV#g"
  rm -rf "$BACKY2_VENV"
  mv "$tmp" "$BACKY2_VENV"
  sitepkgs=${sitepkgs/#"$tmp"/"$BACKY2_VENV"}
  # Precompile so each backy2 run skips compiling (and the SyntaxWarning its
  # bundled rados.py triggers, which would otherwise show on every run where
  # PYTHONDONTWRITEBYTECODE is set).
  "$BACKY2_VENV/bin/python" -m compileall -q "$sitepkgs/backy2" >/dev/null 2>&1 || true
  backy2_ok || { release_lock; die "backy2: venv at $BACKY2_VENV was built but 'backy2 --help' / 'import backy2.io.rbd' fails"; }
  release_lock
  log "backy2: installed $BACKY2_VERSION at $BACKY2_VENV"
}

main() {
  local parts=("$@")
  ((${#parts[@]})) || parts=(apt temporal backy2)
  mkdir -p "$CACHE_ROOT"
  local part
  for part in "${parts[@]}"; do
    case $part in
      apt) install_apt ;;
      temporal) install_temporal ;;
      backy2) install_backy2 ;;
      packages) printf '%s\n' "${APT_PACKAGES[@]}" ;;
      *) die "unknown part '$part' (expected apt, temporal, backy2 or packages)" ;;
    esac
  done
}

# Sourced (scripts/production/install.sh reuses the helpers above): define only.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  main "$@"
fi
