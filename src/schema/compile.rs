//! Schema compilation, the compiled-validator cache and the
//! reading of `response_format` / `tools` into an [`Expectation`].
//!
//! Invariant: a schema is compiled at most once per distinct canonical form while it stays in the
//! cache (concurrent first requests share one compile); a cached validator is only ever handed out
//! for the exact canonical schema it was compiled from (hash collisions compile afresh). Schemas
//! are always compiled as draft 2020-12 with `format` asserted and no remote or file `$ref`
//! resolution.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use serde_json::Value;

use super::strict::strict_subset;
use super::{truncate, Expectation, SchemaError, Violation};
use crate::api::ChatRequest;

/// Most validation errors collected for one instance (the 502 message shows 20 of them).
const MAX_ERRORS: usize = 100;
/// Default cache budget: total bytes of canonical schema JSON kept (compiled validators are a
/// small multiple of that).
const DEFAULT_CACHE_BYTES: u64 = 32 * 1024 * 1024;
/// Deepest schema nesting canonicalisation follows.
const MAX_DEPTH: usize = 256;

/// A compiled schema: the validator plus the schema it came from.
pub struct Compiled {
    validator: jsonschema::Validator,
    schema: Value,
    canonical: Arc<str>,
    hash: u128,
}

impl fmt::Debug for Compiled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Compiled")
            .field("hash", &format_args!("{:032x}", self.hash))
            .field("schema", &self.canonical)
            .finish_non_exhaustive()
    }
}

impl Compiled {
    /// The schema as the client sent it.
    pub fn schema(&self) -> &Value {
        &self.schema
    }

    /// The schema as canonical JSON (object keys sorted, no whitespace): deterministic text for
    /// prompts and logs.
    pub fn canonical(&self) -> &str {
        &self.canonical
    }

    /// xxh3-128 of [`Compiled::canonical`]: the cache key.
    pub fn hash(&self) -> u128 {
        self.hash
    }

    /// Every way `instance` breaks the schema (at most 100), each with the JSON pointer of the
    /// offending value (`""` for the whole value) prefixed by `prefix`, sorted by path (stable, so
    /// the output does not depend on the validator's traversal order).
    pub fn violations(&self, instance: &Value, prefix: &str) -> Vec<Violation> {
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.validator
                .iter_errors(instance)
                .take(MAX_ERRORS)
                .map(|e| Violation::new(format!("{prefix}{}", e.instance_path()), e.to_string()))
                .collect::<Vec<_>>()
        }));
        let mut found =
            run.unwrap_or_else(|_| vec![Violation::new(prefix, "the validator failed on this value")]);
        found.sort_by(|a, b| a.path.cmp(&b.path));
        found
    }

    /// True when `instance` validates.
    pub fn is_valid(&self, instance: &Value) -> bool {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.validator.is_valid(instance)))
            .unwrap_or(false)
    }
}

#[derive(Clone)]
struct Entry {
    canonical: Arc<str>,
    result: Result<Arc<Compiled>, SchemaError>,
}

/// Bounded cache of compiled schemas keyed by the xxh3-128 hash of their canonical JSON, so that
/// key order and whitespace do not matter. Failed compiles are cached too (a client repeating a
/// broken schema costs one compile). Cheap to share: wrap it in an `Arc` or a static.
pub struct SchemaCache {
    entries: moka::sync::Cache<u128, Entry>,
    compiles: AtomicU64,
}

impl fmt::Debug for SchemaCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SchemaCache")
            .field("entries", &self.entries.entry_count())
            .field("compiles", &self.compile_count())
            .finish()
    }
}

impl Default for SchemaCache {
    fn default() -> Self {
        SchemaCache::new(DEFAULT_CACHE_BYTES)
    }
}

impl SchemaCache {
    /// A cache keeping at most about `max_bytes` of canonical schema JSON (least recently /
    /// frequently used entries are evicted first).
    pub fn new(max_bytes: u64) -> Self {
        let entries = moka::sync::Cache::builder()
            .max_capacity(max_bytes.max(1))
            .weigher(|_key: &u128, entry: &Entry| u32::try_from(entry.canonical.len()).unwrap_or(u32::MAX))
            .build();
        SchemaCache {
            entries,
            compiles: AtomicU64::new(0),
        }
    }

    /// The compiled validator for `schema`, compiling it on first sight. The error's `param` is
    /// `response_format.json_schema.schema`; callers reading another field re-point it.
    pub fn get_or_compile(&self, schema: &Value) -> Result<Arc<Compiled>, SchemaError> {
        let canonical: Arc<str> = Arc::from(canonical_json(schema));
        let hash = xxhash_rust::xxh3::xxh3_128(canonical.as_bytes());
        let entry = self.entries.get_with(hash, || Entry {
            canonical: canonical.clone(),
            result: self.compile(schema, canonical.clone(), hash),
        });
        if entry.canonical == canonical {
            entry.result
        } else {
            // Two schemas with one hash: never hand out the other schema's validator.
            self.compile(schema, canonical, hash)
        }
    }

    /// How many compiles this cache has run (cache misses), for tests and metrics.
    pub fn compile_count(&self) -> u64 {
        self.compiles.load(Ordering::Relaxed)
    }

    /// Entries currently held (approximate while evictions are pending).
    pub fn entry_count(&self) -> u64 {
        self.entries.run_pending_tasks();
        self.entries.entry_count()
    }

    fn compile(&self, schema: &Value, canonical: Arc<str>, hash: u128) -> Result<Arc<Compiled>, SchemaError> {
        self.compiles.fetch_add(1, Ordering::Relaxed);
        let param = "response_format.json_schema.schema";
        if !schema.is_object() {
            return Err(SchemaError::new(
                param,
                format!("schema must be a JSON object, got {}", type_name(schema)),
            ));
        }
        let built = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            jsonschema::draft202012::options()
                .should_validate_formats(true)
                .build(schema)
        }));
        match built {
            Ok(Ok(validator)) => Ok(Arc::new(Compiled {
                validator,
                schema: schema.clone(),
                canonical,
                hash,
            })),
            Ok(Err(e)) if matches!(e.kind(), jsonschema::error::ValidationErrorKind::Referencing(_)) => {
                let full = e.to_string();
                let what = full
                    .split(" and retrieving")
                    .next()
                    .unwrap_or_default()
                    .to_string();
                Err(SchemaError::new(
                    param,
                    format!(
                        "invalid JSON Schema: unresolvable $ref ({what}); only references within the schema \
                         (\"#/$defs/...\", \"$id\"-named subschemas) are resolved, never remote or file ones"
                    ),
                ))
            }
            Ok(Err(e)) => {
                let at = e.instance_path().to_string();
                let reason = if at.is_empty() {
                    e.to_string()
                } else {
                    format!("at {at}: {e}")
                };
                Err(SchemaError::new(param, format!("invalid JSON Schema: {reason}")))
            }
            Err(_) => Err(SchemaError::new(
                param,
                "invalid JSON Schema: the compiler failed on it",
            )),
        }
    }
}

/// JSON text with object keys sorted at every level and no insignificant whitespace.
pub(crate) fn canonical_json(v: &Value) -> String {
    let mut out = String::new();
    write_canonical(v, &mut out, 0);
    out
}

fn write_canonical(v: &Value, out: &mut String, depth: usize) {
    match v {
        Value::Object(map) if depth < MAX_DEPTH => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                if let Some(child) = map.get(k) {
                    write_canonical(child, out, depth + 1);
                }
            }
            out.push('}');
        }
        Value::Array(items) if depth < MAX_DEPTH => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out, depth + 1);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Reads `req.response_format`.
///
/// * absent, or `{"type": "text"}` → [`Expectation::None`];
/// * `{"type": "json_object"}` → [`Expectation::JsonObject`];
/// * `{"type": "json_schema", "json_schema": {"name", "schema", "strict"?}}` →
///   [`Expectation::JsonSchema`], compiled through `cache`.
///
/// Errors (400), by `param`: `response_format` (not an object), `response_format.type` (missing
/// or unknown), `response_format.json_schema` (missing or not an object),
/// `response_format.json_schema.name` (missing, or not `^[A-Za-z0-9_-]{1,64}$` as OpenAI
/// requires), `response_format.json_schema.strict` (not a boolean),
/// `response_format.json_schema.schema` (missing, not an object, does not compile, or, with
/// `strict: true`, outside the OpenAI strict subset; see [`super::strict_subset`]).
pub fn expectation(req: &ChatRequest, cache: &SchemaCache) -> Result<Expectation, SchemaError> {
    let Some(rf) = req.response_format.as_ref() else {
        return Ok(Expectation::None);
    };
    if rf.is_null() {
        return Ok(Expectation::None);
    }
    let Some(rf) = rf.as_object() else {
        return Err(SchemaError::new(
            "response_format",
            format!("response_format must be an object, got {}", type_name(rf)),
        ));
    };
    let kind = match rf.get("type") {
        Some(Value::String(s)) => s.as_str(),
        Some(other) => {
            return Err(SchemaError::new(
                "response_format.type",
                format!("response_format.type must be a string, got {}", type_name(other)),
            ))
        }
        None => {
            return Err(SchemaError::new(
                "response_format.type",
                "missing required field response_format.type",
            ))
        }
    };
    match kind {
        "text" => Ok(Expectation::None),
        "json_object" => Ok(Expectation::JsonObject),
        "json_schema" => json_schema_expectation(rf.get("json_schema"), cache),
        other => Err(SchemaError::new(
            "response_format.type",
            format!(
                "unsupported response_format.type {:?}; expected one of \"text\", \"json_object\", \"json_schema\"",
                truncate(other.to_string(), 64)
            ),
        )),
    }
}

fn json_schema_expectation(js: Option<&Value>, cache: &SchemaCache) -> Result<Expectation, SchemaError> {
    const P: &str = "response_format.json_schema";
    let Some(js) = js.and_then(Value::as_object) else {
        return Err(SchemaError::new(
            P,
            "response_format.json_schema must be an object with \"name\" and \"schema\" when type is \"json_schema\"",
        ));
    };
    let name = match js.get("name") {
        Some(Value::String(n)) if valid_name(n) => n.clone(),
        Some(_) => {
            return Err(SchemaError::new(
                "response_format.json_schema.name",
                "response_format.json_schema.name must match ^[a-zA-Z0-9_-]{1,64}$",
            ))
        }
        None => {
            return Err(SchemaError::new(
                "response_format.json_schema.name",
                "missing required field response_format.json_schema.name",
            ))
        }
    };
    let strict = match js.get("strict") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            return Err(SchemaError::new(
                "response_format.json_schema.strict",
                format!(
                    "response_format.json_schema.strict must be a boolean, got {}",
                    type_name(other)
                ),
            ))
        }
    };
    let param = "response_format.json_schema.schema";
    let Some(schema) = js.get("schema") else {
        return Err(SchemaError::new(
            param,
            "missing required field response_format.json_schema.schema",
        ));
    };
    let compiled = cache.get_or_compile(schema)?;
    if strict {
        strict_error(schema, param)?;
    }
    Ok(Expectation::JsonSchema {
        name,
        schema: compiled,
        strict,
    })
}

fn valid_name(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= 64
        && n.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn strict_error(schema: &Value, param: &str) -> Result<(), SchemaError> {
    let report = strict_subset(schema);
    if report.errors.is_empty() {
        return Ok(());
    }
    let listed: Vec<String> = report
        .errors
        .iter()
        .take(10)
        .map(|v| format!("{} {}", pointer(&v.path), v.reason))
        .collect();
    let more = report.errors.len().saturating_sub(10);
    let mut msg = format!(
        "schema is not in the strict-mode subset (strict: true): {}",
        listed.join("; ")
    );
    if more > 0 {
        msg.push_str(&format!("; and {more} more"));
    }
    Err(SchemaError::new(param, msg))
}

fn pointer(p: &str) -> String {
    if p.is_empty() {
        "at the root:".to_string()
    } else {
        format!("at {p}:")
    }
}

/// Compiles the parameter schemas of the declared function tools (`tools[i].function.parameters`)
/// so that a broken one is a 400 before any upstream call, and warms the cache for
/// [`super::check_message`]. Tools with `function.strict: true` must also be in the strict subset.
/// Non-function tools and tools without `parameters` are accepted as they are.
pub fn validate_tools(req: &ChatRequest, cache: &SchemaCache) -> Result<(), SchemaError> {
    let Some(tools) = req.tools.as_ref() else {
        return Ok(());
    };
    for (i, tool) in tools.iter().enumerate() {
        let Some(function) = tool.get("function") else {
            continue;
        };
        let Some(params) = function.get("parameters") else {
            continue;
        };
        let param = format!("tools[{i}].function.parameters");
        cache.get_or_compile(params).map_err(|e| e.at(&param))?;
        if function.get("strict").and_then(Value::as_bool) == Some(true) {
            strict_error(params, &param)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn req(rf: Value) -> ChatRequest {
        ChatRequest {
            model: "m".into(),
            response_format: Some(rf),
            ..Default::default()
        }
    }

    fn strict_schema() -> Value {
        json!({
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "address": {
                    "type": "object",
                    "properties": {"city": {"type": "string"}, "zip": {"type": ["string", "null"]}},
                    "required": ["city", "zip"],
                    "additionalProperties": false
                }
            },
            "required": ["name", "address"],
            "additionalProperties": false
        })
    }

    #[test]
    fn client_schema_errors_name_their_param() {
        let cases: Vec<(Value, &str, &str)> = vec![
            (json!("json"), "response_format", "must be an object"),
            (json!({}), "response_format.type", "missing"),
            (json!({"type": 3}), "response_format.type", "must be a string"),
            (json!({"type": "yaml"}), "response_format.type", "unsupported"),
            (
                json!({"type": "json_schema"}),
                "response_format.json_schema",
                "must be an object",
            ),
            (
                json!({"type": "json_schema", "json_schema": {"schema": {"type": "object"}}}),
                "response_format.json_schema.name",
                "missing",
            ),
            (
                json!({"type": "json_schema", "json_schema": {"name": "a b", "schema": {}}}),
                "response_format.json_schema.name",
                "must match",
            ),
            (
                json!({"type": "json_schema", "json_schema": {"name": "x"}}),
                "response_format.json_schema.schema",
                "missing",
            ),
            (
                json!({"type": "json_schema", "json_schema": {"name": "x", "schema": {}, "strict": "yes"}}),
                "response_format.json_schema.strict",
                "boolean",
            ),
            (
                json!({"type": "json_schema", "json_schema": {"name": "x", "schema": "object"}}),
                "response_format.json_schema.schema",
                "must be a JSON object",
            ),
            (
                json!({"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "strin"}}}),
                "response_format.json_schema.schema",
                "invalid JSON Schema",
            ),
            (
                json!({"type": "json_schema", "json_schema": {"name": "x", "schema": {"minimum": "5"}}}),
                "response_format.json_schema.schema",
                "invalid JSON Schema",
            ),
            (
                json!({"type": "json_schema", "json_schema": {"name": "x", "schema": {"pattern": "(unclosed"}}}),
                "response_format.json_schema.schema",
                "invalid JSON Schema",
            ),
            (
                json!({"type": "json_schema", "json_schema": {"name": "x", "schema": {"$ref": "https://example.com/s.json"}}}),
                "response_format.json_schema.schema",
                "invalid JSON Schema",
            ),
            (
                json!({"type": "json_schema", "json_schema": {"name": "x", "schema": {"$ref": "#/$defs/Missing"}}}),
                "response_format.json_schema.schema",
                "invalid JSON Schema",
            ),
            (
                json!({"type": "json_schema", "json_schema": {"name": "x", "strict": true,
                    "schema": {"type": "object", "properties": {"a": {"type": "string"}}}}}),
                "response_format.json_schema.schema",
                "additionalProperties",
            ),
        ];
        let cache = SchemaCache::default();
        for (rf, param, needle) in cases {
            let err = match expectation(&req(rf.clone()), &cache) {
                Err(e) => e,
                Ok(e) => panic!("{rf} accepted as {e:?}"),
            };
            assert_eq!(err.param, param, "{rf}: {err}");
            assert!(err.message.contains(needle), "{rf}: {err}");
        }
    }

    #[test]
    fn accepted_response_formats() {
        let cache = SchemaCache::default();
        let none = expectation(&ChatRequest::default(), &cache);
        assert!(matches!(none, Ok(Expectation::None)));
        assert!(matches!(
            expectation(&req(json!({"type": "text"})), &cache),
            Ok(Expectation::None)
        ));
        assert!(matches!(
            expectation(&req(json!({"type": "json_object"})), &cache),
            Ok(Expectation::JsonObject)
        ));
        let rf = json!({"type": "json_schema", "json_schema": {"name": "person", "strict": true, "schema": strict_schema()}});
        match expectation(&req(rf), &cache) {
            Ok(Expectation::JsonSchema { name, strict, schema }) => {
                assert_eq!(name, "person");
                assert!(strict);
                assert_eq!(schema.schema(), &strict_schema());
            }
            other => panic!("{other:?}"),
        }
        // Not strict: the same loose schema is fine.
        let rf = json!({"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object", "properties": {"a": {}}}}});
        assert!(expectation(&req(rf), &cache).is_ok());
    }

    #[test]
    fn cache_compiles_once_for_identical_and_reordered_schemas() {
        let cache = SchemaCache::default();
        let rf = json!({"type": "json_schema", "json_schema": {"name": "p", "strict": true, "schema": strict_schema()}});
        for _ in 0..100 {
            assert!(expectation(&req(rf.clone()), &cache).is_ok());
        }
        assert_eq!(cache.compile_count(), 1);
        // Same schema, keys in another order (parsed from text so the order really differs).
        let reordered: Value = serde_json::from_str(
            r#"{"additionalProperties": false, "required": ["name", "address"], "properties": {
                "address": {"additionalProperties": false, "required": ["city", "zip"],
                    "properties": {"zip": {"type": ["string", "null"]}, "city": {"type": "string"}}, "type": "object"},
                "name": {"type": "string"}}, "type": "object"}"#,
        )
        .unwrap();
        let a = cache.get_or_compile(&strict_schema()).unwrap();
        let b = cache.get_or_compile(&reordered).unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(cache.compile_count(), 1);
        // A different schema is a second compile; a broken one is compiled (and fails) once.
        cache.get_or_compile(&json!({"type": "string"})).unwrap();
        assert_eq!(cache.compile_count(), 2);
        for _ in 0..5 {
            assert!(cache.get_or_compile(&json!({"type": 7})).is_err());
        }
        assert_eq!(cache.compile_count(), 3);
        assert_eq!(cache.entry_count(), 3);
    }

    #[test]
    fn cache_is_bounded() {
        let cache = SchemaCache::new(2_000);
        for i in 0..200 {
            let _ =
                cache.get_or_compile(&json!({"type": "object", "description": format!("schema number {i}")}));
        }
        assert!(cache.entry_count() < 200, "{}", cache.entry_count());
    }

    #[test]
    fn tool_parameter_schemas_are_checked() {
        let cache = SchemaCache::default();
        let mut r = ChatRequest {
            tools: Some(vec![
                json!({"type": "function", "function": {"name": "ok", "parameters": {"type": "object"}}}),
                json!({"type": "function", "function": {"name": "bad", "parameters": {"type": "objekt"}}}),
            ]),
            ..Default::default()
        };
        let err = validate_tools(&r, &cache).unwrap_err();
        assert_eq!(err.param, "tools[1].function.parameters");
        r.tools = Some(vec![
            json!({"type": "function", "function": {"name": "s", "strict": true,
            "parameters": {"type": "object", "properties": {"a": {"type": "number"}}}}}),
        ]);
        let err = validate_tools(&r, &cache).unwrap_err();
        assert_eq!(err.param, "tools[0].function.parameters");
        assert!(err.message.contains("additionalProperties"));
    }

    #[test]
    fn canonical_json_sorts_keys() {
        let a: Value = serde_json::from_str(r#"{"b": [1, {"d": 1, "c": "x"}], "a": null}"#).unwrap();
        assert_eq!(canonical_json(&a), r#"{"a":null,"b":[1,{"c":"x","d":1}]}"#);
    }
}
