//! One YAML document straight into JSON, keys converted as kubectl's YAML-to-JSON conversion
//! (sigs.k8s.io/yaml `convertToJSONableObject`): strings stay, numbers and booleans become
//! their text. Any other key (null, a sequence, a mapping) cannot be a JSON key, and dropping
//! it would hide the rest of its mapping from the unknown-field check, so the first one is
//! reported (with the path of its mapping) once the document has been read.
//!
//! Built in one pass from serde_yaml_ng's events, with no `serde_yaml_ng::Value` in between:
//! that tree and its conversion were most of the time and memory of a 3 MiB manifest.

use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;

use serde::de::{
    DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor,
};
use serde_json::Value;

/// The first key that is not a string, number or boolean: (path of its mapping, the key as
/// YAML).
pub type BadKey = (String, String);

/// The document as JSON, and its first bad key if it has one (its value is left out).
pub fn document<'de, D: Deserializer<'de>>(de: D) -> Result<(Value, Option<BadKey>), D::Error> {
    let bad = RefCell::new(None);
    let value = Json {
        path: Path::Root,
        bad: &bad,
    }
    .deserialize(de)?;
    Ok((value, bad.into_inner()))
}

/// Where a value is, rendered only for a bad key (a string per element made a 3 MiB list
/// slower than the tree it replaced).
#[derive(Clone, Copy)]
enum Path<'p> {
    Root,
    Key(&'p Path<'p>, &'p str),
    Index(&'p Path<'p>, usize),
}

impl Path<'_> {
    fn render(&self) -> String {
        match self {
            Path::Root => String::new(),
            Path::Key(parent, key) => match parent.render() {
                p if p.is_empty() => (*key).to_string(),
                p => format!("{p}.{key}"),
            },
            Path::Index(parent, i) => format!("{}[{i}]", parent.render()),
        }
    }
}

struct Json<'a, 'p> {
    path: Path<'p>,
    bad: &'a RefCell<Option<BadKey>>,
}

impl<'de> DeserializeSeed<'de> for Json<'_, '_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<Value, D::Error> {
        de.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Json<'_, '_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        // JSON has no NaN or infinity: null, as serde_json writes them.
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, de: D) -> Result<Value, D::Error> {
        self.deserialize(de)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        loop {
            let seed = Json {
                path: Path::Index(&self.path, items.len()),
                bad: self.bad,
            };
            let Some(item) = seq.next_element_seed(seed)? else {
                break;
            };
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = serde_json::Map::new();
        // Duplicates as serde_yaml_ng's own mapping finds them: by the key as written.
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<serde_yaml_ng::Value>()? {
            if !seen.insert(key.clone()) {
                return Err(serde::de::Error::custom(format_args!(
                    "duplicate entry with key {}",
                    shown_key(&key)
                )));
            }
            let text = match &key {
                serde_yaml_ng::Value::String(s) => Some(s.clone()),
                serde_yaml_ng::Value::Number(n) => Some(n.to_string()),
                serde_yaml_ng::Value::Bool(b) => Some(b.to_string()),
                _ => None,
            };
            let Some(text) = text else {
                let mut bad = self.bad.borrow_mut();
                if bad.is_none() {
                    let shown = serde_yaml_ng::to_string(&key)
                        .map(|s| s.trim_end().to_string())
                        .unwrap_or_else(|_| "?".to_string());
                    *bad = Some((self.path.render(), shown));
                }
                drop(bad);
                map.next_value::<serde::de::IgnoredAny>()?;
                continue;
            };
            let seed = Json {
                path: Path::Key(&self.path, &text),
                bad: self.bad,
            };
            let value = map.next_value_seed(seed)?;
            out.insert(text, value);
        }
        Ok(Value::Object(out))
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Value, A::Error> {
        // A tagged node (`!thing value`): the tag is dropped, as kubectl's conversion does.
        let (_tag, variant) = data.variant::<serde::de::IgnoredAny>()?;
        variant.newtype_variant_seed(self)
    }
}

/// A duplicate key as serde_yaml_ng's mapping error shows it.
fn shown_key(key: &serde_yaml_ng::Value) -> String {
    match key {
        serde_yaml_ng::Value::String(s) => format!("{s:?}"),
        other => serde_yaml_ng::to_string(other)
            .map(|s| s.trim_end().to_string())
            .unwrap_or_else(|_| "?".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert(yaml: &str) -> Result<(Value, Option<BadKey>), String> {
        document(serde_yaml_ng::Deserializer::from_str(yaml)).map_err(|e| e.to_string())
    }

    #[test]
    fn keys_convert_as_kubectl_and_the_first_bad_one_is_reported() {
        let (json, bad) =
            convert("a: {1: x, true: y, 1.5: z}\nb: [1, -2, 2.5, null, ~, 'x']\n").unwrap();
        assert_eq!(
            json,
            serde_json::json!({"a": {"1": "x", "true": "y", "1.5": "z"}, "b": [1, -2, 2.5, null, null, "x"]})
        );
        assert_eq!(bad, None);
        let (_, bad) = convert("a:\n  - {ok: 1, ~: 2, [x]: 3}\n").unwrap();
        assert_eq!(bad, Some(("a[0]".to_string(), "null".to_string())));
        let (_, bad) = convert("{a: b}: 1\n").unwrap();
        assert_eq!(bad, Some((String::new(), "a: b".to_string())));
        let (json, _) = convert("a: !custom x\n").unwrap();
        assert_eq!(json, serde_json::json!({"a": "x"}));
    }

    #[test]
    fn duplicates_and_aliases_as_serde_yaml_ng() {
        let err = convert("metadata:\n  name: d\n  name: e\n").unwrap_err();
        assert_eq!(
            err,
            "metadata: duplicate entry with key \"name\" at line 2 column 3"
        );
        let (json, _) = convert("a: &x {k: v}\nb: *x\n").unwrap();
        assert_eq!(json, serde_json::json!({"a": {"k": "v"}, "b": {"k": "v"}}));
    }
}
