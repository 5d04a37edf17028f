#!/usr/bin/env bash
# scripts/fuzz.sh: run every fuzz target in the repository for a short time
# each (FUZZTIME, default 10s). go test runs each target's seed corpus on
# every run; this explores beyond it. A failing input is saved under the
# package's testdata/fuzz/ and fails later plain `go test` runs until fixed.
#
#   bash scripts/fuzz.sh            # every target, 10 s each
#   FUZZTIME=60s bash scripts/fuzz.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
fuzztime="${FUZZTIME:-10s}"
status=0
while IFS= read -r line; do
	file="${line%%:*}"
	target="$(sed -E 's/.*func (Fuzz[A-Za-z0-9_]+).*/\1/' <<<"$line")"
	pkg="$(dirname "$file")"
	echo "==> $pkg $target ($fuzztime)"
	if ! go test "$pkg" -run XXX -fuzz "^${target}\$" -fuzztime "$fuzztime"; then
		status=1
	fi
done < <(grep -rEn --include='*_test.go' '^func Fuzz[A-Za-z0-9_]+\(f \*testing\.F\)' . | grep -v node_modules | sort)
exit $status
