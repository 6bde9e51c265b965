#!/usr/bin/env bash
# Render the HTML sign-off report and take a PNG screenshot of it with headless Chromium,
# so a person can look at the page without a desktop browser.
#
# Usage: scripts/screenshot_report.sh [OUT_DIR] [-- TARGET...]
#   OUT_DIR defaults to a fresh temporary directory; the report (signoff.html) and the
#   screenshot (signoff.png) are written there and their paths printed. Without targets
#   the sample set of the golden test is used. Never commit the PNG.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
policycheck="${POLICYCHECK:-$repo_root/.venv/bin/policycheck}"
as_of="${AS_OF:-2026-11-27}"

out_dir=""
if [[ $# -gt 0 && "$1" != "--" ]]; then
  out_dir="$1"
  shift
fi
[[ $# -gt 0 && "$1" == "--" ]] && shift
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
  targets=(redis@7.4.0 valkey@8.1.1 dragonfly@v1.25.0 redis@8.2.1 redis@7.2 foo@1)
fi
out_dir="${out_dir:-$(mktemp -d)}"
mkdir -p "$out_dir"
out_dir="$(cd "$out_dir" && pwd)"

browser=""
for candidate in chromium chromium-browser google-chrome; do
  if command -v "$candidate" >/dev/null 2>&1; then
    browser="$candidate"
    break
  fi
done
if [[ -z "$browser" ]]; then
  echo "error: chromium is not installed (Debian: apt-get install -y chromium)" >&2
  exit 2
fi

html="$out_dir/signoff.html"
png="$out_dir/signoff.png"
# Exit code 1 only means "some finding failed the policy"; the report is still written.
"$policycheck" check "${targets[@]}" --format html --as-of "$as_of" --output "$html" || [[ $? -eq 1 ]]

profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
"$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --hide-scrollbars --user-data-dir="$profile" --window-size=1280,2400 \
  --screenshot="$png" "file://$html" >/dev/null 2>&1

echo "report:     $html"
echo "screenshot: $png"
