#!/usr/bin/env bash
# One fuzz campaign for one reader: build the harness, instrument DpBert.dll and DpBert.Cli.dll with SharpFuzz, seed
# from ../shared and the committed corpus, run AFL++ until BOTH the time and the execution minimum are reached, then
# minimise what it found (afl-cmin, afl-tmin) into corpus/<target>/ and append the figures to campaigns.tsv.
#
#   tests/DpBert.Fuzz/run-campaign.sh <target>            # `dotnet run --project tests/DpBert.Fuzz -- list` names them
#
# Environment: FUZZ_MIN_SECONDS (default 1800), FUZZ_MIN_EXECS (default 1000000), FUZZ_MAX_SECONDS (default 14400, a
# safety stop), FUZZ_TIMEOUT_MS (per input, default 2000), FUZZ_WORK (scratch folder, default /tmp/dpbert-fuzz/<target>),
# FUZZ_TMIN_SECONDS (time for shrinking the minimised corpus with afl-tmin, default 900: files left when it runs out
# are kept as afl-cmin chose them), FUZZ_KEEP_CORPUS=1 (do not replace corpus/<target>/). Needs Debian's afl++ (apt-get install afl++) and the .NET SDK.
# Runs under `nice -n 10`; run one campaign at a time on a shared machine.
set -euo pipefail

target=${1:?usage: run-campaign.sh <target>}
here="$(cd "$(dirname "$0")" && pwd)"
min_seconds=${FUZZ_MIN_SECONDS:-1800}
min_execs=${FUZZ_MIN_EXECS:-1000000}
max_seconds=${FUZZ_MAX_SECONDS:-14400}
timeout_ms=${FUZZ_TIMEOUT_MS:-2000}
work=${FUZZ_WORK:-/tmp/dpbert-fuzz/$target}
corpus="$here/corpus/$target"

command -v afl-fuzz >/dev/null || { echo "error: afl-fuzz not found; install Debian's afl++ (apt-get install afl++)" >&2; exit 1; }
rm -rf "$work"
mkdir -p "$work/seeds" "$work/tmp"

# 1. Build, then instrument only the project's own assemblies (the harness, SharpFuzz and the BCL stay as they are).
(cd "$here" && dotnet tool restore >/dev/null)
dotnet publish "$here/DpBert.Fuzz.csproj" -c Release -o "$work/bin" -nologo -v quiet
for dll in DpBert.dll DpBert.Cli.dll; do (cd "$here" && dotnet tool run sharpfuzz "$work/bin/$dll" >/dev/null); done
harness=("$(command -v dotnet)" "$work/bin/DpBert.Fuzz.dll" run "$target") # afl-cmin wants a path, not a command

# 2. Seeds: what the target builds from ../shared and the fixtures, plus the committed corpus of earlier campaigns.
# (Built in the tree, not from the instrumented copy, so that ../shared is found above it.)
dotnet run --project "$here/DpBert.Fuzz.csproj" -c Release -- seeds "$target" "$work/seeds"
[ -d "$corpus" ] && cp "$corpus"/* "$work/seeds/" 2>/dev/null || true

# AFL++ settings for a .NET target: the binary is `dotnet`, not instrumented by afl-cc; the .NET runtime reserves far
# more address space than it uses (-m none) while the GC heap is capped so a runaway allocation fails fast; no CPU
# pinning on a machine shared with other jobs; this container cannot change core_pattern; the scratch folder is this
# campaign's own, so afl-cmin may use it under /tmp.
export AFL_SKIP_BIN_CHECK=1 AFL_NO_AFFINITY=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_ALLOW_TMP=1
export AFL_FORKSRV_INIT_TMOUT=60000 DOTNET_GCHeapHardLimit=0x40000000 TMPDIR="$work/tmp" DOTNET_CLI_TELEMETRY_OPTOUT=1

# 3. Fuzz until both minimums are reached (or the safety stop), checking AFL's own statistics every 30 s.
nice -n 10 afl-fuzz -i "$work/seeds" -o "$work/findings" -t "$timeout_ms" -m none -- "${harness[@]}" >"$work/afl.log" 2>&1 &
afl=$!
stats="$work/findings/default/fuzzer_stats"
stat() { awk -F' *: *' -v k="$1" '$1 == k { print $2 }' "$stats"; }
started=$(date +%s)
while kill -0 "$afl" 2>/dev/null; do
  sleep 30
  [ -f "$stats" ] || continue
  elapsed=$(( $(date +%s) - started )); fuzzed=$(stat run_time); execs=$(stat execs_done)
  echo "$target: ${fuzzed}s fuzzing, $execs execs, $(stat corpus_count) paths, $(stat saved_crashes) crashes, $(stat saved_hangs) hangs"
  if { [ "$fuzzed" -ge "$min_seconds" ] && [ "$execs" -ge "$min_execs" ]; } || [ "$elapsed" -ge "$max_seconds" ]; then
    kill -INT "$afl" 2>/dev/null || true
    break
  fi
done
wait "$afl" || true
[ -f "$stats" ] || { echo "error: afl-fuzz did not start; see $work/afl.log" >&2; tail -20 "$work/afl.log" >&2; exit 1; }
sleep 2 # afl-fuzz writes its final statistics on the way out

# 4. Figures: executions, their rate over the whole run, paths (queue entries) and edges, crashes and hangs.
run_time=$(stat run_time); execs=$(stat execs_done)
line=$(printf '%s\t%s\t%s\t%s\t%s\t%s/%s\t%s\t%s\t%s' "$(date -u +%Y-%m-%dT%H:%MZ)" "$target" "$run_time" "$execs" \
  "$(( execs / (run_time > 0 ? run_time : 1) ))" "$(stat corpus_count)" "$(stat edges_found)" "$(stat total_edges)" \
  "$(stat saved_crashes)" "$(stat saved_hangs)")
[ -f "$here/campaigns.tsv" ] || printf 'date\ttarget\tseconds\texecs\texecs_per_s\tpaths/edges\tmap_size\tcrashes\thangs\n' >"$here/campaigns.tsv"
echo "$line" | tee -a "$here/campaigns.tsv"
for kind in crashes hangs; do
  found=("$work/findings/default/$kind"/id:*)
  [ -e "${found[0]}" ] || continue
  echo "$target: $kind found; replaying them (inputs kept in $work/findings/default/$kind):"
  # The in-tree build: instrumented code runs only under AFL (it writes to AFL's shared memory).
  dotnet run --project "$here/DpBert.Fuzz.csproj" -c Release --no-build -- replay "$target" "$work/findings/default/$kind" | cut -c1-600 || true
done

# 5. Minimise: the fewest queue entries that keep every edge (afl-cmin), each then shrunk (afl-tmin).
[ "${FUZZ_KEEP_CORPUS:-0}" = 1 ] && exit 0
afl-cmin -i "$work/findings/default/queue" -o "$work/cmin" -t "$((timeout_ms * 2))" -m none -- "${harness[@]}" >"$work/cmin.log" 2>&1
mkdir -p "$work/tmin"
tmin_until=$(( $(date +%s) + ${FUZZ_TMIN_SECONDS:-900} )); shrunk=0
for file in "$work/cmin"/*; do
  name=$(basename "$file" | cut -d, -f1 | tr ':' '_') # AFL's id:000123
  if [ "$(date +%s)" -ge "$tmin_until" ]; then cp "$file" "$work/tmin/$name"; continue; fi
  shrunk=$((shrunk + 1))
  afl-tmin -i "$file" -o "$work/tmin/$name" -t "$((timeout_ms * 2))" -m none -- "${harness[@]}" >>"$work/tmin.log" 2>&1 \
    || cp "$file" "$work/tmin/$name"
done
rm -rf "$corpus" && mkdir -p "$corpus" && cp "$work/tmin"/* "$corpus/"
# Crashes and hangs join the corpus as they are, so the replay test fails until the reader is fixed, and guards the fix.
keep() { for file in "$work/findings/default/$1"/id:*; do [ -e "$file" ] && cp "$file" "$corpus/$2-$(basename "$file" | cut -d, -f1 | tr ':' '_')"; done; return 0; }
keep crashes crash
keep hangs hang
echo "$target: corpus/$target holds $(ls "$corpus" | wc -l) files ($shrunk shrunk with afl-tmin), $(du -sk "$corpus" | cut -f1) KiB"
rm -rf "$work/tmp" "$work/bin"
