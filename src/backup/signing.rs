//! Signatures on backup sets (issue 17): the nightly job signs the text of `COMPLETE` (which
//! names the SHA-256 of `manifest.json` and of `SHA256SUMS`, and so of every file) with the
//! deployment's Ed25519 secret key; `audit`, retention and `--backup-set` verify it with the
//! public key in the environment file (`backups.signing_key`). Reading sets never needs the
//! secret, so the workstations that plan a recovery hold nothing that could forge a set.
//!
//! The secret is 32 random bytes kept by [`crate::secret`]; the public key is written
//! `ed25519:<64 hex digits>`; the signature is the fourth line of `COMPLETE`,
//! `signature ed25519 <128 hex digits>`, over the three lines before it.

use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use std::io;
use std::path::Path;

/// The environment key holding the public key.
pub const KEY: &str = "backups.signing_key";
pub const KEY_PREFIX: &str = "ed25519:";
/// The start of the signature line in `COMPLETE`.
pub const SIGNATURE_PREFIX: &str = "signature ed25519 ";

/// The public key the environment names, if it names one.
pub fn from_env(env: &crate::env::Environment) -> Result<Option<PublicKey>, String> {
    env.get(KEY)
        .map(|e| PublicKey::parse(&e.value.display()))
        .transpose()
}

/// The deployment's public key: what every reader of sets needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    /// `ed25519:<64 hex digits>`.
    pub fn parse(text: &str) -> Result<PublicKey, String> {
        let bytes = text
            .trim()
            .strip_prefix(KEY_PREFIX)
            .and_then(hex::<32>)
            .ok_or_else(|| format!("`{KEY}` must be `{KEY_PREFIX}` and 64 hex digits (what `lyncdr backup --new-key FILE` prints)"))?;
        VerifyingKey::from_bytes(&bytes)
            .map(PublicKey)
            .map_err(|e| format!("`{KEY}` is not an Ed25519 public key: {e}"))
    }

    pub fn verifies(&self, message: &[u8], signature_hex: &str) -> bool {
        hex::<64>(signature_hex.trim())
            .map(|b| Signature::from_bytes(&b))
            .is_some_and(|sig| self.0.verify_strict(message, &sig).is_ok())
    }
}

impl std::fmt::Display for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{KEY_PREFIX}{}", to_hex(&self.0.to_bytes()))
    }
}

/// The job's secret key.
pub struct SecretKey(SigningKey);

impl SecretKey {
    /// A new key from the system's random source.
    pub fn generate() -> io::Result<SecretKey> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| io::Error::other(format!("no random bytes: {e}")))?;
        Ok(SecretKey(SigningKey::from_bytes(&bytes)))
    }

    /// Makes a key and writes it to the new file `path` ([`crate::secret::write_new`]).
    pub fn create(path: &Path) -> io::Result<SecretKey> {
        let key = SecretKey::generate()?;
        crate::secret::write_new(path, &key.0.to_bytes())?;
        Ok(key)
    }

    /// Reads the key at `path` ([`crate::secret::read`]: refused when others could read it).
    pub fn load(path: &Path) -> io::Result<SecretKey> {
        let bytes = crate::secret::read(path)?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|_| io::Error::other("not a key `lyncdr backup --new-key` wrote (32 bytes)"))?;
        Ok(SecretKey(SigningKey::from_bytes(&bytes)))
    }

    pub fn public(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    /// The signature line for `message`.
    pub fn signature_line(&self, message: &[u8]) -> String {
        format!("{SIGNATURE_PREFIX}{}\n", to_hex(&self.0.sign(message).to_bytes()))
    }
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    let text = text.as_bytes();
    if text.len() != 2 * N {
        return None;
    }
    let mut out = [0u8; N];
    for (o, pair) in out.iter_mut().zip(text.chunks_exact(2)) {
        let nibble = |c: u8| (c as char).to_digit(16);
        *o = u8::try_from(nibble(pair[0])? * 16 + nibble(pair[1])?).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_only_with_its_key_and_message() {
        let key = SecretKey::generate().expect("key");
        let other = SecretKey::generate().expect("key");
        let line = key.signature_line(b"manifest aa\nsums bb\n");
        let sig = line.strip_prefix(SIGNATURE_PREFIX).expect("prefix");
        let public = PublicKey::parse(&key.public().to_string()).expect("parse");
        assert!(public.verifies(b"manifest aa\nsums bb\n", sig));
        assert!(!public.verifies(b"manifest aa\nsums bc\n", sig));
        assert!(!other.public().verifies(b"manifest aa\nsums bb\n", sig));
        assert!(!public.verifies(b"manifest aa\nsums bb\n", "zz"));
    }

    #[test]
    fn a_public_key_is_written_and_read_one_way() {
        let key = SecretKey::generate().expect("key");
        let text = key.public().to_string();
        assert!(text.starts_with("ed25519:") && text.len() == 8 + 64, "{text}");
        assert_eq!(PublicKey::parse(&text), Ok(key.public()));
        assert!(PublicKey::parse("ed25519:00").is_err());
        assert!(PublicKey::parse(&text.replace("ed25519:", "rsa:")).is_err());
    }
}
