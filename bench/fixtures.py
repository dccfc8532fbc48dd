"""Fixtures for the benchmarks (bench/audit.sh, bench/backup.sh): under ROOT, `folder/` (one
large .bak and smaller ones, the three export zips, a DBImpExp XML, a File Store copy),
`single/rtc.bak` (a hard link to the large one) and `xml/UserData.xml` (XML_MIB MiB).

    python3 bench/fixtures.py ROOT SCALE XML_MIB
"""
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
