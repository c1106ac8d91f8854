//! `sigil config init|set|list|describe`: writing and showing profiles; secrets are
//! prompted without echo, stored 0600, and never printed back.

use super::api::{profile_arg, selected_profile};
use super::output::Format;
use super::profile::{self, Config, Profile, CREDENTIAL_KINDS, KEYS};
use super::CliError;
use clap::{Arg, ArgMatches, Command};
use sigil_server::mongodb::versions::VERSIONS;
use std::io::{BufRead, IsTerminal, Write};

/// The flags of `sigil config init`, one per key of [`KEYS`], in its order.
const INIT_FLAGS: [&str; 9] = [
    "base-url",
    "api-version",
    "output",
    "public-api-key",
    "private-api-key",
    "client-id",
    "client-secret",
    "username",
    "password",
];

/// What `sigil config init` proposes for the server.
const DEFAULT_BASE_URL: &str = "http://127.0.0.1:8420";

pub fn command() -> Command {
    let mut init = Command::new("init").about(
        "Create or replace a profile: asks on stdin, or takes the values as flags (then asks nothing)",
    );
    for ((key, _, secret), flag) in KEYS.into_iter().zip(INIT_FLAGS) {
        init = init.arg(
            Arg::new(key)
                .long(flag)
                .value_name(if secret { "SECRET" } else { "VALUE" })
                .help(format!("the profile's {key}")),
        );
    }
    Command::new("config")
        .about("Profiles: where the server is and which credential to send")
        .long_about(
            "Profiles: where the server is and which credential to send.\n\n\
             They live in $SIGIL_CONFIG_FILE, else $XDG_CONFIG_HOME/sigil/config.toml \
             (~/.config/sigil/config.toml), mode 0600. SIGIL_BASE_URL, SIGIL_PUBLIC_API_KEY, \
             SIGIL_PRIVATE_API_KEY, SIGIL_CLIENT_ID, SIGIL_CLIENT_SECRET, SIGIL_USERNAME, \
             SIGIL_PASSWORD and SIGIL_PROFILE override the file.",
        )
        .subcommand_required(true)
        .arg_required_else_help(true)
        .arg(profile_arg())
        .subcommand(init)
        .subcommand(
            Command::new("set")
                .about("Set one value of a profile (created if missing); VALUE - reads it from stdin, \"\" removes it")
                .arg(
                    Arg::new("key")
                        .required(true)
                        .value_name("KEY")
                        .value_parser(KEYS.map(|(k, _, _)| k))
                        .help("what to set"),
                )
                .arg(Arg::new("value").required(true).value_name("VALUE").allow_hyphen_values(true)),
        )
        .subcommand(Command::new("list").about("List the profiles' names"))
        .subcommand(
            Command::new("describe")
                .about("Show a profile's values (secrets masked) and which come from the environment")
                .arg(Arg::new("name").value_name("NAME").help("the profile [default: -P, $SIGIL_PROFILE, else \"default\"]")),
        )
}

pub fn run(matches: &ArgMatches) -> Result<(), CliError> {
    match matches.subcommand() {
        Some(("init", m)) => init(m),
        Some(("set", m)) => set(m),
        Some(("list", _)) => {
            let config = Config::load()?;
            let mut out = std::io::stdout().lock();
            for name in config.profiles.keys() {
                let _ = writeln!(out, "{name}");
            }
            Ok(())
        }
        Some(("describe", m)) => describe(m),
        _ => Err(CliError::Usage(
            "sigil config --help lists the subcommands".into(),
        )),
    }
}

fn init(m: &ArgMatches) -> Result<(), CliError> {
    let (name, _) = selected_profile(m);
    let mut config = Config::load()?;
    let mut profile = Profile::default();
    let given: Vec<(&str, String)> = KEYS
        .iter()
        .filter_map(|(k, _, _)| m.get_one::<String>(k).map(|v| (*k, v.clone())))
        .collect();
    if given.is_empty() {
        ask(&name, &config, &mut profile)?;
    } else {
        let kinds = CREDENTIAL_KINDS
            .iter()
            .filter(|kind| kind.iter().any(|k| given.iter().any(|(g, _)| g == k)))
            .count();
        if kinds > 1 {
            return Err(CliError::Usage(
                "a profile holds one credential: give --public-api-key and --private-api-key, or --client-id and --client-secret, or --username and --password".into(),
            ));
        }
        for (key, value) in given {
            profile.set(key, Some(check(key, value)?));
        }
        if profile.base_url.is_none() {
            profile.base_url = Some(DEFAULT_BASE_URL.into());
        }
    }
    let check_pair = profile::Resolved {
        name: name.clone(),
        profile: profile.clone(),
        from_env: Default::default(),
    };
    check_pair.credential()?;
    config.profiles.insert(name.clone(), profile);
    config.save()?;
    eprintln!(
        "sigil: profile {name:?} saved in {}. Try: sigil api organizations listOrganizations{}",
        config.path.display(),
        if name == profile::DEFAULT_PROFILE {
            String::new()
        } else {
            format!(" -P {name}")
        }
    );
    Ok(())
}

/// The questions of `sigil config init`, on stderr; secrets are read without echo when
/// stdin is a terminal.
fn ask(name: &str, config: &Config, profile: &mut Profile) -> Result<(), CliError> {
    eprintln!("Setting up profile {name:?} in {}", config.path.display());
    let base_url = prompt(
        &format!("Base URL of the Sigil server [{DEFAULT_BASE_URL}]: "),
        false,
    )?;
    let base_url = if base_url.is_empty() {
        DEFAULT_BASE_URL.to_owned()
    } else {
        base_url
    };
    profile.base_url = Some(check("base_url", base_url)?);
    let kind = prompt(
        "Credential: 1) programmatic API key (Digest)  2) service account (OAuth client credentials)  3) user name and password [1]: ",
        false,
    )?;
    let keys = match kind.as_str() {
        "" | "1" => CREDENTIAL_KINDS[0],
        "2" => CREDENTIAL_KINDS[1],
        "3" => CREDENTIAL_KINDS[2],
        other => return Err(CliError::Usage(format!("{other:?} is not one of 1, 2, 3"))),
    };
    for (key, secret) in [(keys[0], false), (keys[1], true)] {
        let value = prompt(&format!("{}: ", key.replace('_', " ")), secret)?;
        if value.is_empty() {
            return Err(CliError::Usage(format!("{key} cannot be empty")));
        }
        profile.set(key, Some(value));
    }
    let version = prompt(
        &format!("API version ({}) [the newest]: ", VERSIONS.join(", ")),
        false,
    )?;
    if !version.is_empty() {
        profile.api_version = Some(check("api_version", version)?);
    }
    Ok(())
}

fn prompt(question: &str, secret: bool) -> Result<String, CliError> {
    let stdin = std::io::stdin();
    if secret && stdin.is_terminal() {
        return rpassword::prompt_password(question)
            .map(|s| s.trim().to_owned())
            .map_err(|e| CliError::Usage(format!("cannot read the answer: {e}")));
    }
    eprint!("{question}");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    let read = stdin
        .lock()
        .read_line(&mut line)
        .map_err(|e| CliError::Usage(format!("cannot read the answer: {e}")))?;
    if read == 0 {
        return Err(CliError::Usage(
            "no answer on stdin: answer the questions, or give the values as flags (sigil config init --help)".into(),
        ));
    }
    Ok(line.trim().to_owned())
}

/// A value is checked before it is stored, so a typo is reported where it is made.
fn check(key: &str, value: String) -> Result<String, CliError> {
    match key {
        "base_url" => {
            let url = url::Url::parse(&value).map_err(|e| {
                CliError::Usage(format!(
                    "base_url {value:?} is not a URL ({e}); e.g. {DEFAULT_BASE_URL}"
                ))
            })?;
            if !matches!(url.scheme(), "http" | "https") {
                return Err(CliError::Usage(format!(
                    "base_url {value:?} must start with http:// or https://"
                )));
            }
            Ok(value)
        }
        "api_version" if !VERSIONS.contains(&value.as_str()) => Err(CliError::Usage(format!(
            "api_version {value:?} is not one of {}",
            VERSIONS.join(", ")
        ))),
        "output" => Format::parse(&value).map(|_| value),
        _ => Ok(value),
    }
}

fn set(m: &ArgMatches) -> Result<(), CliError> {
    let (name, _) = selected_profile(m);
    let key = m.get_one::<String>("key").cloned().unwrap_or_default();
    let mut value = m.get_one::<String>("value").cloned().unwrap_or_default();
    if value == "-" {
        value = prompt("", false)?;
    }
    let mut config = Config::load()?;
    let profile = config.profiles.entry(name.clone()).or_default();
    if value.is_empty() {
        profile.set(&key, None);
        config.save()?;
        eprintln!("sigil: {key} removed from profile {name:?}");
        return Ok(());
    }
    let value = check(&key, value)?;
    // One credential per profile: setting a key of another kind drops the old kind.
    if let Some(kind) = CREDENTIAL_KINDS.iter().find(|k| k.contains(&key.as_str())) {
        for other in CREDENTIAL_KINDS.iter().filter(|k| *k != kind) {
            for old in other {
                if profile.get(old).is_some() {
                    profile.set(old, None);
                    eprintln!("sigil: {old} removed from profile {name:?} (a profile holds one credential)");
                }
            }
        }
    }
    profile.set(&key, Some(value));
    config.save()?;
    eprintln!("sigil: {key} set in profile {name:?}");
    Ok(())
}

fn describe(m: &ArgMatches) -> Result<(), CliError> {
    let (selected, explicit) = selected_profile(m);
    let (name, explicit) = match m.get_one::<String>("name") {
        Some(n) => (n.clone(), true),
        None => (selected, explicit),
    };
    let config = Config::load()?;
    let resolved = profile::resolve(&config, &name, explicit)?;
    let rows: Vec<(&str, String, &str)> = KEYS
        .iter()
        .filter_map(|(key, _, secret)| {
            let value = resolved.profile.get(key)?;
            let shown = if *secret {
                "[REDACTED]".to_owned()
            } else {
                value.to_owned()
            };
            let source = resolved.from_env.get(key).copied().unwrap_or("file");
            Some((*key, shown, source))
        })
        .collect();
    let key_w = rows.iter().map(|r| r.0.len()).max().unwrap_or(0).max(7) + 2;
    let val_w = rows.iter().map(|r| r.1.len()).max().unwrap_or(0).max(5) + 2;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{:key_w$}{:val_w$}SOURCE", "SETTING", "VALUE");
    for (key, value, source) in rows {
        let _ = writeln!(out, "{key:key_w$}{value:val_w$}{source}");
    }
    Ok(())
}
