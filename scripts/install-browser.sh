#!/usr/bin/env bash
# Makes Debian's Chromium available for the browser tests (Playwright drives it; Playwright's own
# browser downloads cannot work here, so `playwright install` is never used). Idempotent: when the
# browser is there it runs no apt command and prints only its version.
#
#   bash scripts/install-browser.sh     (CHROMIUM_PATH overrides /usr/bin/chromium)
set -euo pipefail

CHROMIUM=${CHROMIUM_PATH:-/usr/bin/chromium}

if [ ! -x "$CHROMIUM" ]; then
  if [ "$CHROMIUM" != /usr/bin/chromium ]; then
    echo "install-browser: CHROMIUM_PATH=$CHROMIUM is not an executable file" >&2
    exit 1
  fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-browser: Chromium is missing; install Debian's package as root:" >&2
    echo "  apt-get update && apt-get install -y --no-install-recommends chromium" >&2
    exit 1
  fi
  echo "install-browser: installing Debian's chromium package (a minute or two the first time)"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi

# The Debian launcher's settings scripts may complain on stderr; the version line is what counts.
version=$("$CHROMIUM" --version 2>/dev/null || true)
if [ -z "$version" ]; then
  echo "install-browser: $CHROMIUM does not start (\`$CHROMIUM --version\` printed nothing)" >&2
  exit 1
fi
echo "install-browser: $version"
