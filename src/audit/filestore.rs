//! The copy of the File Store: a folder holding the share's service folders (`1-WebServices-1`,
//! `1-ApplicationServer-1`, `1-CentralMgmt-1`), recognised by those names.

use jiff::Timestamp;
use serde::Serialize;

/// Services whose folders Lync Server creates at the root of the File Store share.
const SERVICES: &[&str] = &["WebServices", "ApplicationServer", "CentralMgmt"];

/// Is `name` a service folder, `<n>-<service>-<n>`?
pub fn is_service_folder(name: &str) -> bool {
    let mut parts = name.split('-');
    let (Some(a), Some(service), Some(b), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let number = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
    number(a) && number(b) && SERVICES.iter().any(|s| s.eq_ignore_ascii_case(service))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileStoreSummary {
    pub files: u64,
    pub bytes: u64,
    /// The newest modification time of a file in it: when the copy was last refreshed.
    pub newest: Option<Timestamp>,
    pub service_folders: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_folder_names() {
        for ok in [
            "1-WebServices-1",
            "1-ApplicationServer-1",
            "2-centralmgmt-1",
            "12-WebServices-3",
        ] {
            assert!(is_service_folder(ok), "{ok}");
        }
        for bad in [
            "WebServices",
            "1-WebServices",
            "1-WebServices-1-x",
            "a-WebServices-1",
            "1-Meetings-1",
            "1--1",
        ] {
            assert!(!is_service_folder(bad), "{bad}");
        }
    }
}
