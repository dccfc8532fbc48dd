//! The Windows Server 2008 R2 build's tests (scripts/windows.sh) link expectrl's ConPTY crate,
//! whose `windows` 0.44 crate asks for an import library named `windows` that its own package
//! provides for `x86_64-pc-windows-gnu` only. For `x86_64-win7-windows-gnu` a GNU ld script of
//! that name stands for it, naming MinGW's kernel32, advapi32, user32, ntdll, ole32 and oleaut32.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=scripts/windows-link/libwindows.a");
    if std::env::var("TARGET").as_deref() == Ok("x86_64-win7-windows-gnu") {
        let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
        println!("cargo:rustc-link-search=native={dir}/scripts/windows-link");
    }
}
