//! The Responses store and background jobs shared through Redis: two `gearbox serve` processes
//! on one real redis-server in front of one `gearbox mock`, for both upstream dialects. A
//! conversation started on one replica is read, continued (also through `item_reference`s) and
//! deleted on the other, and so is a stream cut by `max_output_tokens` (`response.incomplete`); a background job taken by one is polled and cancelled from the other
//! (and counted where it ended); a job whose replica dies is reported failed once its lease
//! runs out; no team sees another's responses on any replica; a submit racing a replica's
//! shutdown drain is run, stored failed or refused with a 503, never left `queued`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "support/redis.rs"]
mod redis_support;

use bytes::Bytes;
use common::*;
use gearbox::mock::MockOptions;
use redis_support::RedisServer;
use serde_json::{json, Value};
use std::process::{Child, Stdio};
use std::time::Duration;

const BETA: (&str, &str) = ("authorization", "Bearer beta-key");

const DIALECTS: [(&str, &str); 2] = [
    ("gpt-4o-mini", "/v1/chat/completions"),
    ("r-mini", "/v1/responses"),
];

/// A replica: `gearbox serve` as its own process; killed when dropped.
struct Replica {
    child: Child,
    addr: String,
}

impl Replica {
    fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(config: &std::path::Path) -> Replica {
    let (child, addr) = serve_process(config, Stdio::null());
    Replica { child, addr }
}

/// Mock, Redis and two replicas sharing both.
async fn two_replicas(tag: &str) -> (Running, RedisServer, Replica, Replica) {
    two_replicas_with(tag, "").await
}

/// The same, with more `[responses]` settings.
async fn two_replicas_with(tag: &str, responses: &str) -> (Running, RedisServer, Replica, Replica) {
    let redis = RedisServer::start();
    let mock = start_mock(MockOptions::default()).await;
    let extra = format!(
        r#"{mockr}
[redis]
url = "{r}"
timeout = "500ms"

[responses]
background_lease = "1s"
{responses}"#,
        mockr = responses_upstream(mock.addr),
        r = redis.url()
    );
    let path = process_config(tag, mock.addr, &extra);
    let a = serve(&path);
    let b = serve(&path);
    (mock, redis, a, b)
}

async fn post(url: &str, key: (&str, &str), body: &Value) -> Resp {
    request(
        "POST",
        url,
        &[key, ("content-type", "application/json")],
        body.to_string(),
    )
    .await
}

async fn get_as(url: &str, key: (&str, &str)) -> Resp {
    request("GET", url, &[key], Bytes::new()).await
}

async fn last_upstream_body(mock: &Running) -> Value {
    let stats = mock_stats(mock).await;
    stats["last_requests"].as_array().unwrap().last().unwrap()["body"].clone()
}

#[tokio::test]
async fn a_conversation_started_on_one_replica_is_continued_read_and_deleted_on_the_other() {
    let (mock, _redis, a, b) = two_replicas("resp-conv").await;
    for (model, path) in DIALECTS {
        let first = post(
            &a.url("/v1/responses"),
            ALPHA,
            &json!({"model": model, "input": "My name is Ada Lovelace."}),
        )
        .await;
        assert_eq!(first.status, 200, "{model}: {}", first.text());
        let first_id = first.json()["id"].as_str().unwrap().to_string();

        // Replica B continues A's conversation: the upstream gets the whole of it.
        let next = post(
            &b.url("/v1/responses"),
            ALPHA,
            &json!({"model": model, "input": "What is my name?", "previous_response_id": first_id}),
        )
        .await;
        assert_eq!(next.status, 200, "{model}: {}", next.text());
        let next_v = next.json();
        let next_id = next_v["id"].as_str().unwrap().to_string();
        assert_eq!(next_v["previous_response_id"], json!(first_id), "{model}");
        assert_eq!(last_upstream_path(&mock).await, path, "{model}");
        let sent = last_upstream_body(&mock).await.to_string();
        assert!(
            sent.contains("Ada Lovelace") && sent.contains("What is my name?"),
            "{model}: {sent}"
        );

        // Both replicas read both responses and the continuation's input items.
        for r in [&a, &b] {
            for id in [&first_id, &next_id] {
                let got = get_as(&r.url(&format!("/v1/responses/{id}")), ALPHA).await;
                assert_eq!(got.status, 200, "{model}: {}", got.text());
                assert_eq!(got.json()["id"], json!(id));
            }
            let items = get_as(&r.url(&format!("/v1/responses/{next_id}/input_items")), ALPHA).await;
            assert_eq!(items.status, 200, "{}", items.text());
            let items = items.json().to_string();
            assert!(
                items.contains("Ada Lovelace") && items.contains("What is my name?"),
                "{items}"
            );
        }

        // Another team sees nothing, on either replica: read, continue, delete.
        for r in [&a, &b] {
            get_as(&r.url(&format!("/v1/responses/{first_id}")), BETA)
                .await
                .assert_error(404, "not_found");
            let cont = post(
                &r.url("/v1/responses"),
                BETA,
                &json!({"model": model, "input": "x", "previous_response_id": first_id}),
            )
            .await;
            assert_eq!(
                cont.assert_error(404, "not_found")["param"],
                "previous_response_id"
            );
            request(
                "DELETE",
                &r.url(&format!("/v1/responses/{first_id}")),
                &[BETA],
                Bytes::new(),
            )
            .await
            .assert_error(404, "not_found");
        }

        // A streamed answer on A (stored when its stream ends) is continued on B once the
        // client has read the stream.
        let streamed = post(
            &a.url("/v1/responses"),
            ALPHA,
            &json!({"model": model, "input": "My cat is called Turing.", "stream": true}),
        )
        .await;
        assert_eq!(streamed.status, 200, "{model}: {}", streamed.text());
        let completed: Value = sse_data(&streamed.text())
            .iter()
            .filter_map(|d| serde_json::from_str::<Value>(d).ok())
            .find(|v| v["type"] == "response.completed")
            .unwrap_or_else(|| panic!("{model}: no response.completed in {}", streamed.text()));
        let streamed_id = completed["response"]["id"].as_str().unwrap().to_string();
        let cont = post(
            &b.url("/v1/responses"),
            ALPHA,
            &json!({"model": model, "input": "What is my cat called?", "previous_response_id": streamed_id}),
        )
        .await;
        assert_eq!(cont.status, 200, "{model}: {}", cont.text());
        assert!(
            last_upstream_body(&mock).await.to_string().contains("Turing"),
            "{model}"
        );

        // Deleted on B, gone on A.
        let del = request(
            "DELETE",
            &b.url(&format!("/v1/responses/{first_id}")),
            &[ALPHA],
            Bytes::new(),
        )
        .await;
        assert_eq!(del.status, 200, "{}", del.text());
        assert_eq!(del.json()["deleted"], true);
        get_as(&a.url(&format!("/v1/responses/{first_id}")), ALPHA)
            .await
            .assert_error(404, "not_found");
    }
}

/// The events of an SSE body, parsed.
/// A stream cut by `max_output_tokens` on replica A (`response.incomplete`) is stored in Redis
/// before its last event: replica B reads it at once and continues it, streamed, in both
/// dialects; B's events and stored response name A's response as the previous one.
#[tokio::test]
async fn an_incomplete_stream_stored_by_one_replica_is_read_and_continued_on_the_other() {
    let (mock, _redis, a, b) = two_replicas("resp-incomplete").await;
    for (model, path) in DIALECTS {
        let first = post(
            &a.url("/v1/responses"),
            ALPHA,
            &json!({"model": model, "input": "Tell me a long story about the sea",
                "stream": true, "max_output_tokens": 3}),
        )
        .await;
        assert_eq!(first.status, 200, "{model}: {}", first.text());
        let last = events_of(&first.text()).pop().unwrap();
        assert_eq!(last["type"], "response.incomplete", "{model}: {last}");
        assert_eq!(
            last["response"]["incomplete_details"]["reason"], "max_output_tokens",
            "{model}: {last}"
        );
        let id = last["response"]["id"].as_str().unwrap().to_string();
        let partial = last["response"]["output"][0]["content"][0]["text"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(!partial.is_empty(), "{model}: {last}");

        // B reads A's incomplete response, right after A's stream ended.
        let got = get_as(&b.url(&format!("/v1/responses/{id}")), ALPHA).await;
        assert_eq!(got.status, 200, "{model}: {}", got.text());
        let got = got.json();
        assert_eq!(got["status"], "incomplete", "{model}: {got}");
        assert_eq!(got["output"], last["response"]["output"], "{model}");
        // Another team does not see it on either replica.
        for r in [&a, &b] {
            let other = get_as(&r.url(&format!("/v1/responses/{id}")), BETA).await;
            assert_eq!(other.status, 404, "{model}: {}", other.text());
        }

        // B continues it, streamed: the upstream gets the question, the partial answer and the
        // follow-up; B's events name A's response.
        let next = post(
            &b.url("/v1/responses"),
            ALPHA,
            &json!({"model": model, "input": "Go on", "previous_response_id": id, "stream": true}),
        )
        .await;
        assert_eq!(next.status, 200, "{model}: {}", next.text());
        let events = events_of(&next.text());
        let done = events.last().unwrap();
        assert_eq!(done["type"], "response.completed", "{model}: {done}");
        for e in events.iter().filter(|e| e.get("response").is_some()) {
            assert_eq!(e["response"]["previous_response_id"], id.as_str(), "{model}: {e}");
        }
        assert_eq!(last_upstream_path(&mock).await, path, "{model}");
        let sent = last_upstream_body(&mock).await.to_string();
        assert!(
            sent.contains("long story about the sea") && sent.contains(&partial) && sent.contains("Go on"),
            "{model}: {sent}"
        );
        // A reads B's continuation, naming A's response.
        let next_id = done["response"]["id"].as_str().unwrap();
        let back = get_as(&a.url(&format!("/v1/responses/{next_id}")), ALPHA).await;
        assert_eq!(back.status, 200, "{model}: {}", back.text());
        let back = back.json();
        assert_eq!(back["status"], "completed", "{model}: {back}");
        assert_eq!(back["previous_response_id"], id.as_str(), "{model}: {back}");
    }
}

#[tokio::test]
async fn item_references_to_a_response_stored_by_the_other_replica_are_resolved() {
    let (mock, _redis, a, b) = two_replicas("resp-itemref").await;
    for (model, _) in DIALECTS {
        let first = post(
            &a.url("/v1/responses"),
            ALPHA,
            &json!({"model": model, "input": "Name a river"}),
        )
        .await;
        assert_eq!(first.status, 200, "{model}: {}", first.text());
        let first = first.json();
        let item_id = first["output"][0]["id"].as_str().unwrap().to_string();
        let answer = first["output"][0]["content"][0]["text"]
            .as_str()
            .unwrap()
            .to_string();
        // The Vercel AI SDK's second turn, sent to B: the earlier answer by reference (twice,
        // so the stored response is read once and used for both).
        let input = json!([{"role": "user", "content": "Name a river"},
            {"type": "item_reference", "id": item_id},
            {"type": "item_reference", "id": item_id},
            {"role": "user", "content": "And another?"}]);
        let r = post(
            &b.url("/v1/responses"),
            ALPHA,
            &json!({"model": model, "input": input}),
        )
        .await;
        assert_eq!(r.status, 200, "{model}: {}", r.text());
        let sent = last_upstream_body(&mock).await.to_string();
        assert_eq!(
            sent.matches(answer.as_str()).count(),
            2,
            "{model}: the referenced answer was not sent twice: {sent}"
        );
        assert!(!sent.contains("item_reference"), "{model}: {sent}");
        // Another team's reference is not resolved on either replica: a chat upstream cannot
        // take it.
        if model == "gpt-4o-mini" {
            for r in [&a, &b] {
                let e = post(
                    &r.url("/v1/responses"),
                    BETA,
                    &json!({"model": model, "input": input}),
                )
                .await
                .assert_error(400, "invalid_request");
                assert_eq!(e["param"], "input[1].id", "{e}");
                assert!(!e["message"].as_str().unwrap().contains(&answer));
            }
        }
    }
}

async fn last_upstream_path(mock: &Running) -> String {
    let stats = mock_stats(mock).await;
    stats["last_requests"].as_array().unwrap().last().unwrap()["path"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn submit(r: &Replica, model: &str) -> String {
    let body = json!({"model": model, "input": "Summarise the history of Rome.", "background": true});
    let resp = post(&r.url("/v1/responses"), ALPHA, &body).await;
    assert_eq!(resp.status, 200, "{model}: {}", resp.text());
    let v = resp.json();
    assert_eq!(v["status"], "queued", "{v}");
    v["id"].as_str().unwrap().to_string()
}

/// Poll `GET /v1/responses/{id}` on `r` until `done(status)`; the statuses seen and the last body.
async fn poll_until(r: &Replica, id: &str, done: impl Fn(&str) -> bool) -> (Vec<String>, Value) {
    let mut seen: Vec<String> = Vec::new();
    for _ in 0..500 {
        let resp = get_as(&r.url(&format!("/v1/responses/{id}")), ALPHA).await;
        assert_eq!(resp.status, 200, "{}", resp.text());
        let v = resp.json();
        let s = v["status"].as_str().unwrap().to_string();
        if seen.last() != Some(&s) {
            seen.push(s.clone());
        }
        if done(&s) {
            return (seen, v);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{id} never reached the expected status; seen {seen:?}");
}

async fn cancelled_upstream_calls(mock: &Running, at_least: u64) -> u64 {
    let mut n = 0;
    for _ in 0..300 {
        n = mock_stats(mock).await["cancelled_requests"].as_u64().unwrap();
        if n >= at_least {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    n
}

#[tokio::test]
async fn a_background_job_on_one_replica_is_polled_and_cancelled_from_the_other() {
    let (mock, _redis, a, b) = two_replicas("resp-jobs").await;
    let mut cancelled = 0;
    for (model, _) in DIALECTS {
        // Polled to completion from B.
        set_mock_ttft(&mock, 400).await;
        let id = submit(&a, model).await;
        let (seen, done) = poll_until(&b, &id, |s| s == "completed" || s == "failed").await;
        assert!(seen.contains(&"in_progress".to_string()), "{model}: {seen:?}");
        assert_eq!(done["status"], "completed", "{model}: {done}");
        assert_eq!(done["background"], true);
        assert!(
            !done["output"][0]["content"][0]["text"]
                .as_str()
                .unwrap()
                .is_empty(),
            "{done}"
        );
        // ... and continued from B like any stored response.
        let next = json!({"model": model, "input": "And then?", "previous_response_id": id});
        assert_eq!(post(&b.url("/v1/responses"), ALPHA, &next).await.status, 200);

        // Cancelled from B while A runs it: A drops its upstream call.
        set_mock_ttft(&mock, 10_000).await;
        let id = submit(&a, model).await;
        poll_until(&b, &id, |s| s == "in_progress").await;
        let cancel_url = |r: &Replica| r.url(&format!("/v1/responses/{id}/cancel"));
        request("POST", &cancel_url(&b), &[BETA], Bytes::new())
            .await
            .assert_error(404, "not_found");
        let r = request("POST", &cancel_url(&b), &[ALPHA], Bytes::new()).await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json()["status"], "cancelled", "{model}");
        cancelled += 1;
        assert_eq!(
            cancelled_upstream_calls(&mock, cancelled).await,
            cancelled,
            "{model}: replica A did not drop the upstream call"
        );
        for r in [&a, &b] {
            let v = get_as(&r.url(&format!("/v1/responses/{id}")), ALPHA).await.json();
            assert_eq!(v["status"], "cancelled", "{model}: {v}");
        }
        // Cancelling a cancelled (or finished) response returns it unchanged.
        let again = request("POST", &cancel_url(&a), &[ALPHA], Bytes::new()).await;
        assert_eq!(again.json()["status"], "cancelled");
    }
    // Deleted from B while A runs it: A stops it too.
    let id = submit(&a, "gpt-4o-mini").await;
    poll_until(&b, &id, |s| s == "in_progress").await;
    let del = request(
        "DELETE",
        &b.url(&format!("/v1/responses/{id}")),
        &[ALPHA],
        Bytes::new(),
    )
    .await;
    assert_eq!(del.status, 200, "{}", del.text());
    assert_eq!(
        cancelled_upstream_calls(&mock, cancelled + 1).await,
        cancelled + 1,
        "replica A did not stop the deleted job"
    );
    get_as(&a.url(&format!("/v1/responses/{id}")), ALPHA)
        .await
        .assert_error(404, "not_found");
    // The running replica's gauge went back to zero.
    let metrics = request("GET", &a.url("/metrics"), &[], Bytes::new()).await.text();
    assert!(
        metrics.contains("gearbox_background_jobs{state=\"running\",team=\"alpha\"} 0"),
        "{metrics}"
    );
    // Finished jobs are counted where they ended: the two completed on A, the two cancels on B
    // (the replica that took the cancel; A, which stopped them through the lease, counts
    // nothing for them), the deleted one nowhere.
    let finished = |status: &str, n: u32| {
        format!("gearbox_background_jobs_finished_total{{status=\"{status}\",team=\"alpha\"}} {n}")
    };
    assert!(metrics.contains(&finished("completed", 2)), "{metrics}");
    assert!(!metrics.contains("status=\"cancelled\""), "{metrics}");
    assert!(!metrics.contains("finished_total{status=\"failed\""), "{metrics}");
    let metrics = request("GET", &b.url("/metrics"), &[], Bytes::new()).await.text();
    assert!(metrics.contains(&finished("cancelled", 2)), "{metrics}");
    assert!(
        !metrics.contains("finished_total{status=\"completed\""),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_job_whose_replica_dies_is_reported_failed_when_its_lease_runs_out() {
    let (mock, _redis, mut a, b) = two_replicas("resp-lease").await;
    set_mock_ttft(&mock, 30_000).await;
    let id = submit(&a, "gpt-4o-mini").await;
    poll_until(&b, &id, |s| s == "in_progress").await;
    // Its lease is renewed while A lives.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        get_as(&b.url(&format!("/v1/responses/{id}")), ALPHA).await.json()["status"],
        "in_progress"
    );
    a.child.kill().unwrap();
    a.child.wait().unwrap();
    let t = std::time::Instant::now();
    let (_, v) = poll_until(&b, &id, |s| s != "in_progress").await;
    assert_eq!(v["status"], "failed", "{v}");
    assert_eq!(v["error"]["code"], "server_error");
    assert!(v["error"]["message"].as_str().unwrap().contains("stopped"), "{v}");
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    // Cancelling it now changes nothing.
    let r = request(
        "POST",
        &b.url(&format!("/v1/responses/{id}/cancel")),
        &[ALPHA],
        Bytes::new(),
    )
    .await;
    assert_eq!(r.json()["status"], "failed");
}

/// A job's answer over `redis_max_entry_bytes` is kept by the replica that ran it, like any
/// response too large for Redis: the other replica answers 404 once the job is ended in Redis (one
/// round trip after the answer), not `in_progress` until the lease runs out and then a false "its
/// replica stopped".
#[tokio::test]
async fn a_job_answer_too_large_for_redis_stays_with_its_replica_and_ends_the_job_in_redis() {
    // The queued and running records (~650 bytes) fit; the completed one (~1,050) does not.
    let (mock, _redis, a, b) = two_replicas_with("resp-large", "redis_max_entry_bytes = 900\n").await;
    // Long enough for B to see the running job even on a slow machine.
    set_mock_ttft(&mock, 1000).await;
    let id = submit(&a, "gpt-4o-mini").await;
    poll_until(&b, &id, |s| s == "in_progress").await;
    let (_, done) = poll_until(&a, &id, |s| s == "completed").await;
    assert_eq!(done["background"], true);
    let url = b.url(&format!("/v1/responses/{id}"));
    // A keeps the answer in memory before it ends the job in Redis (so A never answers 404 for
    // its own job), so B may still read `in_progress` for that one Redis round trip.
    let mut r = get_as(&url, ALPHA).await;
    for _ in 0..100 {
        if r.status != 200 {
            break;
        }
        assert_eq!(r.json()["status"], "in_progress", "{}", r.text());
        tokio::time::sleep(Duration::from_millis(10)).await;
        r = get_as(&url, ALPHA).await;
    }
    assert_eq!(r.status, 404, "{}", r.text());
    // Past the 1 s lease: still a 404 on B, still the answer on A.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(get_as(&url, ALPHA).await.status, 404);
    let v = get_as(&a.url(&format!("/v1/responses/{id}")), ALPHA).await.json();
    assert_eq!(v["status"], "completed", "{v}");
}

#[tokio::test]
async fn with_redis_down_responses_and_jobs_fall_back_to_the_replicas_memory() {
    let mut redis = RedisServer::start();
    let mock = start_mock(MockOptions::default()).await;
    let extra = format!(
        "[redis]\nurl = \"{}\"\ntimeout = \"100ms\"\ncooldown = \"30s\"\n[responses]\nbackground_lease = \"1s\"\n",
        redis.url()
    );
    let gw = start_gateway(&config_for(mock.addr, &extra)).await;
    let url = gw.url("/v1/responses");
    let first = post(
        &url,
        ALPHA,
        &json!({"model": "gpt-4o-mini", "input": "My name is Ada."}),
    )
    .await;
    assert_eq!(first.status, 200, "{}", first.text());
    let first_id = first.json()["id"].as_str().unwrap().to_string();
    redis.stop();
    // Stored in Redis before the outage: gone with it (this redis-server keeps nothing on disk).
    let lost = post(
        &url,
        ALPHA,
        &json!({"model": "gpt-4o-mini", "input": "x", "previous_response_id": first_id}),
    )
    .await;
    assert_eq!(
        lost.assert_error(404, "not_found")["param"],
        "previous_response_id"
    );
    // New answers are kept in this replica's memory and continued from there.
    let second = post(
        &url,
        ALPHA,
        &json!({"model": "gpt-4o-mini", "input": "I live in London."}),
    )
    .await;
    assert_eq!(second.status, 200, "{}", second.text());
    let second_id = second.json()["id"].as_str().unwrap().to_string();
    let next = post(
        &url,
        ALPHA,
        &json!({"model": "gpt-4o-mini", "input": "Where?", "previous_response_id": second_id}),
    )
    .await;
    assert_eq!(next.status, 200, "{}", next.text());
    assert!(last_upstream_body(&mock).await.to_string().contains("London"));
    get_as(&gw.url(&format!("/v1/responses/{second_id}")), BETA)
        .await
        .assert_error(404, "not_found");
    // A background job runs in memory and is polled here.
    let body = json!({"model": "gpt-4o-mini", "input": "Summarise.", "background": true});
    let job = post(&url, ALPHA, &body).await;
    assert_eq!(job.status, 200, "{}", job.text());
    let id = job.json()["id"].as_str().unwrap().to_string();
    let mut status = String::new();
    for _ in 0..200 {
        let v = get_as(&gw.url(&format!("/v1/responses/{id}")), ALPHA)
            .await
            .json();
        status = v["status"].as_str().unwrap().to_string();
        if status != "queued" && status != "in_progress" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(status, "completed");
}

/// One `POST /v1/responses` on a connection of its own, never panicking: the status and body,
/// or `None` when the connection failed or closed unanswered (the replica went away).
async fn try_post_background(addr: &str, model: &str) -> Option<(u16, Value)> {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let body =
        json!({"model": model, "input": "Summarise the history of Rome.", "background": true}).to_string();
    let mut s = tokio::net::TcpStream::connect(addr).await.ok()?;
    let head = format!(
        "POST /v1/responses HTTP/1.1\r\nhost: {addr}\r\nauthorization: Bearer alpha-key\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.ok()?;
    s.write_all(body.as_bytes()).await.ok()?;
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut out))
        .await
        .ok()?
        .ok()?;
    let text = String::from_utf8(out).ok()?;
    let status = text.get(9..12)?.parse().ok()?;
    let (_, body) = text.split_once("\r\n\r\n")?;
    Some((status, serde_json::from_str(body).ok()?))
}

/// The same over an HTTP/2 connection of its own (prior knowledge).
async fn try_post_background_h2(addr: &str, model: &str) -> Option<(u16, Value)> {
    use http_body_util::{BodyExt as _, Full};
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    let body =
        json!({"model": model, "input": "Summarise the history of Rome.", "background": true}).to_string();
    let tcp = tokio::net::TcpStream::connect(addr).await.ok()?;
    let (mut send, conn) = hyper::client::conn::http2::Builder::new(TokioExecutor::new())
        .timer(TokioTimer::new())
        .handshake(TokioIo::new(tcp))
        .await
        .ok()?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let req = http::Request::post(format!("http://{addr}/v1/responses"))
        .header("authorization", "Bearer alpha-key")
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body)))
        .ok()?;
    let answer = async {
        let resp = send.send_request(req).await.ok()?;
        let status = resp.status().as_u16();
        let body = resp.into_body().collect().await.ok()?.to_bytes();
        Some((status, serde_json::from_slice(&body).ok()?))
    };
    tokio::time::timeout(Duration::from_secs(10), answer).await.ok()?
}

/// Every job record in Redis: (id, status, whether its lease is still there).
async fn job_records(redis: &RedisServer) -> Vec<(String, String, bool)> {
    let client = redis::Client::open(redis.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("gearbox:responses:v1:*")
        .query_async(&mut conn)
        .await
        .unwrap();
    let mut out = Vec::new();
    for k in keys {
        let raw: Option<String> = redis::cmd("GET").arg(&k).query_async(&mut conn).await.unwrap();
        let Some(v) = raw.and_then(|r| serde_json::from_str::<Value>(&r).ok()) else {
            continue;
        };
        let lease_key = k.replacen("gearbox:responses:", "gearbox:jobs:", 1);
        let lease: bool = redis::cmd("EXISTS")
            .arg(&lease_key)
            .query_async(&mut conn)
            .await
            .unwrap();
        out.push((
            v["response"]["id"].as_str().unwrap_or("").to_string(),
            v["response"]["status"].as_str().unwrap_or("").to_string(),
            lease,
        ));
    }
    out
}

/// A replica of `gearbox serve` with Redis at `redis` (job leases of 60 s: a record left
/// pending would read so for a minute on every replica; a Redis deadline of 10 s, so that no
/// write times out while a test holds Redis paused, however slow the machine) and
/// `drain_timeout`, and `more` config; its stderr lines arrive on the receiver.
fn draining_replica(
    tag: &str,
    mock: &Running,
    redis: &RedisServer,
    drain_timeout: &str,
    more: &str,
) -> (
    Replica,
    std::path::PathBuf,
    tokio::sync::mpsc::UnboundedReceiver<String>,
) {
    let extra = format!(
        "[redis]\nurl = \"{}\"\ntimeout = \"10s\"\n[responses]\nbackground_lease = \"60s\"\n{more}",
        redis.url()
    );
    let path = process_config(tag, mock.addr, &extra);
    let cfg = std::fs::read_to_string(&path).unwrap().replacen(
        "[server]\n",
        &format!("[server]\ndrain_timeout = \"{drain_timeout}\"\n"),
        1,
    );
    std::fs::write(&path, cfg).unwrap();
    let (mut child, addr) = serve_process(&path, Stdio::piped());
    let stderr = child.stderr.take().unwrap();
    let (tx, log) = tokio::sync::mpsc::unbounded_channel();
    // Read to the end whether or not anyone listens, so the replica never blocks on the pipe.
    std::thread::spawn(move || {
        use std::io::BufRead as _;
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    (Replica { child, addr }, path, log)
}

/// Whether a line containing `needle` arrives on `log` within `limit`.
async fn logged(
    log: &mut tokio::sync::mpsc::UnboundedReceiver<String>,
    needle: &str,
    limit: Duration,
) -> bool {
    let until = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(until, log.recv()).await {
            Ok(Some(line)) if line.contains(needle) => return true,
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => return false,
        }
    }
}

/// The replica's exit status once it has exited, polled for up to `limit`; past that it is
/// killed and `None`.
async fn exit_within(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let until = std::time::Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        if std::time::Instant::now() >= until {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Background submits accepted just before the drain, still writing their `queued` record:
/// Redis is paused (SIGSTOP) while they write it, the replica gets SIGTERM with
/// `drain_timeout = "0s"` (the drain ends every job it finds at once), then Redis resumes. Each
/// submit is answered `queued` (its job then completed, or failed by the drain) or refused with
/// a 503 `server_shutting_down`; and once the replica has exited no job record in Redis is
/// `queued` or `in_progress`.
#[tokio::test]
async fn background_submits_caught_by_the_drain_are_failed_or_refused_never_left_queued() {
    submits_caught_by_the_drain(false).await;
}

/// The same over HTTP/2 (prior knowledge), where the answer is written by the connection's
/// task after the request's: the refusals still reach the clients.
#[tokio::test]
async fn background_submits_caught_by_the_drain_over_http2_are_answered() {
    submits_caught_by_the_drain(true).await;
}

async fn submits_caught_by_the_drain(h2: bool) {
    let redis = RedisServer::start();
    let mock = start_mock(MockOptions::default()).await;
    let (mut a, path, mut log) = draining_replica("resp-drain-race", &mock, &redis, "0s", "");
    let first = submit(&a, "gpt-4o-mini").await;
    poll_until(&a, &first, |s| s == "completed").await;
    signal(redis.pid(), "-STOP");
    let submits: Vec<_> = (0..8)
        .map(|_| {
            let addr = a.addr.clone();
            tokio::spawn(async move {
                if h2 {
                    try_post_background_h2(&addr, "gpt-4o-mini").await
                } else {
                    try_post_background(&addr, "gpt-4o-mini").await
                }
            })
        })
        .collect();
    // All 8 are taken (counted as queued) and stuck writing their `queued` record, well within
    // the 10 s Redis deadline.
    let queued_gauge = "gearbox_background_jobs{state=\"queued\",team=\"alpha\"} 8";
    let mut metrics = String::new();
    for _ in 0..200 {
        metrics = request("GET", &a.url("/metrics"), &[], Bytes::new()).await.text();
        if metrics.contains(queued_gauge) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(metrics.contains(queued_gauge), "{metrics}");
    signal(a.child.id(), "-TERM");
    // The drain's period (0 s) runs out at once and the drain closes (it logs so once it has);
    // then Redis answers.
    let closed = logged(&mut log, "the drain period ran out", Duration::from_secs(20)).await;
    signal(redis.pid(), "-CONT");
    assert!(closed, "the drain never closed");
    let mut answers = Vec::new();
    for s in submits {
        answers.push(s.await.unwrap());
    }
    let (mut queued, mut refused, mut lost) = (Vec::new(), 0, 0);
    for a in &answers {
        match a {
            Some((200, v)) => {
                assert_eq!(v["status"], "queued", "{v}");
                queued.push(v["id"].as_str().unwrap().to_string());
            }
            Some((503, v)) => {
                assert_eq!(v["error"]["code"], "server_shutting_down", "{v}");
                assert_eq!(v["error"]["type"], "server_error", "{v}");
                refused += 1;
            }
            Some((s, v)) => panic!("unexpected answer {s}: {v}"),
            None => lost += 1,
        }
    }
    let counts = format!("{} queued answers, {refused} refused, {lost} lost", queued.len());
    let exit = exit_within(&mut a.child, Duration::from_secs(30)).await;
    assert!(
        exit.is_some_and(|s| s.success()),
        "the replica did not exit cleanly within 30 s: {exit:?} ({counts})"
    );
    let records = job_records(&redis).await;
    let pending: Vec<_> = records
        .iter()
        .filter(|(_, s, _)| s == "queued" || s == "in_progress")
        .collect();
    assert!(
        pending.is_empty(),
        "{} of {} job records left pending after the drain: {pending:?} ({counts})",
        pending.len(),
        records.len(),
    );
    for id in &queued {
        let status = records
            .iter()
            .find(|(i, _, _)| i == id)
            .map(|(_, s, _)| s.as_str());
        assert!(
            matches!(status, Some("completed" | "failed")),
            "{id} answered queued is {status:?} ({counts})"
        );
    }
    // The drain waited for the writes, so every submit got its answer; the writes were still
    // under way when it closed, so those ended failed and were refused.
    assert_eq!(lost, 0, "{counts}");
    assert!(refused > 0, "no submit met the closed drain ({counts})");
    eprintln!("submits caught by the drain: {counts}");
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}

/// A submit that arrives once the drain has begun (its body finished after SIGTERM, on a
/// connection the drain lets finish) is refused with a 503 `server_shutting_down` before
/// admission (it takes nothing of the team's request allowance), and nothing of it is stored.
#[tokio::test]
async fn a_background_submit_arriving_during_the_drain_is_refused_with_a_503() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let redis = RedisServer::start();
    let mock = start_mock(MockOptions::default()).await;
    // A request limit, kept in Redis: what admission takes of it shows there.
    let limits = "[teams.alpha.policy.limits]\nrpm = 100\n";
    let (mut a, path, _log) = draining_replica("resp-drain-late", &mock, &redis, "5s", limits);
    let body = json!({"model": "gpt-4o-mini", "input": "Summarise the history of Rome.", "background": true})
        .to_string();
    let mut s = tokio::net::TcpStream::connect(&a.addr).await.unwrap();
    let head = format!(
        "POST /v1/responses HTTP/1.1\r\nhost: x\r\nauthorization: Bearer alpha-key\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(&body.as_bytes()[..10]).await.unwrap();
    // The request is being handled (reading its body): it and this `/metrics` one.
    let mut metrics = String::new();
    for _ in 0..200 {
        metrics = request("GET", &a.url("/metrics"), &[], Bytes::new()).await.text();
        if metrics.contains("gearbox_in_flight_requests 2") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(metrics.contains("gearbox_in_flight_requests 2"), "{metrics}");
    signal(a.child.id(), "-TERM");
    // The drain has begun once the listener is closed (the jobs' drain begins first).
    let mut closed = false;
    for _ in 0..500 {
        if tokio::net::TcpStream::connect(&a.addr).await.is_err() {
            closed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(closed, "the listener stayed open after SIGTERM");
    s.write_all(&body.as_bytes()[10..]).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut out))
        .await
        .unwrap()
        .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.starts_with("HTTP/1.1 503"), "{text}");
    let v: Value = serde_json::from_str(text.split_once("\r\n\r\n").unwrap().1).unwrap();
    assert_eq!(v["error"]["code"], "server_shutting_down", "{v}");
    assert_eq!(v["error"]["type"], "server_error", "{v}");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("shutting down"),
        "{v}"
    );
    let exit = exit_within(&mut a.child, Duration::from_secs(30)).await;
    assert!(
        exit.is_some_and(|s| s.success()),
        "the replica did not exit cleanly within 30 s: {exit:?}"
    );
    assert_eq!(job_records(&redis).await, Vec::new());
    assert_eq!(redis_keys(&redis, "gearbox:rl:*").await, Vec::<String>::new());
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}

/// The keys in Redis matching `pattern`.
async fn redis_keys(redis: &RedisServer, pattern: &str) -> Vec<String> {
    let client = redis::Client::open(redis.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    redis::cmd("KEYS")
        .arg(pattern)
        .query_async(&mut conn)
        .await
        .unwrap()
}
