#!/usr/bin/env bash
# A/B of a change to conv2d's CPU code on the whole resnet50 chain, in one process
# (tools/profile/chain_ab.c): builds each tree's tools/profile/resnet50_chain.c as a shared
# library (NE_CHAIN_LIB) over that tree's C sources (src/main/cpp, include), each tree a git
# revision or a directory ("." for the working tree), and runs their forwards in turn. Each tree's
# own chain, so that a change to conv2d's C API (ne_conv2d_path_cpu's isa, 2026-12-05) can be
# A/B'd too; a directory without tools/profile gets the working tree's.
# Extra gcc flags for B alone (e.g. -DNE_SOMETHING=1) come from $CFLAGS_B.
#   tools/profile/chain-ab.sh REV_A REV_B THREADS PAIRS     e.g. HEAD . 2 200   (LAYERS=1: per layer)
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$home"
[ $# -eq 4 ] || { echo "usage: $0 REV_A REV_B THREADS PAIRS" >&2; exit 2; }
out="$home/target/chain-ab"
rm -rf "$out" && mkdir -p "$out"
for v in a b; do
  rev=$([ "$v" = a ] && echo "$1" || echo "$2")
  tree="$out/tree-$v"
  mkdir -p "$tree"
  if [ -d "$rev" ]; then
    mkdir -p "$tree/src/main" "$tree/tools" && cp -r "$rev/src/main/cpp" "$tree/src/main/" && cp -r "$rev/include" "$tree/"
    cp -r "$([ -f "$rev/tools/profile/resnet50_chain.c" ] && echo "$rev" || echo .)/tools/profile" "$tree/tools/"
  else
    git archive "$rev" src/main/cpp include tools/profile | tar -x -C "$tree"
  fi
  extra=$([ "$v" = b ] && echo "${CFLAGS_B:-}" || true)
  # shellcheck disable=SC2086
  gcc -std=c99 -O3 -fPIC -shared -fvisibility=hidden -ffp-contract=off -fno-trapping-math -D_GNU_SOURCE -DNE_CHAIN_LIB $extra \
    -I"$tree/include" -I"$tree/src/main/cpp" -I"$tree/tools/profile" -o "$out/libchain-$v.so" \
    "$tree/tools/profile/resnet50_chain.c" "$tree/src/main/cpp/ne_conv2d_cpu.c" "$tree/src/main/cpp/ne_status.c" -lm -ldl -lpthread
done
gcc -std=c99 -O2 -D_GNU_SOURCE -o "$out/chain_ab" tools/profile/chain_ab.c -ldl
# both ways round: the library loaded second ran 0.02-0.16 ms faster in A/A runs
echo "A = $1, B = $2; loaded A first:"
"$out/chain_ab" "$out/libchain-a.so" "$out/libchain-b.so" "$3" "$4"
echo "loaded B first (so here A and B are swapped: the change is minus this line's B - A):"
"$out/chain_ab" "$out/libchain-b.so" "$out/libchain-a.so" "$3" "$4"
