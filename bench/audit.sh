#!/usr/bin/env bash
# Benchmark of `lyncdr audit`, run by hand (not in CI: it writes about 5 GiB).
#
# Builds a backup folder (one large .bak, smaller .bak files, the three export zips, a DBImpExp
# XML, a File Store copy) and a 1 GiB DBImpExp XML, then times, with a warm page cache, best of
# BENCH_RUNS runs:
#   1. one large file:  lyncdr audit      vs  openssl dgst -sha256, sha256sum
#   2. the folder:      lyncdr audit      vs  openssl / sha256sum hashing the files one after another
#   3. the 1 GiB XML:   lyncdr audit --no-hash  vs  xmllint --stream --noout
# and prints throughputs, ratios against the goals, and peak memory (/usr/bin/time: max RSS).
#
#   bash bench/audit.sh
#   BENCH_DIR=/mnt/scratch/lyncdr-bench BENCH_SCALE=2 BENCH_RUNS=5 bash bench/audit.sh
#
# Needs python3 (to write the fixtures), openssl, sha256sum, GNU time; installs xmllint
# (Debian's libxml2-utils) if it is missing and apt-get is there.
set -euo pipefail
cd "$(dirname "$0")/.."

dir=${BENCH_DIR:-target/bench-audit}
scale=${BENCH_SCALE:-1}
runs=${BENCH_RUNS:-3}
xml_mib=${BENCH_XML_MIB:-1024}

for tool in python3 openssl sha256sum /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is needed" >&2; exit 1; }
done
if ! command -v xmllint >/dev/null; then
  if command -v apt-get >/dev/null; then
    echo "bench: installing libxml2-utils for xmllint" >&2
    apt-get install -y -qq libxml2-utils >/dev/null || { apt-get update -qq && apt-get install -y -qq libxml2-utils >/dev/null; }
  fi
  command -v xmllint >/dev/null || { echo "bench: xmllint is needed (libxml2-utils)" >&2; exit 1; }
fi

cargo build --release --quiet
lyncdr=target/release/lyncdr

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
if grep -qw sha_ni /proc/cpuinfo; then echo "SHA instructions: yes (sha_ni)"; else echo "SHA instructions: no"; fi
echo "tools: $(openssl version), $(sha256sum --version | head -1), xmllint $(xmllint --version 2>&1 | head -1 | awk '{print $NF}')"

# ------------------------------------------------------------------ fixtures
mkdir -p "$dir"
stamp="$dir/.params"
params="scale=$scale xml_mib=$xml_mib v1"
if [ "$(cat "$stamp" 2>/dev/null)" != "$params" ]; then
  echo "writing fixtures in $dir ..."
  rm -rf "$dir/folder" "$dir/single" "$dir/xml"
  python3 bench/fixtures.py "$dir" "$scale" "$xml_mib"
  echo "$params" > "$stamp"
fi

# ------------------------------------------------------------------ timing
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT

# Sets T to the best wall time (s) and M to the largest max RSS (KiB) of $runs runs of a command,
# each run after reading the files in $warm, so every tool reads from memory (some kernels reclaim
# idle page cache within seconds).
# A failure (for lyncdr, an exit status of 3 or more: it could not audit) stops the benchmark;
# lyncdr's 1 and 2 are verdicts (these folders lack some backups), not failures.
measure() {
  local best="" rss=0 t m status
  for _ in $(seq "$runs"); do
    cat "${warm[@]}" > /dev/null
    set +e
    /usr/bin/time -f "%e %M" -o "$tmp" "$@" >/dev/null 2>&1
    status=$?
    set -e
    if [ "$1" = "$lyncdr" ] && [ "$status" -ge 3 ] || { [ "$1" != "$lyncdr" ] && [ "$status" -ne 0 ]; }; then
      echo "bench: '$*' failed (exit $status)" >&2
      exit 1
    fi
    read -r t m < <(tail -1 "$tmp")
    if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; fi
    if [ "$m" -gt "$rss" ]; then rss=$m; fi
  done
  T=$best M=$rss
}

bytes_of() { du -b --apparent-size -c "$@" | tail -1 | cut -f1; }
mibps() { awk "BEGIN{t=$2; if (t < 0.01) t = 0.01; printf \"%.0f\", $1/1048576/t}"; }
ratio() { awk "BEGIN{b=$2; if (b < 0.01) b = 0.01; printf \"%.2f\", $1/b}"; }
line() { printf '  %-34s %7.2f s %7s MiB/s   peak %6.1f MiB\n' "$1" "$2" "$(mibps "$3" "$2")" "$(awk "BEGIN{print $4/1024}")"; }

mapfile -t files < <(find "$dir/folder" -type f | sort)
big="$dir/single/rtc.bak"
xml="$dir/xml/UserData.xml"

echo
echo "1. one large file: $(du -h --apparent-size "$big" | cut -f1) .bak"
big_bytes=$(bytes_of "$big")
warm=("$big")
measure openssl dgst -sha256 "$big"; o_t=$T o_m=$M
measure sha256sum "$big"; s_t=$T s_m=$M
measure "$lyncdr" audit "$dir/single"; l1_t=$T l1_m=$M
line "openssl dgst -sha256" "$o_t" "$big_bytes" "$o_m"
line "sha256sum" "$s_t" "$big_bytes" "$s_m"
line "lyncdr audit" "$l1_t" "$big_bytes" "$l1_m"
echo "  lyncdr throughput = $(ratio "$o_t" "$l1_t")x openssl's (goal >= 0.9x), $(ratio "$s_t" "$l1_t")x sha256sum's"

echo
echo "2. backup folder: ${#files[@]} files, $(du -sh --apparent-size "$dir/folder" | cut -f1)"
folder_bytes=$(bytes_of "${files[@]}")
warm=("${files[@]}")
measure openssl dgst -sha256 "${files[@]}"; o_t=$T o_m=$M
measure sha256sum "${files[@]}"; s_t=$T s_m=$M
measure "$lyncdr" audit "$dir/folder"; l_t=$T l_m=$M
line "openssl dgst -sha256 (one by one)" "$o_t" "$folder_bytes" "$o_m"
line "sha256sum (one by one)" "$s_t" "$folder_bytes" "$s_m"
line "lyncdr audit (validates too)" "$l_t" "$folder_bytes" "$l_m"
echo "  lyncdr is $(ratio "$o_t" "$l_t")x faster than openssl one after another (goal >= 1.5x), $(ratio "$s_t" "$l_t")x sha256sum"

echo
echo "3. DBImpExp XML: $(du -h --apparent-size "$xml" | cut -f1), UTF-16LE with BOM"
xml_bytes=$(bytes_of "$xml")
warm=("$xml")
measure xmllint --stream --noout "$xml"; x_t=$T x_m=$M
measure "$lyncdr" audit "$dir/xml" --no-hash; n_t=$T n_m=$M
measure "$lyncdr" audit "$dir/xml"; h_t=$T h_m=$M
line "xmllint --stream --noout" "$x_t" "$xml_bytes" "$x_m"
line "lyncdr audit --no-hash" "$n_t" "$xml_bytes" "$n_m"
line "lyncdr audit (parse + hash)" "$h_t" "$xml_bytes" "$h_m"
echo "  lyncdr validates at $(ratio "$x_t" "$n_t")x xmllint's throughput (goal >= 1x)"

echo
peak=$(printf '%s\n' "$l1_m" "$l_m" "$n_m" "$h_m" | sort -n | tail -1)
echo "lyncdr peak memory over all runs: $(awk "BEGIN{printf \"%.1f\", $peak/1024}") MiB (goal < 64 MiB)"
