//! Validating an export zip: it opens, every entry decompresses with the CRC it was stored with,
//! and it holds what its kind of export holds. XML entries are checked for well-formedness on
//! the way through, so each entry is read once.
//!
//! A zip from a folder others can write to may be built to exhaust the audit: entries whose data
//! overlap (a zip bomb that inflates one stream many times over) are refused before anything is
//! inflated, and the bytes inflated are bounded, per entry by the size it declares and per file
//! by [`inflate_budget`]; a central directory too large to hold in memory is refused before
//! the zip crate reads it ([`super::zipend`]).

use super::finding::Problem;
use super::identify::{CMS_ENTRY, RGS_FOLDER, starts_with_rgs_folder};
use super::xmlstream::{self, XmlFailure};
use crate::artifact::ArtifactKind;
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

/// Inflated bytes allowed per byte of the zip. Deflate cannot pass about 1030 to 1; XML exports
/// compress 5 to 30 to 1.
const INFLATE_RATIO: u64 = 200;
/// Small zips may inflate to this much whatever their size.
const INFLATE_FLOOR: u64 = 64 << 20;
/// No zip inflates to more than this, whatever its size.
const INFLATE_CAP: u64 = 64 << 30;

/// The most bytes a zip of `file_size` bytes may inflate to, all entries together.
pub fn inflate_budget(file_size: u64) -> u64 {
    file_size
        .saturating_mul(INFLATE_RATIO)
        .clamp(INFLATE_FLOOR, INFLATE_CAP)
}

#[derive(Debug, Default)]
pub struct ZipCheck {
    pub entries: usize,
    pub uncompressed_bytes: u64,
    pub doc_items: Option<u64>,
    pub problems: Vec<Problem>,
}

/// Checks the zip at `path` as an export of `kind` (CMS, LIS or RGS).
pub fn check_zip(path: &Path, kind: ArtifactKind) -> io::Result<ZipCheck> {
    let mut file = super::open::listed(path)?;
    let file_size = file.metadata()?.len();
    if let Some(detail) = super::zipend::too_large(&mut file, file_size)? {
        return Ok(ZipCheck {
            problems: vec![Problem::Suspicious { entry: None, detail }],
            ..ZipCheck::default()
        });
    }
    let mut archive = match zip::ZipArchive::new(BufReader::new(file)) {
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
    if let Some(problem) = refused(&mut archive, file_size) {
        check.problems.push(problem);
        return Ok(check);
    }
    let mut budget = inflate_budget(file_size);
    let mut names = Vec::new();
    for i in 0..archive.len() {
        let (name, result) = match archive.by_index(i) {
            Ok(mut entry) => {
                let name = entry_name(entry.name().ok().as_deref(), i);
                check.uncompressed_bytes += entry.size();
                let declared = entry.size();
                let mut limited = Limited {
                    inner: &mut entry,
                    left: declared.min(budget),
                    read: 0,
                    over: false,
                };
                let result = read_entry(&mut limited, &name, kind);
                budget = budget.saturating_sub(limited.read);
                if limited.over {
                    check.problems.push(Problem::Suspicious {
                        entry: Some(name.clone()),
                        detail: format!(
                            "it inflates to more than the {declared} bytes it declares, or past the zip's limit of {} bytes",
                            inflate_budget(file_size)
                        ),
                    });
                    names.push(name);
                    break;
                }
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
            Err(EntryFailure::Xml(XmlFailure::OverLimit { detail })) => {
                check.problems.push(Problem::Suspicious {
                    entry: Some(name.clone()),
                    detail,
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

fn entry_name(name: Option<&str>, i: usize) -> String {
    name.map(|n| n.replace('\\', "/"))
        .unwrap_or_else(|| format!("entry {i}"))
}

/// Why the zip is refused before any entry is inflated: two entries whose data overlap, or more
/// inflated bytes declared than [`inflate_budget`] allows.
fn refused<R: Read + io::Seek>(archive: &mut zip::ZipArchive<R>, file_size: u64) -> Option<Problem> {
    // (start of the local header, end of the compressed data, name) of every entry.
    let mut spans: Vec<(u64, u64, String)> = Vec::new();
    let mut declared: u64 = 0;
    for i in 0..archive.len() {
        // A damaged entry is reported when it is read.
        let Ok(e) = archive.by_index_raw(i) else { continue };
        let start = e.header_start();
        let end = e
            .data_start()
            .unwrap_or(start)
            .saturating_add(e.compressed_size());
        declared = declared.saturating_add(e.size());
        spans.push((start, end, entry_name(e.name().ok().as_deref(), i)));
    }
    spans.sort();
    if let Some(w) = spans.windows(2).find(|w| w[0].1 > w[1].0) {
        return Some(Problem::Suspicious {
            entry: Some(w[1].2.clone()),
            detail: format!(
                "its data overlaps that of `{}`; entries that share compressed data are a zip bomb's trick, and no zip tool writes them",
                w[0].2
            ),
        });
    }
    let budget = inflate_budget(file_size);
    (declared > budget).then(|| Problem::Suspicious {
        entry: None,
        detail: format!(
            "its entries declare {declared} bytes inflated, more than the {budget} bytes allowed for a zip of {file_size} bytes ({INFLATE_RATIO} times its size, at most {INFLATE_CAP})"
        ),
    })
}

/// Reads at most `left` bytes from an entry; one more is an error (the entry inflates past the
/// size it declared or past the zip's budget).
struct Limited<'a, R> {
    inner: &'a mut R,
    left: u64,
    read: u64,
    /// The limit was hit: more bytes were there to read.
    over: bool,
}

impl<R: Read> Read for Limited<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            // Anything more is over the limit; nothing at all is the entry's end.
            let mut probe = [0; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => {
                    self.over = true;
                    Err(io::Error::other("inflates past its limit"))
                }
            };
        }
        let want = buf.len().min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.left -= n as u64;
        self.read = self.read.saturating_add(n as u64);
        Ok(n)
    }
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
    name.len() > RGS_FOLDER.len() && starts_with_rgs_folder(name)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_read_up_to_its_limit_and_no_further() {
        let read = |data: &[u8], left: u64| {
            let mut inner = data;
            let mut limited = Limited {
                inner: &mut inner,
                left,
                read: 0,
                over: false,
            };
            let result = io::copy(&mut limited, &mut io::sink());
            (result.is_ok(), limited.read, limited.over)
        };
        assert_eq!(read(b"0123456789", 10), (true, 10, false));
        assert_eq!(read(b"0123456789", 4), (false, 4, true));
    }

    #[test]
    fn the_budget_grows_with_the_file_between_a_floor_and_a_cap() {
        assert_eq!(inflate_budget(0), INFLATE_FLOOR);
        assert_eq!(inflate_budget(1 << 20), 200 << 20);
        assert_eq!(inflate_budget(u64::MAX), INFLATE_CAP);
    }
}
