//! Deterministic example instances for the gateway's mock upstream: [`example_instance`] builds a
//! value meant to validate against a schema, [`invalid_instance`] one meant not to.
//!
//! Invariant: both are pure functions of `(schema, seed)`, total (any JSON as schema, `$ref`
//! cycles included, gives a value without panicking) and bounded (at most [`BUDGET`] generated
//! nodes, recursion depth [`MAX_DEPTH`]). Validity is best effort for schemas outside the common
//! subset listed on [`example_instance`].

use serde_json::{Map, Number, Value};

/// Most values generated for one call; past it, `null` is produced.
pub const BUDGET: usize = 5_000;
/// Deepest nesting generated; below [`OPTIONAL_DEPTH`] only required properties are filled in.
pub const MAX_DEPTH: usize = 64;
const OPTIONAL_DEPTH: usize = 6;
const MAX_REF_HOPS: usize = 16;
const MAX_ARRAY: u64 = 50;
/// The schema that accepts anything.
static ANY: Value = Value::Bool(true);

/// A deterministic value that validates against `schema` for the common cases: objects
/// (`properties`, `required`, `additionalProperties`, `minProperties`), arrays (`items`,
/// `prefixItems`, `minItems`/`maxItems`), strings (`enum`, `const`, `minLength`/`maxLength`,
/// `format` date, date-time, time, email, uri, uuid, hostname, ipv4, ipv6, duration, and simple
/// `pattern`s), integers and numbers (`minimum`/`maximum`, exclusive bounds, integral
/// `multipleOf`), booleans, null, type arrays (the first non-null type), `anyOf`/`oneOf` (the
/// first branch), `allOf` (objects merged) and `$ref` to `#`, `#/$defs/...` or
/// `#/definitions/...`. `seed` varies the values, not the shape.
pub fn example_instance(schema: &Value, seed: u64) -> Value {
    let mut gen = Gen {
        root: schema,
        budget: BUDGET,
    };
    gen.example(schema, seed, 0)
}

/// A deterministic value that does not validate against `schema`: a required property removed
/// or (even seeds, when the property's schema rules a type out) given a wrong type; else an
/// unexpected property where `additionalProperties` is false; else a value of a type the schema
/// does not allow, or outside its `const`/`enum`/bounds. For schemas nothing violates (`{}`,
/// `true`) the example instance is returned.
pub fn invalid_instance(schema: &Value, seed: u64) -> Value {
    let valid = example_instance(schema, seed);
    let s = resolve(schema, schema);
    if let (Some(obj), Value::Object(mut out)) = (s.as_object(), valid.clone()) {
        let props = obj.get("properties").and_then(Value::as_object);
        let required: Vec<&str> = obj
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if !required.is_empty() {
            let idx = usize::try_from(seed % required.len() as u64).unwrap_or(0);
            let key = required.get(idx).copied().unwrap_or_default();
            if seed % 2 == 0 {
                let prop = props.and_then(|p| p.get(key));
                if let Some(wrong) = prop.and_then(|p| wrong_value(schema, p, 0)) {
                    out.insert(key.to_string(), wrong);
                    return Value::Object(out);
                }
            }
            out.remove(key);
            return Value::Object(out);
        }
        if obj.get("additionalProperties") == Some(&Value::Bool(false)) {
            out.insert("__unexpected_property__".into(), Value::Bool(true));
            return Value::Object(out);
        }
        if let Some(props) = props {
            for (k, p) in props {
                if let Some(wrong) = wrong_value(schema, p, 0) {
                    out.insert(k.clone(), wrong);
                    return Value::Object(out);
                }
            }
        }
    }
    wrong_value(schema, schema, 0).unwrap_or(valid)
}

struct Gen<'a> {
    root: &'a Value,
    budget: usize,
}

impl<'a> Gen<'a> {
    fn example(&mut self, schema: &'a Value, seed: u64, depth: usize) -> Value {
        if self.budget == 0 || depth > MAX_DEPTH {
            return Value::Null;
        }
        self.budget -= 1;
        let s = resolve(self.root, schema);
        let Some(obj) = s.as_object() else {
            return Value::Null;
        };
        if let Some(c) = obj.get("const") {
            return c.clone();
        }
        if let Some(values) = obj
            .get("enum")
            .and_then(Value::as_array)
            .filter(|e| !e.is_empty())
        {
            let idx = usize::try_from(seed % values.len() as u64).unwrap_or(0);
            return values.get(idx).cloned().unwrap_or(Value::Null);
        }
        if let Some(all) = obj
            .get("allOf")
            .and_then(Value::as_array)
            .filter(|a| !a.is_empty())
        {
            return self.all_of(obj, all, seed, depth);
        }
        for key in ["anyOf", "oneOf"] {
            if let Some(first) = obj.get(key).and_then(Value::as_array).and_then(|a| a.first()) {
                return self.example(first, seed, depth + 1);
            }
        }
        match chosen_type(obj) {
            Some("object") => self.object(obj, seed, depth),
            Some("array") => self.array(obj, seed, depth),
            Some("string") => string_value(obj, seed),
            Some("integer") => integer_value(obj, seed),
            Some("number") => number_value(obj, seed),
            Some("boolean") => Value::Bool(seed % 2 == 0),
            _ => Value::Null,
        }
    }

    fn all_of(&mut self, obj: &'a Map<String, Value>, all: &'a [Value], seed: u64, depth: usize) -> Value {
        let mut parts: Vec<Value> = all.iter().map(|sub| self.example(sub, seed, depth + 1)).collect();
        // Keywords next to allOf (e.g. `type`, `properties`) count too.
        let mut own = obj.clone();
        own.remove("allOf");
        if chosen_type(&own).is_some() {
            let own = Value::Object(own);
            let mut sub = Gen {
                root: self.root,
                budget: self.budget,
            };
            parts.push(sub.example(&own, seed, depth + 1));
            self.budget = sub.budget;
        }
        let mut merged = parts.first().cloned().unwrap_or(Value::Null);
        for part in parts.into_iter().skip(1) {
            if let (Value::Object(m), Value::Object(p)) = (&mut merged, part) {
                for (k, v) in p {
                    m.entry(k).or_insert(v);
                }
            }
        }
        merged
    }

    fn object(&mut self, obj: &'a Map<String, Value>, seed: u64, depth: usize) -> Value {
        let required: Vec<&str> = obj
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let extra_schema = match obj.get("additionalProperties") {
            Some(Value::Bool(false)) => None,
            Some(s @ Value::Object(_)) => Some(s),
            _ => Some(&ANY),
        };
        let mut out = Map::new();
        if let Some(props) = obj.get("properties").and_then(Value::as_object) {
            for (i, (k, sub)) in props.iter().enumerate() {
                if depth < OPTIONAL_DEPTH || required.contains(&k.as_str()) {
                    out.insert(k.clone(), self.example(sub, mix(seed, i as u64), depth + 1));
                }
            }
        }
        for (i, k) in required.iter().enumerate() {
            if !out.contains_key(*k) {
                let sub = extra_schema.unwrap_or(&ANY);
                out.insert(
                    (*k).to_string(),
                    self.example(sub, mix(seed, 1000 + i as u64), depth + 1),
                );
            }
        }
        let min = obj
            .get("minProperties")
            .and_then(Value::as_u64)
            .unwrap_or(0)
            .min(MAX_ARRAY);
        if let Some(sub) = extra_schema {
            let mut n = 0u64;
            while (out.len() as u64) < min && n < MAX_ARRAY * 2 {
                let v = self.example(sub, mix(seed, 2000 + n), depth + 1);
                out.insert(format!("extra_{n}"), v);
                n += 1;
            }
        }
        Value::Object(out)
    }

    fn array(&mut self, obj: &'a Map<String, Value>, seed: u64, depth: usize) -> Value {
        let (prefix, rest): (&[Value], Option<&Value>) = match (obj.get("prefixItems"), obj.get("items")) {
            (Some(Value::Array(p)), items) => (p.as_slice(), items),
            (_, Some(Value::Array(p))) => (p.as_slice(), obj.get("additionalItems")),
            (_, items) => (&[], items),
        };
        let min = obj.get("minItems").and_then(Value::as_u64).unwrap_or(0);
        let max = obj.get("maxItems").and_then(Value::as_u64).unwrap_or(u64::MAX);
        let wanted = if depth < OPTIONAL_DEPTH { 1 } else { 0 };
        let mut len = min.max(wanted).max(prefix.len() as u64).min(max).min(MAX_ARRAY);
        if rest == Some(&Value::Bool(false)) {
            len = len.min(prefix.len() as u64);
        }
        let mut out = Vec::new();
        for i in 0..len {
            let sub = usize::try_from(i)
                .ok()
                .and_then(|i| prefix.get(i))
                .or(rest)
                .unwrap_or(&ANY);
            out.push(self.example(sub, mix(seed, i), depth + 1));
        }
        Value::Array(out)
    }
}

/// Follows `$ref` chains to local targets (`#`, `#/...` JSON pointers); anything else, or a chain
/// longer than [`MAX_REF_HOPS`], stops where it is.
fn resolve<'a>(root: &'a Value, mut schema: &'a Value) -> &'a Value {
    for _ in 0..MAX_REF_HOPS {
        let Some(r) = schema.get("$ref").and_then(Value::as_str) else {
            break;
        };
        let target = match r.strip_prefix('#') {
            Some("") => Some(root),
            Some(ptr) => root.pointer(ptr),
            None => None,
        };
        match target {
            Some(t) => schema = t,
            None => break,
        }
    }
    schema
}

fn chosen_type(obj: &Map<String, Value>) -> Option<&'static str> {
    let named = match obj.get("type") {
        Some(Value::String(t)) => Some(t.as_str()),
        Some(Value::Array(ts)) => {
            let names: Vec<&str> = ts.iter().filter_map(Value::as_str).collect();
            names.iter().find(|t| **t != "null").or(names.first()).copied()
        }
        _ => None,
    };
    if let Some(t) = named {
        return [
            "object", "array", "string", "integer", "number", "boolean", "null",
        ]
        .into_iter()
        .find(|k| *k == t);
    }
    let has = |keys: &[&str]| keys.iter().any(|k| obj.contains_key(*k));
    if has(&["properties", "required", "additionalProperties", "minProperties"]) {
        Some("object")
    } else if has(&["items", "prefixItems", "minItems", "maxItems"]) {
        Some("array")
    } else if has(&["minLength", "maxLength", "pattern", "format"]) {
        Some("string")
    } else if has(&[
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
    ]) {
        Some("number")
    } else {
        None
    }
}

/// splitmix64 of `seed` and `salt`: per-child seeds so siblings (and array items) differ.
fn mix(seed: u64, salt: u64) -> u64 {
    let mut z = seed ^ salt.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn string_value(obj: &Map<String, Value>, seed: u64) -> Value {
    let n = seed % 1000;
    let day = seed % 28 + 1;
    let format = obj.get("format").and_then(Value::as_str).unwrap_or("");
    let formatted = match format {
        "date" => Some(format!("2024-01-{day:02}")),
        "date-time" => Some(format!("2024-01-{day:02}T10:30:00Z")),
        "time" => Some("10:30:00Z".to_string()),
        "email" | "idn-email" => Some(format!("user{n}@example.com")),
        "uri" | "iri" | "url" => Some(format!("https://example.com/item/{n}")),
        "uri-reference" | "iri-reference" => Some(format!("/item/{n}")),
        "uuid" => Some(format!(
            "00000000-0000-4000-8000-{:012x}",
            seed & 0xFFFF_FFFF_FFFF
        )),
        "hostname" | "idn-hostname" => Some(format!("host{n}.example.com")),
        "ipv4" => Some(format!("192.0.2.{}", seed % 250 + 1)),
        "ipv6" => Some(format!("2001:db8::{:x}", seed % 0xFFFF + 1)),
        "duration" => Some(format!("P{day}D")),
        _ => None,
    };
    if let Some(s) = formatted {
        return Value::String(s);
    }
    let min = usize::try_from(obj.get("minLength").and_then(Value::as_u64).unwrap_or(0))
        .unwrap_or(usize::MAX)
        .min(10_000);
    let max = usize::try_from(obj.get("maxLength").and_then(Value::as_u64).unwrap_or(u64::MAX))
        .unwrap_or(usize::MAX);
    let fit = |mut s: String| {
        let count = s.chars().count();
        if count < min {
            s.extend(std::iter::repeat_n('x', min - count));
        }
        s.chars().take(max).collect::<String>()
    };
    if let Some(pattern) = obj.get("pattern").and_then(Value::as_str) {
        let candidates = [
            format!("example {n}"),
            "example".into(),
            "abc".into(),
            "ABC".into(),
            "123".into(),
            format!("{n}"),
            "a1".into(),
            "A1".into(),
            "abc123".into(),
            "ABC-123".into(),
            "a".into(),
            "A".into(),
            "0".into(),
            String::new(),
        ];
        let probe = serde_json::json!({"type": "string", "pattern": pattern});
        let matcher = std::panic::catch_unwind(|| jsonschema::draft202012::new(&probe).ok())
            .ok()
            .flatten();
        if let Some(m) = matcher {
            if let Some(hit) = candidates
                .into_iter()
                .map(fit)
                .find(|c| m.is_valid(&Value::String(c.clone())))
            {
                return Value::String(hit);
            }
        }
    }
    Value::String(fit(format!("example {n}")))
}

/// `(low, high, low_exclusive, high_exclusive)` from the numeric keywords.
fn bounds(obj: &Map<String, Value>) -> (Option<f64>, Option<f64>, bool, bool) {
    let num = |k: &str| obj.get(k).and_then(Value::as_f64).filter(|f| f.is_finite());
    let (lo, lo_ex) = match (num("minimum"), num("exclusiveMinimum")) {
        (Some(a), Some(b)) if b >= a => (Some(b), true),
        (Some(a), _) => (Some(a), false),
        (None, Some(b)) => (Some(b), true),
        (None, None) => (None, false),
    };
    let (hi, hi_ex) = match (num("maximum"), num("exclusiveMaximum")) {
        (Some(a), Some(b)) if b <= a => (Some(b), true),
        (Some(a), _) => (Some(a), false),
        (None, Some(b)) => (Some(b), true),
        (None, None) => (None, false),
    };
    (lo, hi, lo_ex, hi_ex)
}

fn integer_value(obj: &Map<String, Value>, seed: u64) -> Value {
    let (lo, hi, lo_ex, hi_ex) = bounds(obj);
    let lo = lo.map(|l| if lo_ex { l.floor() + 1.0 } else { l.ceil() });
    let hi = hi.map(|h| if hi_ex { h.ceil() - 1.0 } else { h.floor() });
    let step = (seed % 5) as f64;
    let mut v = match (lo, hi) {
        (Some(l), Some(h)) if h >= l => l + (step % (h - l + 1.0)),
        (Some(l), _) => l + step,
        (None, Some(h)) => h - step,
        (None, None) => (seed % 100) as f64 + 1.0,
    };
    if let Some(m) = obj
        .get("multipleOf")
        .and_then(Value::as_f64)
        .filter(|m| *m >= 1.0 && m.fract() == 0.0)
    {
        v = (v / m).ceil() * m;
        if hi.is_some_and(|h| v > h) {
            v -= m;
        }
    }
    // Float-to-int casts saturate, so this cannot overflow.
    Value::Number(Number::from(v as i64))
}

fn number_value(obj: &Map<String, Value>, seed: u64) -> Value {
    let (lo, hi, _, _) = bounds(obj);
    let step = (seed % 10) as f64;
    let mut v = match (lo, hi) {
        (Some(l), Some(h)) if h > l => l + (h - l) * ((seed % 7) as f64 + 1.0) / 8.0,
        (Some(l), Some(_)) => l,
        (Some(l), None) => l + step + 0.5,
        (None, Some(h)) => h - step - 0.5,
        (None, None) => step * 10.0 + 2.5,
    };
    if let Some(m) = obj
        .get("multipleOf")
        .and_then(Value::as_f64)
        .filter(|m| *m > 0.0 && m.is_finite())
    {
        let k = (v / m).ceil();
        v = k * m;
        if hi.is_some_and(|h| v > h) {
            v = (k - 1.0) * m;
        }
        if m.fract() == 0.0 {
            return Value::Number(Number::from(v as i64));
        }
    }
    Number::from_f64(v).map(Value::Number).unwrap_or(Value::Null)
}

/// A value `schema` (resolved against `root`) rejects, when one is easy to name.
fn wrong_value(root: &Value, schema: &Value, depth: usize) -> Option<Value> {
    if depth > MAX_DEPTH {
        return None;
    }
    let s = resolve(root, schema);
    let obj = match s {
        Value::Bool(false) => return Some(Value::Null),
        Value::Object(o) => o,
        _ => return None,
    };
    let candidates = [
        Value::Null,
        Value::Bool(false),
        serde_json::json!(0.5),
        Value::String("__invalid__".into()),
        Value::Array(vec![]),
        Value::Object(Map::new()),
    ];
    if let Some(c) = obj.get("const") {
        return candidates.into_iter().find(|v| v != c);
    }
    if let Some(values) = obj.get("enum").and_then(Value::as_array) {
        return candidates.into_iter().find(|v| !values.contains(v));
    }
    if let Some(types) = allowed_types(root, s, depth) {
        return candidates
            .into_iter()
            .find(|v| !types.iter().any(|t| type_allows(t, v)));
    }
    if let Some(first) = obj.get("allOf").and_then(Value::as_array).and_then(|a| a.first()) {
        return wrong_value(root, first, depth + 1);
    }
    let num = |k: &str| obj.get(k).and_then(Value::as_f64).filter(|f| f.is_finite());
    if let Some(m) = num("minimum").or(num("exclusiveMinimum")) {
        return Number::from_f64(m - 1.0).map(Value::Number);
    }
    if let Some(m) = num("maximum").or(num("exclusiveMaximum")) {
        return Number::from_f64(m + 1.0).map(Value::Number);
    }
    if obj
        .get("minLength")
        .and_then(Value::as_u64)
        .is_some_and(|n| n > 0)
    {
        return Some(Value::String(String::new()));
    }
    None
}

/// The JSON types a schema allows, from `type` or from every branch of `anyOf`/`oneOf`; `None`
/// when some branch does not restrict the type.
fn allowed_types(root: &Value, schema: &Value, depth: usize) -> Option<Vec<String>> {
    if depth > MAX_DEPTH {
        return None;
    }
    let s = resolve(root, schema);
    match s.get("type") {
        Some(Value::String(t)) => return Some(vec![t.clone()]),
        Some(Value::Array(ts)) => {
            return Some(ts.iter().filter_map(Value::as_str).map(str::to_string).collect())
        }
        _ => {}
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(branches) = s.get(key).and_then(Value::as_array).filter(|b| !b.is_empty()) {
            let mut all = Vec::new();
            for b in branches {
                all.extend(allowed_types(root, b, depth + 1)?);
            }
            return Some(all);
        }
    }
    None
}

fn type_allows(t: &str, v: &Value) -> bool {
    match (t, v) {
        ("null", Value::Null) | ("boolean", Value::Bool(_)) | ("string", Value::String(_)) => true,
        ("array", Value::Array(_)) | ("object", Value::Object(_)) | ("number", Value::Number(_)) => true,
        ("integer", Value::Number(n)) => n.as_i64().is_some() || n.as_u64().is_some(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn deterministic_and_seed_varies_values() {
        let schema = json!({"type": "object", "properties": {"n": {"type": "integer"}, "s": {"type": "string"}},
            "required": ["n", "s"]});
        assert_eq!(example_instance(&schema, 7), example_instance(&schema, 7));
        assert_ne!(example_instance(&schema, 7), example_instance(&schema, 8));
        assert_eq!(invalid_instance(&schema, 3), invalid_instance(&schema, 3));
    }

    #[test]
    fn recursive_and_hostile_schemas_terminate() {
        let cases = [
            json!({"$ref": "#"}),
            json!({"type": "object", "properties": {"a": {"$ref": "#"}, "b": {"$ref": "#"}, "c": {"$ref": "#"}},
                   "required": ["a", "b", "c"]}),
            json!({"type": "array", "minItems": 100000000, "items": {"$ref": "#"}}),
            json!({"type": "string", "minLength": 100000000}),
            json!({"type": "integer", "minimum": 1e300}),
            json!({"type": "number", "multipleOf": 1e-300, "maximum": 1e300}),
            json!({"type": "string", "pattern": "(a"}),
            json!({"$ref": "#/$defs/a", "$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}}}),
            json!(null),
            json!([1, 2]),
        ];
        for schema in cases {
            let _ = example_instance(&schema, 1);
            let _ = invalid_instance(&schema, 1);
            let _ = invalid_instance(&schema, 2);
        }
    }
}
