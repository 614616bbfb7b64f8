# shellcheck shell=bash
# Shared helpers for infra/local/up and infra/local/down. Sourced, not executed.
# Expects the caller to have set: set -euo pipefail
# shellcheck disable=SC2034 # variables defined here are used by up and down

# ---------------------------------------------------------------- paths, output

INFRA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_ROOT="$(cd "$INFRA_DIR/../.." && pwd -P)"
DATA_DIR="$REPO_ROOT/.data"
STATE_FILE="$DATA_DIR/started-by-up"
NATS_STORE="$DATA_DIR/nats"
NATS_PIDFILE="$DATA_DIR/nats.pid"
NATS_LOG="$DATA_DIR/nats.log"
PG_DIR="$DATA_DIR/pg"
PG_LOG="$DATA_DIR/pg.log"
WAIT_SECONDS="${ROLLGATE_INFRA_WAIT:-30}"

QUIET=0
SCRIPT_NAME="infra/local/$(basename "$0")"

say() { [[ $QUIET == 1 ]] || printf '%s\n' "$*"; }
warn() { printf '%s: warning: %s\n' "$SCRIPT_NAME" "$*" >&2; }
die() { printf '%s: error: %s\n' "$SCRIPT_NAME" "$*" >&2; exit 1; }

have() { command -v "$1" >/dev/null 2>&1; }

# Serialise concurrent up/down runs (two terminals running `npm test`). Servers we start must not
# inherit fd 9 (they would hold the lock forever): every start command closes it with 9>&-.
take_lock() {
  mkdir -p "$DATA_DIR"
  if have flock; then
    exec 9>"$DATA_DIR/.lock"
    flock -w 120 9 || die "another infra/local/up or down is still running (lock $DATA_DIR/.lock)"
  fi
}

# Run a command with a time limit when `timeout` exists.
with_timeout() {
  local secs=$1; shift
  if have timeout; then timeout "$secs" "$@"; else "$@"; fi
}

# ---------------------------------------------------------------- URLs

is_loopback() {
  case "$1" in
    localhost | 127.* | ::1 | 0:0:0:0:0:0:0:1) return 0 ;;
    *) return 1 ;;
  esac
}

# Host and port as people write them: 127.0.0.1:5432, [::1]:5432.
hostport() { if [[ $1 == *:* ]]; then printf '[%s]:%s' "$1" "$2"; else printf '%s:%s' "$1" "$2"; fi; }

# Sets PG_USER PG_PASS PG_HOST PG_PORT PG_DB PG_QUERY PG_SCHEME from DATABASE_URL.
parse_database_url() {
  local url=$1 re='^(postgres|postgresql)://(([^@/]*)@)?(\[[^]/]*\]|[^:/?]*)(:([0-9]+))?(/([^?]*))?(\?.*)?$'
  [[ $url =~ $re ]] || die "cannot parse DATABASE_URL '$url' (expected postgres://user@host:port/db)"
  PG_SCHEME=${BASH_REMATCH[1]}
  local userinfo=${BASH_REMATCH[3]}
  PG_HOST=${BASH_REMATCH[4]}
  PG_PORT=${BASH_REMATCH[6]:-5432}
  PG_DB=${BASH_REMATCH[8]}
  PG_QUERY=${BASH_REMATCH[9]}
  PG_USER=${userinfo%%:*}
  PG_PASS=''
  [[ $userinfo == *:* ]] && PG_PASS=${userinfo#*:}
  PG_USER=${PG_USER:-postgres}
  PG_HOST=${PG_HOST#[}; PG_HOST=${PG_HOST%]}
  PG_HOST=${PG_HOST:-127.0.0.1}
  PG_DB=${PG_DB:-$PG_USER}
}

# Sets NATS_HOST NATS_PORT from NATS_URL (first server of a comma-separated list).
parse_nats_url() {
  local url=${1%%,*} re='^((nats|tls)://)?(([^@/]*)@)?(\[[^]/]*\]|[^:/?]*)(:([0-9]+))?/?$'
  [[ $url =~ $re ]] || die "cannot parse NATS_URL '$1' (expected nats://host:port)"
  NATS_HOST=${BASH_REMATCH[5]}
  NATS_PORT=${BASH_REMATCH[7]:-4222}
  NATS_HOST=${NATS_HOST#[}; NATS_HOST=${NATS_HOST%]}
  NATS_HOST=${NATS_HOST:-127.0.0.1}
}

# ---------------------------------------------------------------- processes

# Prints the command line of a live process, fails if there is none.
pid_cmdline() {
  local pid=$1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  if [[ -r /proc/$pid/cmdline ]]; then
    tr '\0' ' ' <"/proc/$pid/cmdline"
  elif [[ -d /proc/1 ]]; then
    return 1
  else
    ps -o args= -p "$pid" 2>/dev/null
  fi
}

# pid_is PID WORD: the process PID is alive and its command line mentions WORD.
pid_is() {
  local cmd
  cmd=$(pid_cmdline "$1") || return 1
  [[ -n $cmd && $cmd == *"$2"* ]]
}

# Waits up to $2 seconds for process $1 to exit.
wait_pid_gone() {
  local pid=$1 i
  for ((i = 0; i < $2 * 5; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.2
  done
  ! kill -0 "$pid" 2>/dev/null
}

# First line of a postmaster.pid file (the postmaster's pid).
postmaster_pid() { [[ -r $1/postmaster.pid ]] && head -n 1 "$1/postmaster.pid"; }

# ---------------------------------------------------------------- state file
# One line per server that `up` started:
#   nats pid <pid>
#   postgres debian <version> <cluster> <pid>
#   postgres pgdata <pid>            (the cluster in .data/pg)

state_add() {
  mkdir -p "$DATA_DIR"
  state_remove "$1"
  printf '%s\n' "$*" >>"$STATE_FILE"
}

# Removes the line(s) for one server (nats / postgres).
state_remove() {
  [[ -f $STATE_FILE ]] || return 0
  local tmp="$STATE_FILE.tmp.$$"
  grep -v -E "^$1( |\$)" "$STATE_FILE" >"$tmp" || true
  if [[ -s $tmp ]]; then mv -f "$tmp" "$STATE_FILE"; else rm -f "$tmp" "$STATE_FILE"; fi
}

state_get() { [[ -f $STATE_FILE ]] && grep -E "^$1 " "$STATE_FILE" | tail -n 1; }

# ---------------------------------------------------------------- PostgreSQL tools

# Newest installed server bin dir (/usr/lib/postgresql/<v>/bin), or the dir of initdb on PATH.
pg_bindir() {
  local d
  d=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)
  if [[ -n $d && -x $d/initdb && -x $d/pg_ctl ]]; then printf '%s\n' "$d"; return 0; fi
  if have initdb && have pg_ctl; then dirname "$(command -v initdb)"; return 0; fi
  return 1
}

# A client tool (pg_isready, psql): from PATH, else from a server bin dir.
pg_tool() {
  if have "$1"; then command -v "$1"; return 0; fi
  local t
  t=$(find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path "*/bin/$1" 2>/dev/null | sort -V | tail -n 1)
  [[ -n $t && -x $t ]] && printf '%s\n' "$t"
}

# Runs a command as the OS user that owns PostgreSQL data (postgres refuses to run as root).
as_pg() {
  if [[ $(id -u) != 0 ]]; then "$@"; return; fi
  getent passwd postgres >/dev/null 2>&1 || die "running as root but there is no 'postgres' OS user to run PostgreSQL as"
  if have runuser; then
    runuser -u postgres -- "$@"
  else
    # shellcheck disable=SC2016 # expanded by the inner sh
    su -s /bin/sh postgres -c '"$0" "$@"' "$@"
  fi
}

# Debian clusters: prints "version cluster port status datadir" per cluster (needs postgresql-common).
debian_clusters() {
  have pg_lsclusters || return 0
  pg_lsclusters -h 2>/dev/null | awk '{print $1, $2, $3, $4, $6}'
}
