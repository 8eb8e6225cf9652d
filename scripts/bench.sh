#!/usr/bin/env bash
# npm run bench [-- NAME...]: runs the benchmarks in bench/ one at a time (all of them, or the
# named ones), each printing its figures. `npm run bench -- --list` lists them. Benchmarks that
# run the real server process get a fresh build first. Extra arguments for one benchmark:
# npx tsx bench/NAME.bench.ts ARGS (see the top of its file).
set -euo pipefail
cd "$(dirname "$0")/.."

mapfile -t all < <(ls bench/*.bench.ts | sed -e 's|^bench/||' -e 's|\.bench\.ts$||')

# What a benchmark measures: the first phrase of its header comment (up to a colon or full stop).
describe() {
  awk 'NR > 1 { if ($0 !~ /^ \* ?[^ ]/) exit; sub(/^ \* ?/, ""); text = text (text ? " " : "") $0 }
       END { match(text, /[.:]( |$)/); if (RSTART) text = substr(text, 1, RSTART - 1); print text }' "bench/$1.bench.ts"
}

if [ "${1:-}" = "--list" ] || [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
  echo "Benchmarks (npm run bench -- NAME... runs some; no name runs all):"
  for name in "${all[@]}"; do printf '  %-20s %s\n' "$name" "$(describe "$name")"; done
  exit 0
fi

names=("$@")
[ ${#names[@]} -gt 0 ] || names=("${all[@]}")
for name in "${names[@]}"; do
  if [ ! -f "bench/$name.bench.ts" ]; then
    echo "bench: no benchmark \"$name\" (npm run bench -- --list shows them)" >&2
    exit 2
  fi
done

# These start `node bin/switchboard.js serve`, which runs dist/.
for name in "${names[@]}"; do
  if grep -q 'bin/switchboard.js' "bench/$name.bench.ts"; then
    echo "bench: building dist/ for the benchmarks that run the server process"
    npm run --silent build
    break
  fi
done

failed=()
for i in "${!names[@]}"; do
  name=${names[$i]}
  echo
  echo "== bench $name ($((i + 1))/${#names[@]}): $(describe "$name")"
  start=$SECONDS
  if npx tsx "bench/$name.bench.ts"; then
    echo "== $name: done in $((SECONDS - start)) s"
  else
    echo "== $name: FAILED (exit $?) after $((SECONDS - start)) s"
    failed+=("$name")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "bench: failed: ${failed[*]}" >&2
  exit 1
fi
