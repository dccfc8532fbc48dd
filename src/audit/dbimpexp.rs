//! The DBImpExp user data export: UTF-16 XML with root `<HomedResources>` in the dbimpexp
//! namespace, one `<HomedResource UserAtHost=...>` per user holding its contact groups and
//! `<Contact>`s. Checked to its last byte in one streaming read that also hashes it, so a
//! multi-gigabyte export takes constant memory and is read once.

use super::artifact::Details;
use super::finding::Problem;
use super::hash::{self, Sha256Digest};
use super::identify::{USER_DATA_NAMESPACE, USER_DATA_ROOT};
use super::progress::Progress;
use super::xmlstream::{self, XmlFailure};
use crate::utf16::TextEncoding;
use std::io;
use std::path::Path;

/// Elements counted: users, contacts, conference directories. The last name is unconfirmed (no
/// public sample of a Lync 2010 export shows conference elements); change it here.
const COUNTED: [&str; 3] = ["HomedResource", "Contact", "ConferenceDirectory"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserDataSummary {
    pub encoding: TextEncoding,
    pub users: u64,
    pub contacts: u64,
    pub conference_directories: u64,
}

impl UserDataSummary {
    pub fn into_details(self) -> Details {
        Details::UserData {
            encoding: self.encoding,
            users: self.users,
            contacts: self.contacts,
            conference_directories: self.conference_directories,
        }
    }
}

#[derive(Debug)]
pub struct Checked {
    /// The counts, when the document is well-formed to its end.
    pub summary: Option<UserDataSummary>,
    pub problem: Option<Problem>,
    pub sha256: Option<Sha256Digest>,
}

/// Reads the export at `path` to its end; hashes it on the way when `hash` (`buf` is scratch space).
pub fn check_user_data(
    path: &Path,
    hash: bool,
    progress: &dyn Progress,
    buf: &mut [u8],
) -> io::Result<Checked> {
    let (walked, sha256) = hash::read_hashed(path, hash, progress, buf, |r| xmlstream::walk(r, &COUNTED))?;
    let (summary, problem) = match walked {
        Ok(outline) => {
            let problem = if outline.root != USER_DATA_ROOT {
                Some(Problem::WrongRoot {
                    entry: None,
                    expected: USER_DATA_ROOT.into(),
                    found: outline.root.clone(),
                })
            } else if outline.namespace.as_deref() != Some(USER_DATA_NAMESPACE) {
                Some(Problem::WrongNamespace {
                    expected: USER_DATA_NAMESPACE.into(),
                    found: outline.namespace.clone(),
                })
            } else {
                None
            };
            let [users, contacts, conference_directories] = [0, 1, 2].map(|i| outline.counts[i]);
            (
                Some(UserDataSummary {
                    encoding: outline.encoding,
                    users,
                    contacts,
                    conference_directories,
                }),
                problem,
            )
        }
        Err(XmlFailure::Truncated { detail }) => (None, Some(Problem::TruncatedXml { entry: None, detail })),
        Err(XmlFailure::Malformed { offset, detail }) => {
            let (line, column) = xmlstream::line_and_column(super::open::listed(path)?, offset)?;
            (
                None,
                Some(Problem::MalformedXml {
                    entry: None,
                    line,
                    column,
                    detail,
                }),
            )
        }
        Err(XmlFailure::OverLimit { detail }) => (None, Some(Problem::Suspicious { entry: None, detail })),
        Err(XmlFailure::Io(e)) => return Err(e),
    };
    Ok(Checked {
        summary,
        problem,
        sha256,
    })
}
