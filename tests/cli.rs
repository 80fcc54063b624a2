//! The binary's commands: check-config on good and bad files; serve and mock announce their
//! address and answer.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::spawn_announced;
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
    let (mut child, addr) = spawn_announced(
        Command::new(BIN)
            .args(["serve"])
            .env_remove("OPENAI_API_KEY")
            .env("GEARBOX_SERVER__LISTEN", "127.0.0.1:0")
            .stderr(Stdio::piped()),
        "gearbox",
    );
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

/// CPUs in a `/proc` list such as `0-3,6`.
#[cfg(target_os = "linux")]
fn cpu_list(s: &str) -> Vec<usize> {
    s.trim()
        .split(',')
        .filter(|p| !p.is_empty())
        .flat_map(|p| match p.split_once('-') {
            Some((a, b)) => (a.parse::<usize>().unwrap()..=b.parse().unwrap()).collect::<Vec<_>>(),
            None => vec![p.parse().unwrap()],
        })
        .collect()
}

#[cfg(target_os = "linux")]
fn allowed_cpus(status_path: &std::path::Path) -> Vec<usize> {
    let status = std::fs::read_to_string(status_path).unwrap();
    let line = status
        .lines()
        .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
        .unwrap();
    cpu_list(line)
}

/// `server.pin_workers`: the main worker runs only on the first CPU of the process's set and
/// worker 1 only on the second (wrapping on a one-CPU machine); without it, both may run anywhere.
#[cfg(target_os = "linux")]
#[test]
fn serve_pins_worker_threads_when_asked() {
    let ours = allowed_cpus(std::path::Path::new("/proc/self/status"));
    for pin in [true, false] {
        let (mut child, _addr) = spawn_announced(
            Command::new(BIN)
                .args(["serve"])
                .env_remove("OPENAI_API_KEY")
                .env("GEARBOX_SERVER__LISTEN", "127.0.0.1:0")
                .env("GEARBOX_SERVER__WORKERS", "2")
                .env("GEARBOX_SERVER__PIN_WORKERS", pin.to_string())
                .stderr(Stdio::null()),
            "gearbox",
        );
        // The address is announced before the workers start: look until they are there and
        // pinned (or for 10 s).
        let threads = |pid: u32| {
            let (mut main, mut worker) = (None, None);
            for task in std::fs::read_dir(format!("/proc/{pid}/task")).unwrap() {
                let dir = task.unwrap().path();
                let comm = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
                match comm.trim() {
                    "gearbox" => main = Some(allowed_cpus(&dir.join("status"))),
                    c if c.starts_with("gearbox-worker") => worker = Some(allowed_cpus(&dir.join("status"))),
                    _ => {}
                }
            }
            (main, worker)
        };
        let want_main = if pin { vec![ours[0]] } else { ours.clone() };
        let want_worker = if pin {
            vec![ours[1 % ours.len()]]
        } else {
            ours.clone()
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let (mut main, mut worker) = threads(child.id());
        while (main.as_ref() != Some(&want_main) || worker.as_ref() != Some(&want_worker))
            && std::time::Instant::now() < deadline
        {
            std::thread::sleep(std::time::Duration::from_millis(20));
            (main, worker) = threads(child.id());
        }
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(main, Some(want_main), "main worker, pin_workers = {pin}");
        assert_eq!(worker, Some(want_worker), "worker 1, pin_workers = {pin}");
    }
}
