//! The Responses API (`POST /v1/responses`): PURE translation between its shapes and Chat
//! Completions (`translate`), the translation of a chat event stream into the Responses event
//! sequence (`events`), and the team-scoped store of answers behind `previous_response_id` and
//! `GET /v1/responses/{id}` (`store`: in memory, bounded, and with `[redis]` the `shared` tier
//! every replica reads), and the registry of background jobs (`jobs`: per-team bounds, cancel,
//! the Redis lease, drain; with `backlog`, the recorded events of a streamed background job).
//!
//! Invariant: `translate` and `events` do no IO and cannot fail on input except with a
//! [`TranslateError`] that names the offending field (a 400).

pub mod backlog;
pub mod events;
pub mod jobs;
pub mod shared;
pub mod store;
pub mod stored;
pub mod translate;

pub use events::{replay_chat_completion, StreamTranslator};
pub use jobs::{Jobs, Refused};
pub use shared::SharedResponses;
pub use store::{MemoryStore, ResponseStore};
pub use stored::StoredResponse;
pub use translate::{
    input_items, resolve_references, response_from_chat, response_id_of_item, to_chat, usage_from_responses,
    usage_to_responses, Echo, Strictness, TranslateError,
};

/// A fresh id suffix for `resp_`, `msg_` and `fc_` ids: 24 hex digits, unique enough that ids
/// of different teams never collide in the store (which is keyed by team as well).
pub fn new_id_suffix() -> String {
    format!("{:016x}{:08x}", fastrand::u64(..), fastrand::u32(..))
}
