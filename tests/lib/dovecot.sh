# tests/lib/dovecot.sh: a private Dovecot POP3 server for tests and scripts.
# POSIX sh. Source it after tests/lib/tap.sh, then
#
#   dovecot_start [OPTIONS]    start a server; stopped by PID at exit
#   dovecot_reset_mailbox      put the served mailbox back as it was
#   dovecot_stop               stop it now (also done at exit)
#   dovecot_log_count REGEX    how many lines of Dovecot's log match
#   dovecot_log_wait REGEX N   wait (up to 3 s) until N lines match: the log
#                              is written by another process
#   dovecot_maildir_count      how many messages the served Maildir holds
# One server at a time per shell: stop one before starting the next.
#
# Options of dovecot_start:
#   --maildir DIR     serve a copy of this Maildir (default: an empty one)
#   --ssl             throwaway CA + server certificate; ssl = yes, the plain
#                     port offers STLS and a pop3s port listens too
#   --apop            offer APOP (banner timestamp; auth_mechanisms gets apop)
#   --mechs "M ..."   auth_mechanisms (default "plain login")
#   --listen ADDR     listen address (default 127.0.0.1)
#   --netns NAME      run Dovecot inside network namespace NAME
#   --password PW     alice's password (default $DOVECOT_PASS or a fixed one)
#   --oauth2 URL      an oauth2 passdb for XOAUTH2 and OAUTHBEARER that asks
#                     the token introspection endpoint URL (RFC 7662, POST;
#                     tests/lib/oauth2_introspect.py); adds both mechanisms
#
# It exports DOVECOT_DIR (its temp dir), DOVECOT_PORT, DOVECOT_MAILDIR,
# DOVECOT_LOG, DOVECOT_PID, DOVECOT_USER (alice), DOVECOT_PASS, POUCH_URL
# (pop3://alice@ADDR:PORT) and with --ssl DOVECOT_PORT_SSL, DOVECOT_CA,
# POUCH_URL_SSL (pop3s://alice@ADDR:PORT_SSL).
#
# It needs $DOVECOT (path of the dovecot binary; found in PATH or /usr/sbin
# when unset) and python3 ($PYTHON3 when set). A test that cannot run without
# it calls dovecot_require first: that skips the whole test (TAP 1..0 # SKIP)
# when Dovecot is not installed.
#
# Ownership: as root, Dovecot refuses to serve mail as uid 0, so the mail and
# alice belong to uid/gid 65534 and the mail dir is chowned; as another user,
# Dovecot runs as that user (default_login_user/default_internal_user).
#
# As a command, for scripts (the server keeps running after it returns):
#   eval "$(sh tests/lib/dovecot.sh start [OPTIONS])"   prints export lines
#   sh tests/lib/dovecot.sh stop DIR                     stops it, removes DIR

: "${PYTHON3:=python3}"
DOVECOT_USER=alice
: "${DOVECOT_PASS:=pouch-Tr0ub4dor-3x}"
DOVECOT_PID=
DOVECOT_DIR=

dovecot_find() {
	if [ -z "${DOVECOT:-}" ] || [ "$DOVECOT" = no ]; then
		DOVECOT=$(PATH="$PATH:/usr/sbin:/sbin" command -v dovecot 2>/dev/null)
	fi
	[ -n "$DOVECOT" ] && [ -x "$DOVECOT" ]
}

dovecot_require() {
	dovecot_find || skip_all "dovecot is not installed (apt-get install dovecot-pop3d)"
	command -v "$PYTHON3" >/dev/null 2>&1 || skip_all "python3 is not installed"
}

# A TCP port nobody listens on now. Another process may take it before
# Dovecot binds it: dovecot_start retries with a new port then.
dovecot_free_port() {
	$dovecot_exec "$PYTHON3" -c 'import socket, sys
a = sys.argv[1]
s = socket.socket(socket.AF_INET6 if ":" in a else socket.AF_INET)
s.bind((a, 0))
print(s.getsockname()[1])' "${1:-127.0.0.1}"
}

# Wait until ADDR:PORT greets with +OK (tries for about 10 s).
dovecot_wait_greeting() {
	$dovecot_exec "$PYTHON3" - "$1" "$2" "$3" <<'EOF'
import socket, sys, time, os
addr, port, pid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
deadline = time.monotonic() + 10
while time.monotonic() < deadline:
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit(1)
    try:
        s = socket.create_connection((addr, port), timeout=2)
        line = s.makefile("rb").readline()
        s.sendall(b"QUIT\r\n")
        s.close()
        if line.startswith(b"+OK"):
            sys.exit(0)
    except OSError:
        pass
    time.sleep(0.05)
sys.exit(1)
EOF
}

dovecot_make_certs() {
	d=$DOVECOT_DIR/ssl
	mkdir -p "$d" || return 1
	(
		cd "$d" || exit 1
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
			-nodes -keyout ca.key -out ca.crt -days 2 \
			-subj "/CN=pouch test CA $$" \
			-addext "basicConstraints=critical,CA:TRUE" \
			-addext "keyUsage=critical,keyCertSign,cRLSign" &&
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
			-nodes -keyout server.key -out server.csr \
			-subj "/CN=localhost" &&
		printf 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
			"$1" > ext.cnf &&
		openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key \
			-CAcreateserial -out server.crt -days 2 -extfile ext.cnf
	) >"$d/openssl.log" 2>&1 || { cat "$d/openssl.log" >&2; return 1; }
	chmod 644 "$d/server.key"
	DOVECOT_CA=$d/ca.crt
	export DOVECOT_CA
}

dovecot_write_conf() {
	conf=$DOVECOT_DIR/dovecot.conf
	{
		cat <<EOF
# Written by tests/lib/dovecot.sh
base_dir = $DOVECOT_DIR/run
state_dir = $DOVECOT_DIR/state
instance_name = pouch-test-$$-$DOVECOT_PORT
log_path = $DOVECOT_LOG
info_log_path = $DOVECOT_LOG
protocols = pop3
listen = $dv_listen
default_login_user = $dv_login_user
default_internal_user = $dv_internal_user
$dv_extra_conf
first_valid_uid = 1
first_valid_gid = 1
auth_mechanisms = $dv_mechs
auth_verbose = yes
auth_failure_delay = 0
disable_plaintext_auth = no
EOF
		if [ -n "$dv_oauth2" ]; then
			cat > "$DOVECOT_DIR/oauth2.conf.ext" <<EOF
introspection_mode = post
introspection_url = $dv_oauth2
force_introspection = yes
username_attribute = username
active_attribute = active
active_value = true
EOF
			cat <<EOF
passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = $DOVECOT_DIR/oauth2.conf.ext
}
EOF
		fi
		cat <<EOF
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%n $DOVECOT_DIR/passwd
}
userdb {
  driver = passwd-file
  args = username_format=%n $DOVECOT_DIR/passwd
}
mail_location = maildir:~/Maildir
pop3_uidl_format = %08Xu%08Xv
ssl = $dv_ssl
EOF
		if [ "$dv_ssl" = yes ]; then
			cat <<EOF
ssl_cert = <$DOVECOT_DIR/ssl/server.crt
ssl_key = <$DOVECOT_DIR/ssl/server.key
EOF
		fi
		cat <<EOF
service pop3-login {
$dv_login_chroot
  inet_listener pop3 {
    address = $dv_listen
    port = $DOVECOT_PORT
  }
  inet_listener pop3s {
    address = $dv_listen
    port = ${DOVECOT_PORT_SSL:-0}
    ssl = yes
  }
}
service imap-login {
  inet_listener imap {
    port = 0
  }
  inet_listener imaps {
    port = 0
  }
}
EOF
	} > "$conf"
}

dovecot_start() {
	dv_ssl=no dv_mechs="plain login" dv_listen=127.0.0.1 dv_maildir=
	dv_netns= dv_apop= dv_extra_conf= dv_login_chroot= dv_oauth2=
	while [ $# -gt 0 ]; do
		case $1 in
		--ssl) dv_ssl=yes ;;
		--apop) dv_apop=1 ;;
		--mechs) dv_mechs=$2; shift ;;
		--listen) dv_listen=$2; shift ;;
		--netns) dv_netns=$2; shift ;;
		--maildir) dv_maildir=$2; shift ;;
		--password) DOVECOT_PASS=$2; shift ;;
		--oauth2) dv_oauth2=$2; shift ;;
		*) echo "dovecot_start: unknown option $1" >&2; return 2 ;;
		esac
		shift
	done
	[ -n "$dv_apop" ] && dv_mechs="$dv_mechs apop"
	[ -n "$dv_oauth2" ] && dv_mechs="$dv_mechs xoauth2 oauthbearer"
	dovecot_find || { echo "dovecot_start: dovecot not found" >&2; return 1; }
	dovecot_exec=
	[ -n "$dv_netns" ] && dovecot_exec="ip netns exec $dv_netns"

	DOVECOT_DIR=$(mktemp -d "${TMPDIR:-/tmp}/pouch-dovecot.XXXXXX") || return 1
	# Registered now, so that a failed start leaves nothing behind either.
	[ -z "${dovecot_cli:-}" ] && at_exit dovecot_stop
	# Dovecot's unprivileged processes must reach base_dir and the mail.
	chmod 755 "$DOVECOT_DIR"
	DOVECOT_LOG=$DOVECOT_DIR/dovecot.log
	DOVECOT_MAILDIR=$DOVECOT_DIR/home/alice/Maildir
	mkdir -p "$DOVECOT_DIR/run" "$DOVECOT_DIR/state" "$DOVECOT_DIR/pristine" || return 1
	if [ -n "$dv_maildir" ]; then
		cp -R "$dv_maildir/." "$DOVECOT_DIR/pristine/" || return 1
	fi
	mkdir -p "$DOVECOT_DIR/pristine/cur" "$DOVECOT_DIR/pristine/new" "$DOVECOT_DIR/pristine/tmp"

	if [ "$(id -u)" -eq 0 ]; then
		dv_uid=65534 dv_gid=65534
		if id dovenull >/dev/null 2>&1 && id dovecot >/dev/null 2>&1; then
			dv_login_user=dovenull dv_internal_user=dovecot
		else
			dv_login_user=nobody dv_internal_user=nobody
		fi
	else
		dv_uid=$(id -u) dv_gid=$(id -g)
		dv_login_user=$(id -un) dv_internal_user=$(id -un)
		# Unprivileged: no chroot, sockets owned by this user and group.
		dv_extra_conf="default_internal_group = $(id -gn)
service anvil {
  chroot =
}"
		dv_login_chroot="  chroot ="
	fi
	printf '%s:{PLAIN}%s:%s:%s::%s::\n' "$DOVECOT_USER" "$DOVECOT_PASS" \
		"$dv_uid" "$dv_gid" "$DOVECOT_DIR/home/alice" > "$DOVECOT_DIR/passwd"
	chmod 644 "$DOVECOT_DIR/passwd"
	DOVECOT_PID=
	dovecot_reset_mailbox || return 1
	if [ "$dv_ssl" = yes ]; then
		dovecot_make_certs "$dv_listen" || return 1
	fi

	dv_try=0
	while [ $dv_try -lt 5 ]; do
		dv_try=$((dv_try + 1))
		DOVECOT_PORT=$(dovecot_free_port "$dv_listen") || return 1
		DOVECOT_PORT_SSL=
		if [ "$dv_ssl" = yes ]; then
			DOVECOT_PORT_SSL=$(dovecot_free_port "$dv_listen") || return 1
			[ "$DOVECOT_PORT_SSL" = "$DOVECOT_PORT" ] && continue
		fi
		dovecot_write_conf
		$dovecot_exec "$DOVECOT" -F -c "$DOVECOT_DIR/dovecot.conf" \
			</dev/null >>"$DOVECOT_DIR/stdout.log" 2>&1 &
		DOVECOT_PID=$!
		echo "$DOVECOT_PID" > "$DOVECOT_DIR/dovecot.pid"
		if dovecot_wait_greeting "$dv_listen" "$DOVECOT_PORT" "$DOVECOT_PID" &&
		   { [ -z "$DOVECOT_PORT_SSL" ] || dovecot_wait_tls; }; then
			break
		fi
		dovecot_stop_pid
		if grep -q 'in use' "$DOVECOT_LOG" "$DOVECOT_DIR/stdout.log" 2>/dev/null; then
			: > "$DOVECOT_LOG"
			continue
		fi
		echo "dovecot_start: Dovecot did not start; its log:" >&2
		cat "$DOVECOT_DIR/stdout.log" "$DOVECOT_LOG" >&2 2>/dev/null
		return 1
	done
	if [ -z "$DOVECOT_PID" ]; then
		echo "dovecot_start: no free port after 5 tries" >&2
		return 1
	fi
	case $dv_listen in *:*) dv_host="[$dv_listen]" ;; *) dv_host=$dv_listen ;; esac
	POUCH_URL=pop3://$DOVECOT_USER@$dv_host:$DOVECOT_PORT
	export DOVECOT DOVECOT_DIR DOVECOT_PORT DOVECOT_MAILDIR DOVECOT_LOG \
		DOVECOT_PID DOVECOT_USER DOVECOT_PASS POUCH_URL
	if [ -n "$DOVECOT_PORT_SSL" ]; then
		POUCH_URL_SSL=pop3s://$DOVECOT_USER@$dv_host:$DOVECOT_PORT_SSL
		export DOVECOT_PORT_SSL POUCH_URL_SSL
	fi
	return 0
}

# The pop3s port answers only through TLS; wait until it accepts a
# connection at all.
dovecot_wait_tls() {
	$dovecot_exec "$PYTHON3" - "$dv_listen" "$DOVECOT_PORT_SSL" <<'EOF'
import socket, sys, time
deadline = time.monotonic() + 10
while time.monotonic() < deadline:
    try:
        socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
EOF
}

# Kill the master by PID and wait for it; its children exit with it.
dovecot_stop_pid() {
	[ -n "$DOVECOT_PID" ] || return 0
	kill -TERM "$DOVECOT_PID" 2>/dev/null
	i=0
	while kill -0 "$DOVECOT_PID" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	if kill -0 "$DOVECOT_PID" 2>/dev/null; then
		kill -KILL "$DOVECOT_PID" 2>/dev/null
	fi
	wait "$DOVECOT_PID" 2>/dev/null
	DOVECOT_PID=
	return 0
}

dovecot_stop() {
	dovecot_stop_pid
	if [ -n "$DOVECOT_DIR" ] && [ -d "$DOVECOT_DIR" ] && [ -z "${DOVECOT_KEEP:-}" ]; then
		rm -rf "$DOVECOT_DIR"
	fi
	DOVECOT_DIR=
}

# Put back the mailbox given to dovecot_start (indexes and all): the next
# session sees it as new. Call it between sessions, not during one.
dovecot_reset_mailbox() {
	home=$DOVECOT_DIR/home/alice
	rm -rf "$home"
	mkdir -p "$home" || return 1
	cp -R "$DOVECOT_DIR/pristine" "$DOVECOT_MAILDIR" || return 1
	if [ "$(id -u)" -eq 0 ]; then
		chown -R "$dv_uid:$dv_gid" "$home" || return 1
	fi
	chmod -R u+rwX "$home"
}

dovecot_log_count() {
	grep -c -E "$1" "$DOVECOT_LOG" 2>/dev/null
}

dovecot_log_wait() {
	dv_i=0
	while [ "$(dovecot_log_count "$1")" -lt "$2" ] && [ $dv_i -lt 60 ]; do
		sleep 0.05
		dv_i=$((dv_i + 1))
	done
}

# Messages now in the served Maildir (cur + new).
dovecot_maildir_count() {
	ls "$DOVECOT_MAILDIR/cur" "$DOVECOT_MAILDIR/new" | grep -c -v -e '^$' -e ':$'
}

case ${0##*/} in
dovecot.sh)
	dovecot_cli=1
	at_exit() { :; }
	skip_all() { echo "dovecot.sh: $*" >&2; exit 1; }
	cmd=${1:-}
	[ $# -gt 0 ] && shift
	case $cmd in
	start)
		dovecot_start "$@" || { dovecot_stop; exit 1; }
		for v in DOVECOT DOVECOT_DIR DOVECOT_PORT DOVECOT_MAILDIR DOVECOT_LOG \
		    DOVECOT_PID DOVECOT_USER DOVECOT_PASS POUCH_URL \
		    DOVECOT_PORT_SSL DOVECOT_CA POUCH_URL_SSL; do
			eval "val=\${$v:-}"
			[ -n "$val" ] && printf "export %s='%s'\n" "$v" "$val"
		done
		exit 0
		;;
	stop)
		DOVECOT_DIR=${1:-${DOVECOT_DIR:-}}
		[ -n "$DOVECOT_DIR" ] && [ -f "$DOVECOT_DIR/dovecot.pid" ] || {
			echo "usage: dovecot.sh stop DIR (DIR holds dovecot.pid)" >&2
			exit 2
		}
		DOVECOT_PID=$(cat "$DOVECOT_DIR/dovecot.pid")
		# Not our child here: dovecot_stop_pid's wait returns at once,
		# its polling does the waiting.
		dovecot_stop_pid
		rm -rf "$DOVECOT_DIR"
		exit 0
		;;
	*)
		echo "usage: dovecot.sh start [--ssl] [--apop] [--mechs M] [--maildir DIR] [--listen ADDR] [--netns NS] [--password PW] [--oauth2 URL]" >&2
		echo "       dovecot.sh stop DIR" >&2
		exit 2
		;;
	esac
	;;
esac
