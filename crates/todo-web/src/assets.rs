//! The UI, embedded in the binary. At start every asset is hashed and gzip-compressed once; the
//! page references content-hashed names (`/assets/app.<hash>.js`) served as immutable, and every
//! response carries an ETag (distinct per encoding) so revalidation answers 304.

use std::collections::HashMap;
use std::io::Write;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use flate2::Compression;
use flate2::write::GzEncoder;
use sha2::{Digest, Sha256};

/// The files under `ui/`, with their content types.
const FILES: &[(&str, &str, &[u8])] = &[
    (
        "app.css",
        "text/css; charset=utf-8",
        include_bytes!("../ui/app.css"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../ui/app.js"),
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_bytes!("../ui/favicon.svg"),
    ),
];

const INDEX: &str = include_str!("../ui/index.html");

/// Cache policy of hashed names: the content can never change under that name.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Cache policy of unhashed names and the page: always revalidate (cheap thanks to the ETag).
const REVALIDATE: &str = "no-cache";

/// One servable file.
#[derive(Debug)]
pub struct Asset {
    content_type: &'static str,
    identity: Vec<u8>,
    gzip: Option<Vec<u8>>,
    hash: String,
}

impl Asset {
    fn new(content_type: &'static str, bytes: Vec<u8>) -> Self {
        let hash = hex::encode(Sha256::digest(&bytes))[..16].to_owned();
        let gzip = gzip(&bytes).filter(|gz| gz.len() < bytes.len());
        Self {
            content_type,
            identity: bytes,
            gzip,
            hash,
        }
    }

    /// The ETag of one encoding: different bytes must never share a strong validator.
    fn etag(&self, gzipped: bool) -> String {
        if gzipped {
            format!("\"{}-gz\"", self.hash)
        } else {
            format!("\"{}\"", self.hash)
        }
    }

    /// The response for a request with `req` headers.
    pub fn respond(&self, req: &HeaderMap, cache_control: &'static str) -> Response {
        let use_gzip = self.gzip.is_some() && accepts_gzip(req);
        let etag = self.etag(use_gzip);
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(cache_control),
        );
        headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
        if let Ok(v) = HeaderValue::from_str(&etag) {
            headers.insert(header::ETAG, v);
        }
        if if_none_match(req, &etag) {
            return (StatusCode::NOT_MODIFIED, headers).into_response();
        }
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(self.content_type),
        );
        let body = match (&self.gzip, use_gzip) {
            (Some(gz), true) => {
                headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
                gz.clone()
            }
            _ => self.identity.clone(),
        };
        (StatusCode::OK, headers, Body::from(body)).into_response()
    }
}

/// All embedded assets, indexed by plain and hashed name.
#[derive(Debug)]
pub struct Assets {
    index: Asset,
    files: Vec<(String, Asset)>,
    by_name: HashMap<String, (usize, bool)>,
}

impl Assets {
    /// Hashes and compresses the embedded files and renders the page with hashed names.
    pub fn load() -> Self {
        let mut files = Vec::new();
        let mut by_name = HashMap::new();
        let mut page = INDEX.to_owned();
        for (i, (name, content_type, bytes)) in FILES.iter().enumerate() {
            let asset = Asset::new(content_type, bytes.to_vec());
            let hashed = hashed_name(name, &asset.hash);
            page = page.replace(&format!("/assets/{name}\""), &format!("/assets/{hashed}\""));
            by_name.insert((*name).to_owned(), (i, false));
            by_name.insert(hashed, (i, true));
            files.push(((*name).to_owned(), asset));
        }
        Self {
            index: Asset::new("text/html; charset=utf-8", page.into_bytes()),
            files,
            by_name,
        }
    }

    /// The page, with revalidation caching.
    pub fn index(&self, req: &HeaderMap) -> Response {
        self.index.respond(req, REVALIDATE)
    }

    /// The asset named `name` (plain or hashed), or `None`.
    pub fn file(&self, name: &str, req: &HeaderMap) -> Option<Response> {
        let (i, hashed) = *self.by_name.get(name)?;
        let (_, asset) = self.files.get(i)?;
        Some(asset.respond(req, if hashed { IMMUTABLE } else { REVALIDATE }))
    }

    /// The hashed name the page uses for `name` (e.g. `app.js` → `app.1a2b….js`).
    pub fn hashed_name(&self, name: &str) -> Option<String> {
        self.files
            .iter()
            .find(|(n, _)| n == name)
            .map(|(n, a)| hashed_name(n, &a.hash))
    }
}

fn hashed_name(name: &str, hash: &str) -> String {
    match name.rsplit_once('.') {
        Some((stem, ext)) => format!("{stem}.{hash}.{ext}"),
        None => format!("{name}.{hash}"),
    }
}

fn gzip(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::best());
    enc.write_all(bytes).ok()?;
    enc.finish().ok()
}

/// Whether `Accept-Encoding` allows gzip (a `q=0` entry refuses it).
pub fn accepts_gzip(req: &HeaderMap) -> bool {
    req.get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or("").trim();
            let refused = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
        })
}

/// Whether `If-None-Match` matches `etag` (weak comparison, as RFC 9110 asks for GET).
fn if_none_match(req: &HeaderMap, etag: &str) -> bool {
    req.get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == "*" || t == etag)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn h(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for (k, v) in pairs {
            m.append(*k, HeaderValue::from_str(v).unwrap());
        }
        m
    }

    #[test]
    fn gzip_negotiation() {
        let check = |v: &str, want: bool| {
            assert_eq!(accepts_gzip(&h(&[("accept-encoding", v)])), want, "{v}")
        };
        check("gzip, deflate, br", true);
        check("br", false);
        check("gzip;q=0", false);
        check("gzip;q=0.5", true);
        check("*", true);
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    #[test]
    fn page_uses_hashed_names_that_resolve() {
        let assets = Assets::load();
        let page = String::from_utf8(assets.index.identity.clone()).unwrap();
        for name in ["app.js", "app.css"] {
            let hashed = assets.hashed_name(name).unwrap();
            assert!(
                page.contains(&format!("/assets/{hashed}\"")),
                "page lacks {hashed}"
            );
            assert!(
                !page.contains(&format!("/assets/{name}\"")),
                "page still has {name}"
            );
            assert!(assets.file(&hashed, &HeaderMap::new()).is_some());
        }
        assert!(assets.file("nope.js", &HeaderMap::new()).is_none());
    }
}
