#!/usr/bin/env bash
# Installs and starts the loopback-only services the integration tests need:
#   MariaDB    127.0.0.1:3306  db guerrilla_test, user guerrilla/guerrilla
#   PostgreSQL 127.0.0.1:5432  db guerrilla_test, role guerrilla/guerrilla
#   Redis      127.0.0.1:6379
#   Memcached  127.0.0.1:11211
# (the outage tests also run private mariadbd/redis-server instances of their own, on free ports)
# plus client tools (swaks, sqlite3, postfix's smtp-source/smtp-sink, curl, ...).
#
# Debian 12, run as root, no systemd needed (init scripts via `service`).
# Idempotent: safe to run again; skips apt when everything is installed and
# leaves running services alone. Exports nothing.
set -euo pipefail

START_TS=$SECONDS
export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:${PATH:-}"
export DEBIAN_FRONTEND=noninteractive
cd /   # runuser'd commands (postgres) must not inherit an unreadable cwd

DB_NAME=guerrilla_test
DB_USER=guerrilla
DB_PASS=guerrilla
WAIT_SECS=${SERVICES_WAIT_SECS:-60}

log()  { printf '[services] %s\n' "$*"; }
die()  { printf '[services] ERROR: %s\n' "$*" >&2; exit 1; }

if [ "$(id -u)" -ne 0 ]; then
  # Developers run the README's test command as themselves; the packages and services need root.
  command -v sudo >/dev/null 2>&1 || die "must run as root (installs packages, starts services)"
  exec sudo -E bash "$0" "$@"
fi

# ---------------------------------------------------------------- 1. install
PACKAGES=(
  mariadb-server mariadb-client
  postgresql postgresql-client
  redis-server redis-tools
  memcached
  postfix swaks sqlite3
  libnet-ssleay-perl   # swaks --tls / --tls-on-connect
  curl openssl procps iproute2 ca-certificates
)
# binaries that must exist afterwards (smtp-source/smtp-sink come from postfix)
BINARIES=(
  mariadbd mariadb-install-db mysql mysqladmin
  pg_ctlcluster pg_lsclusters pg_createcluster psql pg_isready
  redis-server redis-cli
  memcached
  swaks sqlite3 smtp-source smtp-sink postfix
  curl openssl ps pgrep ss runuser
)

missing_bins() {
  local b out=()
  for b in "${BINARIES[@]}"; do command -v "$b" >/dev/null 2>&1 || out+=("$b"); done
  echo "${out[*]:-}"
}
missing_pkgs() {
  local p out=()
  for p in "${PACKAGES[@]}"; do
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)" = installed ] || out+=("$p")
  done
  echo "${out[*]:-}"
}

MB=$(missing_bins); MP=$(missing_pkgs)
if [ -z "$MB" ] && [ -z "$MP" ]; then
  log "all packages already installed, skipping apt"
else
  log "installing packages (missing binaries: ${MB:-none}; missing packages: ${MP:-none})"
  # Postfix only for its smtp-source/smtp-sink tools: no MTA configuration.
  echo 'postfix postfix/main_mailer_type select No configuration' | debconf-set-selections
  echo "postfix postfix/mailname string $(hostname -f 2>/dev/null || hostname)" | debconf-set-selections

  # Keep maintainer scripts from starting any daemon during the install (we
  # start what we need ourselves below, and postfix must never run). Only
  # install our own policy-rc.d when the machine has none, and remove it after.
  OWN_POLICY=
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    OWN_POLICY=1
    trap '[ -n "${OWN_POLICY:-}" ] && rm -f /usr/sbin/policy-rc.d' EXIT
  fi

  APT_LOG=$(mktemp /tmp/ci-services-apt.XXXXXX.log)
  APT_OPTS=(-o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
  t0=$SECONDS
  if ! apt-get "${APT_OPTS[@]}" update >"$APT_LOG" 2>&1; then
    tail -n 40 "$APT_LOG" >&2; die "apt-get update failed (full log: $APT_LOG)"
  fi
  if ! apt-get "${APT_OPTS[@]}" install -y --no-install-recommends "${PACKAGES[@]}" >>"$APT_LOG" 2>&1; then
    tail -n 60 "$APT_LOG" >&2; die "apt-get install failed (full log: $APT_LOG)"
  fi
  if [ -n "$OWN_POLICY" ]; then rm -f /usr/sbin/policy-rc.d; OWN_POLICY=; trap - EXIT; fi
  log "apt done in $((SECONDS - t0)) s (log: $APT_LOG)"
  MB=$(missing_bins)
  [ -z "$MB" ] || die "still missing after install: $MB"
fi

# ------------------------------------------------------- postfix stays down
if pgrep -x master >/dev/null 2>&1 || pgrep -f '/usr/lib/postfix/sbin/master' >/dev/null 2>&1; then
  log "postfix master is running: stopping it (only its tools are wanted)"
  postfix stop >/dev/null 2>&1 || service postfix stop >/dev/null 2>&1 || true
  sleep 1
fi
update-rc.d postfix disable >/dev/null 2>&1 || true

# ----------------------------------------------------------------- helpers
# wait_for NAME CMD...: poll CMD (quietly) for up to WAIT_SECS seconds.
wait_for() {
  local name=$1; shift
  local deadline=$((SECONDS + WAIT_SECS))
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 1
  done
}

# Write FILE with CONTENT only when it differs; returns 0 if it changed.
write_if_changed() {
  local file=$1 content=$2
  if [ -f "$file" ] && [ "$(cat "$file")" = "$content" ]; then return 1; fi
  mkdir -p "$(dirname "$file")"
  printf '%s\n' "$content" > "$file"
  return 0
}

# Fail if anything listens on PORT on a non-loopback address.
assert_loopback_only() {
  local name=$1 port=$2 bad
  bad=$(ss -Hltn "sport = :$port" 2>/dev/null | awk '{print $4}' \
        | grep -Ev '^(127\.[0-9.]+|\[::1\]|::1):[0-9]+$' || true)
  [ -z "$bad" ] || die "$name listens on non-loopback address(es): $bad"
}

memcached_cmd() {  # memcached_cmd 'text protocol line' -> first response line
  timeout 3 bash -c '
    exec 3<>/dev/tcp/127.0.0.1/11211 || exit 1
    printf "%s\r\n" "$1" >&3
    IFS= read -r -t 2 line <&3 || exit 1
    printf "%s\n" "${line%$'"'"'\r'"'"'}"
    exec 3>&-' _ "$1"
}

mysql_root() { mysql --protocol=socket -uroot "$@"; }
pg_super()   { runuser -u postgres -- psql -X -v ON_ERROR_STOP=1 -p 5432 "$@"; }

mariadb_ready()   { mysqladmin --protocol=socket -uroot ping; }
postgres_ready()  { pg_isready -q -h 127.0.0.1 -p 5432; }
redis_ready()     { [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = PONG ]; }
memcached_ready() { memcached_cmd version | grep -q '^VERSION '; }

# start_service NAME READY_FN RESTART(0/1) CMD...: idempotent start.
start_service() {
  local name=$1 ready=$2 restart=$3; shift 3
  if "$ready" >/dev/null 2>&1; then
    if [ "$restart" = 1 ]; then
      log "$name: config changed, restarting"
      "$@" restart >/dev/null 2>&1 || die "$name: restart failed ($* restart)"
    else
      log "$name: already running"
      return 0
    fi
  else
    log "$name: starting ($* start)"
    "$@" start >/dev/null 2>&1 || log "$name: '$* start' returned non-zero, waiting anyway"
  fi
}

# --------------------------------------------------- 4. loopback-only config
# MariaDB: Debian default is bind-address=127.0.0.1; enforce with a drop-in
# that sorts after 50-server.cnf.
MARIADB_CHANGED=0
write_if_changed /etc/mysql/mariadb.conf.d/99-guerrilla-ci.cnf \
"# written by .ci/services.sh
[mysqld]
bind-address = 127.0.0.1
port         = 3306" && MARIADB_CHANGED=1

# PostgreSQL: use (or create) the cluster on port 5432.
PG_LINE=$(pg_lsclusters -h 2>/dev/null | awk '$3 == 5432 {print; exit}')
if [ -z "$PG_LINE" ]; then
  if [ -n "$(pg_lsclusters -h 2>/dev/null)" ]; then
    pg_lsclusters >&2
    die "postgresql: clusters exist but none on port 5432"
  fi
  PG_VER=$(ls /usr/lib/postgresql/ | sort -V | tail -n1)
  [ -n "$PG_VER" ] || die "postgresql: no server version under /usr/lib/postgresql"
  log "postgresql: no cluster found, creating $PG_VER/main on port 5432"
  pg_createcluster "$PG_VER" main --port 5432 >/dev/null
  PG_LINE=$(pg_lsclusters -h | awk '$3 == 5432 {print; exit}')
fi
PG_VER=$(awk '{print $1}' <<<"$PG_LINE")
PG_CLUSTER=$(awk '{print $2}' <<<"$PG_LINE")
PG_CONF_DIR=/etc/postgresql/$PG_VER/$PG_CLUSTER
PG_CHANGED=0
write_if_changed "$PG_CONF_DIR/conf.d/90-guerrilla-ci.conf" \
"# written by .ci/services.sh
listen_addresses = 'localhost'
port = 5432
password_encryption = 'scram-sha-256'" && PG_CHANGED=1
chown postgres:postgres "$PG_CONF_DIR/conf.d/90-guerrilla-ci.conf"
# pg_hba: Debian's default allows scram for host 127.0.0.1/32; add it if gone.
PG_HBA_RELOAD=0
if ! grep -Eq '^[[:space:]]*host[[:space:]]+all[[:space:]]+all[[:space:]]+127\.0\.0\.1/32[[:space:]]+(scram-sha-256|md5)' "$PG_CONF_DIR/pg_hba.conf"; then
  log "postgresql: adding 'host all all 127.0.0.1/32 scram-sha-256' to pg_hba.conf"
  sed -i '1i host    all             all             127.0.0.1/32            scram-sha-256  # .ci/services.sh' \
    "$PG_CONF_DIR/pg_hba.conf"
  PG_HBA_RELOAD=1
fi

# Redis: Debian default is "bind 127.0.0.1 -::1"; enforce loopback-only.
REDIS_CONF=/etc/redis/redis.conf
REDIS_CHANGED=0
if ! grep -Eq '^bind[[:space:]]+127\.0\.0\.1([[:space:]]+-?::1)?[[:space:]]*$' "$REDIS_CONF"; then
  log "redis: forcing 'bind 127.0.0.1 -::1' in $REDIS_CONF"
  sed -i -E 's/^[[:space:]]*bind[[:space:]].*$/# &  (replaced by .ci\/services.sh)/' "$REDIS_CONF"
  echo 'bind 127.0.0.1 -::1' >> "$REDIS_CONF"
  REDIS_CHANGED=1
fi
if ! grep -Eq '^port[[:space:]]+6379[[:space:]]*$' "$REDIS_CONF"; then
  sed -i -E 's/^[[:space:]]*port[[:space:]].*$/# &  (replaced by .ci\/services.sh)/' "$REDIS_CONF"
  echo 'port 6379' >> "$REDIS_CONF"
  REDIS_CHANGED=1
fi

# Memcached: Debian default /etc/memcached.conf has "-l 127.0.0.1" and "-p 11211".
MC_CONF=/etc/memcached.conf
MC_CHANGED=0
if ! grep -Eq '^-l[[:space:]]+127\.0\.0\.1[[:space:]]*$' "$MC_CONF"; then
  log "memcached: forcing '-l 127.0.0.1' in $MC_CONF"
  sed -i -E 's/^-l[[:space:]].*$/# &  (replaced by .ci\/services.sh)/' "$MC_CONF"
  echo '-l 127.0.0.1' >> "$MC_CONF"
  MC_CHANGED=1
fi
if ! grep -Eq '^-p[[:space:]]+11211[[:space:]]*$' "$MC_CONF"; then
  sed -i -E 's/^-p[[:space:]].*$/# &  (replaced by .ci\/services.sh)/' "$MC_CONF"
  echo '-p 11211' >> "$MC_CONF"
  MC_CHANGED=1
fi

# ------------------------------------------------------------ 2. start + wait
start_service mariadb    mariadb_ready   "$MARIADB_CHANGED" service mariadb
start_service postgresql postgres_ready  "$PG_CHANGED"      pg_ctlcluster "$PG_VER" "$PG_CLUSTER"
start_service redis      redis_ready     "$REDIS_CHANGED"   service redis-server
start_service memcached  memcached_ready "$MC_CHANGED"      service memcached

wait_for mariadb    mariadb_ready   || die "mariadb did not answer 'mysqladmin ping' within ${WAIT_SECS}s (see /var/log/mysql/error.log or 'journalctl'; try: service mariadb start)"
wait_for postgresql postgres_ready  || die "postgresql did not answer 'pg_isready -h 127.0.0.1' within ${WAIT_SECS}s (see /var/log/postgresql/postgresql-$PG_VER-$PG_CLUSTER.log)"
wait_for redis      redis_ready     || die "redis did not answer PING on 127.0.0.1:6379 within ${WAIT_SECS}s (see /var/log/redis/redis-server.log)"
wait_for memcached  memcached_ready || die "memcached did not answer 'version' on 127.0.0.1:11211 within ${WAIT_SECS}s (see /var/log/memcached.log)"

if [ "$PG_HBA_RELOAD" = 1 ]; then
  pg_ctlcluster "$PG_VER" "$PG_CLUSTER" reload >/dev/null
fi

assert_loopback_only mariadb    3306
assert_loopback_only postgresql 5432
assert_loopback_only redis      6379
assert_loopback_only memcached  11211

# --------------------------------------------------- 3. databases and users
mysql_root <<SQL || die "mariadb: creating database/users failed"
CREATE DATABASE IF NOT EXISTS \`$DB_NAME\`;
CREATE USER IF NOT EXISTS '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASS';
CREATE USER IF NOT EXISTS '$DB_USER'@'127.0.0.1' IDENTIFIED BY '$DB_PASS';
CREATE USER IF NOT EXISTS '$DB_USER'@'::1'       IDENTIFIED BY '$DB_PASS';
ALTER USER '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASS';
ALTER USER '$DB_USER'@'127.0.0.1' IDENTIFIED BY '$DB_PASS';
ALTER USER '$DB_USER'@'::1'       IDENTIFIED BY '$DB_PASS';
GRANT ALL PRIVILEGES ON \`$DB_NAME\`.*       TO '$DB_USER'@'localhost', '$DB_USER'@'127.0.0.1', '$DB_USER'@'::1';
GRANT ALL PRIVILEGES ON \`guerrilla\\_test%\`.* TO '$DB_USER'@'localhost', '$DB_USER'@'127.0.0.1', '$DB_USER'@'::1';
FLUSH PRIVILEGES;
SQL

if [ "$(pg_super -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$DB_USER'")" = 1 ]; then
  pg_super -qc "ALTER ROLE $DB_USER WITH LOGIN CREATEDB PASSWORD '$DB_PASS'" \
    || die "postgresql: ALTER ROLE $DB_USER failed"
else
  pg_super -qc "CREATE ROLE $DB_USER WITH LOGIN CREATEDB PASSWORD '$DB_PASS'" \
    || die "postgresql: CREATE ROLE $DB_USER failed"
fi
if [ "$(pg_super -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" = 1 ]; then
  pg_super -qc "ALTER DATABASE $DB_NAME OWNER TO $DB_USER" \
    || die "postgresql: ALTER DATABASE $DB_NAME OWNER failed"
else
  pg_super -qc "CREATE DATABASE $DB_NAME OWNER $DB_USER" \
    || die "postgresql: CREATE DATABASE $DB_NAME failed"
fi

# -------------------------------------------- verify as the tests will connect
mysql --protocol=tcp -h127.0.0.1 -P3306 -u"$DB_USER" -p"$DB_PASS" "$DB_NAME" -N -e 'SELECT 1' >/dev/null \
  || die "mariadb: cannot log in as $DB_USER over TCP 127.0.0.1:3306"
PGPASSWORD=$DB_PASS psql -X -h 127.0.0.1 -p 5432 -U "$DB_USER" -d "$DB_NAME" -tAc 'SELECT 1' >/dev/null \
  || die "postgresql: cannot log in as $DB_USER over TCP 127.0.0.1:5432 (check pg_hba.conf)"

# postfix must not be listening on port 25
if [ -n "$(ss -Hltn 'sport = :25' 2>/dev/null)" ]; then
  ss -ltnp 'sport = :25' >&2 || true
  die "something listens on port 25 (postfix MTA must not run in CI)"
fi

# ------------------------------------------------------------------ 5. report
MARIADB_V=$(mysql_root -N -e 'SELECT VERSION()')
PG_V=$(pg_super -tAc 'SHOW server_version')
REDIS_V=$(redis-cli -h 127.0.0.1 -p 6379 info server | tr -d '\r' | awk -F: '$1 == "redis_version" {print $2}')
MC_V=$(memcached_cmd version | awk '{print $2}')
log "ready: mariadb    $MARIADB_V on 127.0.0.1:3306 (db $DB_NAME, user $DB_USER)"
log "ready: postgresql $PG_V on 127.0.0.1:5432 (cluster $PG_VER/$PG_CLUSTER, db $DB_NAME, role $DB_USER)"
log "ready: redis      $REDIS_V on 127.0.0.1:6379"
log "ready: memcached  $MC_V on 127.0.0.1:11211"
log "tools: $(swaks --version 2>&1 | head -n1 | tr -s ' '); sqlite3 $(sqlite3 --version | awk '{print $1}'); postfix $(postconf -d -h mail_version 2>/dev/null || echo '?') (smtp-source/smtp-sink, daemon not running)"
log "done in $((SECONDS - START_TS)) s"

# ------------------------------------------------ 6. packaging tools (ops)
# systemd-analyze verifies packaging/systemd/guerrillad.service (SystemdUnitTest); buildah builds
# packaging/Dockerfile without a daemon (ContainerImageIT). Installed only, never started: systemd is
# not PID 1 here, and buildah needs no service.
OPS_PKGS=()
command -v systemd-analyze >/dev/null 2>&1 || OPS_PKGS+=(systemd)
command -v buildah >/dev/null 2>&1 || OPS_PKGS+=(buildah)
if [ "${#OPS_PKGS[@]}" -gt 0 ]; then
  log "installing ${OPS_PKGS[*]}"
  apt-get install -y -q --no-install-recommends "${OPS_PKGS[@]}" >/dev/null \
    || { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends "${OPS_PKGS[@]}" >/dev/null; } \
    || die "cannot install ${OPS_PKGS[*]}"
fi
log "tools: $(systemd-analyze --version | head -n1); $(buildah --version)"

# ------------------------------------------- 7. browser and balancer tools
# Headless Chromium driven by Selenium's Java bindings (support/Browser) for the web inbox and the
# dashboard; Debian's chromedriver matches Debian's chromium, so nothing downloads a browser at run
# time. HAProxy (mode tcp, send-proxy-v2) fronts several nodes in ClusterIT. Installed, not started.
WEB_PKGS=()
command -v chromium >/dev/null 2>&1 || WEB_PKGS+=(chromium)
command -v chromedriver >/dev/null 2>&1 || WEB_PKGS+=(chromium-driver)
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || WEB_PKGS+=(haproxy)
if [ "${#WEB_PKGS[@]}" -gt 0 ]; then
  log "installing ${WEB_PKGS[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${WEB_PKGS[@]}" >/dev/null \
    || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${WEB_PKGS[@]}" >/dev/null; } \
    || die "cannot install ${WEB_PKGS[*]}"
fi
log "tools: $(chromium --version 2>/dev/null | head -n1); $(chromedriver --version | cut -d' ' -f1-2); $(/usr/sbin/haproxy -v | head -n1)"
