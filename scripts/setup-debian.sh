#!/usr/bin/env bash
# Installs the Debian packages Switchboard needs on this machine, only those missing.
# Idempotent: a machine that has everything runs no apt command at all.
#
#   bash scripts/setup-debian.sh            every section
#   bash scripts/setup-debian.sh speech     only the named sections
#
# Needs root (or sudo) only when something is missing.
set -euo pipefail

# --- speech: offline recognition (PocketSphinx, built as an N-API addon) and the synthetic
# callers the speech tests use (espeak-ng, festival voices, sox for the phone line).
speech_packages=(
  libpocketsphinx3 libpocketsphinx-dev libsphinxbase-dev pocketsphinx-en-us
  espeak-ng festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts sox
  pkg-config make g++ python3
)

declare -A sections=([speech]="${speech_packages[*]}")

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

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup-debian: nothing to install (${want[*]})"
  exit 0
fi

sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
export DEBIAN_FRONTEND=noninteractive
echo "setup-debian: updating the package lists (apt-get update)"
"${sudo[@]}" apt-get update -qq
echo "setup-debian: installing ${#missing[@]} packages: ${missing[*]}"
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "setup-debian: installed ${missing[*]}"
