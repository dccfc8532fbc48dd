//! The bundle as one zip, byte for byte the same for the same bundle: entries sorted by name,
//! no folders, every timestamp 1980-01-01 00:00 (the zip epoch), fixed permissions and
//! compression level. Windows Server 2008 R2 opens it with Explorer's Extract All.

use super::{BundleError, BundleFile};
use crate::audit::zipend;
use std::io::{Cursor, Read, Seek, Write};
use std::path::Path;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipArchive, ZipWriter};

pub fn zip_bytes(files: &[BundleFile], path: &Path) -> Result<Vec<u8>, BundleError> {
    let fail = |source| BundleError::Zip {
        path: path.to_owned(),
        source,
    };
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(6))
        .last_modified_time(DateTime::default())
        .unix_permissions(0o644)
        // "Made by" Unix on every platform: the zip crate says DOS when built for Windows, and
        // the bundle must be the same bytes whichever system wrote it.
        .system(zip::System::Unix);
    let mut sorted: Vec<&BundleFile> = files.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    for f in sorted {
        zip.start_file(f.name.as_str(), options).map_err(fail)?;
        zip.write_all(&f.bytes).map_err(|e| BundleError::io(path, e))?;
    }
    Ok(zip.finish().map_err(fail)?.into_inner())
}

/// Whether `zip` (of `len` bytes) is a zip lyncdr wrote (it may be replaced): it holds the
/// driver and sums. Its central directory is bounded before it is read ([`zipend`]).
pub fn is_bundle_zip<R: Read + Seek>(mut zip: R, len: u64) -> bool {
    if !matches!(zipend::too_large(&mut zip, len), Ok(None)) {
        return false;
    }
    let Ok(archive) = ZipArchive::new(zip) else {
        return false;
    };
    let names: Vec<String> = archive
        .file_names()
        .filter_map(|n| n.ok().map(|n| n.into_owned()))
        .collect();
    [super::DRIVER, super::sums::FILE]
        .iter()
        .all(|want| names.iter().any(|n| n == want))
}
