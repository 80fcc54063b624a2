//! Dumps every judgment the gateway makes on the repository's data, bit for bit, so a
//! same-output speed-up can be checked with `diff`:
//!
//! * `data/router/*.jsonl`: route and calibrated score (f32 bits) of every line;
//! * `data/rewrite/eval*.jsonl`: the body sent to the reasoning model and the removed texts;
//! * `data/rewrite/sentences*.jsonl`: the detector's probability (f32 bits) of every text, and
//!   the rewrite and route of the text sent alone as a user turn.
//!
//! Run: `cargo run --release --example judgment_dump > /tmp/a.txt` before and after a change,
//! then `diff /tmp/a.txt /tmp/b.txt` (must be empty).

use gearbox::api::{ChatRequest, Message, Role};
use gearbox::config::{self, ProcessEnv};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cfg = config::load(None, &ProcessEnv).map_err(|e| format!("config: {e}"))?;
    let router = &cfg.router_model;
    let policy = cfg.default_policy.clone();
    let threshold = policy.threshold;
    let upstream_model = cfg
        .models
        .get(&policy.reasoning_model)
        .map_or(policy.reasoning_model.clone(), |m| m.upstream_model.clone());
    let profile = gearbox::rewrite::resolve_profile(&upstream_model, &cfg.reasoning_profiles);
    let params = gearbox::proxy::routing::param_policy(&policy);
    let detector = gearbox::rewrite::detect::model();
    let mut files: Vec<_> = std::fs::read_dir("data/router")?
        .chain(std::fs::read_dir("data/rewrite")?)
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    for path in files {
        let text = std::fs::read_to_string(&path)?;
        let name = path.display().to_string();
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            if name.contains("data/router/") {
                match gearbox::classify::parse_example_line(line) {
                    Ok(ex) => {
                        let c = gearbox::classify::classify_with_threshold(&ex.request, router, threshold);
                        println!(
                            "{name}:{n} route {:?} score {:08x} {:.6}",
                            c.route,
                            c.score.to_bits(),
                            c.score
                        );
                    }
                    Err(e) => println!("{name}:{n} error {e}"),
                }
            } else if name.contains("/eval") {
                let v = gearbox::rewrite::rewrite_line(line, &upstream_model, &profile, &params, true);
                println!("{name}:{n} rewrite {v}");
            } else {
                let v: serde_json::Value = serde_json::from_str(line)?;
                let t = v.get("text").and_then(|t| t.as_str()).unwrap_or("");
                let p = detector.probability(t);
                let mut req = ChatRequest {
                    model: upstream_model.clone(),
                    messages: vec![Message::new(Role::User, t)],
                    ..Default::default()
                };
                let c = gearbox::classify::classify_with_threshold(&req, router, threshold);
                let out = gearbox::rewrite::rewrite(&mut req, &profile);
                println!(
                    "{name}:{n} p {:08x} route {:?} score {:08x} removed {:?} -> {}",
                    p.to_bits(),
                    c.route,
                    c.score.to_bits(),
                    out.removed,
                    serde_json::to_string(&req.messages)?
                );
            }
        }
    }
    Ok(())
}
