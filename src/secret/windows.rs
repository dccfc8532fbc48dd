//! Windows: the secret sealed with DPAPI for the current user (`CryptProtectData` without
//! `CRYPTPROTECT_LOCAL_MACHINE`): only this account, on this machine or with its roaming
//! profile, can unseal it; the file holds only the sealed blob.
#![allow(unsafe_code)]

use std::io::{self, Write as _};
use std::path::Path;
use windows_sys::Win32::Foundation::LocalFree;
use windows_sys::Win32::Security::Cryptography::{
    CRYPT_INTEGER_BLOB, CRYPTPROTECT_UI_FORBIDDEN, CryptProtectData, CryptUnprotectData,
};

pub fn write_new(path: &Path, secret: &[u8]) -> io::Result<()> {
    let sealed = transform(secret, true)?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    file.write_all(&sealed)?;
    file.sync_all()
}

pub fn read(path: &Path, max: u64) -> io::Result<Vec<u8>> {
    // Never through a link or reparse point; a regular file (fsx's one no-follow opening).
    let file = crate::fsx::open_read(path)?;
    let sealed = super::read_capped(file, max)?;
    transform(&sealed, false).map_err(|e| {
        io::Error::other(format!(
            "DPAPI cannot unseal it for this account (made by another account?): {e}"
        ))
    })
}

/// Seals (`protect`) or unseals `data` for the current user.
fn transform(data: &[u8], protect: bool) -> io::Result<Vec<u8>> {
    let len = u32::try_from(data.len()).map_err(|_| io::Error::other("too large"))?;
    let input = CRYPT_INTEGER_BLOB {
        cbData: len,
        pbData: data.as_ptr().cast_mut(),
    };
    let mut output = CRYPT_INTEGER_BLOB {
        cbData: 0,
        pbData: std::ptr::null_mut(),
    };
    // SAFETY: `input` points at `data`, alive for the call and only read by it; the optional
    // pointers are null, which both functions document as allowed; `output` is written by the
    // call and, on success, holds a LocalAlloc'ed buffer of `cbData` bytes freed below.
    let ok = unsafe {
        if protect {
            CryptProtectData(
                &input,
                std::ptr::null(),
                std::ptr::null(),
                std::ptr::null(),
                std::ptr::null(),
                CRYPTPROTECT_UI_FORBIDDEN,
                &mut output,
            )
        } else {
            CryptUnprotectData(
                &input,
                std::ptr::null_mut(),
                std::ptr::null(),
                std::ptr::null(),
                std::ptr::null(),
                CRYPTPROTECT_UI_FORBIDDEN,
                &mut output,
            )
        }
    };
    if ok == 0 || output.pbData.is_null() {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: on success `output.pbData` is a buffer of `output.cbData` bytes owned by us until
    // LocalFree; it is copied out before being freed exactly once.
    let bytes = unsafe {
        let v = std::slice::from_raw_parts(output.pbData, output.cbData as usize).to_vec();
        LocalFree(output.pbData.cast());
        v
    };
    Ok(bytes)
}
