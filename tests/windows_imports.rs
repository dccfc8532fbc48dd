//! The Windows build starts on Windows Server 2008 R2 (NT 6.1): the PE import table of
//! `lyncdr.exe` names no DLL that 2008 R2 lacks and no function newer than Windows 7.
//!
//! Rust's ordinary `x86_64-pc-windows-gnu` standard library (1.78 and later) imports `ProcessPrng`
//! from bcryptprimitives.dll, `WaitOnAddress`/`WakeByAddress*` from
//! api-ms-win-core-synch-l1-2-0.dll and `GetSystemTimePreciseAsFileTime` (Windows 8): such an
//! exe fails to load on 2008 R2 ("The procedure entry point ProcessPrng could not be located").
//! `scripts/windows.sh build` builds `x86_64-win7-windows-gnu` and runs this check on its output.

use object::pe::ImageNtHeaders64;
use object::read::pe::PeFile64;
use std::path::PathBuf;

/// DLLs a Windows Server 2008 R2 SP1 installation has (System32), that lyncdr may import.
const DLLS_2008_R2: &[&str] = &[
    "advapi32.dll",
    "bcrypt.dll",
    "crypt32.dll",
    "kernel32.dll",
    "msvcrt.dll",
    "ntdll.dll",
    "ole32.dll",
    "oleaut32.dll",
    "secur32.dll",
    "shell32.dll",
    "user32.dll",
    "userenv.dll",
    "ws2_32.dll",
    // API sets that Windows 7 / 2008 R2 resolve (the -l1-1-0 sets of NT 6.1).
    "api-ms-win-core-synch-l1-1-0.dll",
];

/// Functions Windows 7 / 2008 R2 do not have (Windows 8 and later), whatever DLL names them.
const NEWER_THAN_2008_R2: &[&str] = &[
    "ProcessPrng",
    "WaitOnAddress",
    "WakeByAddressSingle",
    "WakeByAddressAll",
    "GetSystemTimePreciseAsFileTime",
    "CreateFile2",
    "CopyFile2",
    "CreatePseudoConsole",
    "ResizePseudoConsole",
    "ClosePseudoConsole",
    "SetThreadDescription",
    "GetThreadDescription",
    "GetTempPath2W",
    "GetTempPath2A",
    "GetOverlappedResultEx",
    "GetCurrentThreadStackLimits",
    "SetDefaultDllDirectories",
    "CompareObjectHandles",
    "GetFileInformationByName",
    "BCryptGenRandom_Win10",
];

/// The imports of a PE file: (dll, function) pairs, names in the case the file gives.
pub fn imports(bytes: &[u8]) -> Result<Vec<(String, String)>, String> {
    let pe = PeFile64::parse(bytes).map_err(|e| format!("not a 64-bit PE file: {e}"))?;
    let table = pe
        .import_table()
        .map_err(|e| e.to_string())?
        .ok_or("no import table")?;
    let mut out = Vec::new();
    let mut descriptors = table.descriptors().map_err(|e| e.to_string())?;
    while let Some(d) = descriptors.next().map_err(|e| e.to_string())? {
        let dll = table
            .name(d.name.get(object::LittleEndian))
            .map_err(|e| e.to_string())?;
        let dll = String::from_utf8_lossy(dll).into_owned();
        let mut thunks = table
            .thunks(d.original_first_thunk.get(object::LittleEndian))
            .map_err(|e| e.to_string())?;
        while let Some(thunk) = thunks.next::<ImageNtHeaders64>().map_err(|e| e.to_string())? {
            let name = match table
                .import::<ImageNtHeaders64>(thunk)
                .map_err(|e| e.to_string())?
            {
                object::read::pe::Import::Name(_, name) => String::from_utf8_lossy(name).into_owned(),
                object::read::pe::Import::Ordinal(n) => format!("#{n}"),
            };
            out.push((dll.clone(), name));
        }
    }
    Ok(out)
}

/// Every import 2008 R2 could not resolve, as `dll!function` lines.
pub fn missing_on_2008_r2(imports: &[(String, String)]) -> Vec<String> {
    imports
        .iter()
        .filter(|(dll, function)| {
            !DLLS_2008_R2.contains(&dll.to_ascii_lowercase().as_str())
                || NEWER_THAN_2008_R2.contains(&function.as_str())
        })
        .map(|(dll, function)| format!("{dll}!{function}"))
        .collect()
}

fn windows_exe() -> PathBuf {
    match std::env::var_os("LYNCDR_WINDOWS_EXE") {
        Some(p) => p.into(),
        None => crate::builder::repo().join("target/x86_64-win7-windows-gnu/release/lyncdr.exe"),
    }
}

#[test]
#[ignore = "needs the Windows build: scripts/windows.sh build runs it"]
fn the_windows_build_imports_nothing_windows_server_2008_r2_lacks() {
    let exe = windows_exe();
    // A check that finds nothing fails: no exe is no pass.
    let bytes = std::fs::read(&exe).unwrap_or_else(|e| panic!("cannot read `{}`: {e}", exe.display()));
    let imports = imports(&bytes).expect("imports");
    assert!(
        imports.iter().any(|(_, f)| f == "CreateProcessW"),
        "the import table was not read: {imports:?}"
    );
    let missing = missing_on_2008_r2(&imports);
    assert!(
        missing.is_empty(),
        "`{}` imports what Windows Server 2008 R2 does not have:\n  {}",
        exe.display(),
        missing.join("\n  ")
    );
}

#[test]
fn the_check_refuses_what_the_ordinary_windows_target_imports() {
    let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
        list.iter().map(|(d, f)| (d.to_string(), f.to_string())).collect()
    };
    let ordinary = pairs(&[
        ("KERNEL32.dll", "CreateProcessW"),
        ("bcryptprimitives.dll", "ProcessPrng"),
        ("api-ms-win-core-synch-l1-2-0.dll", "WaitOnAddress"),
        ("kernel32.dll", "GetSystemTimePreciseAsFileTime"),
    ]);
    assert_eq!(
        missing_on_2008_r2(&ordinary),
        [
            "bcryptprimitives.dll!ProcessPrng",
            "api-ms-win-core-synch-l1-2-0.dll!WaitOnAddress",
            "kernel32.dll!GetSystemTimePreciseAsFileTime"
        ]
    );
    assert!(missing_on_2008_r2(&pairs(&[("kernel32.dll", "CreateFileW")])).is_empty());
}
