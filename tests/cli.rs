//! The binary's commands: check-config on good and bad files; serve and mock announce their
//! address and answer.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_gearbox");

#[test]
fn check_config_accepts_the_example_and_lists_every_problem() {
    let ok = Command::new(BIN)
        .args([
            "check-config",
            "--config",
            concat!(env!("CARGO_MANIFEST_DIR"), "/config/gearbox.toml"),
        ])
        .env("OPENAI_API_KEY", "sk-x")
        .env("LOCAL_VLLM_KEY", "k")
        .output()
        .unwrap();
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    assert!(String::from_utf8_lossy(&ok.stdout).contains("configuration OK"));

    let dir = std::env::temp_dir().join(format!("gearbox-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        "[server]\nlisten = \"nowhere\"\n[upstreams.x]\nbase_url = \"nope\"\n[models.m]\nupstream = \"y\"\n",
    )
    .unwrap();
    let out = Command::new(BIN)
        .args(["check-config", "--config"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    for path in [
        "server.listen",
        "upstreams.x.base_url",
        "models.m.upstream",
        "auth.mode",
    ] {
        assert!(err.contains(path), "missing {path} in:\n{err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn serve_with_no_config_and_no_key_uses_the_simulator() {
    let mut child = Command::new(BIN)
        .args(["serve"])
        .env_remove("OPENAI_API_KEY")
        .env("GEARBOX_SERVER__LISTEN", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("gearbox listening on http://")
        .unwrap_or_else(|| panic!("unexpected: {line}"))
        .to_string();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let body = rt.block_on(async {
        use http_body_util::{BodyExt, Full};
        let client =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build_http();
        let req = http::Request::post(format!("http://{addr}/v1/chat/completions"))
            .body(Full::new(bytes::Bytes::from(
                r#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello"}]}"#,
            )))
            .unwrap();
        let resp = client.request(req).await.unwrap();
        assert_eq!(resp.status(), 200);
        resp.into_body().collect().await.unwrap().to_bytes()
    });
    let _ = child.kill();
    let stderr = {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut s);
        s
    };
    let _ = child.wait();
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["model"], "gpt-4o-mini");
    assert!(
        stderr.contains("simulator"),
        "the simulator fallback must be logged: {stderr}"
    );
    assert!(!stderr.contains("hello"), "prompt text must not be logged");
}
