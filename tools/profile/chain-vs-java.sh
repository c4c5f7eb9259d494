#!/usr/bin/env bash
# Runs tools/profile/ChainVsJava.java (the Java resnet50 forward and the C chain of the same
# conv2d calls, taking turns in one JVM): builds the project's classes as bin/bench-resnet does,
# the chain as a JNI library (resnet50_chain.c with NE_CHAIN_JNI) and the class, under
# target/chain-vs-java/. Extra Maven flags come from $MVN_FLAGS, the JVM's from $JAVA_OPTS.
#   tools/profile/chain-vs-java.sh THREADS ROUNDS      e.g. 1 20, then 2 20; or 0 30 (1 and 2 taking turns)
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$home"
[ $# -eq 2 ] || { echo "usage: $0 THREADS ROUNDS" >&2; exit 2; }
# shellcheck disable=SC2086
mvn -B -q -ntp ${MVN_FLAGS:-} -Pbench -DskipTests package dependency:copy-dependencies -DincludeScope=runtime \
  -DoutputDirectory=target/bench-lib >&2
out="$home/target/chain-vs-java"
mkdir -p "$out"
jdk="$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")"
gcc -std=c99 -O3 -fPIC -shared -ffp-contract=off -fno-trapping-math -D_GNU_SOURCE -DNE_CHAIN_JNI -Iinclude -Isrc/main/cpp \
  -Itools/profile -I"$jdk/include" -I"$jdk/include/linux" -o "$out/libchainvsjava.so" tools/profile/resnet50_chain.c \
  src/main/cpp/ne_conv2d_cpu.c src/main/cpp/ne_status.c -lm -ldl -lpthread
javac -cp "target/classes:target/bench-lib/*" -d "$out" tools/profile/ChainVsJava.java
java ${JAVA_OPTS:-} -cp "target/classes:target/bench-lib/*:$out" -Dchain.lib="$out/libchainvsjava.so" ChainVsJava "$1" "$2"
