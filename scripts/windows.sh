#!/usr/bin/env bash
# The Windows Server 2008 R2 build of lyncdr, and its tests under wine.
#
#   scripts/windows.sh build   writes target/x86_64-win7-windows-gnu/release/lyncdr.exe
#   scripts/windows.sh test    runs clippy for that target, then `cargo test` under wine
#                              (integration tests included) and prints passed / skipped counts
#                              for both platforms
#
# Why this target: since Rust 1.78 the standard library of x86_64-pc-windows-* imports
# ProcessPrng, WaitOnAddress and GetSystemTimePreciseAsFileTime, which Windows 7 / Server 2008 R2
# lack, so such a lyncdr.exe does not start on a Lync Server 2010 Front End. The tier-3 target
# x86_64-win7-windows-gnu keeps to the Windows 7 API; it needs -Zbuild-std, so it is built with
# Debian's Rust (rustc-web, cargo-web, rust-web-clippy) and its library source (rust-web-src), linked by Debian's
# MinGW-w64, and run under wine64, which like 2008 R2 has no ProcessPrng (the `wine` package
# gives it the `wine`, `wineboot` and `wineserver` commands used here; `wine64` alone puts none
# on PATH). Everything comes from Debian's packages, installed here when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET=x86_64-win7-windows-gnu
PACKAGES=(rustc-web cargo-web rust-web-src rust-web-clippy gcc-mingw-w64-x86-64 wine64 wine)

usage() {
    sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'
    exit 64
}

install_packages() {
    local missing=()
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return
    echo "windows.sh: installing ${missing[*]} from Debian's packages"
    local sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    "${sudo[@]}" apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}

# Debian's cargo and rustc (1.96, with their own library source), not the machine's rustup ones.
# `windows_cargo SUBCOMMAND ARGS...`: the target goes right after the subcommand, before any `--`.
windows_cargo() {
    env PATH="/usr/bin:$PATH" RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1 \
        CARGO_TARGET_X86_64_WIN7_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc \
        CC_x86_64_win7_windows_gnu=x86_64-w64-mingw32-gcc \
        AR_x86_64_win7_windows_gnu=x86_64-w64-mingw32-ar \
        /usr/bin/cargo "$1" --target "$TARGET" -Zbuild-std "${@:2}"
}

# A wine prefix of the project's own (target/wine), made once, quietly, with no Mono or Gecko
# installer dialog.
setup_wine() {
    export WINEPREFIX="$PWD/target/wine" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
    export WINEARCH=win64
    if [ ! -f "$WINEPREFIX/system.reg" ]; then
        mkdir -p "$WINEPREFIX"
        wineboot --init >/dev/null 2>&1 || true
        wineserver -w || true
    fi
    export CARGO_TARGET_X86_64_WIN7_WINDOWS_GNU_RUNNER=wine
}

build() {
    install_packages
    windows_cargo build --release --locked --bin lyncdr
    local exe="target/$TARGET/release/lyncdr.exe"
    # Nothing that Windows Server 2008 R2 lacks: its PE import table, read by a test.
    LYNCDR_WINDOWS_EXE="$exe" cargo test --locked -q --test integration \
        windows_imports:: -- --include-ignored
    echo "windows.sh: built $exe"
    sha256sum "$exe"
}

# Test names of one platform's test binaries, one per line (`--list`), for the skipped counts.
list_tests() {
    grep -E ': test$' | sed 's/: test$//' | sort -u
}

count() { grep -c . || true; }

test() {
    install_packages
    build
    setup_wine
    local log=target/windows-test.log
    # The stand-in (powershell.exe, sqlcmd.exe) the integration tests start, built beforehand:
    # a test under wine cannot run cargo.
    windows_cargo build --locked --examples
    # The lints of the Windows code (cfg(windows) paths Linux's clippy never sees).
    windows_cargo clippy --locked --all-targets -- -D warnings
    windows_cargo test --locked --no-run
    set +e
    windows_cargo test --locked -- --test-threads=2 2>&1 | tee "$log"
    local status=${PIPESTATUS[0]}
    set -e
    windows_cargo test --locked -q -- --list 2>/dev/null | list_tests > target/windows-tests.txt
    cargo test --locked -q -- --list 2>/dev/null | list_tests > target/linux-tests.txt
    local passed failed
    passed=$(grep -oE '[0-9]+ passed' "$log" | awk '{s+=$1} END {print s+0}')
    failed=$(grep -oE '[0-9]+ failed' "$log" | awk '{s+=$1} END {print s+0}')
    local linux windows only_linux only_windows
    linux=$(count < target/linux-tests.txt)
    windows=$(count < target/windows-tests.txt)
    only_linux=$(comm -23 target/linux-tests.txt target/windows-tests.txt | count)
    only_windows=$(comm -13 target/linux-tests.txt target/windows-tests.txt | count)
    echo
    echo "Linux:   $linux tests; $only_windows Windows-only tests skipped"
    echo "Windows: $passed passed, $failed failed; $only_linux Linux-only tests skipped (of $windows built)"
    echo "(Linux-only tests: comm -23 target/linux-tests.txt target/windows-tests.txt)"
    return "$status"
}

case "${1:-}" in
    build) build ;;
    test) test ;;
    *) usage ;;
esac
