//! The API's HTTP server: hyper (HTTP/1.1) on a single-threaded tokio runtime, on its
//! own OS thread, so serving never runs on a worker or the control plane. It listens on
//! loopback unless told otherwise, and then only over TLS (rustls with ring). Requests
//! are answered from the view the control plane last published; approve and release
//! are handed to the control plane as commands (bounded queue; a full queue answers 503,
//! no answer within 10 s answers 504). Bodies are limited to 64 KiB, headers must
//! arrive within 10 s, at most `api.max_connections` connections are served at once.

use super::auth::Token;
use super::routes::{self, Counters, Outcome, Request, Routing};
use super::view::View;
use crate::config::ApiConf;
use crate::control::socket;
use arc_swap::ArcSwap;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::net::SocketAddr;
use std::sync::mpsc::{SyncSender, TrySendError};
use std::sync::Arc;
use std::time::Duration;

/// Largest request body.
const MAX_BODY: usize = 64 * 1024;

/// What every connection shares.
struct Shared {
    token: Token,
    counters: Arc<Counters>,
    view: Arc<ArcSwap<View>>,
    commands: SyncSender<socket::Request>,
    console: bool,
    view_interval_s: u64,
    tls: bool,
}

/// The running server.
pub struct Server {
    pub addr: SocketAddr,
    pub counters: Arc<Counters>,
}

/// Loads a PEM certificate chain and key into a rustls server configuration.
fn tls_config(
    cert: &std::path::Path,
    key: &std::path::Path,
) -> Result<rustls::ServerConfig, String> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| format!("{}: {e}", cert.display()))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{}: {e}", cert.display()))?;
    if certs.is_empty() {
        return Err(format!("{}: no PEM certificate in it", cert.display()));
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| format!("{}: {e}", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut c = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| format!("api.tls_cert/tls_key: {e}"))?;
    c.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(c)
}

/// Binds the listener and starts the server thread. Errors are the operator's (a
/// token file anyone may read, an address in use): one line.
pub fn start(
    conf: &ApiConf,
    view: Arc<ArcSwap<View>>,
    commands: SyncSender<socket::Request>,
) -> Result<Server, String> {
    let token_file = conf
        .token_file
        .as_deref()
        .ok_or("api.token_file is needed")?;
    let token = Token::load(token_file)?;
    let tls = match (&conf.tls_cert, &conf.tls_key) {
        (Some(c), Some(k)) => Some(tokio_rustls::TlsAcceptor::from(Arc::new(tls_config(c, k)?))),
        _ => None,
    };
    let addr: SocketAddr = conf
        .listen
        .parse()
        .map_err(|_| format!("api.listen {:?} is not an address", conf.listen))?;
    let listener = std::net::TcpListener::bind(addr)
        .map_err(|e| format!("api.listen {addr}: cannot listen: {e}"))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| format!("api.listen {addr}: {e}"))?;
    let bound = listener
        .local_addr()
        .map_err(|e| format!("api.listen {addr}: {e}"))?;
    let counters = Arc::new(Counters::default());
    let shared = Arc::new(Shared {
        token,
        counters: Arc::clone(&counters),
        view,
        commands,
        console: conf.console,
        view_interval_s: conf.view_interval,
        tls: tls.is_some(),
    });
    let max = conf.max_connections;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .map_err(|e| format!("cannot start the API runtime: {e}"))?;
    std::thread::Builder::new()
        .name("vigil-api".into())
        .spawn(move || rt.block_on(serve(listener, shared, tls, max)))
        .map_err(|e| format!("cannot start the API thread: {e}"))?;
    Ok(Server {
        addr: bound,
        counters,
    })
}

async fn serve(
    listener: std::net::TcpListener,
    shared: Arc<Shared>,
    tls: Option<tokio_rustls::TlsAcceptor>,
    max: usize,
) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        eprintln!("vigil: the API listener could not join its runtime");
        return;
    };
    let slots = Arc::new(tokio::sync::Semaphore::new(max));
    loop {
        let Ok(permit) = Arc::clone(&slots).acquire_owned().await else {
            return;
        };
        let (stream, _) = match listener.accept().await {
            Ok(s) => s,
            Err(_) => {
                // Out of descriptors or similar: wait a little rather than spin.
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let shared = Arc::clone(&shared);
        let tls = tls.clone();
        tokio::spawn(async move {
            let _permit = permit;
            match tls {
                Some(acc) => {
                    let handshake =
                        tokio::time::timeout(Duration::from_secs(10), acc.accept(stream));
                    if let Ok(Ok(s)) = handshake.await {
                        connection(TokioIo::new(s), shared).await
                    }
                }
                None => connection(TokioIo::new(stream), shared).await,
            }
        });
    }
}

async fn connection<I>(io: I, shared: Arc<Shared>)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let svc = service_fn(move |req| {
        let shared = Arc::clone(&shared);
        async move { Ok::<_, std::convert::Infallible>(handle(req, &shared).await) }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(10))
        .keep_alive(true)
        .serve_connection(io, svc)
        .await;
}

async fn handle(req: hyper::Request<Incoming>, shared: &Shared) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            return reply(
                routes::Response::error(413, "the body is too large (64 KiB at most)"),
                shared,
                false,
            )
        }
    };
    let view = shared.view.load_full();
    let routing = Routing {
        token: &shared.token,
        console: shared.console,
        counters: &shared.counters,
        view_interval_s: shared.view_interval_s,
    };
    let r = Request {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query().unwrap_or(""),
        authorization: parts
            .headers
            .get(hyper::header::AUTHORIZATION)
            .map(|h| h.as_bytes()),
        body: &body,
    };
    let head = parts.method == hyper::Method::HEAD;
    let outcome = routes::route(&r, &view, &routing);
    let resp = match outcome {
        Outcome::Answer(a) => a,
        Outcome::Command(cmd) => command(cmd, shared).await,
    };
    reply(resp, shared, head)
}

/// Hands a command to the control plane and waits for its answer.
async fn command(cmd: serde_json::Value, shared: &Shared) -> routes::Response {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let req = socket::Request::in_process(cmd, move |answer| {
        let _ = tx.send(answer);
    });
    match shared.commands.try_send(req) {
        Ok(()) => {}
        Err(TrySendError::Full(_)) => {
            return routes::Response::error(503, "the engine is busy: try again")
        }
        Err(TrySendError::Disconnected(_)) => {
            return routes::Response::error(503, "the engine is stopping")
        }
    }
    match tokio::time::timeout(Duration::from_secs(10), rx).await {
        Ok(Ok(answer)) => routes::command_answer(&answer),
        _ => routes::Response::error(504, "the engine did not answer in time"),
    }
}

fn reply(r: routes::Response, shared: &Shared, head: bool) -> hyper::Response<Full<Bytes>> {
    let mut b = hyper::Response::builder()
        .status(r.status)
        .header("Content-Type", r.content_type)
        .header("Cache-Control", "no-store")
        .header("X-Content-Type-Options", "nosniff")
        .header("X-Frame-Options", "DENY")
        .header("Referrer-Policy", "no-referrer")
        .header(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        );
    if shared.tls {
        b = b.header("Strict-Transport-Security", "max-age=31536000");
    }
    for (k, v) in &r.headers {
        b = b.header(*k, v);
    }
    let body = if head { Vec::new() } else { r.body };
    b.body(Full::new(Bytes::from(body))).unwrap_or_else(|_| {
        let mut resp = hyper::Response::new(Full::new(Bytes::new()));
        *resp.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
        resp
    })
}
