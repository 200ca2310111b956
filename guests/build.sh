#!/bin/sh
# build.sh — rebuild every guest module from its source, reproducibly.
#
#   guests/build.sh           rebuild all modules in place
#   guests/build.sh --check   build twice into scratch directories and fail
#                             unless both builds and the committed modules
#                             are byte-identical
#
# All modules: the guests here, and the test modules written in WebAssembly
# text next to the Go tests (emulator/cpu/testdata, emulator/testdata,
# testdata/guests).
#
# Toolchain: clang (wasm32-wasi) with wasi-libc, wabt's wat2wasm, and Go
# (GOOS=wasip1). Missing tools are installed with apt-get.
#
# Reproducibility: C is built without debug info and with no paths in the
# output; Go with -trimpath, no VCS stamp and an empty build id.
set -eu

cd "$(dirname "$0")/.."
ROOT=$(pwd)
GUESTS=$ROOT/guests

CFLAGS="--target=wasm32-wasi -O2 -Wall -Werror -Wl,--strip-debug -I$GUESTS/sdk/c"

need_tools() {
	missing=""
	command -v clang >/dev/null 2>&1 || missing=1
	command -v wat2wasm >/dev/null 2>&1 || missing=1
	[ -e /usr/lib/wasm32-wasi/libc.a ] || [ -e /usr/share/wasi-sysroot/lib/wasm32-wasi/libc.a ] || missing=1
	if [ -n "$missing" ]; then
		echo "build.sh: installing the wasm toolchain" >&2
		sudo=""
		[ "$(id -u)" = 0 ] || sudo=sudo
		$sudo apt-get update -q
		$sudo apt-get install -y clang lld wasi-libc libclang-rt-14-dev-wasm32 wabt binaryen
	fi
	if ! command -v go >/dev/null 2>&1; then
		echo "build.sh: go is required (Go 1.26, for the GOOS=wasip1 guests)" >&2
		exit 1
	fi
}

# build_all OUT: build every module, writing each to OUT/<its path from
# the repository's root>.
build_all() {
	out=$1
	for src in guests/*.c guests/bench/*.c guests/files/*.c guests/net/*.c guests/proc/*.c; do
		[ -e "$src" ] || continue
		mkdir -p "$out/$(dirname "$src")"
		clang $CFLAGS -o "$out/${src%.c}.wasm" "$src"
	done
	for src in guests/*.wat guests/bench/*.wat guests/files/*.wat guests/net/*.wat guests/proc/*.wat \
		emulator/cpu/testdata/*.wat emulator/testdata/*.wat testdata/guests/*.wat; do
		[ -e "$src" ] || continue
		mkdir -p "$out/$(dirname "$src")"
		wat2wasm "$src" -o "$out/${src%.wat}.wasm"
	done
	# Go guests: a directory with a main package builds to <dir>.wasm.
	for dir in goinfo bench/gowork net/goecho; do
		mkdir -p "$out/guests/$(dirname "$dir")"
		GOFLAGS= GOOS=wasip1 GOARCH=wasm CGO_ENABLED=0 \
			go build -trimpath -buildvcs=false -ldflags=-buildid= \
			-o "$out/guests/$dir.wasm" "./guests/$dir"
	done
}

need_tools

case "${1:-}" in
"")
	build_all "$ROOT"
	echo "build.sh: built $(find guests emulator testdata -name '*.wasm' | wc -l) modules"
	;;
--check)
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	build_all "$tmp/a"
	build_all "$tmp/b"
	status=0
	for f in $(cd "$tmp/a" && find . -name '*.wasm' | sort); do
		if ! cmp -s "$tmp/a/$f" "$tmp/b/$f"; then
			echo "build.sh: $f differs between two builds" >&2
			status=1
		fi
		if ! cmp -s "$tmp/a/$f" "$ROOT/$f"; then
			echo "build.sh: $f differs from the committed module (run guests/build.sh)" >&2
			status=1
		fi
	done
	[ $status = 0 ] && echo "build.sh: $(cd "$tmp/a" && find . -name '*.wasm' | wc -l) modules reproducible and up to date"
	exit $status
	;;
*)
	echo "usage: guests/build.sh [--check]" >&2
	exit 2
	;;
esac
