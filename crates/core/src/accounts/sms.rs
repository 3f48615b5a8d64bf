//! The SMS gateway interface: an HTTP adapter for a real gateway and a file sink for
//! development (one JSON line per message in the data directory).

use std::io::Write;
use std::path::PathBuf;

/// Where text messages go.
#[derive(Debug, Clone)]
pub enum SmsGateway {
    /// Append to a file (development and tests).
    File(PathBuf),
    /// POST `{"to","text"}` as JSON to a gateway URL (plain HTTP inside the government network,
    /// or a local relay).
    Http { url: String },
    /// Drop messages (tests that do not read them).
    Disabled,
}

impl SmsGateway {
    /// Send one message. Phone numbers are masked in logs; the text is never logged.
    pub async fn send(&self, to: &str, text: &str) -> anyhow::Result<()> {
        match self {
            SmsGateway::File(path) => {
                let line = serde_json::json!({"to": to, "text": text}).to_string();
                let path = path.clone();
                tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
                    let mut f = std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(path)?;
                    writeln!(f, "{line}")?;
                    Ok(())
                })
                .await??;
                Ok(())
            }
            SmsGateway::Http { url } => {
                post_json(
                    url,
                    &serde_json::json!({"to": to, "text": text}).to_string(),
                )
                .await
            }
            SmsGateway::Disabled => Ok(()),
        }
    }
}

/// Minimal HTTP/1.1 POST for `http://host:port/path` (the gateway sits on the internal network).
async fn post_json(url: &str, body: &str) -> anyhow::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| anyhow::anyhow!("SMS gateway URL must be http://host:port/path"))?;
    let (hostport, path) = rest
        .split_once('/')
        .map(|(h, p)| (h, format!("/{p}")))
        .unwrap_or((rest, "/".into()));
    let mut stream = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        tokio::net::TcpStream::connect(hostport),
    )
    .await??;
    let req = format!(
        "POST {path} HTTP/1.1\r\nHost: {hostport}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(req.as_bytes()).await?;
    let mut buf = Vec::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(5),
        stream.read_to_end(&mut buf),
    )
    .await??;
    let head = String::from_utf8_lossy(&buf[..buf.len().min(32)]).to_string();
    if head.starts_with("HTTP/1.1 2") || head.starts_with("HTTP/1.0 2") {
        Ok(())
    } else {
        anyhow::bail!("SMS gateway refused the message")
    }
}
