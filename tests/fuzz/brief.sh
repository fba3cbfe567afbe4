#!/usr/bin/env bash
# tests/fuzz/brief.sh SECONDS BINARY: one harness for SECONDS from its seed
# corpus (tests/fuzz/corpus/<name>/, read only; what it finds goes to a
# temporary directory and is dropped), as the fuzz suite of scripts/test
# runs it. Ends with "RESULT fuzz_<name>: N passed, N failed": 1 passed
# when libFuzzer ran the whole time without a crash, leak or timeout; the
# crashing input is kept as test-output/fuzz/crash-... for a look.
set -uo pipefail

here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
root=$(readlink -f "$here/../..")
secs=${1:?usage: brief.sh SECONDS BINARY}
bin=${2:?usage: brief.sh SECONDS BINARY}
name=$(basename "$bin")
h=${name#fuzz_}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tether-fuzz.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
keep=$root/test-output/fuzz
mkdir -p "$keep"
dict=()
[ -f "$here/dict/$h.dict" ] && dict=(-dict="$here/dict/$h.dict")

"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	-artifact_prefix="$keep/$h-" "${dict[@]}" "$tmp" "$here/corpus/$h" 2>&1 |
	grep -vE '^#[0-9]+[[:space:]]+(NEW|REDUCE|pulse)'
rc=${PIPESTATUS[0]}
if [ "$rc" -eq 0 ]; then
	echo "RESULT $name: 1 passed, 0 failed"
else
	echo "RESULT $name: 0 passed, 1 failed"
fi
exit "$rc"
