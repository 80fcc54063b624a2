//! OpenAI wire types: the only serde request/response shapes in the gateway.
//!
//! Invariant: requests keep every field they arrived with; see [`chat`].

pub mod chat;
pub mod parse;
pub mod usage;

pub use chat::*;
pub use parse::parse_chat_request;
pub use usage::*;
