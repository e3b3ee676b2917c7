#!/usr/bin/env bash
# ./kodiak fuzz [MINUTES] [TARGET]: Jazzer on the parsers that take outside bytes, for real.
#
# Real fuzzing (JAZZER_FUZZ=1): one @FuzzTest per JVM, so one Maven run per target. The
# tests (./kodiak test) only replay the committed inputs. Instrumented for coverage: our
# classes and the parsers each target drives (TwelveMonkeys, Gson, mime4j, Parsson, Helidon).
# Each target (or only TARGET) runs for MINUTES (default 10), one after another; logs go to
# target/fuzz/, findings to src/test/resources/**/*FuzzTestInputs/ (commit them with a fix).
#
# Run it through ./kodiak fuzz, which finds a JDK 21+ and sets JAVA_HOME first; the targets
# below are checked against the *FuzzTest classes by LauncherTest.
set -euo pipefail
cd "$(dirname "$0")/.."

minutes="${1:-10}"
only="${2:-}"
if [[ ! "$minutes" =~ ^[1-9][0-9]*$ ]]; then
  echo "kodiak fuzz: MINUTES must be a whole number of minutes, not '$minutes'" >&2
  exit 2
fi
tools/install-debian-packages.sh   # libturbojpeg0, libwebp: the image target fuzzes both decoders
targets=(
  "classifier-core dev.kodiak.core.decode.ImageDecoderFuzzTest dev.kodiak.**,com.twelvemonkeys.**"
  "classifier-core dev.kodiak.core.bundle.ManifestReaderFuzzTest dev.kodiak.**,com.google.gson.**"
  "classifier-core dev.kodiak.core.preprocess.InputSpecFuzzTest dev.kodiak.**,com.google.gson.**"
  "classifier-server dev.kodiak.server.ImageRequestFuzzTest dev.kodiak.**,org.apache.james.mime4j.**,org.eclipse.parsson.**,io.helidon.http.**"
)
mkdir -p target/fuzz
failed=()
ran=0
for target in "${targets[@]}"; do
  read -r module class instrument <<<"$target"
  name="${class##*.}"
  if [[ -n "$only" && "$name" != "$only" ]]; then
    continue
  fi
  ran=$((ran + 1))
  log="target/fuzz/$name.log"
  echo "kodiak fuzz: $name for $minutes min (log: $log)"
  # -am builds what the module needs from this tree: the server needs core, the widget and
  # the blog, packaged, hence verify with no integration test. -Dtest keeps every other
  # module's tests out of the run. A target's @Timeout becomes libFuzzer's limit per input;
  # JUnit's own would time the whole run, so it is off.
  phase=(test)
  if [[ "$module" == classifier-server ]]; then
    phase=(verify -Dit.test=NoSuch -Dfailsafe.failIfNoSpecifiedTests=false -Dinvoker.skip=true)
  fi
  if JAZZER_FUZZ=1 ./mvnw -q -B -pl "$module" -am "${phase[@]}" -Dtest="$class" \
      -Dsurefire.failIfNoSpecifiedTests=false -Djazzer.max_duration="${minutes}m" \
      -Djazzer.instrument="$instrument" -Djazzer.keep_going=20 \
      -Djunit.jupiter.execution.timeout.mode=disabled >"$log" 2>&1; then
    broke=""
  else
    broke=yes
  fi
  # with keep_going, findings other than a timeout or a crash leave the test green
  if grep -aq 'Test unit written to' "$log"; then
    status="FINDINGS"
    failed+=("$name")
  elif [[ -n "$broke" ]]; then
    status="FAILED: the run broke (see the log)"
    failed+=("$name")
  else
    status="no finding"
  fi
  # libFuzzer's last status line: executions, coverage, corpus
  summary=$(grep -aE '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE|INITED)' "$log" | tail -n 1 || true)
  echo "  $status; ${summary:-libFuzzer printed no status line}"
  grep -aE 'Test unit written to|== Java Exception:|ERROR: libFuzzer' "$log" | sed 's/^/  /' | head -n 20 || true
done
echo
echo "Generated corpora (not committed): */.cifuzz-corpus/. New findings, to commit with a fix:"
git status --short --untracked-files=all -- '*FuzzTestInputs*' | sed 's/^/  /'
echo "Replay them as the tests do: ./mvnw -q -pl classifier-server -am verify -Dtest='*FuzzTest'" \
  "-Dsurefire.failIfNoSpecifiedTests=false -Dit.test=NoSuch -Dfailsafe.failIfNoSpecifiedTests=false"
if [[ $ran -eq 0 ]]; then
  echo "kodiak fuzz: no target named '$only'" >&2
  exit 2
fi
[[ ${#failed[@]} -eq 0 ]] || { echo "kodiak fuzz: findings or failed runs in ${failed[*]}" >&2; exit 1; }
