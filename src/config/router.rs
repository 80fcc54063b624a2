//! `[router]`: the router model, from `model_file` (read here, at load time) or compiled in.

use super::{ConfigErrors, EMBEDDED_ROUTER_MODEL};
use crate::classify::RouterModel;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawRouter {
    /// A trained router model file (`gearbox train --out`); the compiled-in model otherwise.
    #[serde(default)]
    pub model_file: Option<String>,
}

pub(super) fn load_model(errs: &mut ConfigErrors, raw: &RawRouter) -> Arc<RouterModel> {
    match &raw.model_file {
        None => match RouterModel::from_bytes(EMBEDDED_ROUTER_MODEL) {
            Ok(m) => Arc::new(m),
            Err(e) => {
                errs.push(
                    "router",
                    format!("the compiled-in router model is invalid ({e}); this is a build bug"),
                );
                Arc::new(RouterModel::zeros(8))
            }
        },
        Some(path) => match std::fs::read(path)
            .map_err(|e| e.to_string())
            .and_then(|b| RouterModel::from_bytes(&b).map_err(|e| e.to_string()))
        {
            Ok(m) => Arc::new(m),
            Err(e) => {
                errs.push(
                    "router.model_file",
                    format!("cannot load router model {path:?}: {e}"),
                );
                Arc::new(RouterModel::zeros(8))
            }
        },
    }
}
