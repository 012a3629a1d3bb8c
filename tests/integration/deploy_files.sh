#!/usr/bin/env bash
# The deployment files (issue 17 §3): the Kubernetes manifests pass a strict
# schema check (kubernetes-validate, which also fails a deliberately broken
# copy), kustomization.yaml names exactly the manifests there are, the
# settings in the ConfigMap are accepted by the binaries, compose keeps the
# broker's data in its volume and runs processor and ticker, and the image
# installs packages Debian has and checks the processor's health.
#   deploy_files.sh BUILD_DIR
set -euo pipefail
build=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
k8s="$root/deploy/k8s"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
check() { if [ "$2" == "$3" ]; then echo "ok   $1"; else echo "FAIL $1: expected [$2] got [$3]"; failures=$((failures + 1)); fi; }
py=$("$root/deploy/scripts/pyenv.sh" "$build/pyenv")/bin
validate() { "$py/kubernetes-validate" --strict -k 1.30.0 "$@" > "$work/validate.log" 2>&1; echo $?; }

manifests=$(cd "$k8s" && ls *.yaml | grep -v '^kustomization.yaml$')
for f in $manifests; do check "$f passes the strict schema check (Kubernetes 1.30)" "0" "$(validate "$k8s/$f")"; done
sed 's/^  replicas: 3$/  replicas: 3\n  replicaz: 3/' "$k8s/processor.yaml" > "$work/broken.yaml"
check "and a manifest with an unknown field fails it" "1" "$(validate "$work/broken.yaml")"
check "kustomization names every manifest but the secret example" \
  "$(echo "$manifests" | grep -v secret.example | sort | tr '\n' ' ')" \
  "$("$py/python" -c 'import sys, yaml; print(" ".join(sorted(yaml.safe_load(open(sys.argv[1]))["resources"])), end=" ")' "$k8s/kustomization.yaml")"
check "no secret value committed but the placeholders" "0" \
  "$(grep -h 'password' "$k8s"/*.yaml | grep -v -e 'change-me' -e '^ *#' -e 'secretKeyRef' -e 'AP_.*PASSWORD' -e 'sasl' | wc -l)"
# probes on the processor's endpoints, static membership from the pod name
check "processor probes: liveness and start-up on /healthz, readiness on /readyz" \
  "livenessProbe /healthz readinessProbe /readyz startupProbe /healthz" \
  "$("$py/python" -c 'import sys, yaml
c = next(d for d in yaml.safe_load_all(open(sys.argv[1])) if d["kind"] == "StatefulSet")["spec"]["template"]["spec"]["containers"][0]
print(" ".join(p + " " + c[p]["httpGet"]["path"] for p in sorted(k for k in c if k.endswith("Probe"))))' "$k8s/processor.yaml")"
check "the instance id is the pod name" "1" "$(grep -c 'fieldPath: metadata.name' "$k8s/processor.yaml")"

# The ConfigMap's settings as the binaries read them: a bad key or value
# stops them at once with exit 2; good settings get as far as waiting for
# the (unreachable) broker, and a SIGTERM then ends them with 0.
"$py/python" - "$k8s/configmap.yaml" "$work" <<'PY'
import sys, yaml
data = yaml.safe_load(open(sys.argv[1]))["data"]
for name, text in data.items():
    open(f"{sys.argv[2]}/{name}", "w").write(text)
PY
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/ca.key" -out "$work/ca.crt" -days 1 -subj /CN=test \
  >/dev/null 2>&1
for b in processor ticker; do
  env AP_KAFKA_BROKERS=127.0.0.1:1 AP_KAFKA_SSL_CA_FILE="$work/ca.crt" AP_REDIS_HOST=127.0.0.1 AP_REDIS_PORT=1 \
      AP_KAFKA_SASL_PASSWORD=x AP_REDIS_PASSWORD=x AP_HTTP_PORT=0 \
      "$build/ap-$b" --config "$work/$b.conf" > "$work/$b.log" 2>&1 & p=$!
  sleep 1.5
  kill -TERM "$p" 2>/dev/null || true
  rc=0; wait "$p" || rc=$?
  check "ap-$b accepts the ConfigMap's settings" "0" "$rc"
  [ "$rc" = 0 ] || tail -3 "$work/$b.log"
done

# compose: the broker's data in its volume, processor and ticker, the image built here.
"$py/python" - "$root/deploy/compose.yaml" > "$work/compose.txt" <<'PY'
import sys, yaml
c = yaml.safe_load(open(sys.argv[1]))
s = c["services"]
kafka = s["kafka"]
mount = kafka["volumes"][0].split(":")[1]
print("log-dirs-in-volume", kafka["environment"]["KAFKA_LOG_DIRS"] == mount)
print("services", " ".join(sorted(s)))
print("processor-builds", "build" in s["processor"])
print("ticker-runs", s["ticker"]["entrypoint"] == ["ap-ticker"])
print("http-published", any("9464" in p for p in s["processor"].get("ports", [])))
PY
check "compose: Kafka's log directories inside its volume" "log-dirs-in-volume True" "$(grep log-dirs "$work/compose.txt")"
check "compose: its services" "services kafka processor redis ticker topics" "$(grep ^services "$work/compose.txt")"
check "compose: the processor builds its image" "processor-builds True" "$(grep processor-builds "$work/compose.txt")"
check "compose: the ticker runs" "ticker-runs True" "$(grep ticker-runs "$work/compose.txt")"
check "compose: the metrics port on the host" "http-published True" "$(grep http-published "$work/compose.txt")"
# The image: every binary, a health check, packages Debian 12 has.
check "image: every service binary" "1" \
  "$(grep -c 'COPY --from=build /build/ap-processor /build/ap-ticker /build/ap-replay /build/apctl' "$root/deploy/Dockerfile")"
check "image: a HEALTHCHECK on /healthz" "1" "$(grep -c '^HEALTHCHECK' "$root/deploy/Dockerfile")"
missing=0
for p in $(sed -n '/^FROM debian:12-slim$/,$p' "$root/deploy/Dockerfile" | grep -o 'lib[a-z0-9.+-]*[0-9]\b\|zlib1g\|curl' | sort -u); do
  policy=$(apt-cache policy "$p" 2>/dev/null || true)
  case $policy in *"Candidate: "[0-9]*) ;; *) echo "     not in Debian: $p"; missing=$((missing + 1)) ;; esac
done
check "image: its run-time packages exist in Debian" "0" "$missing"
[ "$failures" -eq 0 ]
