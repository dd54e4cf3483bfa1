#!/usr/bin/env bash
# Prepares, here, everything the GPU device check carries, and prints the exact run() calls.
#   bash scripts/gpu/prepare.sh [PATH_TO_SHARED_GPU_DIR]     (default: ../shared/gpu)
# 1. dist/ with the bundled CLI and device checks (scripts/bundle.mjs).
# 2. .gpu/part* and .gpu/assemble.sh (node 20, onnxruntime-node 1.29.0, ORT's CUDA 13 provider)
#    from prepare-bundle.sh, unless they exist already (~80 s, from the npm registry).
# 3. Re-cuts the parts so that every call fits: one call carries at most 64 MiB, the project's
#    working tree (tracked and untracked, not ignored) included; the last call also carries dist/.
#    Sizes are measured now: run this right before the device calls and change no file between.
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
shared=${1:-$root/../shared/gpu}

node scripts/bundle.mjs > /dev/null
if ! ls .gpu/part* > /dev/null 2>&1 || [ ! -f .gpu/assemble.sh ]; then
  bash "$shared/prepare-bundle.sh" 30
fi

limit=$((64 * 1024 * 1024))
margin=$((2 * 1000 * 1000))   # headroom: files that appear before the calls, directory entries
# (files deleted but still tracked are skipped: stat fails on them)
tree=$( (git ls-files -co --exclude-standard -z | xargs -0 stat -c %s 2> /dev/null || true) | awk '{ s += $1 } END { print s + 0 }')
dist=$(find dist -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
assemble=$(stat -c %s .gpu/assemble.sh)
total=$(cat .gpu/part* | wc -c)
room=$((limit - margin - tree - assemble))   # for one part, in every call
last_room=$((room - dist))                   # for the last part, which travels with dist/
if [ "$last_room" -le 0 ]; then
  echo "prepare: the tree ($tree B) and dist/ ($dist B) leave no room under 64 MiB for a part" >&2
  exit 1
fi
# Fewest calls: n-1 full parts of at most `room` bytes, then the rest (≤ last_room) with dist/.
n=1
while [ $(((n - 1) * room + last_room)) -lt "$total" ]; do n=$((n + 1)); done
if [ "$n" -eq 1 ]; then chunk=$total; else chunk=$(((total - last_room + n - 2) / (n - 1))); fi
[ "$chunk" -gt "$room" ] && chunk=$room

cat .gpu/part* > .gpu/all
rm -f .gpu/part*
split -b "$chunk" -d -a 2 .gpu/all .gpu/part
rm .gpu/all
parts=(.gpu/part*)
last=${parts[${#parts[@]} - 1]}
for p in "${parts[@]}"; do
  size=$(stat -c %s "$p")
  call=$((tree + assemble + size))
  [ "$p" = "$last" ] && call=$((call + dist))
  if [ "$call" -gt $((limit - margin / 2)) ]; then
    echo "prepare: the call carrying $p would be $call B, over 64 MiB" >&2
    exit 1
  fi
done

mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
echo "working tree $(mib "$tree") · dist/ $(mib "$dist") · parts $(mib "$total") in ${#parts[@]} pieces of ≤ $(mib "$chunk")"
echo
echo "Device calls, back to back (the machine stays warm only ~30 s between calls):"
i=0
for p in "${parts[@]}"; do
  i=$((i + 1))
  if [ "$p" != "$last" ]; then
    echo "$i. run(command=\"bash .gpu/assemble.sh stash\", carry=[\"$p\", \".gpu/assemble.sh\"], timeout_s=120)    # $(mib $((tree + assemble + $(stat -c %s "$p"))))"
  else
    echo "$i. run(command=\"bash scripts/gpu/device-check.sh\", carry=[\"$p\", \".gpu/assemble.sh\", \"dist\"], timeout_s=420)    # $(mib $((tree + assemble + dist + $(stat -c %s "$p"))))"
  fi
done
echo "$((i + 1)). give_back()"
