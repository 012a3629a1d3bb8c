#!/usr/bin/env bash
# Redis over TLS for services built on a client without TLS (Debian 12's
# hiredis 0.14), as README Security deploys it: Redis listens on a TLS port
# only, and a local stunnel (Debian's stunnel4) in client mode accepts plain
# connections on 127.0.0.1 and forwards them over TLS, verifying Redis's
# certificate against the CA and the host name. Certificates are made here
# with openssl; Redis, stunnel and the files are this test's own.
# Checks: the store contract passes through the tunnel as the ACL user; the
# TLS port refuses plain text; a tunnel trusting another CA, or expecting
# another host name, gets no connection.
#   redis_tls.sh CONTRACT_TEST_BINARY
set -euo pipefail
contract=$(realpath "$1")
root=$(cd "$(dirname "$0")/../.." && pwd)
command -v stunnel4 >/dev/null || { echo "stunnel4 not installed (deploy/scripts/setup.sh installs it)"; exit 1; }
umask 077
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"' EXIT
failures=0
check() { # check NAME EXPECTED ACTUAL
  if [ "$2" == "$3" ]; then echo "ok   $1"; else echo "FAIL $1: expected [$2] got [$3]"; failures=$((failures + 1)); fi
}

# Four free loopback ports, below the usual ephemeral range (32768 up).
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
ports=()
while [ ${#ports[@]} -lt 4 ]; do
  p=$((20000 + RANDOM % 10000))
  port_free "$p" && [[ " ${ports[*]} " != *" $p "* ]] && ports+=("$p")
done
tls_port=${ports[0]} tunnel=${ports[1]} wrong_ca=${ports[2]} wrong_host=${ports[3]}

# A CA, Redis's certificate from it (for localhost and 127.0.0.1), and another CA.
ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
cd "$work"
openssl req -x509 "${ec[@]}" -keyout ca.key -out ca.pem -days 2 -subj /CN=ap-test-ca 2>/dev/null
openssl req -x509 "${ec[@]}" -keyout other-ca.key -out other-ca.pem -days 2 -subj /CN=ap-other-ca 2>/dev/null
openssl req "${ec[@]}" -keyout redis.key -out redis.csr -subj /CN=localhost 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > san.ext
openssl x509 -req -in redis.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile san.ext -out redis.pem 2>/dev/null

# Redis: TLS port only (port 0: no plain-text listener), the env's users.
"$root/deploy/scripts/redis-acl.sh" "$work"
redis-server --bind 127.0.0.1 --port 0 --tls-port "$tls_port" --tls-cert-file redis.pem --tls-key-file redis.key \
  --tls-ca-cert-file ca.pem --tls-auth-clients no --aclfile "$work/users.acl" --dir "$work" --save "" \
  --appendonly no --logfile "$work/redis.log" --daemonize no </dev/null >/dev/null 2>&1 &
pids+=($!)

# stunnel, client mode: three tunnels, only the first trusting the right CA and name.
tunnel_conf() { # NAME ACCEPT_PORT CA_FILE HOST
  printf '[%s]\nclient = yes\naccept = 127.0.0.1:%s\nconnect = 127.0.0.1:%s\nverifyChain = yes\nCAfile = %s\ncheckHost = %s\n' \
    "$1" "$2" "$tls_port" "$work/$3" "$4"
}
{
  printf 'foreground = yes\npid =\noutput = %s\n' "$work/stunnel.log"
  tunnel_conf redis "$tunnel" ca.pem localhost
  tunnel_conf wrong-ca "$wrong_ca" other-ca.pem localhost
  tunnel_conf wrong-host "$wrong_host" ca.pem redis.example.org
} > stunnel.conf
stunnel4 "$work/stunnel.conf" </dev/null >/dev/null 2>&1 &
pids+=($!)

# The env.sh the test fixture reads (tests/support/redis_fixture.h): Redis is the tunnel.
printf 'export AP_REDIS_HOST=127.0.0.1\nexport AP_REDIS_PORT=%s\nexport AP_REDIS_USERNAME=ap\n' "$tunnel" > env.sh
as_ap() { REDISCLI_AUTH=$(cat "$work/redis-ap.password") timeout 10 redis-cli --user ap -p "$1" ping 2>&1 || true; }
for _ in $(seq 1 50); do [ "$(as_ap "$tunnel")" = PONG ] && break; sleep 0.2; done

check "through the tunnel, the ACL user reaches Redis" "PONG" "$(as_ap "$tunnel")"
check "the TLS port answers no plain text" "" "$(timeout 10 redis-cli -p "$tls_port" ping 2>/dev/null | grep PONG || true)"
check "a tunnel trusting another CA gets no connection" "" "$(as_ap "$wrong_ca" | grep PONG || true)"
check "a tunnel expecting another host name gets no connection" "" "$(as_ap "$wrong_host" | grep PONG || true)"
check "stunnel refused the certificate: unknown CA, wrong host name" "1 1" \
  "$(grep -q 'Rejected by CERT at depth=1: CN=ap-test-ca' stunnel.log && echo 1 || echo 0) \
$(grep -q 'CERT: Subject checks failed' stunnel.log && echo 1 || echo 0)"

# The store contract (tests/unit/test_store_contract.c) through the tunnel.
rc=0; AP_TEST_ENV=$work "$contract" > contract.log 2>&1 || rc=$?
check "the store contract passes through the TLS tunnel" "0" "$rc"
if [ "$rc" -eq 0 ]; then grep "PASSED" contract.log; else tail -20 contract.log; fi

[ "$failures" -eq 0 ] || { echo "--- stunnel log"; tail -20 stunnel.log; echo "--- redis log"; tail -5 redis.log; exit 1; }
echo "redis_tls: all checks passed"
