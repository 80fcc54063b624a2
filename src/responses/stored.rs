//! One stored answer ([`StoredResponse`]) and the status stamp a background job's stored
//! answer carries ([`with_status`]): the leaf that the memory store, the Redis tier and the job
//! registry all use, so none of them imports another for its types.

use serde_json::{json, Value};
use std::sync::Arc;

/// One stored answer: the conversation that led to it and the response itself.
#[derive(Debug, Clone)]
pub struct StoredResponse {
    /// Every input item the answer saw, the stored conversation of its own
    /// `previous_response_id` included (so continuing needs one lookup).
    pub input_items: Arc<Vec<Value>>,
    /// The `response` object as the client got it.
    pub response: Arc<Value>,
}

impl StoredResponse {
    /// The conversation a continuation prepends: the input items and the output items.
    pub fn conversation(&self) -> Vec<Value> {
        let mut items: Vec<Value> = self.input_items.as_ref().clone();
        if let Some(Value::Array(out)) = self.response.get("output") {
            items.extend(out.iter().cloned());
        }
        items
    }

    pub(super) fn bytes(&self) -> usize {
        let items: usize = self.input_items.iter().map(json_len).sum();
        items + json_len(&self.response) + 64
    }
}

fn json_len(v: &Value) -> usize {
    serde_json::to_vec(v).map_or(0, |b| b.len())
}

/// `response` with `status` (and `error`) replaced.
pub fn with_status(response: &Value, status: &str, error: Option<Value>) -> Value {
    let mut r = response.clone();
    if let Value::Object(m) = &mut r {
        m.insert("status".into(), json!(status));
        if let Some(e) = error {
            m.insert("error".into(), e);
        }
    }
    r
}
