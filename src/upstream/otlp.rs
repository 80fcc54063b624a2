//! The OTLP/HTTP client trace export posts through: hyper-util over rustls like the upstream
//! clients (so the exporter needs no reqwest), driven by a one-thread runtime of its own.
//!
//! Why its own runtime: the SDK's batch processor exports from its own thread, outside any
//! tokio runtime, and the worker threads' runtimes must never carry export traffic. Every
//! export is bounded by `[tracing] export_timeout`, its answer by 1 MiB.

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use opentelemetry_http::{HttpClient, HttpError};
use std::time::Duration;

/// Largest collector answer read (an OTLP partial-success message is small).
const MAX_ANSWER_BYTES: usize = 1024 * 1024;

/// An [`HttpClient`] for `opentelemetry-otlp`.
pub struct OtlpClient {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    timeout: Duration,
    /// Dropped without waiting (`shutdown_background`): the client may be dropped on a thread
    /// that runs a runtime of its own, where a blocking drop would panic.
    runtime: Option<tokio::runtime::Runtime>,
}

impl std::fmt::Debug for OtlpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OtlpClient")
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl OtlpClient {
    pub fn new(timeout: Duration) -> Result<OtlpClient, String> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("gearbox-otlp")
            .enable_all()
            .build()
            .map_err(|e| format!("tracing: cannot start the exporter's runtime: {e}"))?;
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(timeout));
        http.set_nodelay(true);
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())
            .map_err(|e| format!("tracing: TLS setup failed: {e}"))?
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .pool_timer(TokioTimer::new())
            .timer(TokioTimer::new())
            .build(https);
        Ok(OtlpClient {
            client,
            timeout,
            runtime: Some(runtime),
        })
    }
}

impl Drop for OtlpClient {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

#[async_trait::async_trait]
impl HttpClient for OtlpClient {
    async fn send_bytes(&self, request: http::Request<Bytes>) -> Result<http::Response<Bytes>, HttpError> {
        let Some(rt) = &self.runtime else {
            return Err("the OTLP client is shut down".into());
        };
        let (client, timeout) = (self.client.clone(), self.timeout);
        let request = request.map(Full::new);
        let task = rt.spawn(async move {
            let exchange = async {
                let resp = client.request(request).await?;
                let (parts, body) = resp.into_parts();
                let body = Limited::new(body, MAX_ANSWER_BYTES).collect().await?.to_bytes();
                Ok::<_, HttpError>(http::Response::from_parts(parts, body))
            };
            match tokio::time::timeout(timeout, exchange).await {
                Ok(r) => r,
                Err(_) => Err(format!("the collector did not answer within {timeout:?}").into()),
            }
        });
        task.await?
    }
}
