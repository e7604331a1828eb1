#!/usr/bin/env bash
# Builds the OCR service's image without a registry and runs a recognizer worker and an entry from it.
#
#   deploy/images/build-and-run.sh            # base image (once), service image, then the containers' check
#   deploy/images/build-and-run.sh --build    # the images only
#
# 1. The base, localhost/sluice/debian-jre:bookworm, once: a minimal Debian (debootstrap --variant=minbase) with
#    openjdk-17-jre-headless, from the Debian mirror apt uses here, imported with podman import.
# 2. The service, localhost/sluice/ocr-service:0.1.0 (the name deploy/kubernetes uses): the executable jar
#    (mvn package of examples/ocr-service, unless already built) and the models from the build's cache
#    (scripts/fetch-models.sh), on that base (deploy/images/Containerfile).
# 3. A worker serving rec (HTTP 127.0.3.11:18080, gRPC 127.0.3.11:18081) and an entry on 127.0.3.12 running the
#    pipeline with det and cls at home and rec on the worker (--sluice.ocr.remote.rec), each in a container on the host's
#    network; the entry's --self-check reads a rendered page through the worker, then both are removed.
#
# Needs root (debootstrap, rootful podman) and Debian's debootstrap, podman and runc. Podman runs with runc and a
# containers.conf of its own with default_ulimits = [] (a container inside another may not raise its limits).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
work="${SLUICE_IMAGE_WORK:-$repo/deploy/target/images}"
base=localhost/sluice/debian-jre:bookworm
image=localhost/sluice/ocr-service:0.1.0
build_only=false
[ "${1:-}" = "--build" ] && build_only=true

for tool in debootstrap podman runc curl; do
  command -v "$tool" >/dev/null || { echo "$tool is missing: apt-get install debootstrap podman runc curl" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "run as root: debootstrap and rootful podman need it" >&2; exit 1; }

mkdir -p "$work"
export CONTAINERS_CONF="$work/containers.conf"
printf '[containers]\ndefault_ulimits = []\n' > "$CONTAINERS_CONF"
podman() { command podman --runtime runc "$@"; }

# The Debian mirror apt uses (deb822 .sources or a one-line sources.list).
mirror="$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null \
  | grep -v security | head -n1 || true)"
if [ -z "$mirror" ]; then
  mirror="$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; exit } }' \
    /etc/apt/sources.list 2>/dev/null || true)"
fi
[ -n "$mirror" ] || { echo "no Debian mirror found in /etc/apt" >&2; exit 1; }

if ! podman image exists "$base"; then
  root="$work/rootfs"
  rm -rf "$root"
  echo "+ debootstrap --variant=minbase --include=openjdk-17-jre-headless bookworm $root $mirror"
  debootstrap --variant=minbase --include=openjdk-17-jre-headless bookworm "$root" "$mirror" > "$work/debootstrap.log"
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  echo "+ podman import $base"
  tar -C "$root" -c . | podman import --change 'ENV LANG=C.UTF-8' - "$base"
  rm -rf "$root"
fi

jar="$repo/examples/ocr-service/target/ocr-service-exec.jar"
if [ ! -f "$jar" ]; then
  echo "+ mvn package (examples/ocr-service)"
  (cd "$repo" && mvn -B -q -DskipTests package -pl examples/ocr-service -am)
fi
models="$(bash "$repo/scripts/fetch-models.sh" | tail -n1)"
context="$work/context"
rm -rf "$context"
mkdir -p "$context/models"
cp "$jar" "$context/ocr-service-exec.jar"
cp "$models"/* "$context/models/"
echo "+ podman build $image"
podman build --quiet -t "$image" -f "$here/Containerfile" "$context"
podman image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -E 'sluice/(debian-jre|ocr-service)'
$build_only && exit 0

worker=sluice-rec-worker
cleanup() { podman rm -f "$worker" >/dev/null 2>&1 || true; }
trap cleanup EXIT
cleanup
echo "+ podman run $worker (rec on 127.0.3.11)"
podman run -d --name "$worker" --network host "$image" --sluice.ocr.models=rec \
  --server.address=127.0.3.11 --server.port=18080 --sluice.grpc.address=127.0.3.11 --sluice.grpc.port=18081 >/dev/null
for _ in $(seq 1 120); do
  if curl -fsS http://127.0.3.11:18080/actuator/health/readiness >/dev/null 2>&1; then break; fi
  if [ "$(podman inspect -f '{{.State.Running}}' "$worker")" != true ]; then podman logs "$worker" >&2; exit 1; fi
  sleep 1
done
curl -fsS http://127.0.3.11:18080/actuator/health/readiness >/dev/null || { podman logs "$worker" >&2; exit 1; }
echo "worker ready: $(curl -fsS http://127.0.3.11:18080/v2/models/rec/ready -o /dev/null -w '%{http_code}') from /v2/models/rec/ready"
echo "+ podman run the entry's self-check (det and cls here, rec on the worker at 127.0.3.11:18081)"
podman run --rm --network host "$image" --self-check --sluice.ocr.models=det,cls \
  --sluice.ocr.remote.rec=127.0.3.11:18081 --server.address=127.0.3.12 --sluice.grpc.address=127.0.3.12
# The self-check passed; that its recognizer calls went to the worker is in the worker's metrics.
rec_calls="$(curl -fsS http://127.0.3.11:18080/actuator/prometheus \
  | sed -n 's/^sluice_request_latency_seconds_count{deployment="rec",outcome="success"} \([0-9.]*\)$/\1/p')"
echo "the worker's recognizer answered ${rec_calls:-no} calls"
awk -v n="${rec_calls:-0}" 'BEGIN { exit !(n > 0) }' || { echo "the entry's self-check did not reach the worker" >&2; exit 1; }
