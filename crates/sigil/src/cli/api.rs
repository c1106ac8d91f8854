//! `sigil api <tag> <operationId>`: one clap command per operation of the
//! built-in OpenAPI document, built at run time, and the call it makes.

use super::auth::{cache_path, Prepared, Session};
use super::help::{operation_page, param_row, Row};
use super::output::{Format, Sink};
use super::profile::{self, Config, Credential};
use super::request::{build_url, headers, read_body};
use super::spec::{spec, Kind, Operation};
use super::CliError;
use clap::builder::PossibleValuesParser;
use clap::parser::ValueSource;
use clap::{Arg, ArgMatches, Command};
use sigil_server::mongodb::versions::VERSIONS;
use std::path::PathBuf;

/// The newest API version: what `--version` defaults to.
fn newest_version() -> &'static str {
    VERSIONS.last().copied().unwrap_or("2023-01-01")
}

pub fn profile_arg() -> Arg {
    Arg::new("profile")
        .short('P')
        .long("profile")
        .value_name("NAME")
        .env("SIGIL_PROFILE")
        .global(true)
        .help("the profile of the config file to use [default: \"default\"]")
}

pub fn command() -> Command {
    let mut api = Command::new("api")
        .about("Call any operation of Sigil's API: sigil api <tag> <operationId> [options]")
        .long_about(
            "Call any operation of Sigil's API: sigil api <tag> <operationId> [options].\n\n\
             The commands are built from the OpenAPI document inside this binary, the one \
             `sigil server` serves at /openapi.json. `sigil api <tag> --help` lists a tag's \
             operations; `sigil api <tag> <operationId> --help` shows an operation's flags.",
        )
        .subcommand_value_name("TAG")
        .subcommand_help_heading("Tags")
        .disable_help_subcommand(true)
        .subcommand_required(true)
        .arg_required_else_help(true)
        .arg(profile_arg());
    for tag in &spec().tags {
        let mut cmd = Command::new(tag.name.as_str())
            .about(tag.description.as_str())
            .subcommand_value_name("OPERATION_ID")
            .subcommand_help_heading("Operations")
            .disable_help_subcommand(true)
            .subcommand_required(true)
            .arg_required_else_help(true);
        for op in &tag.operations {
            cmd = cmd.subcommand(operation_command(&tag.name, op));
        }
        api = api.subcommand(cmd);
    }
    api
}

fn operation_command(tag: &str, op: &'static Operation) -> Command {
    let mut cmd = Command::new(op.id.as_str())
        .about(first_sentence(&op.summary))
        .visible_aliases(op.aliases.iter().map(String::as_str));
    let mut rows = vec![Row {
        name: "-h, --help".into(),
        kind: String::new(),
        required: false,
        description: format!("help for {}", op.id),
    }];
    for p in &op.params {
        let mut arg = Arg::new(p.name.as_str())
            .long(p.name.as_str())
            .required(p.required)
            .help(p.description.as_str());
        arg = match p.kind {
            Kind::Boolean => arg
                .num_args(0..=1)
                .default_missing_value("true")
                .value_name("true|false")
                .value_parser(clap::value_parser!(bool)),
            Kind::Integer => arg.value_name("int").value_parser(clap::value_parser!(i64)),
            Kind::Number => arg
                .value_name("float")
                .value_parser(clap::value_parser!(f64)),
            Kind::String => arg.value_name("string"),
        };
        cmd = cmd.arg(arg);
        rows.push(param_row(
            &p.name,
            p.kind,
            p.required,
            &p.description,
            p.default.as_deref(),
        ));
    }
    if let Some(body) = &op.body {
        cmd = cmd.arg(
            Arg::new("file")
                .long("file")
                .value_name("PATH")
                .required(body.required)
                .help("the request body: a JSON file, or - for stdin"),
        );
        rows.push(Row {
            name: "--file".into(),
            kind: "string".into(),
            required: body.required,
            description:
                "path to the request body, a JSON file (- for stdin); its fields are listed below"
                    .into(),
        });
    }
    cmd = cmd
        .arg(
            Arg::new("output")
                .short('o')
                .long("output")
                .value_name("FORMAT"),
        )
        .arg(
            Arg::new("output-file")
                .long("output-file")
                .alias("outputFile")
                .value_name("PATH")
                .value_parser(clap::value_parser!(PathBuf)),
        );
    rows.push(Row {
        name: "-o, --output".into(),
        kind: "string".into(),
        required: false,
        description: "preferred output format: json, go-template=TEMPLATE or go-template-file=PATH (Go text/template over the answer). This value defaults to the profile's output, else \"json\".".into(),
    });
    rows.push(Row {
        name: "--output-file".into(),
        kind: "string".into(),
        required: false,
        description: "file to write the api output to (also --outputFile). This flag is required when the output of an endpoint is binary (ex: gzip) and the command is not piped (ex: sigil api … > out.zip)".into(),
    });
    if op.versioned() {
        cmd = cmd.arg(
            Arg::new("version")
                .long("version")
                .value_name("DATE")
                .value_parser(PossibleValuesParser::new(VERSIONS)),
        );
        let options: Vec<String> = VERSIONS.iter().map(|v| format!("{v:?}")).collect();
        rows.push(Row {
            name: "--version".into(),
            kind: "string".into(),
            required: false,
            description: format!(
                "api version to use when calling the api call [options: {}], defaults to the latest version or the profile's api_version config value if set. This value defaults to {:?}.",
                options.join(", "),
                newest_version()
            ),
        });
    }
    cmd.override_help(operation_page(spec(), tag, op, rows))
}

fn first_sentence(text: &str) -> String {
    let para = text.split("\n\n").next().unwrap_or("");
    match para.find(". ") {
        Some(i) => para[..=i].to_owned(),
        None => para.to_owned(),
    }
}

/// Runs `sigil api …` from its matches.
pub async fn run(matches: &ArgMatches) -> Result<(), CliError> {
    let Some((tag_name, tag_matches)) = matches.subcommand() else {
        return Err(CliError::Usage(
            "name a tag: sigil api --help lists them".into(),
        ));
    };
    let Some((op_id, m)) = tag_matches.subcommand() else {
        return Err(CliError::Usage(format!(
            "name an operation: sigil api {tag_name} --help lists them"
        )));
    };
    let op = spec()
        .tag(tag_name)
        .and_then(|t| t.operations.iter().find(|o| o.id == op_id))
        .ok_or_else(|| CliError::Usage(format!("no operation {op_id} in {tag_name}")))?;

    // Everything the command line and the profile say is checked before anything is sent.
    let config = Config::load()?;
    let (name, explicit) = selected_profile(m);
    let resolved = profile::resolve(&config, &name, explicit)?;
    let output = m
        .get_one::<String>("output")
        .cloned()
        .or_else(|| resolved.profile.output.clone())
        .unwrap_or_else(|| "json".into());
    let format = Format::parse(&output)?;
    let version = match optional(m, "version") {
        Some(v) => v.clone(),
        None => match &resolved.profile.api_version {
            Some(v) if VERSIONS.contains(&v.as_str()) => v.clone(),
            Some(v) => {
                return Err(CliError::Usage(format!(
                    "profile {name:?} has api_version {v:?}, which is not one of {}; fix it with `sigil config set api_version DATE -P {name}`",
                    VERSIONS.join(", ")
                )))
            }
            None => newest_version().to_owned(),
        },
    };
    let base_url = resolved
        .profile
        .base_url
        .clone()
        .map(|u| u.trim_end_matches('/').to_owned())
        .ok_or_else(|| {
            CliError::Usage(format!(
                "profile {name:?} has no base_url: set it with `sigil config set base_url URL -P {name}`, `sigil config init`, or SIGIL_BASE_URL"
            ))
        })?;
    let url = build_url(&base_url, op, m)?;
    let body = match optional(m, "file") {
        Some(path) => Some(read_body(&path, op)?),
        None => None,
    };
    let accept = if op.versioned() {
        format!("application/vnd.atlas.{version}+json")
    } else {
        "application/json".to_owned()
    };
    let credential = resolved.credential()?;
    let cache_key = match &credential {
        Credential::ServiceAccount { client_id, .. } => format!("{name}:{client_id}"),
        _ => String::new(),
    };
    let anonymous = matches!(credential, Credential::None);
    let session = Session {
        client: client()?,
        base_url,
        credential,
        cache_key,
        cache_path: cache_path(&config.path),
        token_path: spec()
            .find("createToken")
            .map(|(_, o)| o.path.clone())
            .unwrap_or_else(|| "/api/oauth/token".into()),
    };
    let sink = Sink {
        file: m.get_one::<PathBuf>("output-file").cloned(),
    };
    let prepared = Prepared {
        method: op.method.clone(),
        headers: headers(op, m),
        url,
        accept,
        body,
    };

    let answer = session.send(&prepared).await?;
    let status = answer.status();
    let content_type = answer
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let bytes = answer
        .bytes()
        .await
        .map_err(|e| CliError::Failure(format!("the answer was cut short: {e}")))?;
    if status.is_success() {
        return sink.write(&format, &content_type, &bytes);
    }
    let hint = (status == reqwest::StatusCode::UNAUTHORIZED && anonymous).then(|| {
        format!(
            "profile {name:?} has no credentials: run `sigil config init -P {name}`, or set SIGIL_PUBLIC_API_KEY and SIGIL_PRIVATE_API_KEY"
        )
    });
    Err(CliError::Api {
        status,
        body: bytes.to_vec(),
        hint,
    })
}

/// A flag only some operations have (`--version`, `--file`).
fn optional(m: &ArgMatches, id: &str) -> Option<String> {
    m.try_get_one::<String>(id).ok().flatten().cloned()
}

/// The profile `-P` or `SIGIL_PROFILE` names (explicitly: it must exist), else `default`.
pub fn selected_profile(m: &ArgMatches) -> (String, bool) {
    let explicit = matches!(
        m.value_source("profile"),
        Some(ValueSource::CommandLine | ValueSource::EnvVariable)
    );
    let name = m
        .get_one::<String>("profile")
        .filter(|n| !n.is_empty())
        .cloned()
        .unwrap_or_else(|| profile::DEFAULT_PROFILE.to_owned());
    (name, explicit)
}

fn client() -> Result<reqwest::Client, CliError> {
    reqwest::Client::builder()
        .user_agent(concat!("sigil-cli/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(std::time::Duration::from_secs(10))
        .timeout(std::time::Duration::from_secs(120))
        .build()
        .map_err(|e| CliError::Failure(format!("cannot start the HTTP client: {e}")))
}

/// For an unknown operation or tag, where the name actually is: `sigil api serviceAccounts
/// revokeJwksFromIdentityProvider` → `sigil api federatedAuthentication …`.
pub fn misplaced(args: &[String]) -> Option<String> {
    let rest: Vec<&str> = args
        .iter()
        .skip_while(|a| *a != "api")
        .skip(1)
        .map(String::as_str)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let (first, second) = (rest.first()?, rest.get(1));
    if spec().tag(first).is_none() {
        let (tag, op) = spec().find(first)?;
        return Some(format!(
            "{first} is an operation of {0}: sigil api {0} {1}",
            tag.name, op.id
        ));
    }
    let name = second?;
    let (tag, op) = spec().find(name)?;
    (tag.name != *first).then(|| {
        format!(
            "{name} is in {0}, not {first}: sigil api {0} {1}",
            tag.name, op.id
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The flags every operation has; a parameter of the document may not take these names.
    const RESERVED: [&str; 7] = [
        "file",
        "output",
        "output-file",
        "outputFile",
        "version",
        "profile",
        "help",
    ];

    #[test]
    fn the_command_tree_is_valid_and_no_parameter_shadows_a_flag() {
        command().debug_assert();
        for tag in &spec().tags {
            for op in &tag.operations {
                for p in &op.params {
                    assert!(
                        !RESERVED.contains(&p.name.as_str()),
                        "{} of {}",
                        p.name,
                        op.id
                    );
                }
            }
        }
    }

    fn parse(args: &[&str]) -> Result<ArgMatches, clap::Error> {
        Command::new("sigil")
            .subcommand(command())
            .try_get_matches_from(args)
    }

    #[test]
    fn parameters_become_a_url_with_encoded_segments_and_a_query() {
        let m = parse(&[
            "sigil",
            "api",
            "federatedAuthentication",
            "revokeIdentityProviderJwks",
            "--federationSettingsId",
            "a b/c",
            "--identityProviderId",
            "0123",
            "--envelope",
        ])
        .unwrap();
        let (_, api) = m.subcommand().unwrap();
        let (_, tag) = api.subcommand().unwrap();
        let (id, op_m) = tag.subcommand().unwrap();
        assert_eq!(
            id, "revokeJwksFromIdentityProvider",
            "an alias resolves to the operation"
        );
        let (_, op) = spec().find(id).unwrap();
        let url = build_url("http://h:1/prefix/", op, op_m).unwrap();
        assert_eq!(
            url.as_str(),
            "http://h:1/prefix/api/atlas/v2/federationSettings/a%20b%2Fc/identityProviders/0123/jwks?envelope=true"
        );
    }

    #[test]
    fn a_missing_required_flag_and_a_bad_value_are_refused_by_name() {
        let e = parse(&[
            "sigil",
            "api",
            "federatedAuthentication",
            "revokeJwksFromIdentityProvider",
            "--identityProviderId",
            "x",
        ])
        .unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("--federationSettingsId"), "{e}");
        let e = parse(&[
            "sigil",
            "api",
            "organizations",
            "listOrganizations",
            "--pageNum",
            "one",
        ])
        .unwrap_err();
        assert!(e.to_string().contains("--pageNum"), "{e}");
        let e = parse(&[
            "sigil",
            "api",
            "organizations",
            "listOrganizations",
            "--version",
            "2020-01-01",
        ])
        .unwrap_err();
        assert!(e.to_string().contains("2024-11-13"), "{e}");
    }

    #[test]
    fn the_output_file_flag_has_both_spellings() {
        for flag in ["--output-file", "--outputFile"] {
            let m = parse(&[
                "sigil",
                "api",
                "organizations",
                "listOrganizations",
                flag,
                "/tmp/x",
            ])
            .unwrap();
            let leaf = m
                .subcommand()
                .unwrap()
                .1
                .subcommand()
                .unwrap()
                .1
                .subcommand()
                .unwrap()
                .1;
            assert_eq!(
                leaf.get_one::<PathBuf>("output-file").unwrap(),
                &PathBuf::from("/tmp/x")
            );
        }
    }

    #[test]
    fn a_misplaced_operation_is_pointed_at() {
        let args = |s: &str| s.split(' ').map(str::to_owned).collect::<Vec<_>>();
        assert!(misplaced(&args(
            "sigil api serviceAccounts revokeJwksFromIdentityProvider"
        ))
        .unwrap()
        .contains("sigil api federatedAuthentication revokeJwksFromIdentityProvider"));
        assert!(misplaced(&args("sigil api listOrganizations"))
            .unwrap()
            .contains("sigil api organizations listOrganizations"));
        assert_eq!(
            misplaced(&args("sigil api organizations nothingLikeThis")),
            None
        );
    }
}
