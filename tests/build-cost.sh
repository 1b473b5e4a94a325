#!/usr/bin/env bash
# The cost of adding provider verification to a crate (issue 21, item 4), measured as a user
# meets it: for tests/registry-user (pact-runtime) and tests/by-hand-user (pact_verifier 1.5
# driven by hand, default features), the same axum app and pact, each copied out of the checkout
# and built from an empty target directory with cargo's default dev profile:
#   - the cold `cargo test` time (dependencies already downloaded: `cargo fetch` runs first),
#   - the crates compiled (cargo's "Compiling" lines),
#   - the size of the verification test binary,
#   - edit -> verdict: the time of `cargo test` after one edit to a state function (registry-user)
#     or to the state handler (by-hand-user).
# Prints a markdown table, one row per crate. Slow (two cold builds): not run by .ci/run.
# Usage: tests/build-cost.sh [registry-user|by-hand-user ...]; JOBS=N passes -j N to cargo.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
jobs=()
[ -n "${JOBS:-}" ] && jobs=(-j "$JOBS")

# pact-runtime and its crates come from this checkout, as if from the registry.
patches=()
for crate in pact-syntax pact-macros-core pact-macros pact-runtime; do
  patches+=(--config "patch.crates-io.$crate.path=\"$repo/$crate\"")
done

now() { date +%s.%N; }
seconds() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

measure() {
  local name=$1 dir="$work/$1" target="$work/$1-target" log="$work/$1.log"
  cp -r "$repo/tests/$name" "$dir"
  rm -rf "$dir/target"
  # The workspace's lock seeds the versions, as .ci/run does for registry-user.
  cp "$repo/Cargo.lock" "$dir/Cargo.lock"
  local cargo=(cargo test "${jobs[@]}" --manifest-path "$dir/Cargo.toml" "${patches[@]}")
  CARGO_TARGET_DIR="$target" cargo fetch --manifest-path "$dir/Cargo.toml" "${patches[@]}" >/dev/null 2>&1
  local started ended
  started=$(now)
  CARGO_TARGET_DIR="$target" "${cargo[@]}" >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
  ended=$(now)
  local cold crates binary size
  cold=$(seconds "$started" "$ended")
  crates=$(grep -c '^ *Compiling ' "$log")
  binary=$(find "$target/debug/deps" -maxdepth 1 -type f -perm -u+x -name 'pact_verification-*' | head -n 1)
  size=$(awk -v b="$(stat -c %s "$binary")" 'BEGIN { printf "%.0f", b / 1000000 }')
  # One edit to the code a state sets up: the same item, built another way.
  local file="$dir/tests/pact_verification.rs"
  grep -q 'name: "Teapot".into()' "$file"
  sed -i 's/name: "Teapot".into()/name: String::from("Teapot")/' "$file"
  started=$(now)
  CARGO_TARGET_DIR="$target" "${cargo[@]}" >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
  ended=$(now)
  echo "| $name | $cold s | $crates | $size MB | $(seconds "$started" "$ended") s |"
}

echo "| crate | cold \`cargo test\` | crates compiled | test binary | edit → verdict |"
echo "|---|---|---|---|---|"
for name in "${@:-registry-user by-hand-user}"; do
  for one in $name; do measure "$one"; done
done
