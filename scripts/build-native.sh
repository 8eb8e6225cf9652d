#!/usr/bin/env bash
# Builds the native addons under native/ against this machine's Node headers.
#
#   bash scripts/build-native.sh            build if sources changed; skip (with a warning)
#                                           when the system libraries are missing
#   BUILD_NATIVE_REQUIRED=1 bash ...        fail instead of skipping (CI)
#   BUILD_NATIVE_FORCE=1 bash ...           rebuild even if up to date
#
# native/pocketsphinx needs Debian's libpocketsphinx-dev and libsphinxbase-dev
# (scripts/setup-debian.sh installs them). Output: native/pocketsphinx/build/Release/pocketsphinx.node
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "build-native: $*" >&2; }
missing() {
  if [ "${BUILD_NATIVE_REQUIRED:-0}" = 1 ]; then
    say "$* (BUILD_NATIVE_REQUIRED=1)"
    exit 1
  fi
  say "$*; skipping (offline speech recognition will be unavailable)"
  exit 0
}

dir=native/pocketsphinx
out="$dir/build/Release/pocketsphinx.node"

command -v pkg-config >/dev/null || missing "pkg-config not found"
pkg-config --exists pocketsphinx sphinxbase ||
  missing "libpocketsphinx-dev/libsphinxbase-dev not installed (run scripts/setup-debian.sh)"

if [ "${BUILD_NATIVE_FORCE:-0}" != 1 ] && [ -f "$out" ] &&
  [ -z "$(find "$dir/src" "$dir/binding.gyp" -newer "$out" -print -quit)" ]; then
  say "$out is up to date"
  exit 0
fi

# node-gyp: the one npm runs scripts with, else the copy bundled with npm.
gyp="${npm_config_node_gyp:-}"
if [ -z "$gyp" ] || [ ! -f "$gyp" ]; then
  gyp="$(npm root -g 2>/dev/null)/npm/node_modules/node-gyp/bin/node-gyp.js"
fi
[ -f "$gyp" ] || missing "node-gyp not found (it ships with npm)"

# Build against the headers of the node that runs us (no download): <prefix>/include/node.
nodedir="${npm_config_nodedir:-$(dirname "$(dirname "$(command -v node)")")}"
[ -f "$nodedir/include/node/node_api.h" ] || missing "Node headers not found under $nodedir/include/node"

say "building $out"
node "$gyp" rebuild --directory="$dir" --nodedir="$nodedir" --loglevel=warn
say "built $out"
