#!/bin/bash
# Starts a distribution registry (Debian's docker-registry) inside a bed, as root: on an address of
# the bed itself, or on a host of its own (a network namespace joined to the bed by a veth pair).
# Optional TLS from a throw-away CA, optional htpasswd auth. Prints {"host":…,"caPath":…}.
#
# Environment (set by Bed.startRegistry):
#   NAME                  registry name (netns name, directory /run/registries/$NAME)
#   ADDR                  ip:port on the bed, when NETNS_IP is empty
#   NETNS_IP, PORT        the registry host's address, REG_HOSTNAME an optional DNS name for it
#   TLS=1                 serve HTTPS with a certificate whose SAN names the host
#   HT_USER, HT_PASSWORD  require these credentials (bcrypt htpasswd)
set -euo pipefail

dir=/run/registries/$NAME
if [ -e "$dir" ]; then echo "registry $NAME already exists in this bed" >&2; exit 1; fi
mkdir -p "$dir/data"
chmod 755 /run/registries "$dir"
log=/run/bed/registry-$NAME.log
run=()

if [ -n "${NETNS_IP:-}" ]; then
  ip=$NETNS_IP
  listen=$ip:$PORT
  # The bed's end of the link: .1 of the registry's /24 (.2 if the registry is .1), host routes only,
  # so several registry hosts can share a subnet and nothing collides with docker0 or eth0.
  local_ip=${ip%.*}.1
  [ "$local_ip" = "$ip" ] && local_ip=${ip%.*}.2
  n=$(find /run/registries -mindepth 1 -maxdepth 1 | wc -l)
  veth=vreg$n
  ip netns add "$NAME"
  ip link add "$veth" type veth peer name eth0 netns "$NAME"
  ip addr add "$local_ip/32" dev "$veth"
  ip link set "$veth" up
  ip route add "$ip/32" dev "$veth" src "$local_ip"
  ip -n "$NAME" link set lo up
  ip -n "$NAME" addr add "$ip/32" dev eth0
  ip -n "$NAME" link set eth0 up
  ip -n "$NAME" route add "$local_ip/32" dev eth0
  ip -n "$NAME" route add default via "$local_ip" dev eth0
  run=(ip netns exec "$NAME")
  name=${REG_HOSTNAME:-$ip}
  if [ -n "${REG_HOSTNAME:-}" ]; then echo "$ip $REG_HOSTNAME" >> /etc/hosts; fi
  host=$name:$PORT
else
  listen=$ADDR
  host=$ADDR
  ip=${ADDR%:*}
  name=$ip
fi

tls=''
scheme=http
cacert=()
if [ "${TLS:-}" = 1 ]; then
  scheme=https
  san="IP:$ip"
  [ "$name" != "$ip" ] && san="DNS:$name,$san"
  case $ip in 127.*) san="$san,DNS:localhost" ;; esac
  ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
  openssl req -x509 "${ec[@]}" -days 30 -subj "/CN=bed registry $NAME CA" \
    -keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
  openssl req "${ec[@]}" -subj "/CN=$name" -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
  printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n' "$san" > "$dir/server.ext"
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
    -days 30 -extfile "$dir/server.ext" -out "$dir/server.crt" 2>/dev/null
  chmod 644 "$dir/ca.crt"
  cacert=(--cacert "$dir/ca.crt")
  tls="  tls:
    certificate: $dir/server.crt
    key: $dir/server.key"
fi

auth=''
if [ -n "${HT_USER:-}" ]; then
  htpasswd -Bbn "$HT_USER" "$HT_PASSWORD" > "$dir/htpasswd"
  auth="auth:
  htpasswd:
    realm: bed-registry-$NAME
    path: $dir/htpasswd"
fi

cat > "$dir/config.yml" <<YAML
version: 0.1
log:
  level: info
  formatter: text
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
http:
  addr: $listen
$tls
$auth
YAML

setsid "${run[@]}" docker-registry serve "$dir/config.yml" >> "$log" 2>&1 < /dev/null &

for _ in $(seq 200); do
  code=$(curl -s -o /dev/null -w '%{http_code}' "${cacert[@]}" "$scheme://$host/v2/" 2>/dev/null || true)
  [ "$code" = 200 ] || [ "$code" = 401 ] && break
  sleep 0.05
done
if [ "$code" != 200 ] && [ "$code" != 401 ]; then
  echo "registry $NAME did not answer on $scheme://$host/v2/; end of $log:" >&2
  tail -n 20 "$log" >&2
  exit 1
fi
ca=''
[ "$scheme" = https ] && ca=$dir/ca.crt
printf '{"host":"%s","caPath":"%s"}\n' "$host" "$ca"
