#!/usr/bin/env bash
# The OCR service as a small cluster on one machine: a detector, a classifier and a recognizer worker on their own
# loopback addresses, and an entry that runs the page pipeline and calls them by name, the names given by a hosts
# file (-Djdk.net.hosts.file) as cluster DNS would give them. Stops every process it started, by its pid, on any exit.
#
#   examples/ocr-service/scripts/cluster.sh              # starts the workers, runs the entry's --self-check, stops
#   examples/ocr-service/scripts/cluster.sh serve        # ... keeps the entry serving at http://127.0.0.1:8080/ until Ctrl-C
#
# Build first: mvn -q -B -DskipTests package -pl examples/ocr-service -am
# Environment: OCR_JAR (the service's jar), OCR_ENTRY (127.0.0.1), OCR_DET, OCR_CLS, OCR_REC (127.0.0.2, .3, .4),
# OCR_HTTP_PORT (8080) and OCR_GRPC_PORT (8081) of every process, OCR_START_TIMEOUT (seconds a worker may take to
# become ready, 180), OCR_JAVA_OPTS (JVM flags of every process, default -Xmx768m), OCR_LOGS (where the logs go).
set -euo pipefail

mode=${1:-self-check}
case "$mode" in
  self-check|serve) ;;
  *) echo "usage: $0 [self-check|serve]" >&2; exit 2 ;;
esac
here=$(cd "$(dirname "$0")" && pwd)
jar=${OCR_JAR:-$here/../target/ocr-service-exec.jar}
entry=${OCR_ENTRY:-127.0.0.1}
http=${OCR_HTTP_PORT:-8080}
grpc=${OCR_GRPC_PORT:-8081}
timeout=${OCR_START_TIMEOUT:-180}
read -r -a jvm <<< "${OCR_JAVA_OPTS:--Xmx768m}"
logs=${OCR_LOGS:-$(mktemp -d -t sluice-ocr-cluster.XXXXXX)}
if [[ ! -f $jar ]]; then
  echo "no $jar: build it first (mvn -q -B -DskipTests package -pl examples/ocr-service -am)" >&2
  exit 1
fi
declare -A address=([det]=${OCR_DET:-127.0.0.2} [cls]=${OCR_CLS:-127.0.0.3} [rec]=${OCR_REC:-127.0.0.4})
models=(det cls rec)

# What cluster DNS would say: each pool's name and its pods' addresses (one each here).
hosts=$logs/hosts
for m in "${models[@]}"; do
  echo "${address[$m]} $m-workers"
done > "$hosts"

pids=()
stop() {
  local pid
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true   # SIGTERM: each finishes what it admitted and exits
  done
  for pid in "${pids[@]}"; do
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "pid $pid did not stop within 20 s: killed" >&2
      kill -9 "$pid" 2>/dev/null || true
    fi
  done
  [[ ${#pids[@]} -eq 0 ]] || echo "stopped pids ${pids[*]}; logs in $logs"
}
trap stop EXIT
trap 'exit 130' INT TERM

for m in "${models[@]}"; do
  a=${address[$m]}
  java "${jvm[@]}" -Djdk.net.hosts.file="$hosts" -jar "$jar" --sluice.ocr.models="$m" \
    --server.address="$a" --server.port="$http" --sluice.grpc.address="$a" --sluice.grpc.port="$grpc" \
    > "$logs/$m.log" 2>&1 &
  pids+=($!)
  echo "$m worker: pid $!, http://$a:$http/ and gRPC $a:$grpc ($m-workers), log $logs/$m.log"
done

# Ready when its model runs: /actuator/health/readiness answers 200.
for m in "${models[@]}"; do
  a=${address[$m]}
  started=$SECONDS
  until curl -sf -o /dev/null "http://$a:$http/actuator/health/readiness"; do
    if (( SECONDS - started > timeout )); then
      echo "$m worker not ready within $timeout s; its log:" >&2; tail -20 "$logs/$m.log" >&2; exit 1
    fi
    for pid in "${pids[@]}"; do
      kill -0 "$pid" 2>/dev/null || { echo "a worker (pid $pid) ended; logs in $logs" >&2; tail -20 "$logs/$m.log" >&2; exit 1; }
    done
    sleep 0.5
  done
  echo "$m worker ready"
done

entry_args=(--sluice.ocr.models= --server.address="$entry" --sluice.grpc.address="$entry")
for m in "${models[@]}"; do
  entry_args+=(--sluice.ocr.remote."$m"="dns:///$m-workers:$grpc")
done
if [[ $mode == self-check ]]; then
  # The entry on free ports (the self-check's default), reading its page through the workers; then all stop.
  java "${jvm[@]}" -Djdk.net.hosts.file="$hosts" -jar "$jar" --self-check "${entry_args[@]}" > "$logs/entry.log" 2>&1 &
  pids+=($!)
  echo "entry: pid $!, self-check (log $logs/entry.log)"
  status=0
  wait "${pids[-1]}" || status=$?
  # Its output without Spring's banner and log lines.
  awk '/^OCR service at/ { on = 1 } on && !/^20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]T/' "$logs/entry.log"
  echo "entry self-check exit status: $status"
  exit "$status"
fi
java "${jvm[@]}" -Djdk.net.hosts.file="$hosts" -jar "$jar" "${entry_args[@]}" --server.port="$http" \
  --sluice.grpc.port="$grpc" > "$logs/entry.log" 2>&1 &
pids+=($!)
echo "entry: pid $!, http://$entry:$http/ (log $logs/entry.log); Ctrl-C stops all"
wait "${pids[-1]}"
