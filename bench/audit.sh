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
  python3 - "$dir" "$scale" "$xml_mib" <<'PY'
import io, os, struct, sys, zipfile
root, scale, xml_mib = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
MiB = 1 << 20

def utf16(s):
    return s.encode("utf-16-le")

def block(tag, size, fields):
    b = bytearray(size)
    b[0:4] = tag
    b[48] = 2  # strings are UTF-16LE
    for at, data in fields:
        b[at:at + len(data)] = data
    x = 0
    for (w,) in struct.iter_unpack("<H", bytes(b[:50])):
        x ^= w
    b[50:52] = struct.pack("<H", x)
    return bytes(b)

def mtf_date(y, mo, d, h, mi, s):
    v = y << 26 | mo << 22 | d << 17 | h << 12 | mi << 6 | s
    return v.to_bytes(5, "big")

def sql_backup(path, database, size):
    sw, name = utf16("Microsoft SQL Server"), utf16(database)
    ptr = lambda n, at: struct.pack("<HH", n, at)
    date = mtf_date(2024, 5, 7, 22, 0, 0)
    head = block(b"TAPE", 1024, [(80, ptr(len(sw), 200)), (200, sw), (88, date)])
    head += block(b"SFMB", 1024, [])
    head += block(b"SSET", 1024, [(52, struct.pack("<I", 4)), (64, ptr(len(name), 300)), (300, name), (88, date)])
    tail = block(b"ESET", 1024, []) + block(b"SFMB", 1024, [])
    data = max(0, (size - len(head) - len(tail)) // 512 * 512)
    chunk = os.urandom(MiB)
    with open(path, "wb") as f:
        f.write(head)
        while data > 0:
            n = min(data, MiB)
            f.write(chunk[:n])
            data -= n
        f.write(tail)

def zip_file(path, entries):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            z.writestr(name, data)

USER = ('  <HomedResource UserAtHost="user{n}@contoso.com" ContactsETag="12" RichPresence="1">\r\n'
        '    <ContactGroups><ContactGroup Number="1" Name="~" ExternalUri="" /><ContactGroup Number="2" Name="Team" ExternalUri="" /></ContactGroups>\r\n'
        '    <Contacts>\r\n'
        '      <Contact Buddy="colleague{n}a@contoso.com" Groups="1 2" SubscribePresence="1" Name="Jos\u00e9 Garc\u00eda" ExternalUri="" />\r\n'
        '      <Contact Buddy="colleague{n}b@contoso.com" Groups="1" SubscribePresence="1" Name="" ExternalUri="" />\r\n'
        '      <Contact Buddy="partner{n}@fabrikam.com" Groups="2" SubscribePresence="0" Name="Zo\u00eb" ExternalUri="" />\r\n'
        '    </Contacts>\r\n'
        '  </HomedResource>\r\n')

def user_data(path, size):
    head = ('<?xml version="1.0" encoding="utf-16"?>\r\n'
            '<HomedResources xmlns="http://schemas.microsoft.com/RtcServer/2002/11/dbimpexp">\r\n')
    tail = '</HomedResources>\r\n'
    block_text = "".join(USER.format(n=n) for n in range(2000))
    chunk = utf16(block_text)
    with open(path, "wb") as f:
        f.write(b"\xff\xfe" + utf16(head))
        written = 0
        while written + len(chunk) <= size:
            f.write(chunk)
            written += len(chunk)
        f.write(utf16(tail))

folder = os.path.join(root, "folder")
os.makedirs(os.path.join(folder, "sql"))
mib = lambda n: int(n * scale) * MiB
sql_backup(os.path.join(folder, "sql", "rtc.bak"), "rtc", mib(2048))
for db, n in [("lcscdr", 768), ("qoemetrics", 512), ("xds", 256), ("lis", 128), ("rgsconfig", 64)]:
    sql_backup(os.path.join(folder, "sql", db + ".bak"), db, mib(n))
zip_file(os.path.join(folder, "CsConfiguration.zip"),
         [("[Content_Types].xml", "<Types/>"),
          ("DocItemSet.xml", "<DocItemSet>" + "<DocItem Name=\"urn:x\"><Data/></DocItem>" * 2000 + "</DocItemSet>")])
zip_file(os.path.join(folder, "CsLisConfiguration.zip"), [("Locations.xml", "<Locations>" + "<Location/>" * 5000 + "</Locations>")])
objs = '<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">' + '<Obj RefId="0"/>' * 500 + "</Objs>"
zip_file(os.path.join(folder, "RgsConfig_pool01.zip"),
         [("RgsImportExport\\%s.xml" % n, objs) for n in
          ["AgentGroups", "Agents", "Configuration", "HolidaySets", "HoursOfBusiness", "Queues", "Workflows"]]
         + [("RgsImportExport\\RGS\\Instances\\1\\Welcome.wav", os.urandom(4 * MiB))])
user_data(os.path.join(folder, "UserData.xml"), mib(96))
for i in range(8):
    p = os.path.join(folder, "FileStore", "1-WebServices-1", "MeetingContent", "deck%d.pptx" % i)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "wb") as f:
        for _ in range(int(16 * scale)):
            f.write(os.urandom(MiB))

os.makedirs(os.path.join(root, "single"))
os.link(os.path.join(folder, "sql", "rtc.bak"), os.path.join(root, "single", "rtc.bak"))
os.makedirs(os.path.join(root, "xml"))
user_data(os.path.join(root, "xml", "UserData.xml"), xml_mib * MiB)
PY
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
