//! A tiny HTTP/1.1 probe for Docker's HEALTHCHECK (`todo-api healthcheck`): no TLS stack, no
//! client library, just a GET over a TCP stream.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use crate::error::{Error, Result};

/// `GET {base}/healthz`; `Ok(())` when the status is 200. `base` is `http://host:port`.
pub fn probe(base: &str, timeout: Duration) -> Result<()> {
    let rest = base.strip_prefix("http://").ok_or_else(|| {
        Error::BadRequest(format!("--url must start with http:// (got {base:?})"))
    })?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], rest[i..].trim_end_matches('/')),
        None => (rest, ""),
    };
    let path = if path.ends_with("/healthz") {
        path.to_owned()
    } else {
        format!("{path}/healthz")
    };
    let hostport = if authority
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    let addr = hostport
        .to_socket_addrs()
        .map_err(|e| Error::Unavailable(format!("cannot resolve {hostport}: {e}")))?
        .next()
        .ok_or_else(|| Error::Unavailable(format!("cannot resolve {hostport}")))?;
    let mut stream = TcpStream::connect_timeout(&addr, timeout)
        .map_err(|e| Error::Unavailable(format!("cannot connect to {hostport}: {e}")))?;
    stream
        .set_read_timeout(Some(timeout))
        .and_then(|()| stream.set_write_timeout(Some(timeout)))
        .map_err(|e| Error::Unavailable(format!("socket: {e}")))?;
    let req = format!("GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n");
    stream
        .write_all(req.as_bytes())
        .map_err(|e| Error::Unavailable(format!("sending to {hostport}: {e}")))?;
    let mut buf = Vec::new();
    let _ = stream.take(4096).read_to_end(&mut buf);
    let head = String::from_utf8_lossy(&buf);
    let status_line = head.lines().next().unwrap_or("");
    let code = status_line.split_whitespace().nth(1).unwrap_or("");
    if code == "200" {
        Ok(())
    } else if status_line.is_empty() {
        Err(Error::Unavailable(format!(
            "no HTTP answer from http://{authority}{path}"
        )))
    } else {
        Err(Error::Unavailable(format!(
            "http://{authority}{path} answered {status_line:?}"
        )))
    }
}
