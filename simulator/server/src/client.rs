//! A small HTTP client for the subcommands that act on a running simulator (`journal`, …). The
//! server is found through `--server URL` or `SIMULATOR_URL`.

use anyhow::{Context, bail};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

/// The default server URL (the default listen address).
pub const DEFAULT_URL: &str = "http://127.0.0.1:8370";

/// GETs `path` from the server at `base` and returns the body; non-2xx is an error.
pub async fn get(base: &str, path: &str) -> anyhow::Result<Bytes> {
    request(base, path, hyper::Method::GET, Bytes::new()).await
}

/// Sends a request and returns the body; non-2xx is an error.
pub async fn request(
    base: &str,
    path: &str,
    method: hyper::Method,
    body: Bytes,
) -> anyhow::Result<Bytes> {
    request_with(base, path, method, body, &[]).await
}

/// [`request`] with extra headers (the operator token).
pub async fn request_with(
    base: &str,
    path: &str,
    method: hyper::Method,
    body: Bytes,
    headers: &[(&str, String)],
) -> anyhow::Result<Bytes> {
    let url = format!("{}{path}", base.trim_end_matches('/'));
    let uri: hyper::Uri = url
        .parse()
        .with_context(|| format!("invalid server URL {url:?}"))?;
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let mut req = hyper::Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    let req = req.body(Full::new(body)).context("building the request")?;
    let response = client
        .request(req)
        .await
        .with_context(|| format!("cannot reach the simulator at {base} (is `simulator serve` running? set --server or SIMULATOR_URL)"))?;
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .context("reading the response")?
        .to_bytes();
    if !status.is_success() {
        bail!("{url}: {status}: {}", String::from_utf8_lossy(&body).trim());
    }
    Ok(body)
}
