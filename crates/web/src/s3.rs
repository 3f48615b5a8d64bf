//! S3-compatible object storage for attachments (the scale option beside the local
//! directory): path-style requests signed with AWS Signature Version 4, which the common
//! object stores a county runs on its own network accept.
//!
//! This is the adapter behind `xiangzhi_core::cases::attachments::ObjectStore`.
//! Only `http://` endpoints are taken: the store is expected on the county's own network or
//! behind a TLS-terminating proxy on the same machine. The access key pair comes from the
//! environment, never from the database or the configuration file.

use std::fmt::Write as _;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use xiangzhi_core::cases::attachments::StoreFuture;

/// The longest an object request may take.
const TIMEOUT_SECS: u64 = 30;

/// Where the bucket is and how to sign for it.
#[derive(Clone)]
pub struct S3Config {
    /// `http://host[:port]/bucket`, optionally with `?region=…` (default `us-east-1`).
    pub url: String,
    pub access_key: String,
    pub secret_key: String,
}

impl std::fmt::Debug for S3Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Config")
            .field("url", &self.url)
            .field("access_key", &self.access_key)
            .finish_non_exhaustive()
    }
}

/// A bucket of an S3-compatible store.
#[derive(Clone)]
pub struct S3Store {
    /// `http://host:port`
    origin: String,
    /// The `Host` header as signed.
    host: String,
    bucket: String,
    region: String,
    access_key: String,
    secret_key: String,
    client: reqwest::Client,
}

impl std::fmt::Debug for S3Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Store")
            .field("origin", &self.origin)
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

impl S3Store {
    /// Check the configuration; nothing is sent until the first object.
    pub fn new(cfg: &S3Config) -> anyhow::Result<S3Store> {
        let rest = cfg.url.strip_prefix("http://").ok_or_else(|| {
            anyhow::anyhow!(
                "the object store URL must start with http:// (got {})",
                cfg.url
            )
        })?;
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (host, bucket) = path
            .split_once('/')
            .ok_or_else(|| anyhow::anyhow!("the object store URL names no bucket: {}", cfg.url))?;
        let bucket = bucket.trim_end_matches('/');
        anyhow::ensure!(
            !host.is_empty()
                && host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']')),
            "the object store URL has a bad host: {}",
            cfg.url
        );
        anyhow::ensure!(
            (3..=63).contains(&bucket.len())
                && bucket.chars().all(|c| c.is_ascii_lowercase()
                    || c.is_ascii_digit()
                    || matches!(c, '.' | '-')),
            "the bucket name must be 3–63 lowercase letters, digits, dots or dashes: {bucket:?}"
        );
        let mut region = "us-east-1".to_string();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("region", r)) if !r.is_empty() => region = r.to_string(),
                _ => anyhow::bail!("unknown object store URL parameter {pair:?}"),
            }
        }
        anyhow::ensure!(
            !cfg.access_key.is_empty() && !cfg.secret_key.is_empty(),
            "the object store needs XIANGZHI_S3_ACCESS_KEY and XIANGZHI_S3_SECRET_KEY"
        );
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(TIMEOUT_SECS))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(S3Store {
            origin: format!("http://{host}"),
            host: host.to_string(),
            bucket: bucket.to_string(),
            region,
            access_key: cfg.access_key.clone(),
            secret_key: cfg.secret_key.clone(),
            client,
        })
    }

    fn path(&self, key: &str) -> String {
        format!("/{}/{}", self.bucket, uri_encode(key, false))
    }

    fn signed(&self, method: reqwest::Method, key: &str, body: &[u8]) -> reqwest::RequestBuilder {
        let path = self.path(key);
        let payload = hex::encode(Sha256::digest(body));
        let date = chrono::DateTime::from_timestamp_millis(xiangzhi_core::clock::now_ms())
            .unwrap_or_default()
            .format("%Y%m%dT%H%M%SZ")
            .to_string();
        let auth = authorization(&Request {
            method: method.as_str(),
            path: &path,
            headers: &[
                ("host", &self.host),
                ("x-amz-content-sha256", &payload),
                ("x-amz-date", &date),
            ],
            payload_hash: &payload,
            amz_date: &date,
            region: &self.region,
            access_key: &self.access_key,
            secret_key: &self.secret_key,
        });
        self.client
            .request(method, format!("{}{path}", self.origin))
            .header("x-amz-content-sha256", payload)
            .header("x-amz-date", date)
            .header("authorization", auth)
    }

    /// Store an object (overwrites).
    pub async fn put(&self, key: &str, bytes: Vec<u8>) -> anyhow::Result<()> {
        let r = self
            .signed(reqwest::Method::PUT, key, &bytes)
            .header("content-type", "application/octet-stream")
            .body(bytes)
            .send()
            .await?;
        let status = r.status();
        anyhow::ensure!(
            status.is_success(),
            "the object store refused to store {key}: {status}"
        );
        Ok(())
    }

    /// Read an object.
    pub async fn get(&self, key: &str) -> anyhow::Result<Vec<u8>> {
        let r = self.signed(reqwest::Method::GET, key, b"").send().await?;
        let status = r.status();
        anyhow::ensure!(
            status.is_success(),
            "the object store did not return {key}: {status}"
        );
        Ok(r.bytes().await?.to_vec())
    }
}

impl xiangzhi_core::cases::attachments::ObjectStore for S3Store {
    fn put<'a>(&'a self, key: &'a str, bytes: Vec<u8>) -> StoreFuture<'a, ()> {
        Box::pin(S3Store::put(self, key, bytes))
    }

    fn get<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Vec<u8>> {
        Box::pin(S3Store::get(self, key))
    }
}

/// What is signed of one request.
pub struct Request<'a> {
    pub method: &'a str,
    /// The absolute path, already URI-encoded.
    pub path: &'a str,
    /// Lowercase names, the values as sent; every one is signed.
    pub headers: &'a [(&'a str, &'a str)],
    pub payload_hash: &'a str,
    /// `YYYYMMDDTHHMMSSZ`
    pub amz_date: &'a str,
    pub region: &'a str,
    pub access_key: &'a str,
    pub secret_key: &'a str,
}

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC takes keys of any length.
    let mut m = <HmacSha256 as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    m.update(data);
    m.finalize().into_bytes().to_vec()
}

/// The `Authorization` header of a request (Signature Version 4, no query string).
pub fn authorization(r: &Request<'_>) -> String {
    let mut headers: Vec<(&str, &str)> = r.headers.to_vec();
    headers.sort_by(|a, b| a.0.cmp(b.0));
    let mut canonical = format!("{}\n{}\n\n", r.method, r.path);
    for (k, v) in &headers {
        let _ = writeln!(canonical, "{k}:{}", v.trim());
    }
    let signed: Vec<&str> = headers.iter().map(|(k, _)| *k).collect();
    let signed = signed.join(";");
    let _ = write!(canonical, "\n{signed}\n{}", r.payload_hash);
    let day = &r.amz_date[..8.min(r.amz_date.len())];
    let scope = format!("{day}/{}/s3/aws4_request", r.region);
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{}\n{scope}\n{}",
        r.amz_date,
        hex::encode(Sha256::digest(canonical.as_bytes()))
    );
    let mut key = hmac(format!("AWS4{}", r.secret_key).as_bytes(), day.as_bytes());
    for part in [r.region, "s3", "aws4_request"] {
        key = hmac(&key, part.as_bytes());
    }
    let signature = hex::encode(hmac(&key, to_sign.as_bytes()));
    format!(
        "AWS4-HMAC-SHA256 Credential={}/{scope},SignedHeaders={signed},Signature={signature}",
        r.access_key
    )
}

/// Percent-encode everything but RFC 3986 unreserved characters (`/` kept when
/// `encode_slash` is false): what Signature Version 4 asks, and a safe query-string value.
pub fn uri_encode(s: &str, encode_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'_' | b'.' | b'~')
            || (b == b'/' && !encode_slash)
        {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn signs_the_published_get_object_example() {
        // The GET Object example of the Signature Version 4 documentation for S3.
        let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        let auth = authorization(&Request {
            method: "GET",
            path: "/test.txt",
            headers: &[
                ("range", "bytes=0-9"),
                ("host", "examplebucket.s3.amazonaws.com"),
                ("x-amz-date", "20130524T000000Z"),
                ("x-amz-content-sha256", empty),
            ],
            payload_hash: empty,
            amz_date: "20130524T000000Z",
            region: "us-east-1",
            access_key: "AKIAIOSFODNN7EXAMPLE",
            secret_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        });
        assert_eq!(
            auth,
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,\
             SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,\
             Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        );
    }

    #[test]
    fn configuration_is_checked_before_anything_is_sent() {
        let cfg = |url: &str| S3Config {
            url: url.into(),
            access_key: "ak".into(),
            secret_key: "sk".into(),
        };
        let s = S3Store::new(&cfg("http://10.0.0.9:9000/x-county?region=cn-north-1")).unwrap();
        assert_eq!(s.region, "cn-north-1");
        assert_eq!(s.path("130/01a2-b"), "/x-county/130/01a2-b");
        assert!(S3Store::new(&cfg("https://10.0.0.9/x-county")).is_err());
        assert!(S3Store::new(&cfg("http://10.0.0.9:9000")).is_err());
        assert!(S3Store::new(&cfg("http://10.0.0.9/Bad_Bucket")).is_err());
        assert!(S3Store::new(&cfg("http://10.0.0.9/ok-bucket?secret=1")).is_err());
        let mut no_keys = cfg("http://10.0.0.9/ok-bucket");
        no_keys.secret_key.clear();
        assert!(S3Store::new(&no_keys).is_err());
        assert_eq!(uri_encode("a b/c", false), "a%20b/c");
        assert_eq!(uri_encode("a/b", true), "a%2Fb");
    }
}
