# scripts/lib.sh: shell functions shared by ./quickstart and scripts/test.
# Sourced by bash, never executed. Nothing here runs at source time except
# setting TETHER_ROOT and a few defaults.
#
# What lives here, so that the quickstart and the test suite start things
# the same way:
#   packages   tether_install_packages    Debian packages, only what is missing
#                                         (TETHER_PACKAGES; the test suite
#                                         adds TETHER_TEST_PACKAGES)
#   build      tether_build               autoreconf / configure / make
#   users      tether_pg_prepare          who runs PostgreSQL (never root)
#   postgres   tether_pg_init/start/stop  a private cluster on a Unix socket
#   pgbouncer  tether_pgbouncer_start/stop  PgBouncer in front of it (tests)
#   lighttpd   tether_lighttpd_conf/start/stop  the web server and its workers
#   apache     tether_apache_conf/start/stop    Apache 2.4 + mod_fcgid, or
#                                               Apache running plain CGI
#   server     tether_server_conf/start/stop/track  whichever TETHER_SERVER
#                                               names (lighttpd, apache, cgi)
#
# Every process started here is stopped by its PID (pg_ctl uses the PID in
# postmaster.pid), never by name: other tether or PostgreSQL instances on
# the same machine are left alone.

TETHER_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)

# lighttpd, useradd and runuser live in /usr/sbin, which is not in an
# ordinary user's PATH on Debian.
case ":$PATH:" in *:/usr/sbin:*) ;; *) PATH=$PATH:/usr/sbin:/sbin ;; esac

# The Debian 12 packages the build, the quickstart and the tests need.
TETHER_PACKAGES=(autoconf automake libtool pkg-config gcc libc6-dev make libfcgi-dev
	libjson-c-dev libpq-dev libssl-dev libcunit1-dev postgresql lighttpd
	curl python3 python3-jwt valgrind php-cgi)

# What only the test suite adds (./quickstart test, .ci/run): Apache with
# mod_fcgid for the e2e passes through Apache, wrk for the
# benchmarks' tiny run, Debian's Chromium for the browser tests (driven by
# playwright-core from package.json: playwright's own browser downloads
# cannot be used), man-db and groff-base for the install suite's reading of
# the installed manual pages, and node with npm for the js and browser
# suites, and PgBouncer for the e2e passes through a pooler. Debian's
# nodejs (18) only where there is no node at all: one installed otherwise
# (a newer one, say) is kept, and Debian's would fight it over /usr/bin/node.
TETHER_TEST_PACKAGES=(apache2 libapache2-mod-fcgid wrk chromium man-db groff-base pgbouncer)
# The fuzz suite and scripts/fuzz: clang with libFuzzer and the sanitizer
# runtimes (Debian 12 puts those in libclang-rt-14-dev); the static suite:
# cppcheck.
TETHER_FUZZ_PACKAGES=(clang libclang-rt-14-dev)
TETHER_STATIC_PACKAGES=(cppcheck)
TETHER_TEST_PACKAGES+=("${TETHER_FUZZ_PACKAGES[@]}" "${TETHER_STATIC_PACKAGES[@]}")
command -v node >/dev/null 2>&1 || TETHER_TEST_PACKAGES+=(nodejs npm)

# The unprivileged account PostgreSQL (and, where it can, lighttpd) runs as
# when the scripts are started as root: PostgreSQL refuses to run as root.
TETHER_SERVICE_USER=tether

# Role the clusters are created with (initdb -U): it owns the tables and
# runs the migrations. The test suite's workers connect as it too.
TETHER_PG_ROLE=tether
# The quickstart's workers' role: rows only (scripts/roles.sql).
TETHER_PG_APP_ROLE=tether_app

say() { printf '[tether] %s\n' "$*" >&2; }
warn() { printf '[tether] warning: %s\n' "$*" >&2; }
die() {
	printf '[tether] error: %s\n' "$*" >&2
	exit 1
}

tether_is_root() { [ "$(id -u)" -eq 0 ]; }

# Quotes a value for a POSIX shell: 'it'\''s'.
tether_shq() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

# Quotes a value for a libpq conninfo string: 'a \'b\''.
tether_pq_quote() {
	local v=${1//\\/\\\\}
	printf "'%s'" "${v//\'/\\\'}"
}

# A libpq conninfo for database $2 on the cluster whose socket dir is $1, as
# role $3 (default: the owner, TETHER_PG_ROLE).
tether_pg_url() {
	printf 'host=%s dbname=%s user=%s' "$(tether_pq_quote "$1")" "$2" "${3:-$TETHER_PG_ROLE}"
}

# tether_private_log FILE: creates FILE (and its directory) unless it exists
# and makes it readable by its owner and group only, since logs carry
# client addresses and session ids.
tether_private_log() {
	local d
	d=$(dirname "$1")
	mkdir -p "$d" && touch "$1" && chmod 0640 "$1" || return 1
	# As root, the service user (PostgreSQL, lighttpd) must still reach
	# the directory: through its group.
	if tether_is_root; then chgrp "$TETHER_SERVICE_USER" "$d" || return 1; fi
	chmod 0750 "$d"
}

# A short stable name for this checkout (used for directories outside it).
tether_repo_hash() { printf '%s' "$TETHER_ROOT" | sha256sum | cut -c1-12; }

# ---------------------------------------------------------------- packages

# tether_install_packages [PACKAGE...]: installs the Debian packages that
# are missing (of PACKAGE..., by default TETHER_PACKAGES), and only those.
# Root runs apt-get itself; anyone else goes through sudo (for apt-get only).
tether_install_packages() {
	local p st missing=() sudo=() want=("$@")
	[ $# -gt 0 ] || want=("${TETHER_PACKAGES[@]}")
	for p in "${want[@]}"; do
		st=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null) || st=
		[[ $st == ii* ]] || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	command -v apt-get >/dev/null ||
		die "missing packages (${missing[*]}) and no apt-get: this needs Debian 12"
	if ! tether_is_root; then
		command -v sudo >/dev/null ||
			die "missing packages (${missing[*]}): run as root or install sudo"
		sudo=(sudo)
	fi
	say "installing Debian packages: ${missing[*]}"
	# sudo resets the environment: pass DEBIAN_FRONTEND through env(1).
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q ||
		die "apt-get update failed"
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends "${missing[@]}" </dev/null ||
		die "apt-get install failed"
}

# ---------------------------------------------------------------- build

# tether_build DIR CHECK [CONFIGURE-ARGS...]
# Out-of-tree build in DIR: autoreconf when there is no configure script,
# configure when DIR has no Makefile, then make; with CHECK=1 also the test
# programs (make check TESTS= builds them without running them).
tether_build() {
	local dir=$1 check=$2 jobs
	shift 2
	jobs=$(nproc 2>/dev/null || echo 2)
	if [ ! -x "$TETHER_ROOT/configure" ] || [ ! -f "$TETHER_ROOT/Makefile.in" ]; then
		say "autoreconf -fi"
		(cd "$TETHER_ROOT" && autoreconf -fi) || return 1
	fi
	mkdir -p "$dir" || return 1
	if [ ! -f "$dir/Makefile" ]; then
		say "configure $* (in ${dir#"$TETHER_ROOT"/})"
		(cd "$dir" && "$TETHER_ROOT/configure" "$@") || return 1
	fi
	say "make (in ${dir#"$TETHER_ROOT"/})"
	(cd "$dir" && make -j"$jobs") || return 1
	if [ "$check" = 1 ]; then
		(cd "$dir" && make -j"$jobs" check TESTS=) || return 1
	fi
}

# ---------------------------------------------------------------- users

# The command prefix that runs PostgreSQL's server programs: empty for an
# ordinary user, runuser to the service user for root.
TETHER_PG_AS=()

# Creates the service user when running as root and it does not exist yet,
# and sets TETHER_PG_AS.
tether_pg_prepare() {
	TETHER_PG_AS=()
	tether_is_root || return 0
	if ! getent passwd "$TETHER_SERVICE_USER" >/dev/null; then
		say "creating system user $TETHER_SERVICE_USER (PostgreSQL does not run as root)"
		useradd --system --user-group --no-create-home --home-dir /nonexistent \
			--shell /usr/sbin/nologin "$TETHER_SERVICE_USER" ||
			die "useradd $TETHER_SERVICE_USER failed"
	fi
	TETHER_PG_AS=(runuser -u "$TETHER_SERVICE_USER" --)
}

# Runs a command as the PostgreSQL owner. It runs from / because the
# PostgreSQL programs fail when they cannot read the current directory
# (which, for the service user, is often the case under /root).
tether_pg_as() { (cd / && "${TETHER_PG_AS[@]}" "$@"); }

# True when the service user can use PATH (search every directory on the
# way, plus TEST-FLAG on PATH itself, e.g. -x for a directory or program).
tether_service_can() {
	local flag=$1 path=$2
	tether_is_root || return 0
	(cd / && runuser -u "$TETHER_SERVICE_USER" -- test "$flag" "$path")
}

# Makes directories owned by the PostgreSQL owner (mode 0700).
tether_own_dirs() {
	local d
	for d in "$@"; do
		mkdir -p "$d" || return 1
		if tether_is_root; then
			chown "$TETHER_SERVICE_USER:$TETHER_SERVICE_USER" "$d" || return 1
		fi
		chmod 0700 "$d" || return 1
	done
}

# ---------------------------------------------------------------- postgres

# The bin directory of the newest PostgreSQL installed.
tether_pg_bindir() {
	local d
	d=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
	[ -x "$d/initdb" ] || die "no PostgreSQL server found under /usr/lib/postgresql (install postgresql)"
	printf '%s\n' "$d"
}

# Quotes a value for postgresql.conf.
tether_pgconf_quote() {
	local v=${1//\\/\\\\}
	printf "'%s'" "${v//\'/\'\'}"
}

# tether_pg_init DATADIR [fast]
# Creates a cluster in DATADIR unless there is one: superuser role "tether",
# trust authentication on the Unix socket, no TCP. "fast" (tests): no fsync.
tether_pg_init() {
	local data=$1 mode=${2:-} bindir locale=C opts=()
	[ -f "$data/PG_VERSION" ] && return 0
	bindir=$(tether_pg_bindir)
	tether_own_dirs "$data" || return 1
	# C.UTF-8 (built into Debian's libc) so lower() knows non-ASCII letters.
	locale -a 2>/dev/null | grep -qix 'c\.utf-\?8' && locale=C.UTF-8
	[ "$mode" = fast ] && opts+=(--no-sync)
	say "initdb ${data}"
	# trust on the socket only: the socket directory is mode 0700, so only
	# its owner (and root) can connect at all. Host lines are refused; no
	# TCP listener is opened anyway (listen_addresses = '').
	tether_pg_as "$bindir/initdb" -D "$data" -U "$TETHER_PG_ROLE" -E UTF8 \
		--locale="$locale" --auth-local=trust --auth-host=reject "${opts[@]}" \
		>"$data.initdb.log" 2>&1 || {
		cat "$data.initdb.log" >&2
		return 1
	}
	rm -f "$data.initdb.log"
	# The settings that depend on where the socket is live in tether.conf,
	# rewritten at every start (the checkout may have moved).
	printf "\n# Added by tether's scripts/lib.sh\ninclude_if_exists = 'tether.conf'\n" |
		tether_pg_as tee -a "$data/postgresql.conf" >/dev/null
}

# tether_pg_start DATADIR SOCKDIR LOGFILE [fast]
# Starts the cluster (a no-op when it is already running) listening only on
# SOCKDIR/.s.PGSQL.5432. Its server log is LOGFILE.
tether_pg_start() {
	local data=$1 sock=$2 logf=$3 mode=${4:-} bindir conf
	bindir=$(tether_pg_bindir)
	tether_own_dirs "$sock" || return 1
	# A socket path longer than 107 bytes does not fit in sockaddr_un.
	[ ${#sock} -le 90 ] || die "socket directory path too long for a Unix socket: $sock"
	conf="listen_addresses = ''
unix_socket_directories = $(tether_pgconf_quote "$sock")
unix_socket_permissions = 0700
max_connections = 60
"
	if [ "$mode" = fast ]; then
		# A throw-away test cluster: durability buys nothing.
		conf+="fsync = off
synchronous_commit = off
full_page_writes = off
"
	fi
	printf '%s' "$conf" | tether_pg_as tee "$data/tether.conf" >/dev/null || return 1
	if tether_pg_as "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; then
		say "PostgreSQL already running in $data"
		return 0
	fi
	tether_private_log "$logf" || return 1
	tether_is_root && chown "$TETHER_SERVICE_USER:" "$logf"
	say "starting PostgreSQL (socket $sock, log $logf)"
	tether_pg_as "$bindir/pg_ctl" -D "$data" -l "$logf" -w -t 60 start >/dev/null || {
		warn "PostgreSQL did not start; the end of $logf:"
		tail -n 20 "$logf" >&2
		return 1
	}
}

# tether_pg_stop DATADIR: fast shutdown of the cluster if it runs; falls
# back to signalling the postmaster's PID (from postmaster.pid).
tether_pg_stop() {
	local data=$1 bindir pid i
	[ -f "$data/postmaster.pid" ] || return 0
	bindir=$(tether_pg_bindir)
	say "stopping PostgreSQL ($data)"
	tether_pg_as "$bindir/pg_ctl" -D "$data" -m fast -w -t 30 stop >/dev/null && return 0
	pid=$(head -n 1 "$data/postmaster.pid" 2>/dev/null)
	[[ $pid =~ ^[0-9]+$ ]] || return 0
	kill -QUIT "$pid" 2>/dev/null
	for i in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	return 0
}

# tether_psql SOCKDIR DB ARGS...: psql as the tether role, stop at errors.
tether_psql() {
	local sock=$1 db=$2
	shift 2
	"$(tether_pg_bindir)/psql" -X -q -v ON_ERROR_STOP=1 -h "$sock" -U "$TETHER_PG_ROLE" \
		-d "$db" "$@"
}

# tether_pg_app_role SOCKDIR DB: creates the role TETHER_PG_APP_ROLE
# (login, not a superuser, no CREATEDB or CREATEROLE) unless it exists and
# grants it what scripts/roles.sql grants in DB: rows, not DDL.
tether_pg_app_role() {
	local sock=$1 db=$2 have
	have=$(tether_psql "$sock" postgres -tA -c \
		"SELECT 1 FROM pg_roles WHERE rolname = '$TETHER_PG_APP_ROLE'") || return 1
	if [ "$have" != 1 ]; then
		tether_psql "$sock" postgres -c "CREATE ROLE $TETHER_PG_APP_ROLE LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION" ||
			return 1
	fi
	tether_psql "$sock" "$db" -v owner="$TETHER_PG_ROLE" -v app="$TETHER_PG_APP_ROLE" \
		-f "$TETHER_ROOT/scripts/roles.sql"
}

# tether_createdb SOCKDIR DB: creates DB unless it exists.
tether_createdb() {
	local sock=$1 db=$2 have
	have=$(tether_psql "$sock" postgres -tA -c \
		"SELECT 1 FROM pg_database WHERE datname = '$db'") || return 1
	[ "$have" = 1 ] && return 0
	say "createdb $db"
	"$(tether_pg_bindir)/createdb" -h "$sock" -U "$TETHER_PG_ROLE" "$db"
}

# ---------------------------------------------------------------- pgbouncer

# PID of the pgbouncer started by tether_pgbouncer_start (empty: none), its
# start time, and the directory of its Unix socket (.s.PGSQL.6432).
TETHER_PGBOUNCER_PID=
TETHER_PGBOUNCER_START=
TETHER_PGBOUNCER_SOCK=

# tether_pgbouncer_start DIR PG_SOCKDIR MODE: PgBouncer (Debian's, as the
# PostgreSQL owner: it refuses root) in front of the cluster at PG_SOCKDIR,
# pool_mode MODE (session, transaction), listening only on a Unix socket in
# DIR/sock (mode 0700, like the cluster's: trust is safe there, as for the
# cluster itself), for every database and the roles TETHER_PG_ROLE and
# TETHER_PG_APP_ROLE. In transaction pooling three server connections per
# database and role, so that the workers' statements share them (in
# session pooling a client holds one for good: thirty); short waits (a
# test must not hang on a pool: with the server down, the first query
# waits query_wait_timeout, and for server_login_retry after a failed
# connection every query fails at once). Its log: DIR/pgbouncer.log.
tether_pgbouncer_start() {
	local dir=$1 pgsock=$2 mode=$3 conf i size=3
	[ "$mode" = transaction ] || size=30
	tether_own_dirs "$dir" "$dir/sock" || return 1
	conf="[databases]
* = host=$pgsock port=5432

[pgbouncer]
listen_addr =
listen_port = 6432
unix_socket_dir = $dir/sock
unix_socket_mode = 0700
auth_type = trust
auth_file = $dir/users.txt
pool_mode = $mode
default_pool_size = $size
max_client_conn = 200
server_login_retry = 1
server_connect_timeout = 3
query_wait_timeout = 1
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
"
	printf '%s' "$conf" | tether_pg_as tee "$dir/pgbouncer.ini" >/dev/null || return 1
	printf '"%s" ""\n"%s" ""\n' "$TETHER_PG_ROLE" "$TETHER_PG_APP_ROLE" |
		tether_pg_as tee "$dir/users.txt" >/dev/null || return 1
	say "starting pgbouncer ($mode pooling, socket $dir/sock)"
	tether_pg_as pgbouncer -d "$dir/pgbouncer.ini" || return 1
	for i in $(seq 50); do
		[ -s "$dir/pgbouncer.pid" ] && [ -S "$dir/sock/.s.PGSQL.6432" ] && break
		sleep 0.1
	done
	TETHER_PGBOUNCER_PID=$(cat "$dir/pgbouncer.pid" 2>/dev/null)
	[[ $TETHER_PGBOUNCER_PID =~ ^[0-9]+$ ]] || {
		TETHER_PGBOUNCER_PID=
		warn "pgbouncer did not start; the end of its log:"
		tail -n 20 "$dir/pgbouncer.log" >&2
		return 1
	}
	TETHER_PGBOUNCER_START=$(tether_proc_start "$TETHER_PGBOUNCER_PID")
	TETHER_PGBOUNCER_SOCK=$dir/sock
}

# A libpq conninfo for database $1 through the pgbouncer started above, as
# role $2 (default: the owner).
tether_pgbouncer_url() {
	printf 'host=%s port=6432 dbname=%s user=%s' "$(tether_pq_quote "$TETHER_PGBOUNCER_SOCK")" \
		"$1" "${2:-$TETHER_PG_ROLE}"
}

tether_pgbouncer_stop() {
	[ -n "$TETHER_PGBOUNCER_PID" ] || return 0
	say "stopping pgbouncer (pid $TETHER_PGBOUNCER_PID)"
	tether_stop_pid "$TETHER_PGBOUNCER_PID" "$TETHER_PGBOUNCER_START"
	TETHER_PGBOUNCER_PID=
}

# ---------------------------------------------------------------- lighttpd

# Quotes a value for a lighttpd configuration string. lighttpd knows only
# the escape \" inside "…", so a value with a newline or ending in a
# backslash cannot be written safely: refuse it.
tether_lighttpd_quote() {
	case $1 in
	*$'\n'* | *\\) die "cannot put this value in lighttpd.conf: $1" ;;
	esac
	printf '"%s"' "${1//\"/\\\"}"
}

# tether_regex_quote STR: STR as a regular expression that matches it
# literally, with no backslash (lighttpd's strings keep those as they are
# written): each character other than letters, digits, / _ and - goes in
# brackets. A mount path with ^, ] or \ is refused.
tether_regex_quote() {
	local s=$1 out= c i
	for ((i = 0; i < ${#s}; i++)); do
		c=${s:i:1}
		case $c in
		[A-Za-z0-9/_-]) out+=$c ;;
		'^' | ']' | '\') die "cannot put this value in a regular expression: $s" ;;
		*) out+="[$c]" ;;
		esac
	done
	printf '%s' "$out"
}

# Set by tether_lighttpd_conf: the account lighttpd and the workers run as.
TETHER_LIGHTTPD_USER=

# tether_lighttpd_conf OUT PORT DOCROOT FCGI_BIN STATEDIR [noprotect]
# Writes OUT from conf/lighttpd/tether.conf, and beside it OUT-protect.conf
# (conf/lighttpd/tether-protect.conf: the demo folder /protected/ guarded by
# the authorizer), included by OUT unless the sixth argument is
# "noprotect" (the benchmarks: no authorizer workers beside the measured
# ones). STATEDIR gets log/ (error log and the
# workers' stderr), run/ (FastCGI sockets, pid file) and tmp/ (uploads).
# Every TETHER_* variable exported at the time of the call is named in
# bin-copy-environment, so the workers get its value from lighttpd's
# environment: secrets never land in the written file.
#
# As root, lighttpd drops to the service user (server.username) when that
# user can read the document root and run the worker; otherwise (e.g. a
# checkout under /root, mode 0700) it stays root, bound to 127.0.0.1 only,
# and says so.
tether_lighttpd_conf() {
	local out=$1 port=$2 docroot=$3 bin=$4 state=$5 protect=${6:-protect}
	local tpl name names=() envlist priv prot mount_re
	tpl=$(cat "$TETHER_ROOT/conf/lighttpd/tether.conf") || return 1
	mkdir -p "$state/log" "$state/run" "$state/tmp" || return 1
	TETHER_LIGHTTPD_USER=$(id -un)
	priv="# server.username: not set, lighttpd runs as $(id -un)"
	if tether_is_root; then
		if tether_service_can -r "$docroot" && tether_service_can -x "$bin" &&
			tether_service_can -x "$state"; then
			TETHER_LIGHTTPD_USER=$TETHER_SERVICE_USER
			priv="server.username = \"$TETHER_SERVICE_USER\"
server.groupname = \"$TETHER_SERVICE_USER\""
			# lighttpd opens its logs and sockets after dropping to that user.
			chown "$TETHER_SERVICE_USER:$TETHER_SERVICE_USER" \
				"$state/log" "$state/run" "$state/tmp" || return 1
			[ -e "$state/log/lighttpd.log" ] &&
				chown "$TETHER_SERVICE_USER:" "$state/log/lighttpd.log"
		else
			warn "user $TETHER_SERVICE_USER cannot reach $docroot, $bin or $state: lighttpd and the workers run as root (on 127.0.0.1 only)"
		fi
	fi
	chmod 0700 "$state/run" "$state/tmp"
	while IFS= read -r name; do
		[[ $name =~ ^TETHER_[A-Za-z0-9_]+$ ]] && names+=("\"$name\"")
	done < <(compgen -e)
	envlist=$(IFS=,; printf '%s' "${names[*]}")
	envlist=${envlist//,/, }
	tpl=${tpl//@PRIVILEGES@/"$priv"}
	tpl=${tpl//@PORT@/"$port"}
	tpl=${tpl//@DOCROOT@/"$(tether_lighttpd_quote "$docroot")"}
	tpl=${tpl//@ERRORLOG@/"$(tether_lighttpd_quote "$state/log/lighttpd.log")"}
	# lighttpd runs with -D here: its stderr is already lighttpd.log.
	tpl=${tpl//@BREAKAGELOG@/"$(tether_lighttpd_quote "$state/log/lighttpd.log")"}
	tpl=${tpl//@PIDFILE@/"$(tether_lighttpd_quote "$state/run/lighttpd.pid")"}
	tpl=${tpl//@UPLOAD_DIR@/"$(tether_lighttpd_quote "$state/tmp")"}
	tpl=${tpl//@FCGI_SOCKET@/"$(tether_lighttpd_quote "$state/run/tether.fcgi.sock")"}
	tpl=${tpl//@FCGI_BIN@/"$(tether_lighttpd_quote "$bin")"}
	tpl=${tpl//@MOUNT@/"$(tether_lighttpd_quote "${TETHER_MOUNT_PATH:-/api/auth}")"}
	tpl=${tpl//@MAX_PROCS@/"${TETHER_MAX_PROCS:-2}"}
	# The pools of the hashing routes and of /refresh (regular expressions
	# of the mount's paths).
	mount_re=^$(tether_regex_quote "${TETHER_MOUNT_PATH:-/api/auth}")
	tpl=${tpl//@HASH_SOCKET@/"$(tether_lighttpd_quote "$state/run/tether-hash.sock")"}
	tpl=${tpl//@HASH_ROUTES@/"$(tether_lighttpd_quote "$mount_re/(login|register|password|setup)\$")"}
	tpl=${tpl//@HASH_PROCS@/"${TETHER_HASH_PROCS:-2}"}
	tpl=${tpl//@REFRESH_SOCKET@/"$(tether_lighttpd_quote "$state/run/tether-refresh.sock")"}
	tpl=${tpl//@REFRESH_ROUTE@/"$(tether_lighttpd_quote "$mount_re/refresh\$")"}
	tpl=${tpl//@REFRESH_PROCS@/"${TETHER_REFRESH_PROCS:-2}"}
	tpl=${tpl//@COPY_ENV@/"$envlist"}
	# The demo folder /protected/ (demo/protected: PHP and a static file),
	# guarded by the authorizer (conf/lighttpd/tether-protect.conf).
	prot=$(cat "$TETHER_ROOT/conf/lighttpd/tether-protect.conf") || return 1
	prot=${prot//@PROTECT_URL@/'"/protected/"'}
	prot=${prot//@PROTECT_DIR@/"$(tether_lighttpd_quote "$TETHER_ROOT/demo/protected/")"}
	prot=${prot//@AUTHZ_SOCKET@/"$(tether_lighttpd_quote "$state/run/tether-authz.sock")"}
	prot=${prot//@FCGI_BIN@/"$(tether_lighttpd_quote "$bin")"}
	prot=${prot//@MAX_PROCS@/"${TETHER_MAX_PROCS:-2}"}
	prot=${prot//@COPY_ENV@/"$envlist"}
	# The demo's rule: /protected/staff/ only for emails @staff.example.
	prot=${prot//@RULES@/'$HTTP["url"] =^ "/protected/staff/" {
		setenv.add-environment = ( "TETHER_REQUIRE_DOMAIN" => "staff.example" )
	}'}
	[[ $prot == *@[A-Z_]*@* ]] && die "unreplaced placeholder in ${out%.conf}-protect.conf"
	printf '%s\n' "$prot" >"${out%.conf}-protect.conf" || return 1
	[ "$protect" = noprotect ] ||
		tpl+=$'\n'"include $(tether_lighttpd_quote "${out%.conf}-protect.conf")"
	[[ $tpl == *@[A-Z_]*@* ]] && die "unreplaced placeholder in $out"
	printf '%s\n' "$tpl" >"$out" || return 1
	lighttpd -tt -f "$out" >/dev/null || die "lighttpd rejects $out"
}

# PID of the lighttpd started by tether_lighttpd_start (empty: none) and
# its start time (see tether_proc_start).
TETHER_LIGHTTPD_PID=
TETHER_LIGHTTPD_START=

# tether_lighttpd_start CONF LOGFILE
# Starts lighttpd -D (no daemon: its PID is ours to track) in the
# background. Its stderr, which the FastCGI workers inherit, is appended to
# LOGFILE, the same file as server.errorlog.
tether_lighttpd_start() {
	local conf=$1 logf=$2
	tether_private_log "$logf" || return 1
	[ "$TETHER_LIGHTTPD_USER" = "$(id -un)" ] || chown "$TETHER_LIGHTTPD_USER:" "$logf"
	lighttpd -D -f "$conf" </dev/null >>"$logf" 2>&1 &
	TETHER_LIGHTTPD_PID=$!
	TETHER_LIGHTTPD_START=$(tether_proc_start "$TETHER_LIGHTTPD_PID") || TETHER_LIGHTTPD_START=
}

# tether_wait_http URL SECONDS: waits until URL answers 200 while the web
# server is alive. Returns 1 on timeout or when the server died.
tether_wait_http() {
	local url=$1 secs=$2 i pid=${TETHER_LIGHTTPD_PID:-$TETHER_APACHE_PID}
	for i in $(seq $((secs * 5))); do
		curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null && return 0
		if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
			return 1
		fi
		sleep 0.2
	done
	return 1
}

# The start time of a process (field 22 of /proc/PID/stat): with the PID
# it names one process, even if the PID is reused later.
tether_proc_start() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	set -- $stat
	printf '%s\n' "${20}"
}

# tether_stop_pid PID [START]: SIGTERM, up to 10 s, then SIGKILL. With
# START, only if the process is still the one that started then.
tether_stop_pid() {
	local pid=$1 start=${2:-} i
	kill -0 "$pid" 2>/dev/null || return 0
	if [ -n "$start" ] && [ "$(tether_proc_start "$pid")" != "$start" ]; then
		return 0
	fi
	kill -TERM "$pid" 2>/dev/null
	for i in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || return 0
		# A zombie is already dead; its parent (or init) reaps it.
		[[ $(cat "/proc/$pid/stat" 2>/dev/null) == *") Z "* ]] && return 0
		sleep 0.1
	done
	warn "process $pid did not stop after SIGTERM: SIGKILL"
	kill -KILL "$pid" 2>/dev/null
	return 0
}

# The workers seen as lighttpd's children, "PID:START" each (see
# tether_lighttpd_track).
TETHER_LIGHTTPD_KIDS=()

# Remembers lighttpd's current children (the FastCGI workers), so that they
# can be stopped by PID even if lighttpd itself dies first and they are
# left to init.
tether_lighttpd_track() {
	local k
	[ -n "$TETHER_LIGHTTPD_PID" ] || return 0
	for k in $(tether_descendants "$TETHER_LIGHTTPD_PID"); do
		[[ " ${TETHER_LIGHTTPD_KIDS[*]} " == *" $k "* ]] || TETHER_LIGHTTPD_KIDS+=("$k")
	done
}

# Prints "PID:START" for every process below PID (see tether_proc_start).
tether_descendants() {
	local queue=("$1") p k st
	while [ ${#queue[@]} -gt 0 ]; do
		p=${queue[0]}
		queue=("${queue[@]:1}")
		for k in $(ps -o pid= --ppid "$p" 2>/dev/null); do
			queue+=("$k")
			st=$(tether_proc_start "$k") && echo "$k:$st"
		done
	done
}

# Stops the lighttpd started by tether_lighttpd_start and its FastCGI
# workers. lighttpd stops its workers itself; any worker still alive after
# that (a child of lighttpd seen now or by tether_lighttpd_track) is
# stopped by PID.
tether_lighttpd_stop() {
	local pid=$TETHER_LIGHTTPD_PID
	[ -n "$pid" ] && tether_lighttpd_track
	TETHER_LIGHTTPD_PID=
	tether_stop_server lighttpd "$pid" "$TETHER_LIGHTTPD_START" "${TETHER_LIGHTTPD_KIDS[@]}"
	TETHER_LIGHTTPD_KIDS=()
}

# tether_stop_server NAME PID START [PID:START...]: stops the server PID
# (when not empty), then every process seen below it that is still alive.
tether_stop_server() {
	local name=$1 pid=$2 start=$3 k
	shift 3
	if [ -n "$pid" ]; then
		say "stopping $name (pid $pid) and its workers"
		tether_stop_pid "$pid" "$start"
		wait "$pid" 2>/dev/null
	fi
	for k in "$@"; do
		tether_stop_pid "${k%%:*}" "${k#*:}"
	done
	return 0
}

# A free TCP port on 127.0.0.1 (the kernel picks it).
tether_free_port() {
	/usr/bin/python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# ---------------------------------------------------------------- apache

# Debian's Apache: the binary and the module directory.
TETHER_APACHE_BIN=/usr/sbin/apache2
TETHER_APACHE_MODULES=/usr/lib/apache2/modules

# Quotes a value for an Apache configuration argument ("..."). Apache knows
# no escape a value with a newline, a double quote or a backslash could
# rely on everywhere: refuse it.
tether_apache_quote() {
	case $1 in
	*$'\n'* | *'"'* | *\\*) die "cannot put this value in an Apache configuration: $1" ;;
	esac
	printf '"%s"' "$1"
}

# Set by tether_apache_conf: the account Apache's children and the workers
# run as; in mode authnz, where tether.fcgi --listen is to listen and which
# binary (tether_apache_start runs it; its PID then).
TETHER_APACHE_USER=
TETHER_APACHE_AUTHZ_ADDR=
TETHER_APACHE_AUTHZ_BIN=
TETHER_APACHE_AUTHZ_PID=
TETHER_APACHE_AUTHZ_START=

# tether_apache_conf OUT PORT DOCROOT FCGI_BIN STATEDIR MODE
# Writes OUT (a private Apache: conf/apache/httpd-private.conf) and, beside
# it, the site and API files it includes, from conf/apache/. MODE is fcgid
# (persistent workers under mod_fcgid), authnz (the same, and /protected/
# guarded through mod_authnz_fcgi), cgi (tether.fcgi run once per request
# by mod_cgid) or htaccess (the shared-hosting layout). STATEDIR gets log/ (Apache's error log, where the
# workers' stderr goes too) and run/ (pid file, sockets).
# Every TETHER_* variable exported at the time of the call reaches the
# workers by name, its value read from Apache's environment when it starts
# (FcgidInitialEnv NAME "${NAME}", or PassEnv NAME): secrets never land in
# the written files.
#
# As root, Apache's children run as the service user (Apache refuses to
# serve as root). When that user cannot reach DOCROOT or FCGI_BIN (a
# checkout under /root, say), both are copied into STATEDIR/www first.
tether_apache_conf() {
	local out=$1 port=$2 docroot=$3 bin=$4 state=$5 mode=$6 dir name
	local priv="# User: not set, Apache runs as $(id -un)" env_lines=() api_mod api_tpl site api
	local protect=$TETHER_ROOT/demo/protected prot
	mkdir -p "$state/log" "$state/run" || return 1
	dir=$(cd "$(dirname "$out")" && pwd -P) || return 1
	TETHER_APACHE_USER=$(id -un)
	if tether_is_root; then
		if ! { tether_service_can -r "$docroot" && tether_service_can -x "$bin" &&
			tether_service_can -r "$protect" && tether_service_can -x "$state"; }; then
			rm -rf "$state/www" && mkdir -p "$state/www/htdocs" "$state/www/protected" || return 1
			cp -R "$docroot/." "$state/www/htdocs/" && cp "$bin" "$state/www/" &&
				cp -R "$protect/." "$state/www/protected/" || return 1
			chmod -R a+rX "$state/www" && chmod 0755 "$state"
			docroot=$state/www/htdocs bin=$state/www/$(basename "$bin")
			protect=$state/www/protected
			tether_service_can -x "$bin" ||
				die "user $TETHER_SERVICE_USER cannot reach $state: Apache cannot serve it"
		fi
		TETHER_APACHE_USER=$TETHER_SERVICE_USER
		priv="User $TETHER_SERVICE_USER
Group $TETHER_SERVICE_USER"
		# The children open the FastCGI and CGI sockets after dropping.
		chown "$TETHER_SERVICE_USER:$TETHER_SERVICE_USER" "$state/run" || return 1
	fi
	chmod 0700 "$state/run"
	while IFS= read -r name; do
		[[ $name =~ ^TETHER_[A-Za-z0-9_]+$ ]] || continue
		tether_apache_quote "${!name}" >/dev/null
		if [ "$mode" = cgi ]; then
			env_lines+=("PassEnv $name")
		else
			env_lines+=("FcgidInitialEnv $name \"\${$name}\"")
		fi
	done < <(compgen -e)
	case $mode in
	fcgid)
		api_mod="LoadModule fcgid_module $TETHER_APACHE_MODULES/mod_fcgid.so
FcgidIPCDir $(tether_apache_quote "$state/run/fcgid")
FcgidProcessTableFile $(tether_apache_quote "$state/run/fcgid_shm")"
		api_tpl=$TETHER_ROOT/conf/apache/tether-fcgid.conf
		;;
	cgi)
		api_mod="LoadModule cgid_module $TETHER_APACHE_MODULES/mod_cgid.so
ScriptSock $(tether_apache_quote "$state/run/cgid.sock")"
		# Where mod_fcgid is installed, enabled as Debian's fcgid.conf
		# does (every .fcgi to it): tether-cgi.conf must still run
		# tether.fcgi as CGI.
		[ -f "$TETHER_APACHE_MODULES/mod_fcgid.so" ] &&
			api_mod+="
LoadModule fcgid_module $TETHER_APACHE_MODULES/mod_fcgid.so
FcgidIPCDir $(tether_apache_quote "$state/run/fcgid")
FcgidProcessTableFile $(tether_apache_quote "$state/run/fcgid_shm")
AddHandler fcgid-script .fcgi"
		api_tpl=$TETHER_ROOT/conf/apache/tether-cgi.conf
		;;
	authnz)
		# The API under mod_fcgid as above; /protected/ asks the workers
		# of tether.fcgi --listen (tether_apache_start) through
		# mod_authnz_fcgi.
		api_mod="LoadModule fcgid_module $TETHER_APACHE_MODULES/mod_fcgid.so
FcgidIPCDir $(tether_apache_quote "$state/run/fcgid")
FcgidProcessTableFile $(tether_apache_quote "$state/run/fcgid_shm")
LoadModule authnz_fcgi_module $TETHER_APACHE_MODULES/mod_authnz_fcgi.so
LoadModule authn_core_module $TETHER_APACHE_MODULES/mod_authn_core.so
LoadModule authz_user_module $TETHER_APACHE_MODULES/mod_authz_user.so"
		api_tpl=$TETHER_ROOT/conf/apache/tether-fcgid.conf
		;;
	htaccess)
		api_mod="LoadModule fcgid_module $TETHER_APACHE_MODULES/mod_fcgid.so
FcgidIPCDir $(tether_apache_quote "$state/run/fcgid")
FcgidProcessTableFile $(tether_apache_quote "$state/run/fcgid_shm")"
		api_tpl=$TETHER_ROOT/conf/apache/htaccess-host.conf
		tether_htaccess_site "$docroot" "$bin" "$state" || return 1
		docroot=$state/hosting/public_html
		;;
	*) die "tether_apache_conf: mode is fcgid, authnz, cgi or htaccess, not $mode" ;;
	esac
	site=$(cat "$TETHER_ROOT/conf/apache/tether-site.conf") || return 1
	api=$(cat "$api_tpl") || return 1
	api=${api//@DOCROOT@/"$(tether_apache_quote "$docroot")"}
	site=${site//@DOCROOT@/"$(tether_apache_quote "$docroot")"}
	api=${api//@MOUNT@/"$(tether_apache_quote "${TETHER_MOUNT_PATH:-/api/auth}")"}
	api=${api//@FCGI_BIN@/"$(tether_apache_quote "$bin")"}
	api=${api//@FCGI_DIR@/"$(tether_apache_quote "$(dirname "$bin")")"}
	api=${api//@MAX_PROCS@/"${TETHER_MAX_PROCS:-2}"}
	api=${api//@WORKER_ENV@/"$(printf '%s\n' "${env_lines[@]}")"}
	# The demo folder /protected/ guarded by the authorizer
	# (conf/apache/tether-protect.conf), under mod_fcgid; or with
	# mod_authnz_fcgi (conf/apache/tether-protect-authnz.conf).
	TETHER_APACHE_AUTHZ_ADDR= TETHER_APACHE_AUTHZ_BIN=
	case $mode in
	fcgid) prot=tether-protect.conf ;;
	authnz)
		prot=tether-protect-authnz.conf
		TETHER_APACHE_AUTHZ_ADDR=127.0.0.1:$(tether_free_port) || return 1
		TETHER_APACHE_AUTHZ_BIN=$bin
		;;
	*) prot= ;;
	esac
	if [ -n "$prot" ]; then
		prot=$(cat "$TETHER_ROOT/conf/apache/$prot") || return 1
		prot=${prot//@AUTHZ_ADDR@/"$TETHER_APACHE_AUTHZ_ADDR"}
		prot=${prot//@PROTECT_URL@/"/protected/"}
		prot=${prot//@PROTECT_DIR@/"$(tether_apache_quote "$protect/")"}
		prot=${prot//@FCGI_BIN@/"$(tether_apache_quote "$bin")"}
		# The demo's rule: /protected/staff/ only for emails @staff.example.
		prot=${prot//@RULES@/'SetEnvIf Request_URI "^/protected/staff/" TETHER_REQUIRE_DOMAIN=staff.example'}
		printf '%s\n' "$prot" >"$dir/tether-protect.conf" || return 1
		api+=$'\n'"Include $(tether_apache_quote "$dir/tether-protect.conf")"
	fi
	printf '%s\n' "$site" >"$dir/tether-site.conf" || return 1
	printf '%s\n' "$api" >"$dir/tether-api.conf" || return 1
	local tpl
	tpl=$(cat "$TETHER_ROOT/conf/apache/httpd-private.conf") || return 1
	tether_apache_quote "$state" >/dev/null
	tpl=${tpl//@STATE@/"$state"}
	tpl=${tpl//@PORT@/"$port"}
	tpl=${tpl//@MODULES@/"$TETHER_APACHE_MODULES"}
	tpl=${tpl//@PRIVILEGES@/"$priv"}
	tpl=${tpl//@API_MODULE@/"$api_mod"}
	tpl=${tpl//@SITE@/"$(tether_apache_quote "$dir/tether-site.conf")"}
	tpl=${tpl//@API@/"$(tether_apache_quote "$dir/tether-api.conf")"}
	for name in "$tpl" "$site" "$api" "${prot:-}"; do
		[[ $name == *@[A-Z_]*@* ]] && die "unreplaced placeholder in $out or beside it"
	done
	printf '%s\n' "$tpl" >"$out" || return 1
	"$TETHER_APACHE_BIN" -t -f "$out" >/dev/null 2>&1 ||
		die "Apache rejects $out: $("$TETHER_APACHE_BIN" -t -f "$out" 2>&1 | tail -n 3)"
}

# tether_htaccess_site DOCROOT FCGI_BIN STATEDIR: lays out STATEDIR/hosting
# as the README's shared-hosting steps do: the configuration outside the
# web root (tether/tether.conf, mode 0600, written from every exported
# TETHER_* variable), the front end in public_html/, and in public_html/api/
# the worker, the wrapper that hands it the configuration, and the
# .htaccess of conf/apache/htaccess.example.
tether_htaccess_site() {
	local docroot=$1 bin=$2 state=$3 h=$3/hosting name key
	rm -rf "$h" && mkdir -p "$h/tether" "$h/public_html/api" || return 1
	cp -R "$docroot/." "$h/public_html/" && cp "$bin" "$h/public_html/api/tether.fcgi" &&
		cp "$TETHER_ROOT/conf/apache/htaccess.example" "$h/public_html/api/.htaccess" ||
		return 1
	printf '#!/bin/sh\nexec env TETHER_CONFIG=%s %s\n' \
		"$(tether_shq "$h/tether/tether.conf")" \
		"$(tether_shq "$h/public_html/api/tether.fcgi")" >"$h/public_html/api/auth.fcgi" ||
		return 1
	(
		umask 077
		while IFS= read -r name; do
			[[ $name =~ ^TETHER_[A-Za-z0-9_]+$ ]] || continue
			key=${name#TETHER_}
			key=${key,,}
			case $key in config | port | server | mount_path_*) continue ;; esac
			printf '%s = %s\n' "$key" "${!name}"
		done < <(compgen -e) >"$h/tether/tether.conf"
	) || return 1
	# The README's protected folder: the demo's files under an .htaccess
	# (conf/apache/htaccess-protect.example) naming this wrapper, and PHP
	# as the host runs it here (php-cgi through mod_fcgid).
	mkdir -p "$h/public_html/protected" && cp -R "$TETHER_ROOT/demo/protected/." \
		"$h/public_html/protected/" || return 1
	{
		sed "s#/home/you/public_html/api/auth.fcgi#$h/public_html/api/auth.fcgi#" \
			"$TETHER_ROOT/conf/apache/htaccess-protect.example" &&
			printf '%s\n' "Options +ExecCGI" "AddHandler fcgid-script .php" \
				"FcgidWrapper /usr/bin/php-cgi .php"
	} >"$h/public_html/protected/.htaccess" &&
		printf '%s\n' "SetEnvIf Request_URI . TETHER_REQUIRE_DOMAIN=staff.example" \
			>"$h/public_html/protected/staff/.htaccess" || return 1
	chmod -R a+rX "$h/public_html" && chmod 0755 "$h" "$h/public_html/api/auth.fcgi" \
		"$h/public_html/api/tether.fcgi" && chmod 0700 "$h/tether" || return 1
	if tether_is_root; then
		chown -R "$TETHER_SERVICE_USER:" "$h/tether" || return 1
	fi
}

# PID of the Apache started by tether_apache_start (empty: none), its
# start time, and its descendants seen so far ("PID:START" each).
TETHER_APACHE_PID=
TETHER_APACHE_START=
TETHER_APACHE_KIDS=()

# tether_apache_start CONF LOGFILE
# Starts Apache in the foreground (-DFOREGROUND: its PID is ours to track)
# in the background. Its own stderr is appended to LOGFILE.
tether_apache_start() {
	local conf=$1 logf=$2 run
	tether_private_log "$logf" || return 1
	# mod_authnz_fcgi starts no worker: tether.fcgi --listen does, first,
	# as the account Apache's children run as, its log lines in Apache's.
	if [ -n "$TETHER_APACHE_AUTHZ_ADDR" ]; then
		run=("$TETHER_APACHE_AUTHZ_BIN" --listen "$TETHER_APACHE_AUTHZ_ADDR"
			--workers "${TETHER_MAX_PROCS:-2}")
		tether_is_root && run=(setpriv --reuid="$TETHER_SERVICE_USER"
			--regid="$TETHER_SERVICE_USER" --init-groups -- "${run[@]}")
		"${run[@]}" </dev/null >>"$logf" 2>&1 &
		TETHER_APACHE_AUTHZ_PID=$!
		TETHER_APACHE_AUTHZ_START=$(tether_proc_start "$TETHER_APACHE_AUTHZ_PID") ||
			TETHER_APACHE_AUTHZ_START=
	fi
	"$TETHER_APACHE_BIN" -f "$conf" -DFOREGROUND </dev/null >>"$logf" 2>&1 &
	TETHER_APACHE_PID=$!
	TETHER_APACHE_START=$(tether_proc_start "$TETHER_APACHE_PID") || TETHER_APACHE_START=
}

# Remembers every process below Apache (its children, mod_fcgid's process
# manager, the workers it started), so that they can be stopped by PID even
# if Apache dies first and they are left to init.
tether_apache_track() {
	local k
	[ -n "$TETHER_APACHE_PID" ] || return 0
	for k in $(tether_descendants "$TETHER_APACHE_PID"); do
		[[ " ${TETHER_APACHE_KIDS[*]} " == *" $k "* ]] || TETHER_APACHE_KIDS+=("$k")
	done
}

# Stops the Apache started by tether_apache_start: SIGTERM (Apache stops
# its children; mod_fcgid sends the workers SIGTERM), then any process seen
# below it that is still alive, by PID.
tether_apache_stop() {
	local pid=$TETHER_APACHE_PID
	[ -n "$pid" ] && tether_apache_track
	TETHER_APACHE_PID=
	tether_stop_server Apache "$pid" "$TETHER_APACHE_START" "${TETHER_APACHE_KIDS[@]}"
	TETHER_APACHE_KIDS=()
	# Its workers stop with it (SIGTERM from the supervisor, or their
	# parent death signal should it be killed).
	pid=$TETHER_APACHE_AUTHZ_PID
	TETHER_APACHE_AUTHZ_PID=
	tether_stop_server "the authorizer's supervisor" "$pid" "$TETHER_APACHE_AUTHZ_START"
}

# ---------------------------------------------------------------- server

# The web server ./quickstart and the tests run: lighttpd (default), apache
# (Apache 2.4 + mod_fcgid), authnz (the same, with /protected/ guarded
# through mod_authnz_fcgi by tether.fcgi --listen) or cgi (Apache running
# tether.fcgi as plain CGI).
TETHER_SERVER=${TETHER_SERVER:-lighttpd}

# The Debian packages a server needs.
tether_server_packages() {
	case ${1:-$TETHER_SERVER} in
	lighttpd) echo lighttpd ;;
	apache | htaccess | authnz) echo apache2 libapache2-mod-fcgid ;;
	cgi) echo apache2 ;;
	*) die "TETHER_SERVER is lighttpd, apache, authnz, cgi or htaccess, not ${1:-$TETHER_SERVER}" ;;
	esac
}

# tether_server_conf OUT_DIR PORT DOCROOT FCGI_BIN STATEDIR: writes the
# server's configuration into OUT_DIR and sets TETHER_SERVER_CONF to its
# main file. (Not in a subshell: it also sets who the server runs as.)
TETHER_SERVER_CONF=
tether_server_conf() {
	local dir=$1 port=$2 docroot=$3 bin=$4 state=$5 mode=fcgid
	case $TETHER_SERVER in
	lighttpd)
		TETHER_SERVER_CONF=$dir/lighttpd.conf
		tether_lighttpd_conf "$TETHER_SERVER_CONF" "$port" "$docroot" "$bin" "$state"
		;;
	apache | cgi | htaccess | authnz)
		[ "$TETHER_SERVER" = apache ] || mode=$TETHER_SERVER
		TETHER_SERVER_CONF=$dir/apache.conf
		tether_apache_conf "$TETHER_SERVER_CONF" "$port" "$docroot" "$bin" "$state" "$mode"
		;;
	*) die "TETHER_SERVER is lighttpd, apache, authnz, cgi or htaccess, not $TETHER_SERVER" ;;
	esac
}

# The log the server and the workers write to, under STATEDIR.
tether_server_log() {
	case $TETHER_SERVER in
	lighttpd) echo "$1/log/lighttpd.log" ;;
	*) echo "$1/log/apache.log" ;;
	esac
}

# tether_server_start STATEDIR: starts the server tether_server_conf wrote.
tether_server_start() {
	case $TETHER_SERVER in
	lighttpd) tether_lighttpd_start "$TETHER_SERVER_CONF" "$(tether_server_log "$1")" ;;
	*) tether_apache_start "$TETHER_SERVER_CONF" "$(tether_server_log "$1")" ;;
	esac
}

# The PID of the running server (empty: none).
tether_server_pid() { echo "${TETHER_LIGHTTPD_PID:-$TETHER_APACHE_PID}"; }

tether_server_track() {
	tether_lighttpd_track
	tether_apache_track
}

tether_server_stop() {
	tether_lighttpd_stop
	tether_apache_stop
}
