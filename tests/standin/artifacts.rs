//! Believable Lync backup artifacts, built in memory: the export zips, DBImpExp XML, and SQL
//! Server backups in Microsoft Tape Format with valid block checksums and an end-of-set block.
//! Shared by the audit tests and the stand-in (`lync-shell`), which writes them when a backup
//! command runs, so what the stand-in writes is what the audit tests prove the audit accepts.
#![allow(dead_code)]

use std::io::{Cursor, Write};
use zip::write::SimpleFileOptions;

pub const NAMESPACE: &str = "http://schemas.microsoft.com/RtcServer/2002/11/dbimpexp";

pub fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in entries {
        // Fixed permissions: the same bytes on every platform (Windows would write DOS ones).
        let options = SimpleFileOptions::default()
            .unix_permissions(0o644)
            .system(zip::System::Unix);
        w.start_file(*name, options).expect("zip entry");
        w.write_all(data).expect("zip write");
    }
    w.finish().expect("zip finish").into_inner()
}

pub fn cms_zip() -> Vec<u8> {
    let doc = r#"<?xml version="1.0" encoding="utf-8"?>
<DocItemSet xmlns="urn:schema:Microsoft.Rtc.Management.Xds.AppLayer.2008">
  <DocItem Name="urn:xds:Microsoft.Rtc.Management.Deploy.Topology.2008:TopologyDocument"><Data><Topology/></Data></DocItem>
  <DocItem Name="urn:schema:Microsoft.Rtc.Management.Policy.Voice.2008:VoicePolicies"><Data/></DocItem>
  <DocItem Name="urn:schema:Microsoft.Rtc.Management.Settings.Registrar.2008:RegistrarSettings"><Data/></DocItem>
</DocItemSet>"#;
    zip_of(&[
        ("[Content_Types].xml", b"<Types/>"),
        ("DocItemSet.xml", doc.as_bytes()),
    ])
}

pub fn lis_zip() -> Vec<u8> {
    zip_of(&[(
        "Locations.xml",
        b"<Locations><Location City=\"Redmond\"/></Locations>",
    )])
}

pub fn rgs_zip() -> Vec<u8> {
    let objs = br#"<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04"><Obj RefId="0"/></Objs>"#;
    let names = [
        "AgentGroups",
        "Agents",
        "Configuration",
        "HolidaySets",
        "HoursOfBusiness",
        "Queues",
        "Workflows",
    ];
    let entries: Vec<(String, &[u8])> = names
        .iter()
        .map(|n| (format!("RgsImportExport\\{n}.xml"), &objs[..]))
        .collect();
    let mut refs: Vec<(&str, &[u8])> = entries.iter().map(|(n, d)| (n.as_str(), *d)).collect();
    refs.push((
        "RgsImportExport\\RGS\\Instances\\6e4ef5b7-0000-4000-8000-000000000001\\Welcome.wav",
        b"RIFF....WAVE",
    ));
    zip_of(&refs)
}

pub fn utf16le(text: &str) -> Vec<u8> {
    let mut v = vec![0xFF, 0xFE];
    v.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    v
}

/// A DBImpExp export as it writes it: UTF-16LE with a byte order mark.
pub fn user_data_text(root: &str, namespace: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-16"?>
<{root} xmlns="{namespace}">
  <HomedResource UserAtHost="alice@contoso.com" ContactsETag="1">
    <ContactGroups><ContactGroup Number="1" Name="~" /></ContactGroups>
    <Contacts>
      <Contact Buddy="bob@contoso.com" Groups="1" SubscribePresence="1" />
      <Contact Buddy="jos&#233;@contoso.com" Groups="1" SubscribePresence="1" />
    </Contacts>
  </HomedResource>
  <HomedResource UserAtHost="bob@contoso.com" ContactsETag="1">
    <Contacts><Contact Buddy="alice@contoso.com" Groups="1" SubscribePresence="1" /></Contacts>
  </HomedResource>
  <HomedResource UserAtHost="zoë@contoso.com" ContactsETag="1"><Contacts /></HomedResource>
  <ConferenceDirectories><ConferenceDirectory Id="1" Label="pool01" /></ConferenceDirectories>
</{root}>
"#
    )
}

pub fn user_data() -> Vec<u8> {
    utf16le(&user_data_text("HomedResources", NAMESPACE))
}

/// An MTF block of `size` bytes: `tag`, UTF-16 strings, the given fields, and its checksum.
pub fn mtf_block(tag: &[u8; 4], size: usize, fields: &[(usize, &[u8])]) -> Vec<u8> {
    let mut b = vec![0; size];
    b[..4].copy_from_slice(tag);
    b[48] = 2;
    for (at, bytes) in fields {
        b[*at..*at + bytes.len()].copy_from_slice(bytes);
    }
    let xor = b[..50]
        .chunks_exact(2)
        .fold(0, |x, w| x ^ u16::from_le_bytes([w[0], w[1]]));
    b[50..52].copy_from_slice(&xor.to_le_bytes());
    b
}

pub fn mtf_date(t: jiff::Timestamp) -> [u8; 5] {
    let d = t.to_zoned(jiff::tz::TimeZone::UTC).datetime();
    let v: u64 = (d.year() as u64) << 26
        | (d.month() as u64) << 22
        | (d.day() as u64) << 17
        | (d.hour() as u64) << 12
        | (d.minute() as u64) << 6
        | d.second() as u64;
    let b = v.to_be_bytes();
    [b[3], b[4], b[5], b[6], b[7]]
}

/// An uncompressed SQL Server backup of `database` taken at `taken`: TAPE, SFMB, SSET, data, ESET.
pub fn sql_backup(database: &str, taken: jiff::Timestamp) -> Vec<u8> {
    sql_backup_sets(&[(database, FULL, taken)])
}

/// MTF SSET attributes (facts file, "File formats").
pub const FULL: u32 = 0x4;
pub const DIFFERENTIAL: u32 = 0x8;

/// A SQL Server backup holding one set per (data set name, attributes, time), appended as
/// `BACKUP ... WITH NOINIT` does: TAPE, then per set SFMB, SSET, data, ESET; a closing SFMB.
pub fn sql_backup_sets(sets: &[(&str, u32, jiff::Timestamp)]) -> Vec<u8> {
    let utf16 = |s: &str| -> Vec<u8> { s.encode_utf16().flat_map(u16::to_le_bytes).collect() };
    let software = utf16("Microsoft SQL Server");
    let user = utf16("CONTOSO\\sqlsvc");
    let ptr = |len: usize, at: usize| [(len as u16).to_le_bytes(), (at as u16).to_le_bytes()].concat();
    let first = mtf_date(sets.first().map_or(jiff::Timestamp::UNIX_EPOCH, |s| s.2));
    let mut f = mtf_block(
        b"TAPE",
        1024,
        &[(80, &ptr(software.len(), 200)), (200, &software), (88, &first)],
    );
    for (database, attributes, taken) in sets {
        let name = utf16(database);
        f.extend(mtf_block(b"SFMB", 1024, &[]));
        f.extend(mtf_block(
            b"SSET",
            1024,
            &[
                (52, &attributes.to_le_bytes()),
                (64, &ptr(name.len(), 300)),
                (300, &name),
                (76, &ptr(user.len(), 400)),
                (400, &user),
                (88, &mtf_date(*taken)),
            ],
        ));
        f.extend((0..64 * 1024).map(|i| (i * 7 % 251) as u8));
        f.extend(mtf_block(b"ESET", 1024, &[]));
    }
    f.extend(mtf_block(b"SFMB", 1024, &[]));
    f
}
