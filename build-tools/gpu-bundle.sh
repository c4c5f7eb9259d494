#!/usr/bin/env bash
# Packs a self-contained bundle that runs the `cuda`-tagged tests and the GPU benchmarks on a
# machine that has a GPU but no Java, Maven or network: a jlink'd runtime (with jni.h, so that
# extensions can still be built there with its gcc/nvcc), the jars, the project's classes with
# their packed natives, the test classes and the examples.
#
#   build-tools/gpu-bundle.sh [bundle folder]        (default: .bundle, git-ignored)
#   <bundle>/run.sh [report folder]                  (on the GPU machine; default: $OUT or ./report)
#
# What travels is <bundle>/payload.tgz and run.sh: the CUDA libraries (fat binaries for five
# architectures) compress about 3x, which keeps the bundle under the 60 MiB a device call carries;
# run.sh unpacks it into $TMPDIR first.
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$(realpath -m "${1:-$home/.bundle}")"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
cd "$home"
java_home="$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")"
console_version=1.11.4

mvn -B -q -ntp -DskipTests test-compile package >&2
rm -rf "$out" && mkdir -p "$out" "$stage/lib"
mvn -B -q -ntp dependency:copy-dependencies -DincludeScope=test -DoutputDirectory="$stage/lib" >&2
mvn -B -q -ntp dependency:copy -Dartifact=org.junit.platform:junit-platform-console-standalone:$console_version \
    -DoutputDirectory="$stage/tools" >&2
# The ONNX Runtime jar is a bench-only dependency and not needed here; of the CUDA presets only
# the runtime API is called, so their other libraries and headers stay behind (the bundle must
# stay under the 64 MiB that travels).
rm -f "$stage"/lib/onnxruntime-*.jar
python3 - "$stage"/lib/cuda-*-linux-x86_64.jar <<'PY'
import sys, zipfile, os
def keep(jar, name):
    if "/include/" in name:
        return False
    # CUDA presets: only the runtime API's JNI library is called.
    return not name.endswith(".so") or "cudart" in name
for src in sys.argv[1:]:
    tmp = src + ".tmp"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            if keep(src, item.filename):
                zout.writestr(item, zin.read(item.filename))
    os.replace(tmp, src)
PY

"$java_home/bin/jlink" --add-modules java.base,java.logging,java.management,java.xml,jdk.unsupported,jdk.zipfs \
    --strip-debug --no-man-pages --no-header-files --compress=2 --output "$stage/runtime"
cp -r "$java_home/include" "$stage/runtime/include"
cp -r target/classes "$stage/classes"
# Where the driver is, the -cuda variants load (they hold the CPU kernels too): the plain CPU
# libraries are dead weight there.
find "$stage/classes" -path "*/linux-x86_64/*.so" -delete
cp -r target/test-classes "$stage/test-classes"
cp -r examples "$stage/examples"
tar -C "$stage" -czf "$out/payload.tgz" runtime lib classes test-classes tools examples

cat > "$out/run.sh" <<'RUN'
#!/usr/bin/env bash
# Runs the cuda-tagged tests and the GPU benchmark; writes report.txt (and JUnit XML) to the report folder.
set -uo pipefail
bundle="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
report="${1:-${OUT:-$bundle/report}}"
mkdir -p "$report"
here="${TMPDIR:-/tmp}/nativeext-bundle"
rm -rf "$here" && mkdir -p "$here" && tar -C "$here" -xzf "$bundle/payload.tgz" || { echo "cannot unpack $bundle/payload.tgz" >&2; exit 1; }
java="$here/runtime/bin/java"
# Listed jar by jar: the console launcher's --class-path does not expand "lib/*".
cp="$here/classes:$here/test-classes$(printf ':%s' "$here"/lib/*.jar)"
cd "$here"   # tests find examples/ relative to the working folder
export NATIVEEXT_CACHE_DIR="${TMPDIR:-/tmp}/nativeext-bundle-cache"
{
  echo "== nativeext GPU bundle, $(date -u)"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 || true
  "$java" -cp "$cp" dev.nativeext.cli.Main doctor
  echo "== cuda-tagged tests"
  "$java" -jar "$here/tools/junit-platform-console-standalone-"*.jar execute --class-path "$cp" --scan-class-path \
      --include-tag cuda --details=tree --disable-banner --reports-dir "$report/junit" 2>&1
  echo "tests exit status: $?"
  echo "== GPU benchmark"
  "$java" -cp "$cp" dev.nativeext.cli.Main bench gpu 2>&1
  echo "bench exit status: $?"
} > "$report/report.txt" 2>&1
cat "$report/report.txt"
RUN
chmod +x "$out/run.sh"
echo "bundle size: $(du -sb "$out" | cut -f1) bytes (limit: 60 MiB = 62914560)" >&2
