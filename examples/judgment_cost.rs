//! CPU cost of the gateway's judgment on a file of Chat Completions bodies (one a line), as the
//! proxy runs it: classification (one reason), then the reasoning adapter (check, goal-form
//! rewrite, translation) for the bodies routed to the reasoning model.
//!
//! `cargo run --release --example judgment_cost -- FILE ROUNDS [none|classify|rewrite|both]`;
//! under `perf stat -e instructions,task-clock` the difference between `none` and `both`
//! divided by `ROUNDS * lines` is the judgment's cost per request.

use std::hint::black_box;
use std::time::Instant;

use gearbox::classify::{classify_with_reasons, Route};
use gearbox::config::{self, ProcessEnv};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let file = args.get(1).ok_or("usage: judgment_cost FILE ROUNDS MODE")?;
    let rounds: usize = args.get(2).map_or(Ok(1000), |s| s.parse())?;
    let mode = args.get(3).map_or("both", String::as_str);
    let cfg = config::load(None, &ProcessEnv).map_err(|e| format!("config: {e}"))?;
    let policy = cfg.default_policy.clone();
    let model = cfg
        .models
        .get(&policy.reasoning_model)
        .ok_or("no reasoning model")?;
    let profile = gearbox::rewrite::resolve_profile(&model.upstream_model, &cfg.reasoning_profiles);
    let params = gearbox::proxy::routing::param_policy(&policy);
    gearbox::rewrite::warm_up();
    let text = std::fs::read_to_string(file)?;
    let reqs: Vec<_> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| gearbox::route::parse_route_input(l.as_bytes()).map_err(|e| e.message))
        .collect::<Result<_, _>>()?;
    let routes: Vec<Route> = reqs
        .iter()
        .map(|r| classify_with_reasons(r, &cfg.router_model, policy.threshold, 1).route)
        .collect();
    let t = Instant::now();
    let mut rewritten = 0usize;
    for _ in 0..rounds {
        for (r, route) in reqs.iter().zip(&routes) {
            let mut req = r.clone();
            if mode == "classify" || mode == "both" {
                black_box(classify_with_reasons(
                    &req,
                    &cfg.router_model,
                    policy.threshold,
                    1,
                ));
            }
            if (mode == "rewrite" || mode == "both") && *route == Route::Reasoning {
                let a = gearbox::rewrite::adapt(&mut req, &profile, &params);
                rewritten += usize::from(a.is_ok_and(|a| a.rewrite.rewritten));
            }
            black_box(req);
        }
    }
    let n = rounds * reqs.len();
    eprintln!(
        "{mode}: {n} requests, {:.2} us each (wall), {} rewritten",
        t.elapsed().as_secs_f64() * 1e6 / n as f64,
        rewritten
    );
    Ok(())
}
