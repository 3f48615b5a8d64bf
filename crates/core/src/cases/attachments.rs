//! Photos and documents of cases, behind a blob-store interface (a local directory by
//! default). The type is sniffed from the content, never taken from the name or the client's
//! claim; the size is capped; photos are downscaled for phones before they are stored.

use std::io::Cursor;
use std::path::PathBuf;

use super::store;
use crate::authz::{Actor, Permission};
use crate::error::{AppError, AppResult};
use crate::{clock, Core};

/// The largest upload accepted.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;
/// Photos are stored no wider or taller than this (a phone screen at 2×).
pub const MAX_SIDE: u32 = 1280;

/// A future returned by an [`ObjectStore`].
pub type StoreFuture<'a, T> =
    std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<T>> + Send + 'a>>;

/// An object store outside the data directory (the S3-compatible adapter lives in
/// `xiangzhi-web`, which knows HTTP).
pub trait ObjectStore: Send + Sync + std::fmt::Debug {
    /// Store an object under `key` (overwrites).
    fn put<'a>(&'a self, key: &'a str, bytes: Vec<u8>) -> StoreFuture<'a, ()>;
    /// Read the object under `key`.
    fn get<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Vec<u8>>;
}

/// Where attachment bytes live: the local directory by default, or an object store (the
/// scale option). Keys are `county/id`; the digest kept in the database is checked on every
/// read, whichever store answers.
#[derive(Debug, Clone)]
pub enum Blobs {
    Local(LocalStore),
    Remote(std::sync::Arc<dyn ObjectStore>),
}

impl Blobs {
    pub async fn put(&self, key: &str, bytes: Vec<u8>) -> anyhow::Result<()> {
        match self {
            Blobs::Local(l) => {
                let (l, k) = (l.clone(), key.to_string());
                tokio::task::spawn_blocking(move || l.put(&k, &bytes)).await?
            }
            Blobs::Remote(s) => s.put(key, bytes).await,
        }
    }

    pub async fn get(&self, key: &str) -> anyhow::Result<Vec<u8>> {
        match self {
            Blobs::Local(l) => {
                let (l, k) = (l.clone(), key.to_string());
                tokio::task::spawn_blocking(move || l.get(&k)).await?
            }
            Blobs::Remote(s) => s.get(key).await,
        }
    }
}

/// Blobs as files under a directory (`data_dir/blobs/…`), written atomically.
#[derive(Debug, Clone)]
pub struct LocalStore {
    pub dir: PathBuf,
}

impl LocalStore {
    fn path(&self, key: &str) -> anyhow::Result<PathBuf> {
        anyhow::ensure!(
            !key.is_empty()
                && key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '/'),
            "bad blob key"
        );
        Ok(self.dir.join(key))
    }
}

impl LocalStore {
    fn put(&self, key: &str, bytes: &[u8]) -> anyhow::Result<()> {
        let path = self.path(key)?;
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let tmp = path.with_extension("part");
        std::fs::write(&tmp, bytes)?;
        std::fs::File::open(&tmp)?.sync_all()?;
        std::fs::rename(&tmp, &path)?;
        Ok(())
    }

    fn get(&self, key: &str) -> anyhow::Result<Vec<u8>> {
        Ok(std::fs::read(self.path(key)?)?)
    }
}

/// What the content says it is: (MIME type, `photo` or `document`).
pub fn sniff(bytes: &[u8]) -> Option<(&'static str, &'static str)> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(("image/jpeg", "photo"))
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(("image/png", "photo"))
    } else if bytes.starts_with(b"%PDF-") {
        Some(("application/pdf", "document"))
    } else {
        None
    }
}

/// Whether a file name's extension agrees with the sniffed type (a `.pdf` that is a JPEG is
/// refused: it is not what it claims to be).
pub fn name_fits(name: &str, mime: &str) -> bool {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "" => true,
        "jpg" | "jpeg" => mime == "image/jpeg",
        "png" => mime == "image/png",
        "pdf" => mime == "application/pdf",
        _ => false,
    }
}

/// Downscale a photo to at most [`MAX_SIDE`] and re-encode it as JPEG (which also drops its
/// metadata, GPS position included). Returns (bytes, width, height).
pub fn downscale(bytes: &[u8]) -> anyhow::Result<(Vec<u8>, u32, u32)> {
    let img = image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()?
        .decode()?;
    let img = if img.width() > MAX_SIDE || img.height() > MAX_SIDE {
        img.resize(MAX_SIDE, MAX_SIDE, image::imageops::FilterType::Triangle)
    } else {
        img
    };
    let rgb = img.to_rgb8();
    let mut out = Vec::new();
    let mut enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80);
    enc.encode_image(&rgb)?;
    Ok((out, rgb.width(), rgb.height()))
}

/// An attachment's record.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Attachment {
    pub id: String,
    pub case_id: String,
    pub kind: String,
    pub content_type: String,
    pub size: i64,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub name: String,
    pub created_at: i64,
}

/// Attach a file to a case (its reporter, or staff who may handle it).
pub async fn attach(
    core: &Core,
    actor: &Actor,
    case_id: &str,
    name: &str,
    bytes: Vec<u8>,
) -> AppResult<Attachment> {
    let (c, _) = super::service::get(core, actor, case_id).await?;
    let may = c.reporter_user_id.as_deref() == Some(actor.user_id.as_str())
        || actor
            .scope(Permission::CaseHandle)
            .contains(&c.area_code, c.grid_code.as_deref())
        || actor.is_system();
    if !may {
        return Err(AppError::Forbidden);
    }
    if bytes.is_empty() {
        return Err(AppError::field("file", "required"));
    }
    if bytes.len() > MAX_BYTES {
        return Err(AppError::field("file", "upload_too_large"));
    }
    let name = super::rules::clean_text(name)
        .chars()
        .filter(|c| !matches!(c, '/' | '\\'))
        .take(100)
        .collect::<String>();
    let (mime, kind) = sniff(&bytes).ok_or_else(|| AppError::field("file", "file_type"))?;
    if !name_fits(&name, mime) {
        return Err(AppError::field("file", "file_type"));
    }
    let (stored, mime, width, height) = if kind == "photo" {
        let (b, w, h) = tokio::task::spawn_blocking(move || downscale(&bytes))
            .await
            .map_err(|e| AppError::Internal(e.into()))?
            .map_err(|_| AppError::field("file", "file_type"))?;
        (b, "image/jpeg", Some(i64::from(w)), Some(i64::from(h)))
    } else {
        (bytes, mime, None, None)
    };
    let id = clock::new_id();
    let key = format!("{}/{}", &c.county_code[..6.min(c.county_code.len())], id);
    let digest = crate::crypto::sm3_hex(&stored);
    let size = stored.len() as i64;
    core.blobs.put(&key, stored).await?;
    let now = clock::now_ms();
    let a = Attachment {
        id: id.clone(),
        case_id: c.id.clone(),
        kind: kind.into(),
        content_type: mime.into(),
        size,
        width,
        height,
        name,
        created_at: now,
    };
    let mut tx = core.db.write.begin().await?;
    store::insert_attachment(&mut tx, &a, &c.county_code, &digest, &key, &actor.user_id).await?;
    super::service::record_step(
        &mut tx,
        actor,
        &c,
        super::service::Step {
            action: "case.attach",
            before: c.status,
            note: a.name.clone(),
            public: true,
            detail: Some(format!("{id} {mime} {size} bytes sm3={digest}")),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(a)
}

/// The attachments of a case the actor may read.
pub async fn list(core: &Core, actor: &Actor, case_id: &str) -> AppResult<Vec<Attachment>> {
    super::service::get(core, actor, case_id).await?;
    store::attachments(&core.db, case_id).await
}

/// The bytes of an attachment, checked against the digest recorded at upload.
pub async fn open(core: &Core, actor: &Actor, id: &str) -> AppResult<(Attachment, Vec<u8>)> {
    let (a, digest, key) = store::attachment(&core.db, id)
        .await?
        .ok_or(AppError::NotFound("attachment"))?;
    super::service::get(core, actor, &a.case_id)
        .await
        .map_err(|_| AppError::NotFound("attachment"))?;
    let bytes = core.blobs.get(&key).await?;
    if crate::crypto::sm3_hex(&bytes) != digest {
        return Err(AppError::Internal(anyhow::anyhow!(
            "attachment {id} does not match its digest"
        )));
    }
    Ok((a, bytes))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn types_come_from_the_content() {
        assert_eq!(
            sniff(b"%PDF-1.7 ..."),
            Some(("application/pdf", "document"))
        );
        assert_eq!(
            sniff(&[0xFF, 0xD8, 0xFF, 0xE0]),
            Some(("image/jpeg", "photo"))
        );
        assert_eq!(sniff(b"MZ\x90\x00"), None, "an executable is refused");
        assert!(name_fits("photo.JPG", "image/jpeg"));
        assert!(!name_fits("report.pdf", "image/jpeg"));
        assert!(!name_fits("x.exe", "application/pdf"));
    }

    #[test]
    fn photos_are_downscaled_to_phone_size() {
        let img = image::RgbImage::from_pixel(3000, 1500, image::Rgb([200, 30, 30]));
        let mut png = Vec::new();
        image::DynamicImage::ImageRgb8(img)
            .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        let (jpeg, w, h) = downscale(&png).unwrap();
        assert_eq!((w, h), (1280, 640));
        assert_eq!(sniff(&jpeg), Some(("image/jpeg", "photo")));
        assert!(downscale(b"\xFF\xD8\xFFnot really a jpeg").is_err());
    }
}
