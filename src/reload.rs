//! Hot reload: on a change of the config file, or on SIGHUP, the file is loaded and validated
//! with the same code as start-up; a valid config is swapped in atomically, an invalid one is
//! rejected with its problems logged while the old config keeps serving.
//!
//! Invariant: a reload never disturbs in-flight requests or open streams (each holds the
//! snapshot it started with), and never takes the gateway down.

use crate::config::{self, ProcessEnv};
use crate::state::LiveState;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Reloads one config file into a live state.
#[derive(Clone)]
pub struct Reloader {
    live: LiveState,
    path: PathBuf,
}

/// What a reload did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReloadOutcome {
    Applied,
    /// The file did not validate; the previous config keeps serving.
    Rejected(String),
}

impl Reloader {
    pub fn new(live: LiveState, path: PathBuf) -> Reloader {
        Reloader { live, path }
    }

    /// Load, validate and (if valid) swap in the config file.
    pub fn reload(&self) -> ReloadOutcome {
        let current = self.live.load_full();
        let metrics = current.metrics.clone();
        let outcome = match config::load(Some(&self.path), &ProcessEnv) {
            Ok(cfg) => match current.reloaded(cfg) {
                Ok(next) => {
                    if next.config.tracing != current.config.tracing {
                        tracing::warn!(
                            path = %self.path.display(),
                            "[tracing] changed: trace export is set up at start-up; restart to apply it"
                        );
                    }
                    self.live.store(next);
                    ReloadOutcome::Applied
                }
                Err(e) => ReloadOutcome::Rejected(e),
            },
            Err(errs) => ReloadOutcome::Rejected(errs.to_string()),
        };
        match &outcome {
            ReloadOutcome::Applied => {
                metrics.record_reload("applied");
                tracing::info!(path = %self.path.display(), "configuration reloaded");
            }
            ReloadOutcome::Rejected(why) => {
                metrics.record_reload("rejected");
                tracing::warn!(path = %self.path.display(), problems = %why, "configuration reload rejected; the previous configuration keeps serving");
            }
        }
        outcome
    }

    /// Reload on SIGHUP and whenever the file changes (editors that replace the file included),
    /// until the returned guard is dropped.
    pub fn watch(self) -> Result<WatchGuard, String> {
        use notify::Watcher as _;
        let (tx, mut rx) = tokio::sync::mpsc::channel::<()>(16);
        let name = self.path.file_name().map(|n| n.to_os_string());
        let dir = self
            .path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        let file_tx = tx.clone();
        let mut watcher = notify::recommended_watcher(move |ev: notify::Result<notify::Event>| {
            if let Ok(ev) = ev {
                let ours = ev
                    .paths
                    .iter()
                    .any(|p| p.file_name().map(|n| n.to_os_string()) == name);
                if ours && !matches!(ev.kind, notify::EventKind::Access(_)) {
                    let _ = file_tx.try_send(());
                }
            }
        })
        .map_err(|e| format!("cannot watch {}: {e}", dir.display()))?;
        watcher
            .watch(&dir, notify::RecursiveMode::NonRecursive)
            .map_err(|e| format!("cannot watch {}: {e}", dir.display()))?;
        #[cfg(unix)]
        {
            let hup_tx = tx.clone();
            tokio::spawn(async move {
                let Ok(mut hup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
                else {
                    return;
                };
                while hup.recv().await.is_some() {
                    if hup_tx.send(()).await.is_err() {
                        return;
                    }
                }
            });
        }
        let task = tokio::spawn(async move {
            while rx.recv().await.is_some() {
                // Editors write in several steps: let them finish, then reload once.
                tokio::time::sleep(Duration::from_millis(150)).await;
                while rx.try_recv().is_ok() {}
                let r = self.clone();
                let _ = tokio::task::spawn_blocking(move || r.reload()).await;
            }
        });
        Ok(WatchGuard {
            _watcher: watcher,
            task,
        })
    }
}

/// Keeps the file watcher alive; dropping it stops reloading.
pub struct WatchGuard {
    _watcher: notify::RecommendedWatcher,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for WatchGuard {
    fn drop(&mut self) {
        self.task.abort();
    }
}
