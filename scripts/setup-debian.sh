#!/usr/bin/env bash
# Installs the Debian packages Switchboard needs on this machine, only those missing.
# Idempotent: a machine that has everything runs no apt command at all.
#
#   bash scripts/setup-debian.sh            every section
#   bash scripts/setup-debian.sh speech     only the named sections (setup.sh: speech; tests: deploy too)
#
# Needs root (or sudo) only when something is missing.
set -euo pipefail

# --- speech: offline recognition (PocketSphinx, built as an N-API addon) and the synthetic
# callers the speech tests and the offline evaluation (bench/offline-eval) use: espeak-ng (with
# its variants), every English festival voice Debian ships, sox for the phone line.
speech_packages=(
  libpocketsphinx3 libpocketsphinx-dev libsphinxbase-dev pocketsphinx-en-us
  espeak-ng espeak-ng-data festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts sox
  pkg-config make g++ python3
)

# Debian's 8 kHz kal and ked diphone voices conflict with the 16 kHz ones the tests use (same
# paths), so they are unpacked beside them instead of installed; the evaluation loads them from
# here (bench/offline-eval/voices.ts).
SIDE_VOICES_DIR=${SWITCHBOARD_FESTIVAL_8K_DIR:-/usr/local/share/festival-8k}
side_voices=(festvox-kallpc8k festvox-kdlpc8k)

install_side_voices() {
  local missing_side=()
  for pkg in "${side_voices[@]}"; do
    local voice=${pkg#festvox-}
    voice=${voice%lpc8k}
    [ "$voice" = kd ] && voice=ked
    [ -d "$SIDE_VOICES_DIR/${voice}_diphone/group" ] || missing_side+=("$pkg")
  done
  [ ${#missing_side[@]} -gt 0 ] || return 0
  local work
  work=$(mktemp -d)
  echo "setup-debian: unpacking ${missing_side[*]} into $SIDE_VOICES_DIR (they conflict with the 16 kHz voices)"
  (cd "$work" && apt-get download "${missing_side[@]}" >/dev/null)
  for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$work/x"; done
  "${sudo[@]}" mkdir -p "$SIDE_VOICES_DIR"
  "${sudo[@]}" cp -r "$work"/x/usr/share/festival/voices/english/. "$SIDE_VOICES_DIR/"
  rm -rf "$work"
}

# --- deploy: Docker Compose (v1, Debian's), which the tests use to validate compose.yaml
# (`docker-compose config -q`); running containers needs Docker itself, not installed here.
deploy_packages=(docker-compose)

declare -A sections=([speech]="${speech_packages[*]}" [deploy]="${deploy_packages[*]}")

want=("$@")
[ ${#want[@]} -gt 0 ] || want=("${!sections[@]}")

missing=()
for section in "${want[@]}"; do
  [ -n "${sections[$section]+x}" ] || { echo "setup-debian: unknown section '$section'" >&2; exit 2; }
  for pkg in ${sections[$section]}; do
    # dpkg -s exits 0 for removed-but-configured packages too; check the status line.
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$pkg")
    fi
  done
done

sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)

for section in "${want[@]}"; do
  [ "$section" != speech ] || install_side_voices
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup-debian: nothing to install (${want[*]})"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
echo "setup-debian: updating the package lists (apt-get update)"
"${sudo[@]}" apt-get update -qq
echo "setup-debian: installing ${#missing[@]} packages: ${missing[*]}"
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "setup-debian: installed ${missing[*]}"
