//! Load from `wrk`: a C load generator on its own event loops, far cheaper per request than
//! the server it drives (its CPU time per request is a reported column, so a row where it is
//! not is visible). Installed from the OS packages when missing.
//!
//! The bench prepares every request beforehand: a request whose headers never change is
//! wrk's static request (no Lua on the request path); headers that change (a key in turn, a
//! Digest `nc` counting up, a token never sent before) are read from files by a generated Lua
//! script when wrk starts and formatted once, so `request()` only hands back a prepared string.

use crate::load::ScenarioResult;
use crate::server::{children_cpu_seconds, Server};
use anyhow::{bail, Context};
use std::io::Write;
use std::process::Command;

/// One request's headers (`Content-Type` included when there is a body).
pub type HeaderSet = Vec<(String, String)>;

/// What each request carries.
pub enum Requests {
    /// Every request the same.
    Same(HeaderSet),
    /// The next header set for each request, round robin (each wrk thread from its own offset).
    Cycle(Vec<HeaderSet>),
    /// One list per wrk thread, each set sent once and in order (a Digest `nc` counting up, a
    /// token never sent before); a thread whose list is used up stops, and the row says so.
    Once(Vec<Vec<HeaderSet>>),
}

/// One wrk run.
pub struct Load {
    pub method: &'static str,
    pub path: String,
    pub body: Option<String>,
    pub requests: Requests,
    pub connections: u64,
    /// wrk threads (event loops); `Once` needs one per list.
    pub threads: u64,
}

/// Finds `wrk`, installing Debian's package when it is missing and this process may.
pub fn ensure_installed() -> anyhow::Result<()> {
    if Command::new("wrk").arg("--version").output().is_ok() {
        return Ok(());
    }
    eprintln!("wrk is not installed: installing it with apt-get");
    let install = || {
        Command::new("apt-get")
            .args(["install", "-y", "-qq", "wrk"])
            .status()
            .is_ok_and(|s| s.success())
    };
    if !install() {
        let _ = Command::new("apt-get").args(["update", "-qq"]).status();
        if !install() {
            bail!("wrk is missing and apt-get could not install it: install wrk (Debian/Ubuntu: apt-get install wrk) and run again");
        }
    }
    Ok(())
}

/// The generated script: reads the prepared header sets, formats them once per thread, and
/// prints one machine-readable summary line at the end.
fn script(load: &Load) -> String {
    let mut lua = String::from(SCRIPT_COMMON);
    lua.push_str(&format!("wrk.method = \"{}\"\n", load.method));
    if let Some(body) = &load.body {
        lua.push_str(&format!("wrk.body = [==[{body}]==]\n"));
    }
    lua.push_str(match load.requests {
        Requests::Same(_) => SCRIPT_STATIC,
        Requests::Cycle(_) | Requests::Once(_) => SCRIPT_DYNAMIC,
    });
    lua
}

const SCRIPT_COMMON: &str = r#"
local threads, next_id = {}, 0
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end
-- One header set per line, "Name: value" fields separated by tabs.
local function read_sets(path)
  local sets = {}
  for line in io.lines(path) do
    local headers = {}
    for field in string.gmatch(line, "[^\t]+") do
      local name, value = string.match(field, "^([^:]+): (.*)$")
      headers[name] = value
    end
    table.insert(sets, headers)
  end
  return sets
end
function done(summary, latency, requests)
  local exhausted = 0
  for _, t in ipairs(threads) do
    if t:get("exhausted") then exhausted = 1 end
  end
  local e = summary.errors
  io.write(string.format("sigil-bench: %.0f %.0f %.0f %.0f %.0f %.0f %.0f %.0f %.0f %d\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), exhausted))
end
"#;

/// No `request()`: wrk sends its one prepared request, the cheapest way it can.
const SCRIPT_STATIC: &str = r#"
function init(args)
  for name, value in pairs(read_sets(args[1] .. "/requests.txt")[1]) do
    wrk.headers[name] = value
  end
end
"#;

const SCRIPT_DYNAMIC: &str = r#"
local prepared, count, at, once = {}, 0, 0, false
function init(args)
  once = args[2] == "once"
  local file = args[1] .. "/requests.txt"
  if once then file = args[1] .. "/requests-" .. id .. ".txt" end
  for _, headers in ipairs(read_sets(file)) do
    count = count + 1
    prepared[count] = wrk.format(nil, nil, headers)
  end
  if not once then at = id % count end
end
function request()
  at = at + 1
  if at > count then
    if once then
      exhausted = true
      wrk.thread:stop()
      at = count
    else
      at = 1
    end
  end
  return prepared[at]
end
"#;

fn write_sets(path: &std::path::Path, sets: &[HeaderSet]) -> anyhow::Result<()> {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
    for set in sets {
        let line: Vec<String> = set.iter().map(|(n, v)| format!("{n}: {v}")).collect();
        if line.iter().any(|f| f.contains(['\t', '\n', '\r'])) {
            bail!("a header of the bench holds a tab or a line break");
        }
        writeln!(file, "{}", line.join("\t"))?;
    }
    file.flush()?;
    Ok(())
}

/// Runs `load` against `base` (the server `process` answers it, for its CPU time) for
/// `seconds`.
pub fn run(
    name: &'static str,
    load: &Load,
    base: &str,
    process: &dyn CpuClock,
    seconds: u64,
) -> anyhow::Result<ScenarioResult> {
    let dir = tempfile::tempdir()?;
    let mode = match &load.requests {
        Requests::Same(set) => {
            write_sets(&dir.path().join("requests.txt"), std::slice::from_ref(set))?;
            "same"
        }
        Requests::Cycle(sets) => {
            write_sets(&dir.path().join("requests.txt"), sets)?;
            "cycle"
        }
        Requests::Once(lists) => {
            if lists.len() as u64 != load.threads {
                bail!("{name}: one list of requests per wrk thread");
            }
            for (i, list) in lists.iter().enumerate() {
                write_sets(&dir.path().join(format!("requests-{i}.txt")), list)?;
            }
            "once"
        }
    };
    let script_path = dir.path().join("load.lua");
    std::fs::write(&script_path, script(load))?;
    let (server_before, wrk_before) = (process.cpu_seconds(), children_cpu_seconds());
    let output = Command::new("wrk")
        .arg(format!("-t{}", load.threads))
        .arg(format!("-c{}", load.connections))
        .arg(format!("-d{seconds}s"))
        .arg("--timeout=10s")
        .arg("-s")
        .arg(&script_path)
        .arg(format!("{base}{}", load.path))
        .arg("--")
        .arg(dir.path())
        .arg(mode)
        .output()
        .context("cannot run wrk")?;
    let (server_cpu, wrk_cpu) = (
        process.cpu_seconds() - server_before,
        children_cpu_seconds() - wrk_before,
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let Some(line) = stdout.lines().find_map(|l| l.strip_prefix("sigil-bench: ")) else {
        bail!(
            "{name}: wrk printed no summary ({}): {}{}",
            output.status,
            stdout,
            String::from_utf8_lossy(&output.stderr)
        );
    };
    let n: Vec<f64> = line
        .split_whitespace()
        .map(|f| f.parse::<f64>().unwrap_or(0.0))
        .collect();
    let [requests, duration_us, connect, read, write, status, timeout, p50_us, p99_us, exhausted] =
        n[..]
    else {
        bail!("{name}: unexpected wrk summary {line:?}");
    };
    let answered = (requests - status).max(0.0);
    let seconds = duration_us / 1e6;
    let per_request = |cpu: f64| cpu * 1e6 / answered.max(1.0);
    Ok(ScenarioResult {
        name,
        per_second: answered / seconds,
        seconds,
        p50_ms: p50_us / 1000.0,
        p99_ms: p99_us / 1000.0,
        errors: (connect + read + write + status + timeout) as u64,
        server_cpu_us: per_request(server_cpu),
        client_cpu_us: per_request(wrk_cpu),
        per_scenario: vec![],
        exhausted: exhausted > 0.0,
    })
}

/// A process whose CPU time a run reads: the Sigil server or the reference server.
pub trait CpuClock {
    fn cpu_seconds(&self) -> f64;
}

impl CpuClock for Server {
    fn cpu_seconds(&self) -> f64 {
        Server::cpu_seconds(self)
    }
}
