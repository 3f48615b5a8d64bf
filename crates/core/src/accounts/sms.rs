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

/// Post `body` as JSON to the gateway; anything but a 2xx answer is an error.
async fn post_json(url: &str, body: &str) -> anyhow::Result<()> {
    let status = http_post(url, &[], body, std::time::Duration::from_secs(5)).await?;
    if (200..300).contains(&status) {
        Ok(())
    } else {
        anyhow::bail!("SMS gateway refused the message (HTTP {status})")
    }
}

/// Where an `http://` URL points: the address to connect to, the `Host` header and the
/// request target (path and query).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpTarget {
    /// `host:port` (the port defaults to 80).
    pub connect: String,
    /// `host[:port]` as written in the URL.
    pub host: String,
    /// `/path?query` (at least `/`).
    pub path: String,
}

/// Parse `http://host[:port][/path][?query]`. `None` for anything else: another scheme,
/// user information, whitespace or control characters, a missing host, a bad port.
pub fn parse_http_url(url: &str) -> Option<HttpTarget> {
    let rest = url.strip_prefix("http://")?;
    if rest.chars().any(|c| c.is_whitespace() || c.is_control()) || rest.contains('#') {
        return None;
    }
    let cut = rest.find(['/', '?']).unwrap_or(rest.len());
    let (host, tail) = rest.split_at(cut);
    if host.is_empty()
        || !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
    {
        return None;
    }
    let (name, port) = if let Some(v6) = host.strip_prefix('[') {
        let (addr, after) = v6.split_once(']')?;
        if addr.is_empty() {
            return None;
        }
        match after {
            "" => (host, None),
            p => (&host[..host.len() - p.len()], Some(p.strip_prefix(':')?)),
        }
    } else {
        match host.split_once(':') {
            Some((n, p)) => (n, Some(p)),
            None => (host, None),
        }
    };
    if name.is_empty() || name.starts_with('.') || name.starts_with('-') {
        return None;
    }
    let port: u16 = match port {
        Some(p) => p.parse().ok().filter(|p| *p != 0)?,
        None => 80,
    };
    let path = match tail.chars().next() {
        None => "/".to_string(),
        Some('?') => format!("/{tail}"),
        Some(_) => tail.to_string(),
    };
    Some(HttpTarget {
        connect: format!("{name}:{port}"),
        host: host.to_string(),
        path,
    })
}

/// A minimal HTTP/1.1 POST of a JSON `body` with extra `headers` to an `http://` URL; the
/// answer's status code. Plain HTTP only — the binary carries no TLS stack: gateways and
/// integrations sit on the internal network or behind a local TLS relay. `timeout` bounds
/// the whole exchange (connect, send, status line).
pub async fn http_post(
    url: &str,
    headers: &[(&str, &str)],
    body: &str,
    timeout: std::time::Duration,
) -> anyhow::Result<u16> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let target = parse_http_url(url)
        .ok_or_else(|| anyhow::anyhow!("the URL must be http://host[:port]/path"))?;
    let mut req = format!(
        "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        target.path,
        target.host,
        body.len()
    );
    for (name, value) in headers {
        if name.contains([':', '\r', '\n']) || value.contains(['\r', '\n']) {
            anyhow::bail!("bad header {name}");
        }
        req.push_str(&format!("{name}: {value}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(&target.connect).await?;
        stream.write_all(req.as_bytes()).await?;
        // Only the status line matters: read until its end (or 8 KB), then hang up.
        let mut buf = Vec::with_capacity(256);
        let mut chunk = [0u8; 512];
        while !buf.windows(2).any(|w| w == b"\r\n") && buf.len() < 8192 {
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        anyhow::Ok(buf)
    };
    let buf = tokio::time::timeout(timeout, exchange)
        .await
        .map_err(|_| anyhow::anyhow!("timed out after {} s", timeout.as_secs()))??;
    let line = String::from_utf8_lossy(&buf);
    let line = line.lines().next().unwrap_or_default();
    let mut parts = line.split_whitespace();
    match (
        parts.next(),
        parts.next().and_then(|s| s.parse::<u16>().ok()),
    ) {
        (Some(v), Some(status)) if v.starts_with("HTTP/1.") => Ok(status),
        _ => anyhow::bail!("no HTTP answer"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_urls_are_parsed_strictly() {
        let t = parse_http_url("http://127.0.0.1:8080/hook?x=1").unwrap_or_else(|| panic!());
        assert_eq!(t.connect, "127.0.0.1:8080");
        assert_eq!(t.host, "127.0.0.1:8080");
        assert_eq!(t.path, "/hook?x=1");
        let t = parse_http_url("http://example.cn").unwrap_or_else(|| panic!());
        assert_eq!(
            (t.connect.as_str(), t.path.as_str()),
            ("example.cn:80", "/")
        );
        let t = parse_http_url("http://[::1]:9000?a").unwrap_or_else(|| panic!());
        assert_eq!((t.connect.as_str(), t.path.as_str()), ("[::1]:9000", "/?a"));
        for bad in [
            "https://example.cn/",
            "ftp://x/",
            "http://",
            "http:///path",
            "http://user@host/",
            "http://host:0/",
            "http://host:99999/",
            "http://host/a b",
            "http://host/\r\nX: y",
            "http://-host/",
            "http://host/#frag",
        ] {
            assert!(parse_http_url(bad).is_none(), "{bad}");
        }
    }
}
