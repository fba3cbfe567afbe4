#!/usr/bin/env bash
# tests/fuzz/build.sh OUTDIR: builds every libFuzzer harness (fuzz_*.c) into
# OUTDIR with clang, -fsanitize=fuzzer,address,undefined. The modules of
# src/ are compiled here with the same sanitizers; the autotools build is
# not touched. Every program but the two main()s (main.c, ctl*.c) is
# linked, as libtether.a is: harnesses reach a parser through its public
# entry point and may pull in whatever module it calls.
set -euo pipefail

here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
root=$(readlink -f "$here/../..")
out=${1:?usage: tests/fuzz/build.sh OUTDIR}
CC=${FUZZ_CC:-clang}
mkdir -p "$out/obj"

command -v "$CC" >/dev/null || {
	echo "tests/fuzz/build.sh: no $CC (Debian: clang libclang-rt-14-dev)" >&2
	exit 1
}
pkgs=(libpq json-c libcrypto fcgi)
read -ra pkg_cflags <<<"$(pkg-config --cflags "${pkgs[@]}")"
read -ra pkg_libs <<<"$(pkg-config --libs "${pkgs[@]}")"
# As configure's WARN_CFLAGS, but -Wno-unused-command-line-argument: the
# link line names -fsanitize=fuzzer for objects compiled without it.
# shellcheck disable=SC2054 # the commas are -fsanitize's, not separators
CFLAGS=(-std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
	-Wformat=2 -Werror -D_POSIX_C_SOURCE=200809L -g -O1 -fno-omit-frame-pointer
	-fsanitize=address,undefined -fno-sanitize-recover=undefined
	-I"$root/src" "${pkg_cflags[@]}")

objs=()
changed=0
for src in "$root"/src/*.c; do
	name=$(basename "$src" .c)
	case $name in main | ctl | ctl_bench) continue ;; esac
	obj=$out/obj/$name.o
	# Rebuilt when the source or any header is newer.
	if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] ||
		[ -n "$(find "$root/src" -name '*.h' -newer "$obj" -print -quit)" ]; then
		# clang's -Wstring-concatenation misreads the long messages of
		# reason.c's tables (one string over two lines); gcc has no such
		# warning.
		"$CC" "${CFLAGS[@]}" -Wno-string-concatenation -fsanitize=fuzzer-no-link \
			-c "$src" -o "$obj"
		changed=1
	fi
	objs+=("$obj")
done
lib=$out/obj/libtether-fuzz.a
if [ "$changed" = 1 ] || [ ! -f "$lib" ]; then
	rm -f "$lib"
	ar rcs "$lib" "${objs[@]}"
fi

# A harness is linked again only when it or the library changed (a running
# long fuzz keeps its program).
for h in "$here"/fuzz_*.c; do
	name=$(basename "$h" .c)
	bin=$out/$name
	if [ ! -x "$bin" ] || [ "$h" -nt "$bin" ] || [ "$lib" -nt "$bin" ] ||
		[ "$here/fuzz_util.h" -nt "$bin" ]; then
		"$CC" "${CFLAGS[@]}" -fsanitize=fuzzer "$h" "$lib" "${pkg_libs[@]}" \
			-o "$bin.tmp"
		mv -f "$bin.tmp" "$bin"
	fi
done
echo "tests/fuzz/build.sh: built $(cd "$out" && ls fuzz_* | tr '\n' ' ')"
