//! Sweeps of the whole schema, read by introspection: one request per position of a kind
//! (every String, every list) in the arguments of every root field, with a hostile value
//! there and plausible values in the required rest.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use crate::helpers::{Answer, TestApp};

/// The introspection a sweep needs: each type's fields, arguments and input fields.
const TYPES: &str = r#"
query {
  __schema {
    types {
      kind name
      fields { name args { name defaultValue type { ...TypeRef } } type { ...TypeRef } }
      inputFields { name defaultValue type { ...TypeRef } }
      enumValues { name }
    }
  }
}
fragment TypeRef on __Type {
  kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } }
}
"#;

/// Where the hostile value goes: the names from an argument down through input objects.
type Position = Vec<String>;

/// What a sweep puts where, and what it calls a wrong answer.
pub trait Probe {
    /// Whether an input of this type (wrappers included) is a position.
    fn is_position(&self, type_ref: &Value) -> bool;
    /// The hostile value of a position, given its plausible value.
    fn hostile(&self, schema: &Schema, name: &str, type_ref: &Value) -> Value;
    /// Why the answer to `field` with the hostile value at `position` is wrong, if it is.
    fn wrong(&self, field: &str, position: &[String], answer: &Answer) -> Option<String>;
}

pub struct Schema {
    types: HashMap<String, Value>,
}

impl Schema {
    pub async fn load(app: &TestApp) -> Self {
        let answer = app.admin(TYPES, json!({})).await;
        let types = answer.data()["__schema"]["types"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| (t["name"].as_str().unwrap().to_owned(), t.clone()))
            .collect();
        Self { types }
    }

    pub fn named(type_ref: &Value) -> &Value {
        match type_ref["kind"].as_str() {
            Some("NON_NULL" | "LIST") => Self::named(&type_ref["ofType"]),
            _ => type_ref,
        }
    }

    /// The list of a batch result whose entries name the input field at fault (`items`
    /// of a report, `errors` of an import).
    fn faults(&self, batch: &Value) -> String {
        let fields = self.types[batch["name"].as_str().unwrap()]["fields"]
            .as_array()
            .unwrap();
        fields
            .iter()
            .find(|f| {
                let entry = Self::named(&f["type"])["name"].as_str().unwrap_or_default();
                self.types[entry]["fields"]
                    .as_array()
                    .is_some_and(|entry| entry.iter().any(|e| e["name"] == "field"))
            })
            .and_then(|f| f["name"].as_str())
            .unwrap_or_else(|| panic!("{batch} lists no faults"))
            .to_owned()
    }

    fn is_required(input: &Value) -> bool {
        input["type"]["kind"] == "NON_NULL" && input["defaultValue"].is_null()
    }

    fn inputs_of(&self, type_ref: &Value) -> Vec<Value> {
        let name = Self::named(type_ref)["name"].as_str().unwrap_or_default();
        self.types[name]["inputFields"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Every position reachable from `input`, as paths below it.
    fn positions(&self, probe: &dyn Probe, input: &Value, depth: usize) -> Vec<Position> {
        let name = input["name"].as_str().unwrap().to_owned();
        let mut found = Vec::new();
        if probe.is_position(&input["type"]) {
            found.push(vec![name.clone()]);
        }
        if Self::named(&input["type"])["kind"] == "INPUT_OBJECT" && depth < 4 {
            for field in self.inputs_of(&input["type"]) {
                for mut below in self.positions(probe, &field, depth + 1) {
                    below.insert(0, name.clone());
                    found.push(below);
                }
            }
        }
        found
    }

    /// A value of `type_ref` that passes the usual checks, with the hostile value at
    /// `target` (a path below it) when there is one.
    pub fn value(
        &self,
        probe: &dyn Probe,
        name: &str,
        type_ref: &Value,
        target: Option<&[String]>,
    ) -> Value {
        if target.is_some_and(<[String]>::is_empty) {
            return probe.hostile(self, name, type_ref);
        }
        match type_ref["kind"].as_str() {
            Some("NON_NULL") => self.value(probe, name, &type_ref["ofType"], target),
            Some("LIST") => json!([self.value(probe, name, &type_ref["ofType"], target)]),
            Some("ENUM") => {
                let values = self.types[type_ref["name"].as_str().unwrap()]["enumValues"]
                    .as_array()
                    .unwrap();
                let preferred = plausible_choice(name);
                values
                    .iter()
                    .find(|v| Some(v["name"].as_str().unwrap()) == preferred)
                    .unwrap_or(&values[0])["name"]
                    .clone()
            }
            Some("INPUT_OBJECT") => {
                let mut object = Map::new();
                for field in self.inputs_of(type_ref) {
                    let field_name = field["name"].as_str().unwrap();
                    let below = target
                        .filter(|t| t.first().map(String::as_str) == Some(field_name))
                        .map(|t| &t[1..]);
                    if below.is_some() || Self::is_required(&field) {
                        object.insert(
                            field_name.to_owned(),
                            self.value(probe, field_name, &field["type"], below),
                        );
                    }
                }
                Value::Object(object)
            }
            _ => match type_ref["name"].as_str().unwrap() {
                "String" => json!(plausible(name)),
                "ID" => json!("1"),
                "Int" => json!(1),
                "Float" => json!(1.0),
                "Boolean" => json!(false),
                "Decimal" => json!("1.00"),
                "NaiveDate" => json!("2026-01-05"),
                "DateTime" => json!("2026-06-02T15:00:00Z"),
                "JSON" => json!({}),
                other => panic!("no sample value for the scalar {other}"),
            },
        }
    }
}

/// A string that passes the check of a field so named, so the sweep reaches the position.
fn plausible(name: &str) -> &'static str {
    match name {
        "currency" => "USD",
        "region" | "regions" => "US-TX",
        "code" | "qualificationType" | "rule" | "segment" => "SWEEP",
        "timeZone" => "America/Chicago",
        "webhookUrl" | "documentUrl" => "https://hooks.agency.example/sweep",
        "webhookSecret" => "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "documentSha256" => "0000000000000000000000000000000000000000000000000000000000000000",
        "email" => "sweep@agency.example",
        "phone" | "phones" => "+15125550100",
        "cron" => "0 0 3 * * *",
        "job" | "name" => "idle_watch",
        _ => "sweep",
    }
}

/// The value of an enum field so named that passes its checks without other fields, where
/// the first value would not (AUTOMATIC incidents are the service's; a trigger with a
/// threshold needs it).
fn plausible_choice(name: &str) -> Option<&'static str> {
    match name {
        "source" => Some("COMPLAINT"),
        "trigger" => Some("QUALIFICATION_LAPSED"),
        _ => None,
    }
}

/// The GraphQL spelling of a type reference, for a variable declaration.
fn spelling(type_ref: &Value) -> String {
    match type_ref["kind"].as_str() {
        Some("NON_NULL") => format!("{}!", spelling(&type_ref["ofType"])),
        Some("LIST") => format!("[{}]", spelling(&type_ref["ofType"])),
        _ => type_ref["name"].as_str().unwrap().to_owned(),
    }
}

/// One request per position of every argument of every root field, as `token`: the
/// positions (`field.arg.path`) answered wrongly, with why.
pub async fn sweep(
    app: &TestApp,
    schema: &Schema,
    probe: &dyn Probe,
    token: &str,
) -> Vec<(String, String)> {
    let mut wrong = Vec::new();
    for (root, keyword) in [("Query", "query"), ("Mutation", "mutation")] {
        for field in schema.types[root]["fields"].as_array().unwrap() {
            let name = field["name"].as_str().unwrap();
            let args = field["args"].as_array().unwrap();
            if args
                .iter()
                .any(|a| Schema::named(&a["type"])["name"] == "Upload")
            {
                continue;
            }
            let returns = Schema::named(&field["type"]);
            let is_batch = schema.types[returns["name"].as_str().unwrap()]["fields"]
                .as_array()
                .is_some_and(|fields| fields.iter().any(|f| f["name"] == "rejected"));
            let selection = match (returns["kind"].as_str(), is_batch) {
                (_, true) => format!(" {{ rejected {} {{ field }} }}", schema.faults(returns)),
                (Some("OBJECT" | "INTERFACE" | "UNION"), _) => " { __typename }".to_owned(),
                _ => String::new(),
            };
            for arg in args {
                for position in schema.positions(probe, arg, 0) {
                    let mut declarations = Vec::new();
                    let mut passed = Vec::new();
                    let mut variables = Map::new();
                    for other in args {
                        let other_name = other["name"].as_str().unwrap();
                        let target = (other_name == position[0]).then(|| &position[1..]);
                        if target.is_none() && !Schema::is_required(other) {
                            continue;
                        }
                        declarations.push(format!("${other_name}: {}", spelling(&other["type"])));
                        passed.push(format!("{other_name}: ${other_name}"));
                        variables.insert(
                            other_name.to_owned(),
                            schema.value(probe, other_name, &other["type"], target),
                        );
                    }
                    let query = format!(
                        "{keyword}({}) {{ {name}({}){selection} }}",
                        declarations.join(", "),
                        passed.join(", ")
                    );
                    let answer = app.gql(Some(token), &query, Value::Object(variables)).await;
                    if let Some(why) = probe.wrong(name, &position, &answer) {
                        let shown: String = answer.body.to_string().chars().take(300).collect();
                        wrong.push((
                            format!("{name}.{}", position.join(".")),
                            format!("{why}: {shown}"),
                        ));
                    }
                }
            }
        }
    }
    wrong
}
