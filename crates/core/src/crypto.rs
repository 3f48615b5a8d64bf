//! Field encryption, blind indexes, hashing and masking with Chinese
//! commercial cryptography (SM3, SM4).
//!
//! * Sub-keys are derived from a 32-byte master secret with HMAC-SM3 over
//!   fixed labels.
//! * Fields are encrypted with SM4-GCM (RFC 8998). Every ciphertext carries
//!   an algorithm id and key version so algorithms and keys can be rotated
//!   later (crypto agility):
//!   `[alg_id: u8][key_version: u8][nonce: 12][ciphertext + 16-byte tag]`.
//!   The two header bytes are authenticated as part of the associated data.
//! * Blind indexes (keyed HMAC-SM3) allow exact lookups of encrypted values
//!   such as ID numbers and phone numbers.
//! * Masking helpers produce display forms for server-side 脱敏.

use std::fmt;
use std::io::Write;
use std::path::Path;

use aes_gcm::aead::consts::U12;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::AesGcm;
use anyhow::{anyhow, bail, Context};
use hmac::{Hmac, Mac};
use rand::rngs::OsRng;
use rand::RngCore;
use sm3::{Digest, Sm3};
use sm4::Sm4;

/// SM4 in GCM mode with a 96-bit nonce (RFC 8998 `TLS_SM4_GCM_SM3`).
type Sm4Gcm = AesGcm<Sm4, U12>;
type HmacSm3 = Hmac<Sm3>;

/// Algorithm id stored in the first byte of a ciphertext: SM4-GCM.
pub const ALG_SM4_GCM: u8 = 1;
/// Key version stored in the second byte of a ciphertext.
pub const KEY_VERSION: u8 = 1;
/// Name of the environment variable holding the hex master key.
pub const MASTER_KEY_ENV: &str = "XIANGZHI_MASTER_KEY";

const HEADER_LEN: usize = 2;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
const MASTER_KEY_LEN: usize = 32;

const LABEL_DATA_KEY: &str = "xiangzhi/v1/sm4-gcm-data-key";
const LABEL_INDEX_KEY: &str = "xiangzhi/v1/blind-index-key";

/// Errors from decrypting a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// The algorithm id in the ciphertext header is not supported.
    #[error("unknown encryption algorithm")]
    UnknownAlgorithm,
    /// The key version in the ciphertext header is not available.
    #[error("unknown encryption key version")]
    UnknownKeyVersion,
    /// The ciphertext is too short to contain header, nonce and tag.
    #[error("ciphertext is truncated")]
    Truncated,
    /// Authentication failed: wrong key, wrong associated data or tampering.
    #[error("ciphertext authentication failed")]
    Authentication,
    /// The plaintext is not valid UTF-8 (only from [`Keyring::decrypt_str`]).
    #[error("decrypted text is not valid UTF-8")]
    Utf8,
}

impl CryptoError {
    /// Stable snake_case error code for APIs, logs and translations.
    pub fn code(&self) -> &'static str {
        match self {
            CryptoError::UnknownAlgorithm => "crypto_unknown_algorithm",
            CryptoError::UnknownKeyVersion => "crypto_unknown_key_version",
            CryptoError::Truncated => "crypto_truncated",
            CryptoError::Authentication => "crypto_authentication",
            CryptoError::Utf8 => "crypto_utf8",
        }
    }
}

/// Key material for field encryption and blind indexes, derived from a
/// 32-byte master secret.
///
/// `Debug` never prints key material.
#[derive(Clone)]
pub struct Keyring {
    master: [u8; MASTER_KEY_LEN],
    /// Kept for tests that check the derivation; the cipher and MAC below hold them.
    #[cfg_attr(not(test), allow(dead_code))]
    data_key: [u8; 16],
    #[cfg_attr(not(test), allow(dead_code))]
    index_key: [u8; 32],
    /// The SM4-GCM cipher with its key schedule, built once.
    cipher: Sm4Gcm,
    /// HMAC-SM3 keyed with the blind-index key, cloned per use (saves the key padding).
    index_mac: HmacSm3,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Keyring(..)")
    }
}

/// HMAC-SM3 of `parts` concatenated, keyed with `key`.
fn hmac_sm3(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail.
    let mut mac = match <HmacSm3 as Mac>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of any length"),
    };
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

impl Keyring {
    /// Builds a keyring from a 32-byte master secret, deriving the SM4 data
    /// key (first 16 bytes of `HMAC-SM3(master, "xiangzhi/v1/sm4-gcm-data-key")`)
    /// and the blind-index key (`HMAC-SM3(master, "xiangzhi/v1/blind-index-key")`).
    pub fn from_master(bytes: [u8; 32]) -> Keyring {
        let data_full = hmac_sm3(&bytes, &[LABEL_DATA_KEY.as_bytes()]);
        let mut data_key = [0u8; 16];
        data_key.copy_from_slice(&data_full[..16]);
        let index_key = hmac_sm3(&bytes, &[LABEL_INDEX_KEY.as_bytes()]);
        let index_mac = match <HmacSm3 as Mac>::new_from_slice(&index_key) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC accepts keys of any length"),
        };
        Keyring {
            master: bytes,
            data_key,
            index_key,
            cipher: Sm4Gcm::new(&data_key.into()),
            index_mac,
        }
    }

    /// Loads the master key, creating one on first use.
    ///
    /// 1. If the environment variable `XIANGZHI_MASTER_KEY` is set and not
    ///    empty, it must contain exactly 64 hex characters; it is used as is.
    /// 2. Otherwise `data_dir/keys/master.key` (hex, surrounding whitespace
    ///    ignored) is read.
    /// 3. If that file does not exist, the `keys` directory is created
    ///    (mode 0700) and a fresh random key is written to the file with
    ///    mode 0600.
    ///
    /// Losing the key makes all encrypted fields unreadable; back it up.
    pub fn load_or_create(data_dir: &Path) -> anyhow::Result<Keyring> {
        let env = std::env::var(MASTER_KEY_ENV).ok();
        load_or_create_with(data_dir, env.as_deref())
    }

    /// Derives an independent 32-byte sub-key for another purpose (for
    /// example signing cookies) as `HMAC-SM3(master, label)`. Use a unique,
    /// versioned label such as `"xiangzhi/v1/session"`.
    pub fn derive_subkey(&self, label: &str) -> [u8; 32] {
        hmac_sm3(&self.master, &[label.as_bytes()])
    }

    /// Encrypts `plaintext` with SM4-GCM under a random 12-byte nonce,
    /// binding it to the associated data `aad` (for example the table,
    /// column and row id), which must be supplied again to decrypt.
    ///
    /// Output: `[1 (SM4-GCM)][1 (key version)][nonce: 12][ciphertext][tag: 16]`.
    ///
    /// # Panics
    ///
    /// Only if `plaintext` exceeds the GCM limit of 2^36 - 32 bytes
    /// (about 64 GiB), which field values never approach.
    pub fn encrypt(&self, plaintext: &[u8], aad: &[u8]) -> Vec<u8> {
        let cipher = &self.cipher;
        let mut nonce = [0u8; NONCE_LEN];
        // A CSPRNG seeded from the OS (ChaCha, reseeded): unique nonces without a syscall each.
        rand::thread_rng().fill_bytes(&mut nonce);
        let header = [ALG_SM4_GCM, KEY_VERSION];
        let full_aad = [&header[..], aad].concat();
        let sealed = match cipher.encrypt(
            &nonce.into(),
            Payload {
                msg: plaintext,
                aad: &full_aad,
            },
        ) {
            Ok(sealed) => sealed,
            Err(_) => panic!("SM4-GCM plaintext exceeds the 64 GiB limit"),
        };
        let mut out = Vec::with_capacity(HEADER_LEN + NONCE_LEN + sealed.len());
        out.extend_from_slice(&header);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    /// Decrypts a blob produced by [`Keyring::encrypt`] with the same `aad`.
    pub fn decrypt(&self, blob: &[u8], aad: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if blob.len() < HEADER_LEN {
            return Err(CryptoError::Truncated);
        }
        if blob[0] != ALG_SM4_GCM {
            return Err(CryptoError::UnknownAlgorithm);
        }
        if blob[1] != KEY_VERSION {
            return Err(CryptoError::UnknownKeyVersion);
        }
        if blob.len() < HEADER_LEN + NONCE_LEN + TAG_LEN {
            return Err(CryptoError::Truncated);
        }
        let (header, rest) = blob.split_at(HEADER_LEN);
        let (nonce, sealed) = rest.split_at(NONCE_LEN);
        let mut nonce_arr = [0u8; NONCE_LEN];
        nonce_arr.copy_from_slice(nonce);
        let full_aad = [header, aad].concat();
        self.cipher
            .decrypt(
                &nonce_arr.into(),
                Payload {
                    msg: sealed,
                    aad: &full_aad,
                },
            )
            .map_err(|_| CryptoError::Authentication)
    }

    /// [`Keyring::encrypt`] for a string plaintext (UTF-8 bytes).
    pub fn encrypt_str(&self, plaintext: &str, aad: &[u8]) -> Vec<u8> {
        self.encrypt(plaintext.as_bytes(), aad)
    }

    /// [`Keyring::decrypt`] returning the plaintext as a `String`
    /// ([`CryptoError::Utf8`] if it is not valid UTF-8).
    pub fn decrypt_str(&self, blob: &[u8], aad: &[u8]) -> Result<String, CryptoError> {
        String::from_utf8(self.decrypt(blob, aad)?).map_err(|_| CryptoError::Utf8)
    }

    /// Deterministic keyed index of `value` for exact-match lookups of
    /// encrypted fields: lowercase hex of
    /// `HMAC-SM3(index_key, domain || 0x00 || value)`.
    ///
    /// `domain` separates uses (e.g. `"id_number"`, `"phone"`); normalise
    /// `value` first (e.g. the 18-character ID number with uppercase `X`).
    pub fn blind_index(&self, domain: &str, value: &str) -> String {
        let mut mac = self.index_mac.clone();
        mac.update(domain.as_bytes());
        mac.update(&[0u8]);
        mac.update(value.as_bytes());
        let out: [u8; 32] = mac.finalize().into_bytes().into();
        hex::encode(out)
    }
}

/// Parses a 64-hex-character master key.
fn parse_master_hex(text: &str) -> anyhow::Result<[u8; 32]> {
    let text = text.trim();
    if text.len() != MASTER_KEY_LEN * 2 {
        bail!(
            "master key must be {} hex characters, got {}",
            MASTER_KEY_LEN * 2,
            text.len()
        );
    }
    let bytes = hex::decode(text).map_err(|e| anyhow!("master key is not valid hex: {e}"))?;
    let mut key = [0u8; MASTER_KEY_LEN];
    key.copy_from_slice(&bytes);
    Ok(key)
}

/// [`Keyring::load_or_create`] with the environment value passed in (for tests).
fn load_or_create_with(data_dir: &Path, env_key: Option<&str>) -> anyhow::Result<Keyring> {
    if let Some(value) = env_key.filter(|v| !v.trim().is_empty()) {
        let key = parse_master_hex(value).with_context(|| format!("invalid {MASTER_KEY_ENV}"))?;
        return Ok(Keyring::from_master(key));
    }

    let dir = data_dir.join("keys");
    let path = dir.join("master.key");
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let key = parse_master_hex(&text)
                .with_context(|| format!("invalid key file {}", path.display()))?;
            return Ok(Keyring::from_master(key));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(e).with_context(|| format!("cannot read key file {}", path.display()))
        }
    }

    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .with_context(|| format!("cannot create key directory {}", dir.display()))?;
    }

    let mut key = [0u8; MASTER_KEY_LEN];
    OsRng.fill_bytes(&mut key);
    let created = {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
    };
    match created {
        Ok(mut file) => {
            file.write_all(format!("{}\n", hex::encode(key)).as_bytes())
                .and_then(|()| file.sync_all())
                .with_context(|| format!("cannot write key file {}", path.display()))?;
            Ok(Keyring::from_master(key))
        }
        // Another process created it concurrently: use that key.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read key file {}", path.display()))?;
            let key = parse_master_hex(&text)
                .with_context(|| format!("invalid key file {}", path.display()))?;
            Ok(Keyring::from_master(key))
        }
        Err(e) => Err(e).with_context(|| format!("cannot create key file {}", path.display())),
    }
}

/// Lowercase hex HMAC-SM3 of `message` under `key` (the signature of outgoing webhooks).
pub fn hmac_sm3_hex(key: &[u8], message: &[u8]) -> String {
    hex::encode(hmac_sm3(key, &[message]))
}

/// Lowercase hex SM3 digest of `data`.
pub fn sm3_hex(data: &[u8]) -> String {
    hex::encode(Sm3::digest(data))
}

/// `bytes` random bytes from the operating system, as lowercase hex
/// (`2 * bytes` characters).
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    OsRng.fill_bytes(&mut buf);
    hex::encode(buf)
}

/// Compares two byte strings in time independent of their contents (the
/// lengths are not secret: different lengths return `false` immediately).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// Keeps the first `head` and last `tail` characters, replacing the rest
/// with `*` (one per character).
fn mask_middle(chars: &[char], head: usize, tail: usize) -> String {
    let n = chars.len();
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| if i < head || i >= n - tail { *c } else { '*' })
        .collect()
}

/// Masks an ID number for display: first 3 and last 4 characters kept, the
/// rest replaced by `*` (`110***********1234` for 18 characters). Inputs of
/// 7 characters or fewer are fully starred. Surrounding whitespace is
/// removed.
pub fn mask_id(id: &str) -> String {
    let chars: Vec<char> = id.trim().chars().collect();
    if chars.len() <= 7 {
        return "*".repeat(chars.len());
    }
    mask_middle(&chars, 3, 4)
}

/// Masks a phone number for display: `138****5678` for 11 digits (first 3
/// and last 4 kept; longer inputs likewise). Shorter inputs are starred
/// except the last 2 characters; inputs of 2 characters or fewer are fully
/// starred. Surrounding whitespace is removed.
pub fn mask_phone(p: &str) -> String {
    let chars: Vec<char> = p.trim().chars().collect();
    let n = chars.len();
    if n >= 11 {
        mask_middle(&chars, 3, 4)
    } else if n > 2 {
        mask_middle(&chars, 0, 2)
    } else {
        "*".repeat(n)
    }
}

/// Masks a personal name for public pages: the first character (the
/// surname) followed by `某`, e.g. `张三丰` → `张某`. An empty input gives an
/// empty string. Surrounding whitespace is removed.
pub fn mask_name(name: &str) -> String {
    match name.trim().chars().next() {
        Some(first) => format!("{first}某"),
        None => String::new(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use aes_gcm::aead::AeadInPlace;

    fn keyring() -> Keyring {
        Keyring::from_master([7u8; 32])
    }

    fn unhex(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    #[test]
    fn sm4_gcm_rfc8998_vector() {
        // RFC 8998, Appendix A.1 (SM4-GCM).
        let key = unhex("0123456789ABCDEFFEDCBA9876543210");
        let iv = unhex("00001234567800000000ABCD");
        let aad = unhex("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2");
        let pt = unhex(
            "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD\
             EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA",
        );
        let ct = unhex(
            "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735\
             D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D",
        );
        let tag = unhex("83DE3541E4C2B58177E065A9BF7B62EC");

        let cipher = Sm4Gcm::new_from_slice(&key).unwrap();
        let nonce = aes_gcm::Nonce::<U12>::clone_from_slice(&iv);
        let mut buf = pt.clone();
        let got_tag = cipher
            .encrypt_in_place_detached(&nonce, &aad, &mut buf)
            .unwrap();
        assert_eq!(hex::encode_upper(&buf), hex::encode_upper(&ct));
        assert_eq!(hex::encode_upper(got_tag), hex::encode_upper(&tag));

        let mut sealed = ct.clone();
        sealed.extend_from_slice(&tag);
        let opened = cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: &sealed,
                    aad: &aad,
                },
            )
            .unwrap();
        assert_eq!(opened, pt);
    }

    #[test]
    fn sm3_known_answers() {
        // GB/T 32905-2016 examples.
        assert_eq!(
            sm3_hex(b"abc"),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        );
        assert_eq!(
            sm3_hex(&b"abcd".repeat(16)),
            "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"
        );
    }

    #[test]
    fn round_trip() {
        let k = keyring();
        for pt in [
            &b""[..],
            b"x",
            "110105194912310021 张三".as_bytes(),
            &[0u8; 1000],
        ] {
            let blob = k.encrypt(pt, b"people.id_number:42");
            assert_eq!(blob[0], ALG_SM4_GCM);
            assert_eq!(blob[1], KEY_VERSION);
            assert_eq!(blob.len(), 2 + 12 + pt.len() + 16);
            assert_eq!(k.decrypt(&blob, b"people.id_number:42").unwrap(), pt);
        }
        let blob = k.encrypt_str("13812345678", b"phone");
        assert_eq!(k.decrypt_str(&blob, b"phone").unwrap(), "13812345678");
    }

    #[test]
    fn nonces_are_random() {
        let k = keyring();
        let a = k.encrypt(b"same", b"");
        let b = k.encrypt(b"same", b"");
        assert_ne!(a, b);
    }

    #[test]
    fn tamper_detection() {
        let k = keyring();
        let blob = k.encrypt(b"secret value", b"aad");
        // Flip each byte after the header in turn.
        for i in HEADER_LEN..blob.len() {
            let mut t = blob.clone();
            t[i] ^= 0x01;
            assert_eq!(
                k.decrypt(&t, b"aad"),
                Err(CryptoError::Authentication),
                "byte {i}"
            );
        }
        let mut t = blob.clone();
        t[0] = 2;
        assert_eq!(k.decrypt(&t, b"aad"), Err(CryptoError::UnknownAlgorithm));
        let mut t = blob.clone();
        t[1] = 9;
        assert_eq!(k.decrypt(&t, b"aad"), Err(CryptoError::UnknownKeyVersion));
        assert_eq!(
            k.decrypt(&blob[..blob.len() - 1], b"aad"),
            Err(CryptoError::Authentication)
        );
        assert_eq!(
            k.decrypt(&blob[..HEADER_LEN + NONCE_LEN + TAG_LEN - 1], b"aad"),
            Err(CryptoError::Truncated)
        );
        assert_eq!(k.decrypt(&blob[..1], b"aad"), Err(CryptoError::Truncated));
        assert_eq!(k.decrypt(&[], b"aad"), Err(CryptoError::Truncated));
    }

    #[test]
    fn wrong_aad_or_key() {
        let k = keyring();
        let blob = k.encrypt(b"secret", b"row:1");
        assert_eq!(k.decrypt(&blob, b"row:2"), Err(CryptoError::Authentication));
        assert_eq!(k.decrypt(&blob, b""), Err(CryptoError::Authentication));
        let other = Keyring::from_master([8u8; 32]);
        assert_eq!(
            other.decrypt(&blob, b"row:1"),
            Err(CryptoError::Authentication)
        );
    }

    #[test]
    fn decrypt_str_rejects_invalid_utf8() {
        let k = keyring();
        let blob = k.encrypt(&[0xff, 0xfe], b"");
        assert_eq!(k.decrypt_str(&blob, b""), Err(CryptoError::Utf8));
    }

    #[test]
    fn blind_index_properties() {
        let k = keyring();
        let a = k.blind_index("id_number", "11010519491231002X");
        assert_eq!(a.len(), 64);
        assert_eq!(a, k.blind_index("id_number", "11010519491231002X"));
        assert_ne!(a, k.blind_index("phone", "11010519491231002X"));
        assert_ne!(a, k.blind_index("id_number", "110105194912310021"));
        // Domain separation: the 0x00 separator prevents shifting bytes.
        assert_ne!(k.blind_index("ab", "c"), k.blind_index("a", "bc"));
        assert_ne!(
            a,
            Keyring::from_master([8u8; 32]).blind_index("id_number", "11010519491231002X")
        );
        // Matches the documented construction.
        let expected = {
            let mut mac = <HmacSm3 as Mac>::new_from_slice(&k.index_key).unwrap();
            mac.update(b"id_number\x0011010519491231002X");
            hex::encode(mac.finalize().into_bytes())
        };
        assert_eq!(a, expected);
    }

    #[test]
    fn key_derivation_is_separated() {
        let k = keyring();
        assert_ne!(&k.index_key[..16], &k.data_key[..]);
        assert_ne!(k.derive_subkey("a"), k.derive_subkey("b"));
        assert_eq!(k.derive_subkey(LABEL_INDEX_KEY), k.index_key);
        assert_eq!(format!("{k:?}"), "Keyring(..)");
    }

    #[test]
    fn hmac_sm3_matches_rfc2104_construction() {
        // Independent HMAC over SM3 (block size 64) to check the derivation.
        let key = b"key";
        let msg = b"The quick brown fox jumps over the lazy dog";
        let mut k0 = [0u8; 64];
        k0[..key.len()].copy_from_slice(key);
        let ipad: Vec<u8> = k0.iter().map(|b| b ^ 0x36).collect();
        let opad: Vec<u8> = k0.iter().map(|b| b ^ 0x5c).collect();
        let inner = Sm3::digest([&ipad[..], msg].concat());
        let outer = Sm3::digest([&opad[..], &inner[..]].concat());
        assert_eq!(hmac_sm3(key, &[msg]), <[u8; 32]>::from(outer));
    }

    fn temp_dir(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "xiangzhi-crypto-test-{}-{}-{}",
            name,
            std::process::id(),
            random_token(4)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn key_file_created_and_reused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = temp_dir("file");
        let k1 = load_or_create_with(&dir, None).unwrap();
        let path = dir.join("keys").join("master.key");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.trim().len(), 64);
        let k2 = load_or_create_with(&dir, Some("")).unwrap();
        assert_eq!(k1.master, k2.master);
        let blob = k1.encrypt(b"persisted", b"");
        assert_eq!(k2.decrypt(&blob, b"").unwrap(), b"persisted");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn key_from_env_and_bad_inputs() {
        let dir = temp_dir("env");
        let hex_key = "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF";
        let k = load_or_create_with(&dir, Some(hex_key)).unwrap();
        assert_eq!(k.master.to_vec(), hex::decode(hex_key).unwrap());
        // The env key must not create a key file.
        assert!(!dir.join("keys").exists());
        assert!(load_or_create_with(&dir, Some("abcd")).is_err());
        assert!(load_or_create_with(&dir, Some(&"zz".repeat(32))).is_err());

        std::fs::create_dir_all(dir.join("keys")).unwrap();
        std::fs::write(dir.join("keys").join("master.key"), "not hex").unwrap();
        assert!(load_or_create_with(&dir, None).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn constant_time_comparison() {
        assert!(constant_time_eq(b"", b""));
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }

    #[test]
    fn tokens() {
        let t = random_token(16);
        assert_eq!(t.len(), 32);
        assert!(t.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(t, random_token(16));
        assert_eq!(random_token(0), "");
    }

    #[test]
    fn masking() {
        let id_cases = [
            ("110105199001011234", "110***********1234"),
            ("11010519491231002X", "110***********002X"),
            ("110105491231002", "110********1002"),
            (" 110105199001011234 ", "110***********1234"),
            ("12345678", "123*5678"),
            ("1234567", "*******"),
            ("", ""),
        ];
        for (input, expected) in id_cases {
            assert_eq!(mask_id(input), expected, "{input:?}");
        }

        let phone_cases = [
            ("13812345678", "138****5678"),
            ("+8613812345678", "+86*******5678"),
            ("12345678", "******78"),
            ("123", "*23"),
            ("12", "**"),
            ("", ""),
        ];
        for (input, expected) in phone_cases {
            assert_eq!(mask_phone(input), expected, "{input:?}");
        }

        let name_cases = [
            ("张三", "张某"),
            ("欧阳娜娜", "欧某"),
            ("王", "王某"),
            (" 李四 ", "李某"),
            ("", ""),
        ];
        for (input, expected) in name_cases {
            assert_eq!(mask_name(input), expected, "{input:?}");
        }
    }

    #[test]
    fn error_codes() {
        assert_eq!(
            CryptoError::UnknownAlgorithm.code(),
            "crypto_unknown_algorithm"
        );
        assert_eq!(
            CryptoError::UnknownKeyVersion.code(),
            "crypto_unknown_key_version"
        );
        assert_eq!(CryptoError::Truncated.code(), "crypto_truncated");
        assert_eq!(CryptoError::Authentication.code(), "crypto_authentication");
        assert_eq!(CryptoError::Utf8.code(), "crypto_utf8");
    }
}
