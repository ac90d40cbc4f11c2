//! The configuration written out for people: `seam config default` (every
//! key with its description and default, from the doc comments of
//! [`Config`] and its defaults) and `seam config check` (the effective
//! values, each with where it came from, secrets redacted).

use schemars::schema::{InstanceType, RootSchema, Schema, SchemaObject, SingleOrVec};
use serde_json::Value;

use super::Config;

/// Keys whose values never appear in a rendering.
const SECRET_KEYS: &[&str] = &["secret", "hs256_secret", "credential", "password", "token"];

/// A complete TOML configuration with every key, its description and its
/// default. Keys without a default are present, commented out. Parsing the
/// result gives [`Config::default`].
pub fn default_toml() -> String {
    let root = schemars::schema_for!(Config);
    let mut out = String::from(
        "# seam configuration: every key, its meaning and its default.\n\
         # Written by `seam config default`. Keys left out take their default;\n\
         # unknown keys are errors. Environment variables and flags override\n\
         # the file (see `seam serve --help`).\n\n",
    );
    render_defaults(&root, &root.schema, &mut Vec::new(), &mut out);
    out
}

/// The effective configuration as TOML, each value followed by where it
/// came from (`source` answers for a dotted key such as `auth.issuer`),
/// secrets and URL passwords redacted.
pub fn explain(config: &Config, source: &dyn Fn(&str) -> String) -> String {
    let root = schemars::schema_for!(Config);
    let value = serde_json::to_value(config).unwrap_or(Value::Null);
    let mut out = String::new();
    render_effective(
        &root,
        &root.schema,
        &value,
        &mut Vec::new(),
        source,
        &mut out,
    );
    out
}

/// Renders one table of defaults: its scalar keys, then its arrays of
/// tables (as commented examples), then its sub-tables.
fn render_defaults(
    root: &RootSchema,
    table: &SchemaObject,
    path: &mut Vec<String>,
    out: &mut String,
) {
    let Some(object) = &table.object else { return };
    let mut tables = Vec::new();
    let mut arrays = Vec::new();
    for (name, property) in &object.properties {
        let (schema, meta) = resolve(root, property);
        if is_table(schema) {
            tables.push((name, schema, meta));
            continue;
        }
        let default = meta.and_then(|m| m.default.clone()).unwrap_or(Value::Null);
        if let Some(items) = table_items(root, schema) {
            arrays.push((name, property, schema, items, default));
            continue;
        }
        comment(out, "", description(property, schema));
        if default.is_null() {
            out.push_str(&format!("# {name} = {}\n", placeholder(schema)));
        } else {
            out.push_str(&format!("{name} = {}\n", toml_value(&default)));
        }
        out.push('\n');
    }
    // Arrays of tables after the plain keys: an `[[a.b]]` header would
    // claim every key below it.
    for (name, property, schema, items, default) in arrays {
        comment(out, "", description(property, schema));
        if default.as_array().is_some_and(|a| !a.is_empty()) {
            for entry in default.as_array().into_iter().flatten() {
                out.push_str(&format!("[[{}]]\n", dotted(path, name)));
                if let Some(map) = entry.as_object() {
                    for (key, value) in map.iter().filter(|(_, v)| !v.is_null()) {
                        out.push_str(&format!("{key} = {}\n", toml_value(value)));
                    }
                }
            }
        } else {
            out.push_str(&format!("# [[{}]]\n", dotted(path, name)));
            render_example(root, items, out);
        }
        out.push('\n');
    }
    for (name, schema, _) in tables {
        path.push(name.clone());
        comment(
            out,
            "",
            description_of(object.properties.get(name.as_str()), schema),
        );
        out.push_str(&format!("[{}]\n", path.join(".")));
        render_defaults(root, schema, path, out);
        path.pop();
    }
}

/// The keys of one entry of an array of tables, commented out.
fn render_example(root: &RootSchema, item: &SchemaObject, out: &mut String) {
    let Some(object) = &item.object else { return };
    for (name, property) in &object.properties {
        let (schema, meta) = resolve(root, property);
        comment(out, "#   ", description(property, schema));
        let value = match meta.and_then(|m| m.default.clone()) {
            Some(v) if !v.is_null() => toml_value(&v),
            _ => placeholder(schema),
        };
        out.push_str(&format!("#   {name} = {value}\n"));
    }
}

fn render_effective(
    root: &RootSchema,
    table: &SchemaObject,
    value: &Value,
    path: &mut Vec<String>,
    source: &dyn Fn(&str) -> String,
    out: &mut String,
) {
    let Some(object) = &table.object else { return };
    let mut tables = Vec::new();
    for (name, property) in &object.properties {
        let (schema, _) = resolve(root, property);
        let field = value.get(name).unwrap_or(&Value::Null);
        if is_table(schema) {
            tables.push((name, schema, field));
            continue;
        }
        let key = dotted(path, name);
        let shown = if field.is_null() {
            format!("# {name} is not set")
        } else if SECRET_KEYS.contains(&name.as_str()) {
            format!("{name} = \"<redacted>\"")
        } else {
            format!("{name} = {}", toml_value(&redact_urls(field)))
        };
        out.push_str(&format!("{shown}  # {}\n", source(&key)));
    }
    for (name, schema, field) in tables {
        path.push(name.clone());
        out.push_str(&format!("\n[{}]\n", path.join(".")));
        render_effective(root, schema, field, path, source, out);
        path.pop();
    }
}

/// Follows a `$ref` (bare or wrapped in a one-element `allOf`, as schemars
/// writes a field with a description) to the schema it names; the field's
/// own metadata comes along.
fn resolve<'a>(
    root: &'a RootSchema,
    property: &'a Schema,
) -> (&'a SchemaObject, Option<&'a schemars::schema::Metadata>) {
    let Schema::Object(object) = property else {
        return (&root.schema, None);
    };
    let meta = object.metadata.as_deref();
    let reference = object.reference.as_deref().or_else(|| {
        match object.subschemas.as_ref().and_then(|s| s.all_of.as_ref()) {
            Some(all) if all.len() == 1 => match &all[0] {
                Schema::Object(inner) => inner.reference.as_deref(),
                Schema::Bool(_) => None,
            },
            _ => None,
        }
    });
    let target = reference
        .and_then(|r| r.rsplit('/').next())
        .and_then(|name| root.definitions.get(name));
    match target {
        Some(Schema::Object(definition)) => (definition, meta),
        _ => (object, meta),
    }
}

/// Whether a schema is a TOML table (an object with named keys).
fn is_table(schema: &SchemaObject) -> bool {
    schema
        .object
        .as_ref()
        .is_some_and(|o| !o.properties.is_empty())
}

/// The item schema of an array of tables.
fn table_items<'a>(root: &'a RootSchema, schema: &'a SchemaObject) -> Option<&'a SchemaObject> {
    let items = schema.array.as_ref()?.items.as_ref()?;
    let SingleOrVec::Single(item) = items else {
        return None;
    };
    let (item, _) = resolve(root, item);
    is_table(item).then_some(item)
}

fn description(property: &Schema, resolved: &SchemaObject) -> String {
    description_of(Some(property), resolved)
}

fn description_of(property: Option<&Schema>, resolved: &SchemaObject) -> String {
    let own = match property {
        Some(Schema::Object(o)) => o.metadata.as_ref().and_then(|m| m.description.clone()),
        _ => None,
    };
    own.or_else(|| {
        resolved
            .metadata
            .as_ref()
            .and_then(|m| m.description.clone())
    })
    .unwrap_or_default()
}

/// Writes `text` as `# ` comment lines of at most 78 columns.
fn comment(out: &mut String, indent: &str, text: String) {
    let prefix = format!("{indent}# ");
    let mut line = prefix.clone();
    for word in text.split_whitespace() {
        if line.len() > prefix.len() && line.len() + word.len() >= 78 {
            out.push_str(line.trim_end());
            out.push('\n');
            line.clone_from(&prefix);
        }
        line.push_str(word);
        line.push(' ');
    }
    if line.len() > prefix.len() {
        out.push_str(line.trim_end());
        out.push('\n');
    }
}

fn dotted(path: &[String], name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{}.{name}", path.join("."))
    }
}

/// An example value for a key without a default, by its type.
fn placeholder(schema: &SchemaObject) -> String {
    let types: Vec<InstanceType> = match &schema.instance_type {
        Some(SingleOrVec::Single(t)) => vec![**t],
        Some(SingleOrVec::Vec(ts)) => ts.clone(),
        None => Vec::new(),
    };
    if types.contains(&InstanceType::Integer) || types.contains(&InstanceType::Number) {
        "0".into()
    } else if types.contains(&InstanceType::Boolean) {
        "false".into()
    } else if types.contains(&InstanceType::Array) {
        "[]".into()
    } else {
        "\"\"".into()
    }
}

/// A JSON value written as a TOML value (tables inline).
fn toml_value(value: &Value) -> String {
    let cleaned = strip_nulls(value);
    toml::Value::try_from(&cleaned).map_or_else(|_| cleaned.to_string(), |v| v.to_string())
}

/// TOML has no null: keys without a value are left out.
fn strip_nulls(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), strip_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(strip_nulls).collect()),
        other => other.clone(),
    }
}

/// Secrets inside a value: `scheme://user:password@host` loses its
/// password; tables lose their secret keys.
fn redact_urls(value: &Value) -> Value {
    match value {
        Value::String(s) => Value::String(redact_url(s)),
        Value::Array(items) => Value::Array(items.iter().map(redact_urls).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    if SECRET_KEYS.contains(&k.as_str()) && !v.is_null() {
                        (k.clone(), Value::String("<redacted>".into()))
                    } else {
                        (k.clone(), redact_urls(v))
                    }
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// `postgres://seam:hunter2@db/seam` → `postgres://seam:<redacted>@db/seam`.
fn redact_url(s: &str) -> String {
    let Some((scheme, rest)) = s.split_once("://") else {
        return s.to_owned();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return s.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:<redacted>@{host}"),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_default_file_is_complete_and_parses_to_the_defaults() {
        let text = default_toml();
        assert_eq!(Config::from_toml(&text).unwrap(), Config::default());
        for key in [
            "listen = \"127.0.0.1:8080\"",
            "[auth]",
            "# hs256_secret = \"\"",
            "[routing]",
            "# [[routing.queues]]",
            "#   name = \"\"",
            "[store]",
            "[cluster]",
            "# redis_url = \"\"",
            "[tls]",
        ] {
            assert!(text.contains(key), "{key} missing from:\n{text}");
        }
        // Every key is described: no key line without a comment above it.
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let is_key = !line.starts_with('#') && line.contains(" = ");
            if is_key {
                assert!(lines[i - 1].starts_with('#'), "undescribed: {line}");
            }
        }
    }

    #[test]
    fn uncommenting_an_optional_key_is_valid() {
        let text = default_toml().replace("# hs256_secret = \"\"", "hs256_secret = \"s\"");
        let config = Config::from_toml(&text).unwrap();
        assert_eq!(config.auth.hs256_secret.as_deref(), Some("s"));
    }

    #[test]
    fn explaining_redacts_secrets_and_url_passwords_and_names_sources() {
        let mut config = Config::default();
        config.auth.hs256_secret = Some("topsecret".into());
        config.store.url = Some("postgres://seam:hunter2@db:5432/seam".into());
        let text = explain(&config, &|key| {
            if key == "auth.hs256_secret" {
                "env SEAM_AUTH_HS256_SECRET".into()
            } else {
                "default".into()
            }
        });
        assert!(
            !text.contains("topsecret") && !text.contains("hunter2"),
            "{text}"
        );
        assert!(text.contains("hs256_secret = \"<redacted>\"  # env SEAM_AUTH_HS256_SECRET"));
        assert!(text.contains("postgres://seam:<redacted>@db:5432/seam"));
        assert!(text.contains("listen = \"127.0.0.1:8080\"  # default"));
        assert!(text.contains("# issuer is not set  # default"), "{text}");
    }
}
