//! The rest of the OpenAI surface, minimally: `/v1/completions`, `/v1/moderations`,
//! `/v1/audio/speech` (deterministic bytes), `/v1/files` (multipart upload, list, get, delete,
//! content), `/v1/batches` (create, list, get, cancel). Enough for a gateway's passthrough to be
//! tested over real HTTP: an uploaded file's SHA-256 is in its object, and its content reads back
//! byte for byte.

use super::{err_json, now_secs, MockState};
use crate::http::{self as h, read_limited, Request, Response};
use bytes::Bytes;
use http::{HeaderValue, Method, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Mutex;

/// Files kept (the oldest go first).
const KEEP_FILES: usize = 16;
/// Largest body the mock reads.
const MAX_BODY: usize = 64 << 20;

/// Uploaded files and created batches.
#[derive(Default)]
pub struct Store {
    files: Mutex<BTreeMap<u64, (Value, Bytes)>>,
    batches: Mutex<BTreeMap<String, Value>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn not_found(what: &str) -> Response {
    err_json(
        StatusCode::NOT_FOUND,
        &format!("mock: no such {what}"),
        "invalid_request_error",
        None,
        "not_found",
    )
}

fn bad_request(msg: &str, param: Option<&str>) -> Response {
    err_json(
        StatusCode::BAD_REQUEST,
        msg,
        "invalid_request_error",
        param,
        "invalid_value",
    )
}

/// Answer `method` on `p` (the path after `/v1`); a 404 when it is no part of this surface.
pub async fn handle(state: &MockState, method: &Method, p: &str, req: Request) -> Response {
    let segs: Vec<&str> = p.trim_start_matches('/').split('/').collect();
    let path = req.uri().path().to_string();
    let p = path.as_str();
    match (method, segs.as_slice()) {
        (&Method::POST, ["completions"]) => completions(state, req, p).await,
        (&Method::POST, ["moderations"]) => moderations(state, req, p).await,
        (&Method::POST, ["audio", "speech"]) => speech(state, req, p).await,
        (&Method::POST, ["files"]) => upload(state, req, p).await,
        (&Method::GET, ["files"]) => {
            let data: Vec<Value> = lock(&state.surface.files)
                .values()
                .map(|(v, _)| v.clone())
                .collect();
            h::json(
                StatusCode::OK,
                json!({"object": "list", "data": data}).to_string(),
            )
        }
        (&Method::GET, ["files", id]) => match file(state, id) {
            Some((v, _)) => h::json(StatusCode::OK, v.to_string()),
            None => not_found("file"),
        },
        (&Method::DELETE, ["files", id]) => {
            match file_number(id).and_then(|n| lock(&state.surface.files).remove(&n)) {
                Some(_) => h::json(
                    StatusCode::OK,
                    json!({"id": id, "object": "file", "deleted": true}).to_string(),
                ),
                None => not_found("file"),
            }
        }
        (&Method::GET, ["files", id, "content"]) => match file(state, id) {
            Some((_, bytes)) => {
                let mut r = h::full(StatusCode::OK, bytes);
                r.headers_mut().insert(
                    http::header::CONTENT_TYPE,
                    HeaderValue::from_static("application/octet-stream"),
                );
                r
            }
            None => not_found("file"),
        },
        (&Method::POST, ["batches"]) => create_batch(state, req, p).await,
        (&Method::GET, ["batches"]) => {
            let data: Vec<Value> = lock(&state.surface.batches).values().cloned().collect();
            h::json(
                StatusCode::OK,
                json!({"object": "list", "data": data, "has_more": false}).to_string(),
            )
        }
        (&Method::GET, ["batches", id]) => match lock(&state.surface.batches).get(*id) {
            Some(b) => h::json(StatusCode::OK, b.to_string()),
            None => not_found("batch"),
        },
        (&Method::POST, ["batches", id, "cancel"]) => match lock(&state.surface.batches).get_mut(*id) {
            Some(b) => {
                b["status"] = json!("cancelling");
                h::json(StatusCode::OK, b.to_string())
            }
            None => not_found("batch"),
        },
        _ => err_json(
            StatusCode::NOT_FOUND,
            &format!("mock: no route for {method} {p}"),
            "invalid_request_error",
            None,
            "not_found",
        ),
    }
}

fn file_number(id: &str) -> Option<u64> {
    id.strip_prefix("file-").and_then(|n| n.parse().ok())
}

fn file(state: &MockState, id: &str) -> Option<(Value, Bytes)> {
    file_number(id).and_then(|n| lock(&state.surface.files).get(&n).cloned())
}

/// Read a JSON body and record it; the error answer when it is not a JSON object.
async fn json_body(state: &MockState, req: Request, path: &str) -> Result<Value, Response> {
    let (parts, body) = req.into_parts();
    let bytes = read_limited(body, MAX_BODY).await.unwrap_or_default();
    let v: Value =
        serde_json::from_slice(&bytes).map_err(|e| bad_request(&format!("invalid JSON: {e}"), None))?;
    let model = v.get("model").and_then(Value::as_str).unwrap_or("");
    state.record(model, path, &parts, &bytes);
    Ok(v)
}

fn next_id(state: &MockState) -> u64 {
    state.next_id.fetch_add(1, Ordering::Relaxed)
}

async fn completions(state: &MockState, req: Request, path: &str) -> Response {
    let v = match json_body(state, req, path).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let prompt = match v.get("prompt") {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => return bad_request("missing required parameter 'prompt'", Some("prompt")),
    };
    let text = format!(" mock completion of {} characters", prompt.chars().count());
    let prompt_tokens = (prompt.len() as u64).div_ceil(4);
    let body = json!({
        "id": format!("cmpl-mock-{}", next_id(state)),
        "object": "text_completion",
        "created": now_secs(),
        "model": v.get("model").cloned().unwrap_or(Value::Null),
        "choices": [{"text": text, "index": 0, "logprobs": null, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": 6, "total_tokens": prompt_tokens + 6},
    });
    h::json(StatusCode::OK, body.to_string())
}

async fn moderations(state: &MockState, req: Request, path: &str) -> Response {
    let v = match json_body(state, req, path).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let inputs = match v.get("input") {
        Some(Value::Array(a)) => a.len(),
        Some(_) => 1,
        None => return bad_request("missing required parameter 'input'", Some("input")),
    };
    const CATEGORIES: &[&str] = &[
        "harassment",
        "harassment/threatening",
        "hate",
        "hate/threatening",
        "illicit",
        "illicit/violent",
        "self-harm",
        "self-harm/instructions",
        "self-harm/intent",
        "sexual",
        "sexual/minors",
        "violence",
        "violence/graphic",
    ];
    let flags: serde_json::Map<String, Value> =
        CATEGORIES.iter().map(|c| (c.to_string(), json!(false))).collect();
    let scores: serde_json::Map<String, Value> =
        CATEGORIES.iter().map(|c| (c.to_string(), json!(0.0))).collect();
    let types: serde_json::Map<String, Value> = CATEGORIES
        .iter()
        .map(|c| (c.to_string(), json!(["text"])))
        .collect();
    let result = json!({"flagged": false, "categories": flags, "category_scores": scores, "category_applied_input_types": types});
    let body = json!({
        "id": format!("modr-mock-{}", next_id(state)),
        "model": v.get("model").and_then(Value::as_str).unwrap_or("omni-moderation-latest"),
        "results": vec![result; inputs],
    });
    h::json(StatusCode::OK, body.to_string())
}

/// The bytes `/v1/audio/speech` answers for `input`: 64 bytes per input character (at most
/// 4 MiB), a deterministic sequence seeded by the input.
pub fn speech_bytes(input: &str) -> Vec<u8> {
    let n = (input.chars().count() * 64).min(4 << 20);
    let mut x = super::chat::fnv1a(input.as_bytes());
    (0..n)
        .map(|_| {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (x >> 56) as u8
        })
        .collect()
}

async fn speech(state: &MockState, req: Request, path: &str) -> Response {
    let v = match json_body(state, req, path).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Some(input) = v.get("input").and_then(Value::as_str) else {
        return bad_request("missing required parameter 'input'", Some("input"));
    };
    let mut r = h::full(StatusCode::OK, speech_bytes(input));
    r.headers_mut()
        .insert(http::header::CONTENT_TYPE, HeaderValue::from_static("audio/mpeg"));
    r
}

/// The fields of a `multipart/form-data` body: name, filename, value.
fn multipart_fields(ctype: &str, body: &Bytes) -> Option<Vec<(String, Option<String>, Bytes)>> {
    let boundary = ctype.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| v.trim().trim_matches('"').to_string())
    })?;
    let delim = format!("--{boundary}");
    let close = format!("\r\n{delim}");
    let mut fields = Vec::new();
    let mut at = memchr::memmem::find(body, delim.as_bytes())? + delim.len();
    loop {
        let rest = body.get(at..)?;
        if rest.starts_with(b"--") {
            return Some(fields);
        }
        let head_end = memchr::memmem::find(rest, b"\r\n\r\n")?;
        let head = String::from_utf8_lossy(rest.get(..head_end)?);
        let value_start = at + head_end + 4;
        let len = memchr::memmem::find(body.get(value_start..)?, close.as_bytes())?;
        let param = |key: &str| {
            let pat = format!("{key}=\"");
            let i = head.find(&pat)? + pat.len();
            let j = head.get(i..)?.find('"')?;
            head.get(i..i + j).map(str::to_string)
        };
        let name = param("name").unwrap_or_default();
        fields.push((
            name,
            param("filename"),
            body.slice(value_start..value_start + len),
        ));
        at = value_start + len + close.len();
    }
}

async fn upload(state: &MockState, req: Request, path: &str) -> Response {
    let (parts, body) = req.into_parts();
    let ctype = parts
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let bytes = match read_limited(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => return bad_request("mock: could not read the upload", None),
    };
    state.record("", path, &parts, b"null");
    let Some(fields) = multipart_fields(&ctype, &bytes) else {
        return bad_request("mock: expected a multipart/form-data body", None);
    };
    let purpose = fields
        .iter()
        .find(|f| f.0 == "purpose")
        .map(|f| String::from_utf8_lossy(&f.2).into_owned());
    let Some((_, filename, content)) = fields.into_iter().find(|f| f.0 == "file") else {
        return bad_request("missing required parameter 'file'", Some("file"));
    };
    let n = next_id(state);
    let obj = json!({
        "id": format!("file-{n}"),
        "object": "file",
        "bytes": content.len(),
        "created_at": now_secs(),
        "filename": filename.unwrap_or_else(|| "upload".into()),
        "purpose": purpose.unwrap_or_else(|| "user_data".into()),
        "status": "processed",
        "sha256": hex::encode(Sha256::digest(&content)),
    });
    let mut files = lock(&state.surface.files);
    files.insert(n, (obj.clone(), content));
    while files.len() > KEEP_FILES {
        files.pop_first();
    }
    h::json(StatusCode::OK, obj.to_string())
}

async fn create_batch(state: &MockState, req: Request, path: &str) -> Response {
    let v = match json_body(state, req, path).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    for field in ["input_file_id", "endpoint", "completion_window"] {
        if !v.get(field).is_some_and(Value::is_string) {
            return bad_request(&format!("missing required parameter '{field}'"), Some(field));
        }
    }
    let id = format!("batch_mock{}", next_id(state));
    let batch = json!({
        "id": id,
        "object": "batch",
        "endpoint": v["endpoint"],
        "input_file_id": v["input_file_id"],
        "completion_window": v["completion_window"],
        "status": "validating",
        "created_at": now_secs(),
        "errors": null,
        "output_file_id": null,
        "error_file_id": null,
        "request_counts": {"total": 0, "completed": 0, "failed": 0},
        "metadata": v.get("metadata").cloned().unwrap_or(Value::Null),
    });
    lock(&state.surface.batches).insert(id, batch.clone());
    h::json(StatusCode::OK, batch.to_string())
}
