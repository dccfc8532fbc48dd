#!/usr/bin/env bash
# Benchmark of `lyncdr backup`'s own work, run by hand (not in CI: it writes about 4 GiB).
#
# Goal (issue 12): the job's own work (manifest, hashing every file, SHA256SUMS, the audit,
# COMPLETE) over a set of a few GiB costs at most 1.2x `lyncdr audit` alone on the same set.
#
# The backup steps run through the stand-ins (`lync-shell`, release build) with
# LYNCSHELL_ARTIFACTS pointing at prepared files: each export, DBImpExp, robocopy and BACKUP
# DATABASE hard-links its big file into the new set instead of writing it, so the steps cost
# eleven process starts and no copying. The time of the whole `lyncdr backup` (steps included)
# is compared with `lyncdr audit` of the set it wrote, both with a warm page cache, best of
# BENCH_RUNS runs; the ratio printed is therefore an upper bound of the job's own work.
#
#   bash bench/backup.sh
#   BENCH_DIR=/mnt/scratch/lyncdr-bench BENCH_SCALE=2 BENCH_RUNS=5 bash bench/backup.sh
#
# Needs python3 (fixtures: bench/fixtures.py, shared with bench/audit.sh) and GNU time.
set -euo pipefail
cd "$(dirname "$0")/.."

dir=${BENCH_DIR:-target/bench-backup}
scale=${BENCH_SCALE:-1}
runs=${BENCH_RUNS:-3}

for tool in python3 /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is needed" >&2; exit 1; }
done

cargo build --release --quiet
cargo build --release --quiet --example lync-shell
lyncdr=$PWD/target/release/lyncdr
shell=$PWD/target/release/examples/lync-shell

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"

# ------------------------------------------------------------------ fixtures
mkdir -p "$dir"
stamp="$dir/.params"
params="scale=$scale v1"
if [ "$(cat "$stamp" 2>/dev/null)" != "$params" ]; then
  echo "writing fixtures in $dir ..."
  rm -rf "$dir/folder" "$dir/single" "$dir/xml" "$dir/art"
  python3 bench/fixtures.py "$dir" "$scale" 1
  # The files under the names a backup set gives them (docs/backup-set.md).
  mkdir -p "$dir/art"
  f=$dir/folder
  ln "$f/CsConfiguration.zip" "$dir/art/CsConfiguration.zip"
  ln "$f/CsLisConfiguration.zip" "$dir/art/CsLisConfiguration.zip"
  ln "$f/RgsConfig_pool01.zip" "$dir/art/RgsConfig-pool01.contoso.com.zip"
  ln "$f/UserData.xml" "$dir/art/SavedUserData.xml"
  for db in rtc xds lis rgsconfig; do ln "$f/sql/$db.bak" "$dir/art/$db.bak"; done
  ln "$f/sql/lcscdr.bak" "$dir/art/LcsCDR.bak"
  ln "$f/sql/qoemetrics.bak" "$dir/art/QoEMetrics.bak"
  cp -al "$f/FileStore" "$dir/art/FileStore"
  echo "$params" > "$stamp"
fi
cp runbooks/examples/contoso.yaml "$dir/contoso.yaml"
rm -rf "$dir/sets" "$dir/.lyncdr"
mkdir -p "$dir/sets"

# ------------------------------------------------------------------ timing
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
mapfile -t warm < <(find "$dir/art" -type f | sort)

# Runs a command with a warm page cache; sets T (wall s) and M (max RSS KiB). Exit codes 0-2
# are lyncdr's verdicts (the fixtures' backups are old: degraded or not ready); 3 and more stop
# the benchmark.
timed() {
  cat "${warm[@]}" > /dev/null
  set +e
  /usr/bin/time -f "%e %M" -o "$tmp" "$@" > /dev/null 2>&1
  local status=$?
  set -e
  if [ "$status" -ge 3 ]; then echo "bench: '$*' failed (exit $status)" >&2; exit 1; fi
  read -r T M < <(tail -1 "$tmp")
}

best_b="" best_a="" rss_b=0 rss_a=0
for _ in $(seq "$runs"); do
  sleep 1  # set names have a one-second resolution
  timed env LYNCSHELL_ARTIFACTS="$PWD/$dir/art" "$lyncdr" backup --env "$dir/contoso.yaml" --to "$dir/sets" \
    --powershell "$shell" --sqlcmd "$shell"
  b=$T; [ "$M" -gt "$rss_b" ] && rss_b=$M
  set_dir=$(find "$dir/sets" -mindepth 1 -maxdepth 1 -name 'lyncdr-*' | sort | tail -1)
  [ -f "$set_dir/COMPLETE" ] || { echo "bench: the set $set_dir is not complete" >&2; exit 1; }
  timed "$lyncdr" audit "$set_dir"
  a=$T; [ "$M" -gt "$rss_a" ] && rss_a=$M
  if [ -z "$best_b" ] || awk "BEGIN{exit !($b < $best_b)}"; then best_b=$b; fi
  if [ -z "$best_a" ] || awk "BEGIN{exit !($a < $best_a)}"; then best_a=$a; fi
  rm -rf "$set_dir"
done

bytes=$(du -b --apparent-size -c "${warm[@]}" | tail -1 | cut -f1)
echo
echo "backup set: ${#warm[@]} files, $(awk "BEGIN{printf \"%.1f\", $bytes/1073741824}") GiB (best of $runs, warm cache)"
printf '  %-44s %7.2f s   peak %6.1f MiB\n' "lyncdr audit SET" "$best_a" "$(awk "BEGIN{print $rss_a/1024}")"
printf '  %-44s %7.2f s   peak %6.1f MiB\n' "lyncdr backup (steps through stand-ins, job)" "$best_b" "$(awk "BEGIN{print $rss_b/1024}")"
echo "  lyncdr backup / lyncdr audit = $(awk "BEGIN{a=$best_a; if (a < 0.01) a = 0.01; printf \"%.2f\", $best_b/a}")x (goal <= 1.2x)"
