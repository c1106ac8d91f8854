#!/usr/bin/env bash
# Fuzzes every parser of untrusted bytes (the targets of fuzz/, libFuzzer through cargo-fuzz)
# for a bounded time each. A crash, a panic, an input slower than the timeout or a memory
# blow-up fails the script, naming the target and the input that reproduces it.
#
#   .ci/fuzz.sh [--budget SECONDS] [--merge] [TARGET...]
#
# --budget  fuzzing time shared by the targets run (default 240 s, i.e. about 17 s each for fourteen;
#           the build comes on top)
# --merge   afterwards, add to fuzz/corpus/<target>/ the inputs that reached new code
#           (libFuzzer -set_cover_merge=1: the fewest inputs that cover what they all cover)
#
# The toolchain is stable. cargo-fuzz wants nightly only for its sanitizers (-Zsanitizer);
# every target here is safe Rust (the workspace forbids `unsafe`), so AddressSanitizer has no
# memory errors to find in it, and libFuzzer alone finds what can go wrong: panics (debug
# assertions and overflow checks on, `-a`), aborts such as a stack overflow, timeouts and RSS
# growth. `--sanitizer none` builds on stable with no RUSTC_BOOTSTRAP trick (the coverage
# instrumentation, -Cpasses=sancov-module, is stable), and runs about twice as fast.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_FUZZ_VERSION=0.13.2
budget=240
merge=false
targets=()
while (($#)); do
    case "$1" in
        --budget) budget="$2"; shift 2 ;;
        --merge) merge=true; shift ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        -*) echo "unknown option $1" >&2; exit 2 ;;
        *) targets+=("$1"); shift ;;
    esac
done

if [[ "$(cargo fuzz --version 2>/dev/null)" != "cargo-fuzz $CARGO_FUZZ_VERSION" ]]; then
    cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi

cd fuzz
if ((${#targets[@]} == 0)); then
    mapfile -t targets < <(cargo fuzz list)
fi
build=(--sanitizer none --release --debug-assertions)
cargo fuzz build "${build[@]}"

# The largest input each target takes: what the server accepts there.
max_len() {
    case "$1" in
        # An Authorization header (the server's 17 KiB bound on it).
        digest_authorization|basic_credentials|api_key_credentials|sdk_authorization|jwt_federated) echo 17408 ;;
        # A security token (one 8 KiB header) or a securitytokens body (1 MiB), after a mode byte.
        iam_security_token) echo $((1048576 + 1)) ;;
        # A body (1 MiB), plus the Authorization line of the form's target.
        oauth_form) echo $((1048576 + 17408)) ;;
        es_query|es_time_value|es_security_bodies) echo 1048576 ;;
        # A key set as the fetcher reads it (256 KiB); a pinned one is smaller.
        jwks) echo 262144 ;;
        # A URI (hyper's bound) and what the request's pieces make of it.
        atlas_ids|atlas_query_params|sdk_canonical_request) echo 65536 ;;
        *) echo 65536 ;;
    esac
}

per_target=$((budget / ${#targets[@]}))
((per_target >= 1)) || per_target=1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=()
for target in "${targets[@]}"; do
    seeds="corpus/$target"
    mkdir -p "$seeds" "$work/$target" "artifacts/$target"
    flags=(
        "-max_total_time=$per_target"
        # An input the server would take a second over fails; seconds, as libFuzzer counts.
        -timeout=2
        -rss_limit_mb=1024
        "-max_len=$(max_len "$target")"
        -print_final_stats=1
    )
    [[ -f "dict/$target.dict" ]] && flags+=("-dict=dict/$target.dict")
    echo "=== $target: ${per_target}s"
    # New inputs go to a scratch directory; the committed corpus is only read.
    if ! cargo fuzz run "${build[@]}" "$target" "$work/$target" "$seeds" -- "${flags[@]}" \
        >"$work/$target.log" 2>&1; then
        tail -n 40 "$work/$target.log"
        reproducer=$(ls -t "artifacts/$target"/* 2>/dev/null | head -n 1 || true)
        echo "FAILED: $target; reproduce with: (cd fuzz && cargo fuzz run ${build[*]} $target ${reproducer:-?})"
        failed+=("$target${reproducer:+ (fuzz/$reproducer)}")
        continue
    fi
    grep -E '^stat::number_of_executed_units|^Done [0-9]+ runs' "$work/$target.log" | tail -n 1 || true
    if $merge; then
        cargo fuzz run "${build[@]}" "$target" "$seeds" "$work/$target" -- -set_cover_merge=1 \
            "-max_len=$(max_len "$target")" >"$work/$target.merge.log" 2>&1
        echo "corpus/$target: $(ls "$seeds" | wc -l) inputs"
    fi
done

if ((${#failed[@]})); then
    printf 'fuzzing failed: %s\n' "${failed[@]}" >&2
    exit 1
fi
echo "fuzzing: ${#targets[@]} targets clean, ${per_target}s each"
