//! What a file is, from its first bytes: a zip (and which export, from its entry names), XML (and
//! its root element), a SQL Server backup (and of which database), or something else. This is the
//! cheap pass over every file; the thorough checks come after, per kind (`examine.rs`).

use super::artifact::lync_database_in;
use super::mtf::{self, MtfError, SqlBackupHeader};
use super::xmlstream;
use crate::artifact::ArtifactKind;
use std::fs::File;
use std::io::{self, Read, Seek};
use std::path::Path;

/// Bytes read from the start of each file to recognise it.
pub const HEAD: u64 = 64 * 1024;

/// The root element of a DBImpExp export and its namespace.
pub const USER_DATA_ROOT: &str = "HomedResources";
pub const USER_DATA_NAMESPACE: &str = "http://schemas.microsoft.com/RtcServer/2002/11/dbimpexp";
/// The entry that makes a zip an Export-CsConfiguration export.
pub const CMS_ENTRY: &str = "DocItemSet.xml";
/// The folder that makes a zip an RGS export (RgsImportExport.ps1 writes `RgsImportExport\...`).
pub const RGS_FOLDER: &str = "RgsImportExport/";

/// Words in a file name that suggest a kind, for files whose content cannot tell: damaged ones,
/// and the LIS export, whose layout is unconfirmed (any zip that is neither CMS nor RGS export).
/// Checked in order: `CsLisConfiguration.zip` is the LIS export, `RgsConfig.zip` the RGS export.
const ZIP_NAME_HINTS: &[(ArtifactKind, &[&str])] = &[
    (ArtifactKind::RgsExport, &["rgs", "responsegroup"]),
    (ArtifactKind::LisConfiguration, &["lis", "e911", "location"]),
    (ArtifactKind::CsConfiguration, &["config", "cms", "xds"]),
];
const XML_NAME_HINTS: &[&str] = &["user", "dbimpexp", "hrxml", "homed"];

/// Does a zip entry name (with `/` separators) start with [`RGS_FOLDER`], in any case? Compared
/// as bytes: a name is text from the file, and a character may straddle any byte offset.
pub fn starts_with_rgs_folder(name: &str) -> bool {
    name.as_bytes()
        .get(..RGS_FOLDER.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(RGS_FOLDER.as_bytes()))
}

/// Which export a readable zip is, from its entry names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZipFlavor {
    Cms,
    Rgs,
    /// Neither: the LIS export if any (its layout is unconfirmed), or something else.
    Unknown,
}

impl ZipFlavor {
    pub fn of<'a>(names: impl IntoIterator<Item = &'a str>) -> Self {
        let mut flavor = ZipFlavor::Unknown;
        for name in names {
            let name = name.replace('\\', "/");
            if name.eq_ignore_ascii_case(CMS_ENTRY) {
                return ZipFlavor::Cms;
            }
            if starts_with_rgs_folder(&name) {
                flavor = ZipFlavor::Rgs;
            }
        }
        flavor
    }

    fn kind(self) -> Option<ArtifactKind> {
        match self {
            ZipFlavor::Cms => Some(ArtifactKind::CsConfiguration),
            ZipFlavor::Rgs => Some(ArtifactKind::RgsExport),
            ZipFlavor::Unknown => None,
        }
    }
}

/// What the first bytes of a file say it is.
#[derive(Debug)]
pub enum Identity {
    Empty,
    Zip(ZipFlavor),
    /// Starts like a zip but does not open as one; the flavor is read from the first local headers.
    BrokenZip {
        flavor: ZipFlavor,
        detail: String,
    },
    /// XML; `root` is the local name of its root element.
    Xml {
        root: String,
    },
    /// Starts like XML, but no root element in its first bytes (malformed, or a huge prolog).
    XmlWithoutRoot,
    SqlBackup(SqlBackupHeader),
    /// Starts with `TAPE` but the header is cut short or damaged.
    BrokenSqlBackup {
        truncated: bool,
        detail: String,
    },
    Other {
        starts_with: String,
    },
}

impl Identity {
    /// Reads the start of the file at `path`, `len` bytes long.
    pub fn of(path: &Path, len: u64) -> io::Result<Identity> {
        if len == 0 {
            return Ok(Identity::Empty);
        }
        Identity::of_file(&mut super::open::listed(path)?, len)
    }

    /// [`Identity::of`] the file open in `file`, read from its start.
    pub fn of_file(mut file: &mut File, len: u64) -> io::Result<Identity> {
        if len == 0 {
            return Ok(Identity::Empty);
        }
        file.seek(io::SeekFrom::Start(0))?;
        let mut head = Vec::new();
        (&mut file).take(HEAD).read_to_end(&mut head)?;
        if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
            // The zip crate reads the whole central directory: bounded first.
            if let Some(detail) = super::zipend::too_large(&mut file, len)? {
                return Ok(Identity::BrokenZip {
                    flavor: ZipFlavor::of(local_entry_names(&head).iter().map(String::as_str)),
                    detail,
                });
            }
            return Ok(match zip::ZipArchive::new(&mut file) {
                Ok(z) => Identity::Zip(ZipFlavor::of(
                    z.file_names()
                        .flatten()
                        .collect::<Vec<_>>()
                        .iter()
                        .map(|n| n.as_ref()),
                )),
                Err(e) => Identity::BrokenZip {
                    flavor: ZipFlavor::of(local_entry_names(&head).iter().map(String::as_str)),
                    detail: e.to_string(),
                },
            });
        }
        if head.starts_with(mtf::MTF_MAGIC) || head.starts_with(mtf::COMPRESSED_MAGIC) {
            return Ok(match mtf::read_header(&mut file, len) {
                Ok(h) => Identity::SqlBackup(h),
                Err(MtfError::Io(e)) => return Err(e),
                Err(MtfError::Truncated(detail)) => Identity::BrokenSqlBackup {
                    truncated: true,
                    detail,
                },
                Err(MtfError::Corrupt(detail)) => Identity::BrokenSqlBackup {
                    truncated: false,
                    detail,
                },
                Err(MtfError::NotABackup) => Identity::Other {
                    starts_with: printable_start(&head),
                },
            });
        }
        if xmlstream::looks_like_xml(&head) {
            return Ok(match xmlstream::root_of_head(&head) {
                Some((_, root, _)) => Identity::Xml { root },
                None => Identity::XmlWithoutRoot,
            });
        }
        Ok(Identity::Other {
            starts_with: printable_start(&head),
        })
    }

    /// The kind this file is, from its content, with its name as a tie-breaker where the content
    /// cannot tell. The second value is true when the name decided.
    pub fn kind(&self, file_name: &str) -> Option<(ArtifactKind, bool)> {
        let by_content = |k: ArtifactKind| Some((k, false));
        let by_name = |k: Option<ArtifactKind>| k.map(|k| (k, true));
        match self {
            Identity::Zip(flavor) => match flavor.kind() {
                Some(k) => by_content(k),
                // An unknown zip is the LIS export, unless its name says it is another export.
                None => by_name(zip_hint(file_name)).or(by_content(ArtifactKind::LisConfiguration)),
            },
            Identity::BrokenZip { flavor, .. } => flavor
                .kind()
                .map(|k| (k, false))
                .or_else(|| by_name(zip_hint(file_name))),
            Identity::Xml { root, .. } if root == USER_DATA_ROOT => by_content(ArtifactKind::UserData),
            Identity::SqlBackup(h) => match h.data_set_name.as_deref().and_then(lync_database_in) {
                Some("rtc") => by_content(ArtifactKind::RtcDatabase),
                Some(_) => by_content(ArtifactKind::OtherDatabase),
                None => by_name(Some(sql_hint(file_name))),
            },
            Identity::BrokenSqlBackup { .. } => by_name(Some(sql_hint(file_name))),
            Identity::Xml { .. } | Identity::XmlWithoutRoot => by_name(xml_hint(file_name)),
            Identity::Empty | Identity::Other { .. } => by_name(extension_hint(file_name)),
        }
    }

    /// The kind its bytes prove, with no help from its name.
    pub fn content_kind(&self) -> Option<ArtifactKind> {
        match self {
            Identity::Zip(flavor) | Identity::BrokenZip { flavor, .. } => flavor.kind(),
            Identity::Xml { root, .. } if root == USER_DATA_ROOT => Some(ArtifactKind::UserData),
            Identity::SqlBackup(h) => match h.data_set_name.as_deref().and_then(lync_database_in)? {
                "rtc" => Some(ArtifactKind::RtcDatabase),
                _ => Some(ArtifactKind::OtherDatabase),
            },
            _ => None,
        }
    }

    /// What it is, for messages: "a CMS export zip", "XML with root `<Users>`".
    pub fn describe(&self) -> String {
        match self {
            Identity::Empty => "an empty file".into(),
            Identity::Zip(ZipFlavor::Cms) => "a CMS export zip (it holds `DocItemSet.xml`)".into(),
            Identity::Zip(ZipFlavor::Rgs) => "a Response Group export zip".into(),
            Identity::Zip(ZipFlavor::Unknown) => "a zip archive".into(),
            Identity::BrokenZip { .. } => "a damaged zip archive".into(),
            Identity::Xml { root, .. } => format!("XML with root `<{root}>`"),
            Identity::XmlWithoutRoot => "XML without a root element in its first 64 KiB".into(),
            Identity::SqlBackup(h) => match &h.data_set_name {
                Some(name) => format!("a SQL Server backup of `{name}`"),
                None if h.compressed => "a compressed SQL Server backup".into(),
                None => "a SQL Server backup".into(),
            },
            Identity::BrokenSqlBackup { .. } => "a damaged SQL Server backup".into(),
            Identity::Other { starts_with } if starts_with.is_empty() => "binary data".into(),
            Identity::Other { starts_with } => format!("a file starting with `{starts_with}`"),
        }
    }
}

fn lower_name(file_name: &str) -> String {
    file_name.to_ascii_lowercase()
}

pub fn extension(file_name: &str) -> String {
    file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default()
}

fn zip_hint(file_name: &str) -> Option<ArtifactKind> {
    let name = lower_name(file_name);
    ZIP_NAME_HINTS
        .iter()
        .find(|(_, words)| words.iter().any(|w| name.contains(w)))
        .map(|(k, _)| *k)
}

fn xml_hint(file_name: &str) -> Option<ArtifactKind> {
    let name = lower_name(file_name);
    XML_NAME_HINTS
        .iter()
        .any(|w| name.contains(w))
        .then_some(ArtifactKind::UserData)
}

fn sql_hint(file_name: &str) -> ArtifactKind {
    match lync_database_in(file_name) {
        Some("rtc") => ArtifactKind::RtcDatabase,
        _ => ArtifactKind::OtherDatabase,
    }
}

/// For files whose content says nothing (empty, unreadable, or not a backup at all): the kind
/// their extension and name suggest.
pub fn extension_hint(file_name: &str) -> Option<ArtifactKind> {
    match extension(file_name).as_str() {
        "zip" => zip_hint(file_name),
        "xml" => xml_hint(file_name),
        "bak" => Some(sql_hint(file_name)),
        _ => None,
    }
}

/// The first characters of a file if they are text, for messages about what a file really is.
fn printable_start(head: &[u8]) -> String {
    let text: String = String::from_utf8_lossy(&head[..head.len().min(24)])
        .chars()
        .take_while(|c| !c.is_control() || *c == ' ')
        .filter(|c| *c != char::REPLACEMENT_CHARACTER && *c != '`')
        .collect();
    if text.chars().count() >= 3 {
        text.trim_end().to_owned()
    } else {
        String::new()
    }
}

/// Entry names from the local file headers at the start of a zip: enough to tell which export a
/// truncated zip was.
fn local_entry_names(head: &[u8]) -> Vec<String> {
    let mut names = Vec::new();
    let mut at = 0;
    while let Some(h) = head.get(at..at + 30) {
        if !h.starts_with(b"PK\x03\x04") {
            break;
        }
        let u16_at = |i: usize| usize::from(u16::from_le_bytes([h[i], h[i + 1]]));
        let compressed = u32::from_le_bytes([h[18], h[19], h[20], h[21]]) as usize;
        let (name_len, extra_len) = (u16_at(26), u16_at(28));
        let Some(name) = head.get(at + 30..at + 30 + name_len) else {
            break;
        };
        names.push(String::from_utf8_lossy(name).into_owned());
        // With a data descriptor (flag bit 3) the size is not in the local header: stop here.
        if u16_at(6) & 0x8 != 0 {
            break;
        }
        at += 30 + name_len + extra_len + compressed;
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zip_flavor_from_entry_names() {
        assert_eq!(
            ZipFlavor::of(["[Content_Types].xml", "DocItemSet.xml"]),
            ZipFlavor::Cms
        );
        assert_eq!(ZipFlavor::of(["RgsImportExport\\Workflows.xml"]), ZipFlavor::Rgs);
        assert_eq!(
            ZipFlavor::of(["rgsimportexport/RGS/Instances/x/a.wav"]),
            ZipFlavor::Rgs
        );
        assert_eq!(ZipFlavor::of(["Locations.xml"]), ZipFlavor::Unknown);
    }

    /// Issue 10: `name[..16]` panicked when a character straddled byte 16 of an entry name.
    #[test]
    fn a_character_across_the_folder_length_is_no_panic() {
        let name = "RgsImportExpor日本.xml";
        assert!(!name.is_char_boundary(RGS_FOLDER.len()));
        assert_eq!(ZipFlavor::of([name]), ZipFlavor::Unknown);
        assert!(!starts_with_rgs_folder(name) && starts_with_rgs_folder("rgsimportexport/日本.xml"));
    }

    #[test]
    fn names_decide_only_where_content_cannot() {
        let unknown_zip = Identity::Zip(ZipFlavor::Unknown);
        assert_eq!(
            unknown_zip.kind("CsLisConfiguration.zip"),
            Some((ArtifactKind::LisConfiguration, true))
        );
        assert_eq!(
            unknown_zip.kind("E911.bak"),
            Some((ArtifactKind::LisConfiguration, true))
        );
        assert_eq!(
            unknown_zip.kind("export.zip"),
            Some((ArtifactKind::LisConfiguration, false))
        );
        assert_eq!(
            unknown_zip.kind("CsConfiguration.zip"),
            Some((ArtifactKind::CsConfiguration, true))
        );
        assert_eq!(
            Identity::Zip(ZipFlavor::Cms).kind("lis.zip"),
            Some((ArtifactKind::CsConfiguration, false))
        );
        assert_eq!(
            Identity::Empty.kind("RgsConfig_pool01.zip"),
            Some((ArtifactKind::RgsExport, true))
        );
        assert_eq!(
            Identity::Empty.kind("rtc.bak"),
            Some((ArtifactKind::RtcDatabase, true))
        );
        assert_eq!(Identity::Empty.kind("notes.txt"), None);
        let text = Identity::Other {
            starts_with: "hello".into(),
        };
        assert_eq!(
            text.kind("rtc_20240501.bak"),
            Some((ArtifactKind::RtcDatabase, true))
        );
        let xml = Identity::Xml { root: "Users".into() };
        assert_eq!(xml.kind("UserData.xml"), Some((ArtifactKind::UserData, true)));
        assert_eq!(xml.kind("settings.xml"), None);
    }

    #[test]
    fn local_headers_of_a_cut_zip() {
        let mut z = Vec::new();
        for (name, data) in [
            ("[Content_Types].xml", &b"abc"[..]),
            ("DocItemSet.xml", b"<DocItemSet/>"),
        ] {
            z.extend(b"PK\x03\x04");
            z.extend([0; 14]);
            z.extend((data.len() as u32).to_le_bytes());
            z.extend((data.len() as u32).to_le_bytes());
            z.extend((name.len() as u16).to_le_bytes());
            z.extend(0_u16.to_le_bytes());
            z.extend(name.as_bytes());
            z.extend(data);
        }
        assert_eq!(local_entry_names(&z), ["[Content_Types].xml", "DocItemSet.xml"]);
        assert_eq!(local_entry_names(&z[..60]), ["[Content_Types].xml"]);
    }

    #[test]
    fn printable_starts() {
        assert_eq!(
            printable_start(b"Hello world, this is a text file\n"),
            "Hello world, this is a t"
        );
        assert_eq!(printable_start(&[0, 1, 2, 3]), "");
    }
}
