//! Validating an export zip: it opens, every entry decompresses with the CRC it was stored with,
//! and it holds what its kind of export holds. XML entries are checked for well-formedness on
//! the way through, so each entry is read once.

use super::artifact::ArtifactKind;
use super::finding::Problem;
use super::identify::{CMS_ENTRY, RGS_FOLDER};
use super::xmlstream::{self, XmlFailure};
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

/// The root element of `DocItemSet.xml` and the elements counted in it.
const CMS_ROOT: &str = "DocItemSet";
const CMS_ITEM: &str = "DocItem";
/// Entries the RGS export of the 2013 cmdlet holds under `RgsImportExport\`; the 2010 script's
/// layout is unconfirmed, so their absence is only reported.
const RGS_USUAL: &[&str] = &[
    "AgentGroups.xml",
    "Agents.xml",
    "Configuration.xml",
    "HolidaySets.xml",
    "HoursOfBusiness.xml",
    "Queues.xml",
    "Workflows.xml",
];

#[derive(Debug, Default)]
pub struct ZipCheck {
    pub entries: usize,
    pub uncompressed_bytes: u64,
    pub doc_items: Option<u64>,
    pub problems: Vec<Problem>,
}

/// Checks the zip at `path` as an export of `kind` (CMS, LIS or RGS).
pub fn check_zip(path: &Path, kind: ArtifactKind) -> io::Result<ZipCheck> {
    let mut archive = match zip::ZipArchive::new(BufReader::new(File::open(path)?)) {
        Ok(a) => a,
        Err(zip::result::ZipError::Io(e)) => return Err(e),
        Err(e) => {
            return Ok(ZipCheck {
                problems: vec![Problem::TruncatedZip {
                    detail: e.to_string(),
                }],
                ..ZipCheck::default()
            });
        }
    };
    let mut check = ZipCheck {
        entries: archive.len(),
        ..ZipCheck::default()
    };
    if archive.is_empty() {
        check.problems.push(Problem::EmptyZip);
        return Ok(check);
    }
    let mut names = Vec::new();
    for i in 0..archive.len() {
        let (name, result) = match archive.by_index(i) {
            Ok(mut entry) => {
                let name = entry
                    .name()
                    .map(|n| n.replace('\\', "/"))
                    .unwrap_or_else(|_| format!("entry {i}"));
                check.uncompressed_bytes += entry.size();
                let result = read_entry(&mut entry, &name, kind);
                (name, result)
            }
            Err(e) => (format!("entry {i}"), Err(EntryFailure::Zip(e.to_string()))),
        };
        match result {
            Ok(Some(items)) => check.doc_items = Some(items),
            Ok(None) => {}
            Err(EntryFailure::Zip(error)) => check.problems.push(Problem::CorruptEntry {
                entry: name.clone(),
                error,
            }),
            Err(EntryFailure::Xml(XmlFailure::Io(e))) => {
                check.problems.push(Problem::CorruptEntry {
                    entry: name.clone(),
                    error: e.to_string(),
                });
            }
            Err(EntryFailure::Xml(XmlFailure::Truncated { detail })) => {
                check.problems.push(Problem::TruncatedXml {
                    entry: Some(name.clone()),
                    detail,
                });
            }
            Err(EntryFailure::Xml(XmlFailure::Malformed { offset, detail })) => {
                // Read the entry again to say where; the fast path counts no lines.
                let at = archive
                    .by_index(i)
                    .ok()
                    .and_then(|e| xmlstream::line_and_column(e, offset).ok());
                let (line, column) = at.unwrap_or((0, 0));
                check.problems.push(Problem::MalformedXml {
                    entry: Some(name.clone()),
                    line,
                    column,
                    detail,
                });
            }
            Err(EntryFailure::WrongRoot(found)) => check.problems.push(Problem::WrongRoot {
                entry: Some(name.clone()),
                expected: CMS_ROOT.into(),
                found,
            }),
        }
        names.push(name);
    }
    check
        .problems
        .extend(missing_entries(kind, &names, check.doc_items));
    Ok(check)
}

enum EntryFailure {
    Zip(String),
    Xml(XmlFailure),
    WrongRoot(String),
}

/// Reads one entry to its end (the zip crate checks the CRC there). Returns the number of doc
/// items for the CMS export's `DocItemSet.xml`.
fn read_entry(entry: &mut impl Read, name: &str, kind: ArtifactKind) -> Result<Option<u64>, EntryFailure> {
    let is_xml = name.to_ascii_lowercase().ends_with(".xml");
    if kind == ArtifactKind::CsConfiguration && name.eq_ignore_ascii_case(CMS_ENTRY) {
        let outline = xmlstream::walk(entry, &[CMS_ITEM]).map_err(EntryFailure::Xml)?;
        if outline.root != CMS_ROOT {
            return Err(EntryFailure::WrongRoot(outline.root));
        }
        return Ok(outline.counts.first().copied());
    }
    if kind == ArtifactKind::RgsExport && is_xml && under_rgs_folder(name) {
        xmlstream::walk(entry, &[]).map_err(EntryFailure::Xml)?;
        return Ok(None);
    }
    io::copy(entry, &mut io::sink()).map_err(|e| EntryFailure::Zip(e.to_string()))?;
    Ok(None)
}

fn under_rgs_folder(name: &str) -> bool {
    name.len() > RGS_FOLDER.len() && name[..RGS_FOLDER.len()].eq_ignore_ascii_case(RGS_FOLDER)
}

fn missing_entries(kind: ArtifactKind, names: &[String], doc_items: Option<u64>) -> Vec<Problem> {
    let has = |n: &str| names.iter().any(|x| x.eq_ignore_ascii_case(n));
    match kind {
        ArtifactKind::CsConfiguration if !has(CMS_ENTRY) => vec![Problem::MissingEntry {
            entry: CMS_ENTRY.into(),
        }],
        ArtifactKind::CsConfiguration if doc_items == Some(0) => vec![Problem::NoDocItems],
        ArtifactKind::RgsExport if !names.iter().any(|n| under_rgs_folder(n)) => {
            vec![Problem::MissingEntry {
                entry: "RgsImportExport\\*.xml".into(),
            }]
        }
        ArtifactKind::RgsExport => {
            let absent: Vec<String> = RGS_USUAL
                .iter()
                .filter(|e| !has(&format!("{RGS_FOLDER}{e}")))
                .map(|e| e.to_string())
                .collect();
            if absent.is_empty() {
                vec![]
            } else {
                vec![Problem::UnusualRgsLayout { absent }]
            }
        }
        _ => vec![],
    }
}
