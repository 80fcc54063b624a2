//! The rest of the OpenAI surface passed through to `gearbox mock` over real HTTP: completions,
//! moderations, files (multipart upload, list, content), batches, audio speech; team auth,
//! allowed models, rate limits and metrics on each; unknown paths still 404.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use gearbox::mock::MockOptions;
use serde_json::json;
use sha2::{Digest, Sha256};

fn teams() -> String {
    format!(
        "[[teams.narrow.keys]]\nsha256 = \"{}\"\n[teams.narrow.policy]\nmode = \"chat\"\nallowed_models = [\"gpt-4o-mini\"]\n\
         [[teams.limited.keys]]\nsha256 = \"{}\"\n[teams.limited.policy.limits]\nrpm = 2\n",
        key_hash("narrow-key"),
        key_hash("limited-key")
    )
}

const NARROW: (&str, &str) = ("authorization", "Bearer narrow-key");
const JSON: (&str, &str) = ("content-type", "application/json");

async fn metrics(gw: &Running) -> String {
    request("GET", &gw.url("/metrics"), &[], "").await.text()
}

fn has_metric(text: &str, labels: &[&str]) -> bool {
    text.lines()
        .any(|l| l.starts_with("gearbox_requests_total{") && labels.iter().all(|lab| l.contains(lab)))
}

/// A multipart body: text fields in order, then a file part.
fn multipart(boundary: &str, fields: &[(&str, &str)], file: &[u8]) -> Vec<u8> {
    let mut b = Vec::new();
    for (k, v) in fields {
        b.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes(),
        );
    }
    b.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"data.jsonl\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
    );
    b.extend_from_slice(file);
    b.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    b
}

#[tokio::test]
async fn completions_and_moderations_are_relayed_with_team_auth_and_metrics() {
    let (mock, gw) = stack(MockOptions::default(), &teams()).await;
    let body = json!({"model": "gpt-4o-mini", "prompt": "Say hello"}).to_string();
    let r = request("POST", &gw.url("/v1/completions"), &[ALPHA, JSON], body.clone()).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["object"], "text_completion");
    // A mapped model goes upstream under its upstream name.
    let fast = json!({"model": "fast", "prompt": "Say hello"}).to_string();
    let r = request("POST", &gw.url("/v1/completions"), &[ALPHA, JSON], fast).await;
    assert_eq!(r.status, 200, "{}", r.text());
    // A model the config does not declare goes to the default (the only) upstream as named.
    let m = json!({"model": "omni-moderation-latest", "input": ["a", "b"]}).to_string();
    let r = request("POST", &gw.url("/v1/moderations"), &[ALPHA, JSON], m).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["results"].as_array().unwrap().len(), 2);

    let stats = mock_stats(&mock).await;
    let last = stats["last_requests"].as_array().unwrap();
    assert_eq!(last.len(), 3, "{stats}");
    assert_eq!(last[0]["path"], "/v1/completions");
    assert_eq!(last[0]["body"]["model"], "gpt-4o-mini");
    assert_eq!(last[1]["body"]["model"], "gpt-4o", "mapped to the upstream name");
    assert_eq!(last[2]["path"], "/v1/moderations");
    for l in last {
        // The upstream's key, never the client's.
        assert_eq!(l["authorization"], "Bearer upstream-secret", "{l}");
        assert!(l["request_id"].is_string(), "{l}");
    }

    // No key: 401 in OpenAI's shape, nothing sent.
    let r = request("POST", &gw.url("/v1/completions"), &[JSON], body).await;
    r.assert_error(401, "invalid_api_key");
    assert_eq!(mock_stats(&mock).await["requests_total"], 3);

    let text = metrics(&gw).await;
    assert!(
        has_metric(
            &text,
            &[
                "endpoint=\"completions\"",
                "model=\"gpt-4o-mini\"",
                "route=\"passthrough\"",
                "status_class=\"2xx\"",
                "team=\"alpha\""
            ]
        ),
        "{text}"
    );
    assert!(
        has_metric(
            &text,
            &[
                "endpoint=\"moderations\"",
                "model=\"-\"",
                "status_class=\"2xx\"",
                "team=\"alpha\""
            ]
        ),
        "{text}"
    );
}

#[tokio::test]
async fn a_disallowed_model_is_refused_403_without_reaching_the_mock() {
    let (mock, gw) = stack(MockOptions::default(), &teams()).await;
    let body = json!({"model": "o3-mini", "prompt": "hi"}).to_string();
    let r = request("POST", &gw.url("/v1/completions"), &[NARROW, JSON], body).await;
    let e = r.assert_error(403, "model_not_allowed");
    assert_eq!(e["param"], "model");
    // In a multipart body too (the model field comes before the file).
    let mp = multipart("bnd", &[("model", "whisper-1")], &[0u8; 1000]);
    let r = request(
        "POST",
        &gw.url("/v1/audio/transcriptions"),
        &[NARROW, ("content-type", "multipart/form-data; boundary=bnd")],
        mp,
    )
    .await;
    r.assert_error(403, "model_not_allowed");
    // An audio request that hides its model from a team with an allow-list is refused too.
    let mp = multipart("bnd", &[], &[0u8; 1000]);
    let r = request(
        "POST",
        &gw.url("/v1/audio/transcriptions"),
        &[NARROW, ("content-type", "multipart/form-data; boundary=bnd")],
        mp,
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(mock_stats(&mock).await["requests_total"], 0);
    let text = metrics(&gw).await;
    assert!(
        has_metric(
            &text,
            &[
                "endpoint=\"completions\"",
                "status_class=\"4xx\"",
                "team=\"narrow\""
            ]
        ),
        "{text}"
    );

    // Limits go through the same admission: rpm = 2.
    let key = ("authorization", "Bearer limited-key");
    let m = json!({"input": "x"}).to_string();
    for _ in 0..2 {
        let r = request("POST", &gw.url("/v1/moderations"), &[key, JSON], m.clone()).await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert!(r.header("x-ratelimit-limit-requests").is_some());
    }
    let r = request("POST", &gw.url("/v1/moderations"), &[key, JSON], m).await;
    r.assert_error(429, "rate_limit_exceeded");
    assert!(r.header("retry-after").is_some());
}

#[tokio::test]
async fn a_multipart_file_upload_is_streamed_and_arrives_byte_for_byte() {
    // The gateway's JSON body limit is 64 KiB (`config_for`): an 8 MiB upload passes only
    // because it is streamed, never read whole.
    let (_mock, gw) = stack(MockOptions::default(), "").await;
    let mut file = Vec::with_capacity(8 << 20);
    let mut x: u32 = 7;
    while file.len() < 8 << 20 {
        x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        file.push((x >> 24) as u8);
    }
    let want = hex::encode(Sha256::digest(&file));
    let boundary = "gearbox-test-boundary";
    let body = multipart(boundary, &[("purpose", "batch")], &file);
    let ctype = format!("multipart/form-data; boundary={boundary}");
    let r = request(
        "POST",
        &gw.url("/v1/files"),
        &[ALPHA, ("content-type", &ctype)],
        body,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let obj = r.json();
    assert_eq!(obj["sha256"], want.as_str(), "the mock received other bytes");
    assert_eq!(obj["bytes"], file.len());
    assert_eq!(obj["purpose"], "batch");
    let id = obj["id"].as_str().unwrap();

    let list = get(&gw.url("/v1/files")).await;
    assert_eq!(list.status, 200);
    assert!(list.json()["data"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["id"] == id));
    // The content streams back identical.
    let content = get(&gw.url(&format!("/v1/files/{id}/content"))).await;
    assert_eq!(content.status, 200);
    assert_eq!(hex::encode(Sha256::digest(&content.body)), want);

    let text = metrics(&gw).await;
    assert!(
        has_metric(
            &text,
            &["endpoint=\"files\"", "status_class=\"2xx\"", "team=\"alpha\""]
        ),
        "{text}"
    );
}

#[tokio::test]
async fn a_batch_create_is_relayed_and_can_be_read_and_cancelled() {
    let (mock, gw) = stack(MockOptions::default(), "").await;
    let body =
        json!({"input_file_id": "file-1", "endpoint": "/v1/chat/completions", "completion_window": "24h"});
    let r = post_json(&gw.url("/v1/batches"), &body).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let batch = r.json();
    assert_eq!(batch["object"], "batch");
    let id = batch["id"].as_str().unwrap();
    let r = get(&gw.url(&format!("/v1/batches/{id}"))).await;
    assert_eq!(r.json()["id"], id);
    let r = request("POST", &gw.url(&format!("/v1/batches/{id}/cancel")), &[ALPHA], "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["status"], "cancelling");
    // An upstream 404 is relayed with its status and body.
    let r = get(&gw.url("/v1/batches/batch_nope")).await;
    assert_eq!(r.status, 404);
    assert_eq!(mock_stats(&mock).await["last_requests"][0]["path"], "/v1/batches");
    let text = metrics(&gw).await;
    assert!(
        has_metric(&text, &["endpoint=\"batches\"", "status_class=\"2xx\""]),
        "{text}"
    );
}

#[tokio::test]
async fn audio_speech_bytes_are_streamed_back_identical() {
    let (_mock, gw) = stack(MockOptions::default(), "").await;
    let input = "The quick brown fox jumps over the lazy dog. ".repeat(200);
    let body = json!({"model": "tts-1", "input": input, "voice": "alloy"});
    let r = post_json(&gw.url("/v1/audio/speech"), &body).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("audio/mpeg"));
    let want = gearbox::mock::surface::speech_bytes(&input);
    assert!(want.len() > 500_000);
    assert_eq!(r.body.len(), want.len());
    assert!(r.body == want, "the audio bytes differ");
    let text = metrics(&gw).await;
    assert!(
        has_metric(&text, &["endpoint=\"audio\"", "status_class=\"2xx\""]),
        "{text}"
    );
}

#[tokio::test]
async fn unknown_paths_keep_their_openai_shaped_404() {
    let (mock, gw) = stack(MockOptions::default(), "").await;
    for path in ["/v1/nope", "/v1/filesystem", "/v1/completions/extra", "/v1/audio"] {
        let r = request("POST", &gw.url(path), &[ALPHA, JSON], "{}").await;
        r.assert_error(404, "not_found");
    }
    assert_eq!(mock_stats(&mock).await["requests_total"], 0);
}
