#!/usr/bin/env bash
# Lints the Helm chart and renders it with its default values and with every example values file.
# Without a `helm` binary on PATH (or in $HELM) it says so and succeeds: the chart's schema and
# template checks in test/deploy run everywhere.
set -euo pipefail
cd "$(dirname "$0")/.."

helm_bin="${HELM:-helm}"
if ! command -v "$helm_bin" >/dev/null 2>&1; then
  echo "helm-check: skipped, no helm binary found (install helm or set HELM=/path/to/helm)"
  exit 0
fi

chart=helm/rerankd
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

echo "helm-check: $("$helm_bin" version --short 2>/dev/null || "$helm_bin" version)"
"$helm_bin" lint --strict "$chart"
"$helm_bin" template rerankd "$chart" --namespace rerankd >"$out/default.yaml"
echo "helm-check: rendered default values ($(grep -c '^kind:' "$out/default.yaml") objects)"
for values in "$chart"/examples/*.yaml; do
  name="$(basename "$values" .yaml)"
  "$helm_bin" lint --strict "$chart" -f "$values" >/dev/null
  "$helm_bin" template rerankd "$chart" --namespace rerankd -f "$values" >"$out/$name.yaml"
  echo "helm-check: rendered $values ($(grep -c '^kind:' "$out/$name.yaml") objects)"
done
echo "helm-check: ok"
