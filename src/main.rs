//! The `gearbox` binary: parses the command line, starts logging, loads config, and calls the
//! library. No logic of its own.

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use gearbox::config::{self, ConfigSource, LogFormat, ProcessEnv};
use gearbox::mock::MockOptions;
use std::io::Write as _;
use std::path::PathBuf;
use std::time::Duration;
use tokio::net::TcpListener;

/// mimalloc: per-request allocations (bodies, JSON values, headers) cost a fraction of glibc
/// malloc's (measured in BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "gearbox", version, about = "OpenAI-compatible routing gateway")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the gateway.
    Serve {
        /// Configuration file (TOML). Without it the embedded default is used.
        #[arg(long, env = "GEARBOX_CONFIG")]
        config: Option<PathBuf>,
    },
    /// Validate a configuration file with the same code `serve` uses, then exit.
    CheckConfig {
        #[arg(long, env = "GEARBOX_CONFIG")]
        config: Option<PathBuf>,
    },
    /// Classify requests: JSONL lines `{"id", "request"}` in, one decision line out per line.
    Route {
        /// JSONL input file (`-` for standard input).
        #[arg(long)]
        input: PathBuf,
        #[arg(long, env = "GEARBOX_CONFIG")]
        config: Option<PathBuf>,
    },
    /// Show reasoning-model adaptation: JSONL lines `{"id", "request"}` in; per line the body
    /// exactly as it would be sent to the reasoning model and the directive texts removed.
    /// With `--eval FILE`: removed/kept rates of labelled requests per language, and every miss.
    /// With `--train FILE... --out FILE`: trains the directive detector (deterministic).
    #[command(group(clap::ArgGroup::new("what").required(true).args(["input", "eval", "train", "score"])))]
    Rewrite {
        #[arg(long)]
        input: Option<PathBuf>,
        /// Labelled requests: `{"id", "lang", "request", "must_drop": [..], "must_keep": [..]}`.
        #[arg(long)]
        eval: Option<PathBuf>,
        /// Labelled sentences: `{"lang", "text", "label": "directive" | "task", "kind"}`.
        #[arg(long, num_args = 1.., requires = "out")]
        train: Vec<PathBuf>,
        /// Plain text, one unit a line: prints the detector's probability for each, to see why
        /// a sentence or clause stays or goes.
        #[arg(long)]
        score: Option<PathBuf>,
        /// With `--eval`, `--score` or `--input`: use this detector model instead of the
        /// compiled-in one (to measure a candidate before shipping it).
        #[arg(long, conflicts_with = "train")]
        detector: Option<PathBuf>,
        /// Where `--train` writes the model (the shipped one is `config/rewrite.bin`).
        #[arg(long)]
        out: Option<PathBuf>,
        /// With `--train`: the mean of this many fits, each over its own shuffle order (1, the
        /// default, is how the shipped model is trained; see `rewrite::train::train`).
        #[arg(long, default_value_t = 1, requires = "train")]
        runs: u32,
        /// Target model (a configured public name, or an upstream model name); default: the
        /// default policy's reasoning target.
        #[arg(long)]
        model: Option<String>,
        #[arg(long, env = "GEARBOX_CONFIG")]
        config: Option<PathBuf>,
    },
    /// Train the router (deterministic: same data, same model file).
    Train {
        /// Training JSONL, optionally with a weight: `FILE[:WEIGHT]`. Lines carry `label` and
        /// either `request` (a Chat Completions body) or `prompt`.
        #[arg(long, num_args = 1.., required = true)]
        data: Vec<String>,
        /// Where to write the model.
        #[arg(long)]
        out: PathBuf,
        /// Hash space of the n-gram features, in bits.
        #[arg(long, default_value_t = gearbox::classify::TrainOptions::default().hash_bits)]
        hash_bits: u32,
        #[arg(long, default_value_t = gearbox::classify::TrainOptions::default().epochs)]
        epochs: u32,
        /// L2 penalty per update.
        #[arg(long, default_value_t = gearbox::classify::TrainOptions::default().l2)]
        l2: f32,
        /// L2 penalty of the hashed n-gram and word weights.
        #[arg(long, default_value_t = gearbox::classify::TrainOptions::default().ngram_l2)]
        ngram_l2: f32,
        /// Train without the embedding block (n-grams and structure only).
        #[arg(long)]
        no_dense: bool,
        /// Seed of the training shuffle, the head's initial weights and the calibration split.
        /// The default reproduces the shipped model; other seeds train the same data in another
        /// order (scores move by about a point between seeds: compare data by the mean of several).
        #[arg(long, default_value_t = gearbox::classify::TrainOptions::default().seed)]
        seed: u64,
    },
    /// Evaluate the router: accuracy, per-class precision/recall/F1, confusion matrix, latency.
    Eval {
        #[arg(long, num_args = 1.., required = true)]
        data: Vec<PathBuf>,
        /// A model file; default: `router.model_file` of the config, else the built-in model.
        #[arg(long)]
        model: Option<PathBuf>,
        /// Decision threshold; default: the default policy's.
        #[arg(long)]
        threshold: Option<f32>,
        #[arg(long, env = "GEARBOX_CONFIG")]
        config: Option<PathBuf>,
    },
    /// Run the OpenAI-compatible upstream simulator.
    Mock {
        /// Address to listen on (port 0 picks a free port; the address is printed).
        #[arg(long, default_value = "127.0.0.1:8081")]
        listen: String,
        /// Comma-separated chat model names.
        #[arg(long, value_delimiter = ',')]
        chat_models: Option<Vec<String>>,
        /// Comma-separated reasoning model names.
        #[arg(long, value_delimiter = ',')]
        reasoning_models: Option<Vec<String>>,
        /// Milliseconds before the first token.
        #[arg(long, default_value_t = 0)]
        ttft_ms: u64,
        /// Streaming speed in tokens per second (0 = as fast as possible).
        #[arg(long, default_value_t = 0.0)]
        tokens_per_sec: f64,
        /// Reject what real reasoning models reject (max_tokens, temperature != 1, ...).
        #[arg(long)]
        strict: bool,
        /// Require this bearer key.
        #[arg(long, env = "GEARBOX_MOCK_API_KEY")]
        api_key: Option<String>,
        /// Act as a Chat-Completions-only server (an older OpenAI-compatible one):
        /// `/v1/responses` answers 404.
        #[arg(long, env = "GEARBOX_MOCK_CHAT_ONLY")]
        chat_only: bool,
        /// Reasoning models show their reasoning as `reasoning_content` (as vLLM's reasoning
        /// parsers and DeepSeek do).
        #[arg(long, env = "GEARBOX_MOCK_REASONING_CONTENT")]
        reasoning_content: bool,
    },
}

fn init_logging(format: LogFormat, level: &str, telemetry: Option<&gearbox::telemetry::Telemetry>) {
    use tracing_subscriber::util::SubscriberInitExt as _;
    use tracing_subscriber::Layer as _;
    let filter = std::env::var("RUST_LOG")
        .or_else(|_| std::env::var("GEARBOX_LOG"))
        .unwrap_or_else(|_| level.to_string());
    let filter = tracing_subscriber::EnvFilter::try_new(&filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // The pipeline's spans are for the trace exporter only: log lines never carry them.
    let filter = gearbox::telemetry::log_filter(filter);
    let fmt = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let fmt: gearbox::telemetry::BoxedLayer = match format {
        LogFormat::Json => Box::new(fmt.json().flatten_event(true).with_filter(filter)),
        LogFormat::Text => Box::new(fmt.with_filter(filter)),
    };
    // With the OTel layer (a filter of its own: its spans only) when `[tracing]` is on.
    gearbox::telemetry::subscriber(fmt, telemetry).init();
    if format == LogFormat::Json {
        // The access line, the one logged per request, skips the generic formatter.
        gearbox::access::write_json_directly(true);
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutdown signal received; draining");
}

use gearbox::announce;

fn load_or_exit(path: Option<&std::path::Path>) -> config::Config {
    match config::load(path, &ProcessEnv) {
        Ok(c) => c,
        Err(errs) => {
            eprintln!("invalid configuration:\n{errs}");
            std::process::exit(2);
        }
    }
}

/// Read a whole input file, or standard input for `-`.
fn read_input(path: &std::path::Path) -> anyhow::Result<String> {
    if path.as_os_str() == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)?;
        Ok(s)
    } else {
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
    }
}

/// Parse a labeled JSONL file (blank lines skipped; a bad line is an error naming it).
fn load_examples(path: &std::path::Path) -> anyhow::Result<Vec<gearbox::classify::Example>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let e = gearbox::classify::parse_example_line(line)
            .map_err(|e| anyhow::anyhow!("{}:{}: {e}", path.display(), n + 1))?;
        out.push(e);
    }
    Ok(out)
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // `serve` runs thread-per-core: this thread's single-threaded runtime plus one per further
    // worker (`gearbox::run_workers`); the other commands use one multi-threaded runtime.
    let rt = if matches!(cli.command, Command::Serve { .. }) {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_multi_thread().enable_all().build()?
    };
    rt.block_on(async_main(cli))
}

async fn async_main(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Rewrite {
            input,
            eval,
            train,
            score,
            detector,
            out,
            runs,
            model,
            config,
        } => {
            if let Some(p) = detector {
                let bytes = std::fs::read(&p).with_context(|| format!("reading {}", p.display()))?;
                let m = gearbox::rewrite::detect::DetectorModel::from_bytes(&bytes)
                    .map_err(|e| anyhow::anyhow!("{}: not a detector model ({e:?})", p.display()))?;
                gearbox::rewrite::detect::install(m);
            }
            if let Some(path) = score {
                let m = gearbox::rewrite::detect::model();
                for line in read_input(&path)?.lines().filter(|l| !l.trim().is_empty()) {
                    println!("{:.3}  {line}", m.probability(line));
                }
                return Ok(());
            }
            if !train.is_empty() {
                let mut all = Vec::new();
                for path in &train {
                    let text = std::fs::read_to_string(path)
                        .with_context(|| format!("reading {}", path.display()))?;
                    let s = gearbox::rewrite::train::parse_sentences(&text)
                        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
                    eprintln!("{}: {} sentences", path.display(), s.len());
                    all.extend(s);
                }
                let opts = gearbox::rewrite::train::TrainOptions {
                    runs,
                    ..gearbox::rewrite::train::TrainOptions::default()
                };
                let m = gearbox::rewrite::train::train(&all, &opts);
                let out = out.unwrap_or_else(|| PathBuf::from("config/rewrite.bin"));
                std::fs::write(&out, m.to_bytes()).with_context(|| format!("writing {}", out.display()))?;
                eprintln!("wrote {}", out.display());
                return Ok(());
            }
            let cfg = load_or_exit(config.as_deref());
            let policy = cfg.default_policy.clone();
            let name = model.unwrap_or_else(|| policy.reasoning_model.clone());
            let upstream_model = cfg
                .models
                .get(&name)
                .map_or(name.clone(), |m| m.upstream_model.clone());
            let profile = gearbox::rewrite::resolve_profile(&upstream_model, &cfg.reasoning_profiles);
            let params = gearbox::proxy::routing::param_policy(&policy);
            if let Some(path) = eval {
                let text = read_input(&path)?;
                let report = gearbox::rewrite::eval::evaluate(&text, &upstream_model, &profile, &params);
                println!(
                    "== {} (model {upstream_model}, default policy)\n{report}",
                    path.display()
                );
                return Ok(());
            }
            let Some(input) = input else {
                anyhow::bail!("one of --input, --eval or --train is required");
            };
            let text = read_input(&input)?;
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            for line in text.lines() {
                let v = if line.trim().is_empty() {
                    serde_json::json!({"id": null, "error": "empty line"})
                } else {
                    gearbox::rewrite::rewrite_line(
                        line,
                        &upstream_model,
                        &profile,
                        &params,
                        policy.reasoning.rewrite,
                    )
                };
                writeln!(out, "{v}")?;
            }
            out.flush()?;
            Ok(())
        }
        Command::Train {
            data,
            out,
            hash_bits,
            epochs,
            l2,
            ngram_l2,
            no_dense,
            seed,
        } => {
            use gearbox::classify::{train, weigh_file, TrainOptions};
            let mut all = Vec::new();
            for spec in &data {
                let (path, weight) = match spec.rsplit_once(':') {
                    Some((p, w)) if w.parse::<f32>().is_ok() => (p, w.parse::<f32>().unwrap_or(1.0)),
                    _ => (spec.as_str(), 1.0),
                };
                let mut ex = load_examples(std::path::Path::new(path))?;
                weigh_file(&mut ex, weight);
                eprintln!("{path}: {} examples (weight {weight})", ex.len());
                all.extend(ex);
            }
            let opts = TrainOptions {
                hash_bits,
                epochs,
                l2,
                ngram_l2,
                dense: !no_dense,
                seed,
                ..TrainOptions::default()
            };
            let model = train(&all, &opts);
            std::fs::write(&out, model.to_bytes()).with_context(|| format!("writing {}", out.display()))?;
            eprintln!("wrote {}", out.display());
            Ok(())
        }
        Command::Eval {
            data,
            model,
            threshold,
            config,
        } => {
            let cfg = load_or_exit(config.as_deref());
            let router = match model {
                Some(p) => {
                    let bytes = std::fs::read(&p).with_context(|| format!("reading {}", p.display()))?;
                    gearbox::classify::RouterModel::from_bytes(&bytes)
                        .map_err(|e| anyhow::anyhow!("{}: not a router model: {e}", p.display()))?
                }
                None => (*cfg.router_model).clone(),
            };
            let threshold = threshold.unwrap_or(cfg.default_policy.threshold);
            for path in &data {
                let ex = load_examples(path)?;
                let (report, detail) = gearbox::classify::evaluate_with_breakdown(&ex, &router, threshold);
                println!(
                    "== {} ({} examples, threshold {threshold})\n{report}\n{detail}",
                    path.display(),
                    ex.len()
                );
            }
            Ok(())
        }
        Command::Route { input, config } => {
            let cfg = load_or_exit(config.as_deref());
            let text = read_input(&input)?;
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            for line in text.lines() {
                let v = if line.trim().is_empty() {
                    serde_json::json!({"id": null, "error": "empty line"})
                } else {
                    gearbox::route::route_line(line, &cfg.router_model, cfg.default_policy.threshold)
                };
                writeln!(out, "{v}")?;
            }
            out.flush()?;
            Ok(())
        }
        Command::CheckConfig { config } => match config::load(config.as_deref(), &ProcessEnv) {
            Ok(cfg) => {
                println!(
                    "configuration OK: {} upstream(s), {} model(s), {} team(s)",
                    cfg.upstreams.len(),
                    cfg.models.len(),
                    cfg.teams.len()
                );
                Ok(())
            }
            Err(errs) => {
                eprintln!("invalid configuration:\n{errs}");
                std::process::exit(2);
            }
        },
        Command::Serve { config } => {
            let mut cfg = match config::load(config.as_deref(), &ProcessEnv) {
                Ok(c) => c,
                Err(errs) => {
                    eprintln!("invalid configuration:\n{errs}");
                    std::process::exit(2);
                }
            };
            let telemetry = match cfg.tracing.as_ref().map(gearbox::telemetry::Telemetry::start) {
                None => None,
                Some(Ok(t)) => Some(t),
                Some(Err(e)) => {
                    eprintln!("{e}");
                    std::process::exit(2);
                }
            };
            init_logging(cfg.log.format, &cfg.log.level, telemetry.as_ref());
            if let Some(t) = &cfg.tracing {
                tracing::info!(endpoint = %t.traces_url, sample_ratio = t.sample_ratio, "exporting traces over OTLP/HTTP");
            }
            let mut _mock_task = None;
            if cfg.source == ConfigSource::Embedded
                && cfg.upstreams.get("openai").is_some_and(|u| u.api_key.is_none())
            {
                let listener = TcpListener::bind("127.0.0.1:0")
                    .await
                    .context("binding the built-in simulator")?;
                let addr = listener.local_addr()?;
                if let Some(u) = cfg.upstreams.get_mut("openai") {
                    u.base_url = format!("http://{addr}/v1");
                }
                tracing::warn!(
                    simulator = %addr,
                    "OPENAI_API_KEY is not set: serving the built-in simulator (gearbox mock) as the upstream; answers are simulated"
                );
                _mock_task = Some(tokio::spawn(gearbox::run_mock(
                    listener,
                    MockOptions::default(),
                    std::future::pending(),
                )));
            }
            let listener = TcpListener::bind(cfg.server.listen)
                .await
                .with_context(|| format!("binding {}", cfg.server.listen))?;
            let addr = listener.local_addr()?;
            tracing::info!(%addr, tls = cfg.server.tls.is_some(), workers = cfg.server.workers, "gearbox listening");
            announce("gearbox", addr);
            let served = gearbox::run_workers(listener, cfg, shutdown_signal()).await;
            // Export what is still queued before the process ends.
            if let Some(t) = telemetry {
                t.shutdown();
            }
            served?;
            Ok(())
        }
        Command::Mock {
            listen,
            chat_models,
            reasoning_models,
            ttft_ms,
            tokens_per_sec,
            strict,
            api_key,
            chat_only,
            reasoning_content,
        } => {
            init_logging(LogFormat::Text, "info", None);
            let mut opts = MockOptions::default();
            if let Some(m) = chat_models {
                opts.chat_models = m;
            }
            if let Some(m) = reasoning_models {
                opts.reasoning_models = m;
            }
            opts.ttft = Duration::from_millis(ttft_ms);
            opts.tokens_per_sec = tokens_per_sec;
            opts.strict = strict;
            opts.api_key = api_key;
            opts.chat_only = chat_only;
            opts.reasoning_content = reasoning_content;
            let listener = TcpListener::bind(&listen)
                .await
                .with_context(|| format!("binding {listen}"))?;
            let addr = listener.local_addr()?;
            announce("gearbox mock", addr);
            gearbox::run_mock(listener, opts, shutdown_signal()).await;
            Ok(())
        }
    }
}
