//! The help page of an operation, laid out like the Atlas CLI's: summary,
//! description, the operation id, then tables of flags (name, type, required, description)
//! and of the request body's fields.

use super::spec::{Kind, Operation, Spec};
use std::fmt::Write;

/// Descriptions are wrapped so a row fits in this many columns.
const WIDTH: usize = 100;

/// One row of a flag table.
pub struct Row {
    pub name: String,
    pub kind: String,
    pub required: bool,
    pub description: String,
}

pub fn operation_page(spec: &Spec, tag: &str, op: &Operation, rows: Vec<Row>) -> String {
    let mut page = String::new();
    for text in [&op.summary, &op.description] {
        if !text.is_empty() {
            let _ = writeln!(page, "{}\n", wrap(text, WIDTH, 0));
        }
    }
    let _ = writeln!(
        page,
        "This command is invoking the endpoint with OperationID: '{}' ({} {}).",
        op.id, op.method, op.path
    );
    if !op.aliases.is_empty() {
        let _ = writeln!(page, "Aliases: {}", op.aliases.join(", "));
    }
    let _ = writeln!(page, "\nUsage:\n  sigil api {tag} {} [options]\n", op.id);
    let _ = writeln!(page, "Options:\n{}", table(rows));
    let inherited = vec![Row {
        name: "-P, --profile".into(),
        kind: "string".into(),
        required: false,
        description:
            "the profile of the config file to use; defaults to $SIGIL_PROFILE, else \"default\""
                .into(),
    }];
    let _ = write!(page, "Inherited Options:\n{}", table(inherited));
    if let Some(body) = &op.body {
        let fields = body
            .schema
            .as_deref()
            .map(|s| spec.fields(s))
            .unwrap_or_default();
        if !fields.is_empty() {
            let how = match body.format {
                super::spec::BodyFormat::Json => "a JSON object",
                super::spec::BodyFormat::Form => {
                    "a JSON object, sent as the form's fields (application/x-www-form-urlencoded)"
                }
            };
            let _ = write!(
                page,
                "\nRequest body (--file: {how}{}):\n{}",
                body.schema
                    .as_deref()
                    .map(|s| format!(", schema {s}"))
                    .unwrap_or_default(),
                table(
                    fields
                        .into_iter()
                        .map(|f| Row {
                            name: f.name,
                            kind: f.kind,
                            required: f.required,
                            description: f.description,
                        })
                        .collect()
                )
            );
        }
    }
    page
}

/// The row of a path or query parameter.
pub fn param_row(
    name: &str,
    kind: Kind,
    required: bool,
    description: &str,
    default: Option<&str>,
) -> Row {
    let mut description = description.to_owned();
    if let Some(d) = default {
        let sep = if description.is_empty() || description.ends_with('.') {
            ""
        } else {
            "."
        };
        let _ = write!(description, "{sep} This value defaults to {d:?}.");
        description = description.trim_start().to_owned();
    }
    Row {
        name: format!("--{name}"),
        kind: kind.label().into(),
        required,
        description,
    }
}

fn table(mut rows: Vec<Row>) -> String {
    // By long name, as the Atlas CLI's help tables sort: `-h, --help` sorts as `help`.
    rows.sort_by_key(|r| {
        r.name
            .rsplit("--")
            .next()
            .unwrap_or("")
            .to_ascii_lowercase()
    });
    let name_w = rows.iter().map(|r| r.name.len()).max().unwrap_or(4).max(4) + 2;
    let kind_w = rows.iter().map(|r| r.kind.len()).max().unwrap_or(4).max(4) + 2;
    let req_w = "Required".len() + 2;
    let indent = 2 + name_w + kind_w + req_w;
    let mut out = format!(
        "  {:name_w$}{:kind_w$}{:req_w$}Description\n",
        "Name", "Type", "Required"
    );
    for r in rows {
        let _ = writeln!(
            out,
            "  {:name_w$}{:kind_w$}{:req_w$}{}",
            r.name,
            r.kind,
            r.required,
            wrap(&r.description, WIDTH.saturating_sub(indent).max(30), indent)
        );
    }
    out
}

/// Word-wraps `text` to `width` columns, continuation lines indented by `indent`.
fn wrap(text: &str, width: usize, indent: usize) -> String {
    let mut out = String::new();
    for (p, para) in text.split('\n').enumerate() {
        if p > 0 {
            out.push('\n');
            out.push_str(&" ".repeat(indent));
        }
        let mut line = 0;
        for word in para.split_whitespace() {
            if line > 0 && line + 1 + word.len() > width {
                out.push('\n');
                out.push_str(&" ".repeat(indent));
                line = 0;
            } else if line > 0 {
                out.push(' ');
                line += 1;
            }
            out.push_str(word);
            line += word.len();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_sorted_by_name_and_wrapped_under_their_column() {
        let rows = vec![
            Row {
                name: "--version".into(),
                kind: "string".into(),
                required: false,
                description: "v".into(),
            },
            Row {
                name: "-h, --help".into(),
                kind: String::new(),
                required: false,
                description: "help".into(),
            },
            Row {
                name: "--envelope".into(),
                kind: String::new(),
                required: false,
                description: "word ".repeat(40),
            },
        ];
        let t = table(rows);
        let names: Vec<&str> = t
            .lines()
            .skip(1)
            .filter(|l| l.starts_with("  -"))
            .map(|l| l.split_whitespace().next().unwrap())
            .collect();
        assert_eq!(names, ["--envelope", "-h,", "--version"], "{t}");
        assert!(t.lines().all(|l| l.len() <= WIDTH), "{t}");
    }
}
