//! Personal information of the register (身份证号, phone numbers, names …), encrypted at rest
//! with a key kept outside the data directory: XChaCha20-Poly1305 with a random 192-bit nonce
//! per record (random nonces are safe at any count of records), and a keyed digest
//! (HMAC-SHA-256) of each 身份证号 to find one person in two registers without storing the
//! number. Counting never needs the key: what the rules read is stored in the clear.

use chacha20poly1305::aead::{Aead, Generate, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use std::path::Path;

const NONCE: usize = 24;

/// The personal-data key: 32 random bytes, written as 64 hex digits in its file.
pub struct PersonalKey {
    seal: [u8; 32],
    index: [u8; 32],
    id: String,
}

impl std::fmt::Debug for PersonalKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PersonalKey({})", self.id)
    }
}

fn mac(key: &[u8], text: &[u8]) -> [u8; 32] {
    use hmac::{KeyInit, Mac};
    let mut m = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes a key of any length");
    m.update(text);
    m.finalize().into_bytes().into()
}

fn hex(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

impl PersonalKey {
    /// The key from its 32 bytes: one subkey seals, another makes the digests, a third names it.
    pub fn from_bytes(master: &[u8; 32]) -> PersonalKey {
        PersonalKey {
            seal: mac(master, b"yuebao personal seal"),
            index: mac(master, b"yuebao personal index"),
            id: hex(&mac(master, b"yuebao personal key id")[..8]),
        }
    }

    /// Reads the key file.
    pub fn read(file: &Path) -> Result<PersonalKey, String> {
        let text = std::fs::read_to_string(file).map_err(|e| format!("无法读取个人信息密钥文件 {}：{e}", file.display()))?;
        let t = text.trim();
        let bytes: Option<Vec<u8>> = (t.len() == 64)
            .then(|| (0..32).map(|i| u8::from_str_radix(&t[2 * i..2 * i + 2], 16).ok()).collect())
            .flatten();
        match bytes.and_then(|b| <[u8; 32]>::try_from(b).ok()) {
            Some(b) => Ok(PersonalKey::from_bytes(&b)),
            None => Err(format!("个人信息密钥文件 {} 的内容不对：应为 64 个十六进制数字（32 字节）", file.display())),
        }
    }

    /// Makes a new key and writes it to `file` (readable by its owner only), refusing to
    /// overwrite one.
    pub fn create(file: &Path) -> Result<PersonalKey, String> {
        let mut master = [0u8; 32];
        getrandom::fill(&mut master).map_err(|e| format!("无法生成随机密钥：{e}"))?;
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("无法创建目录 {}：{e}", dir.display()))?;
        }
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        use std::io::Write;
        let mut f = opts.open(file).map_err(|e| format!("无法创建个人信息密钥文件 {}：{e}", file.display()))?;
        f.write_all(format!("{}\n", hex(&master)).as_bytes())
            .and_then(|_| f.sync_all())
            .map_err(|e| format!("无法写入个人信息密钥文件 {}：{e}", file.display()))?;
        Ok(PersonalKey::from_bytes(&master))
    }

    /// A short name of the key, stored with the data: a different key is refused, not used.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The keyed digest of a 身份证号 (or any identifier), as hex.
    pub fn digest(&self, id: &str) -> String {
        hex(&mac(&self.index, id.as_bytes()))
    }

    /// Seals `plain`: nonce ‖ ciphertext with its tag.
    pub fn seal(&self, plain: &[u8]) -> Vec<u8> {
        let cipher = XChaCha20Poly1305::new_from_slice(&self.seal).expect("a 32-byte key");
        let nonce = XNonce::generate();
        let sealed = cipher.encrypt(&nonce, plain).expect("sealing in memory does not fail");
        let mut out = Vec::with_capacity(NONCE + sealed.len());
        out.extend_from_slice(nonce.as_slice());
        out.extend_from_slice(&sealed);
        out
    }

    /// Opens what `seal` made with this key; None for another key's record or a damaged one.
    pub fn open(&self, sealed: &[u8]) -> Option<Vec<u8>> {
        if sealed.len() < NONCE {
            return None;
        }
        let cipher = XChaCha20Poly1305::new_from_slice(&self.seal).ok()?;
        let nonce = XNonce::try_from(&sealed[..NONCE]).ok()?;
        cipher.decrypt(&nonce, &sealed[NONCE..]).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_records_open_with_their_key_only() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("k").join("personal.key");
        let key = PersonalKey::create(&file).unwrap();
        assert!(PersonalKey::create(&file).is_err(), "never overwritten");
        let again = PersonalKey::read(&file).unwrap();
        assert_eq!(key.id(), again.id());
        let plain = "37130219800101123X 13912345678".as_bytes();
        let a = key.seal(plain);
        let b = key.seal(plain);
        assert_ne!(a, b, "a nonce of its own each time");
        assert!(!a.windows(18).any(|w| w == &plain[..18]));
        assert_eq!(again.open(&a).as_deref(), Some(plain));
        let other = PersonalKey::from_bytes(&[7; 32]);
        assert_eq!(other.open(&a), None);
        assert_ne!(other.id(), key.id());
        assert_eq!(key.digest("x"), again.digest("x"));
        assert_ne!(key.digest("x"), other.digest("x"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
        }
        std::fs::write(&file, "short").unwrap();
        assert!(PersonalKey::read(&file).unwrap_err().contains("64 个十六进制数字"));
    }
}
