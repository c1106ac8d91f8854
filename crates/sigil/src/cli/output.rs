//! What `sigil api` prints: the answer as JSON (pretty on a terminal), or through a
//! Go text/template (gtmpl, with a `json` function added), to stdout or `--output-file`.

use super::CliError;
use serde_json::Value;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

/// `--output`: `json`, `go-template=TEMPLATE` or `go-template-file=PATH`, the template parsed
/// before any request is sent so that a typo never costs a (maybe mutating) call.
pub enum Format {
    Json,
    Template(gtmpl::Template),
}

impl Format {
    pub fn parse(spec: &str) -> Result<Format, CliError> {
        if spec == "json" {
            return Ok(Format::Json);
        }
        let text = if let Some(t) = spec.strip_prefix("go-template=") {
            t.to_owned()
        } else if let Some(path) = spec.strip_prefix("go-template-file=") {
            std::fs::read_to_string(path).map_err(|e| {
                CliError::Usage(format!(
                    "--output go-template-file: cannot read {path}: {e}"
                ))
            })?
        } else {
            return Err(CliError::Usage(format!(
                "--output {spec:?} is not a format: use json, go-template=TEMPLATE or go-template-file=PATH"
            )));
        };
        let mut template = gtmpl::Template::default();
        template.add_func("json", json_func);
        template.parse(text).map_err(|e| {
            CliError::Usage(format!("--output: the Go template does not parse: {e}"))
        })?;
        Ok(Format::Template(template))
    }
}

/// Where the output goes.
pub struct Sink {
    pub file: Option<PathBuf>,
}

impl Sink {
    fn terminal(&self) -> bool {
        self.file.is_none() && std::io::stdout().is_terminal()
    }

    /// Writes a 2xx answer's body in `format`. Nothing is written for an empty body (a 204).
    pub fn write(&self, format: &Format, content_type: &str, body: &[u8]) -> Result<(), CliError> {
        if body.is_empty() {
            return Ok(());
        }
        let json = is_json(content_type) || serde_json::from_slice::<Value>(body).is_ok();
        let out: Vec<u8> = match format {
            Format::Json if !json && self.terminal() && is_binary(content_type, body) => {
                return Err(CliError::Usage(format!(
                    "the answer is binary ({content_type}): write it to a file with --output-file PATH, or redirect stdout"
                )))
            }
            Format::Json if json && self.terminal() => {
                let value: Value = serde_json::from_slice(body).map_err(|e| {
                    CliError::Failure(format!("the answer claims to be JSON but is not: {e}"))
                })?;
                let mut text = serde_json::to_vec_pretty(&value).unwrap_or_else(|_| body.to_vec());
                text.push(b'\n');
                text
            }
            // Written to a file: the bytes as the server sent them.
            Format::Json if self.file.is_some() => body.to_vec(),
            // Piped: the same, ending its line so line-oriented tools see the last one.
            Format::Json => {
                let mut text = body.to_vec();
                if !text.ends_with(b"\n") {
                    text.push(b'\n');
                }
                text
            }
            Format::Template(template) => {
                let value: Value = serde_json::from_slice(body).map_err(|e| {
                    CliError::Usage(format!(
                        "--output go-template needs a JSON answer, and this one is not ({e}); use --output json"
                    ))
                })?;
                let context = gtmpl::Context::from(to_gtmpl(&value));
                template
                    .render(&context)
                    .map_err(|e| {
                        CliError::Usage(format!(
                            "--output: the Go template failed on the answer (the call itself succeeded): {e}"
                        ))
                    })?
                    .into_bytes()
            }
        };
        self.emit(&out)
    }

    fn emit(&self, bytes: &[u8]) -> Result<(), CliError> {
        match &self.file {
            Some(path) => std::fs::write(path, bytes).map_err(|e| {
                CliError::Failure(format!(
                    "--output-file: cannot write {}: {e}",
                    path.display()
                ))
            }),
            None => {
                let mut stdout = std::io::stdout().lock();
                let mut result = stdout.write_all(bytes);
                // A shell prompt should not start on the last line of the answer.
                if result.is_ok() && !bytes.ends_with(b"\n") && stdout.is_terminal() {
                    result = stdout.write_all(b"\n");
                }
                result
                    .and_then(|()| stdout.flush())
                    .or_else(ignore_broken_pipe)
            }
        }
    }
}

/// `sigil api … | head` closing the pipe early is not an error.
fn ignore_broken_pipe(e: std::io::Error) -> Result<(), CliError> {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        Ok(())
    } else {
        Err(CliError::Failure(format!("cannot write the output: {e}")))
    }
}

/// An API error's body on stderr, as JSON (pretty on a terminal), and a hint when there is one.
pub fn write_error(body: &[u8], hint: Option<&str>) {
    let mut stderr = std::io::stderr().lock();
    let pretty = stderr.is_terminal();
    let text = match serde_json::from_slice::<Value>(body) {
        Ok(v) if pretty => serde_json::to_string_pretty(&v).unwrap_or_default(),
        _ => String::from_utf8_lossy(body).trim_end().to_owned(),
    };
    let _ = writeln!(stderr, "{text}");
    if let Some(hint) = hint {
        let _ = writeln!(stderr, "sigil: {hint}");
    }
}

fn is_json(content_type: &str) -> bool {
    let media = content_type.split(';').next().unwrap_or("").trim();
    media == "application/json" || media.ends_with("+json")
}

/// Text and JSON print; anything else that is not UTF-8 would garble a terminal.
fn is_binary(content_type: &str, body: &[u8]) -> bool {
    !content_type.starts_with("text/") && std::str::from_utf8(body).is_err()
}

/// The answer as the template engine's value.
fn to_gtmpl(v: &Value) -> gtmpl::Value {
    match v {
        Value::Null => gtmpl::Value::Nil,
        Value::Bool(b) => gtmpl::Value::Bool(*b),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                gtmpl::Value::from(i)
            } else if let Some(u) = n.as_u64() {
                gtmpl::Value::from(u)
            } else {
                gtmpl::Value::from(n.as_f64().unwrap_or(0.0))
            }
        }
        Value::String(s) => gtmpl::Value::String(s.clone()),
        Value::Array(a) => gtmpl::Value::Array(a.iter().map(to_gtmpl).collect()),
        Value::Object(o) => {
            gtmpl::Value::Map(o.iter().map(|(k, v)| (k.clone(), to_gtmpl(v))).collect())
        }
    }
}

/// And back, for `json`; map keys are sorted, as Go's encoding/json sorts them.
fn from_gtmpl(v: &gtmpl::Value) -> Value {
    match v {
        gtmpl::Value::NoValue | gtmpl::Value::Nil | gtmpl::Value::Function(_) => Value::Null,
        gtmpl::Value::Bool(b) => Value::Bool(*b),
        gtmpl::Value::String(s) => Value::String(s.clone()),
        gtmpl::Value::Number(n) => n
            .as_i64()
            .map(Value::from)
            .or_else(|| n.as_u64().map(Value::from))
            .or_else(|| n.as_f64().map(Value::from))
            .unwrap_or(Value::Null),
        gtmpl::Value::Array(a) => Value::Array(a.iter().map(from_gtmpl).collect()),
        gtmpl::Value::Map(m) | gtmpl::Value::Object(m) => {
            let sorted: std::collections::BTreeMap<_, _> = m.iter().collect();
            Value::Object(
                sorted
                    .into_iter()
                    .map(|(k, v)| (k.clone(), from_gtmpl(v)))
                    .collect(),
            )
        }
    }
}

/// `{{json .}}`: the value as compact JSON (gtmpl has no such builtin; the spec lists it).
fn json_func(args: &[gtmpl::Value]) -> Result<gtmpl::Value, gtmpl::FuncError> {
    match args {
        [one] => Ok(gtmpl::Value::String(from_gtmpl(one).to_string())),
        _ => Err(gtmpl::FuncError::ExactlyXArgs("json".into(), 1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn render(template: &str, data: Value) -> Result<String, CliError> {
        let Format::Template(t) = Format::parse(&format!("go-template={template}"))? else {
            panic!("not a template")
        };
        t.render(&gtmpl::Context::from(to_gtmpl(&data)))
            .map_err(|e| CliError::Usage(e.to_string()))
    }

    #[test]
    fn go_templates_do_what_the_spec_lists() {
        let data = json!({
            "clientId": "mdb_sa_id_1",
            "secrets": [{"id": "a1", "secret": "s1"}, {"id": "b2"}],
            "totalCount": 2,
            "roles": {"b": 2, "a": [1, "x"]},
        });
        assert_eq!(
            render("{{.clientId}}", data.clone()).unwrap(),
            "mdb_sa_id_1"
        );
        assert_eq!(
            render("{{range .secrets}}{{.id}};{{end}}", data.clone()).unwrap(),
            "a1;b2;"
        );
        assert_eq!(
            render("{{(index .secrets 0).secret}}", data.clone()).unwrap(),
            "s1"
        );
        assert_eq!(render("{{len .secrets}}", data.clone()).unwrap(), "2");
        assert_eq!(
            render(
                "{{if eq .totalCount 2}}two{{else}}other{{end}}",
                data.clone()
            )
            .unwrap(),
            "two"
        );
        assert_eq!(
            render(
                r#"{{printf "%s has %d" .clientId .totalCount}}"#,
                data.clone()
            )
            .unwrap(),
            "mdb_sa_id_1 has 2"
        );
        assert_eq!(
            render("{{json .roles}}", data.clone()).unwrap(),
            r#"{"a":[1,"x"],"b":2}"#
        );
        assert_eq!(
            render("{{range $i, $s := .secrets}}{{$i}}={{$s.id}} {{end}}", data).unwrap(),
            "0=a1 1=b2 "
        );
    }

    #[test]
    fn a_bad_template_or_format_is_a_usage_error() {
        for bad in [
            "go-template={{.a",
            "go-template={{nosuchfunc .}}",
            "yaml",
            "go-template-file=/nonexistent/t",
        ] {
            match Format::parse(bad) {
                Err(CliError::Usage(m)) => assert!(m.contains("--output"), "{m}"),
                _ => panic!("{bad} was accepted"),
            }
        }
    }

    #[test]
    fn binary_is_told_from_text() {
        assert!(is_binary("application/gzip", &[0x1f, 0x8b, 0xff, 0x00]));
        assert!(!is_binary("application/json", b"{}"));
        assert!(!is_binary("text/plain", &[0xff]));
        assert!(is_json(
            "application/vnd.atlas.2024-11-13+json;charset=utf-8"
        ));
    }
}
