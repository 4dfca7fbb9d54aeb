# setup-courier.sh: run inside the private root (tests/lib/interop/root.sh)
# by scripts/interop: Courier's POP3 server (courier-pop) with authuserdb,
# the test user's Maildir, plain port with STLS and a pop3s port.
#   sh setup-courier.sh PORT SSLPORT USER PASS
# /interop/mb is the Maildir to serve, /interop/ssl/server.{crt,key} the
# certificate. Appends each daemon's PID to /interop/pids.
set -u
port=$1 sslport=$2 user=$3 pass=$4
log=/interop/courier.log
. /interop/lib/install.sh
install_pkgs courier-pop courier-authlib-userdb || exit 1

useradd -m -s /bin/sh "$user" || exit 1
uid=$(id -u "$user") gid=$(id -g "$user")
home=/home/$user
cp -R /interop/mb "$home/Maildir" || exit 1
chown -R "$uid:$gid" "$home/Maildir"

# authuserdb: a crypt password for USER/PASS and PLAIN/LOGIN, and the
# HMAC keys that CRAM-MD5, CRAM-SHA1 and CRAM-SHA256 need.
rm -f /etc/courier/userdb
touch /etc/courier/userdb
chmod 600 /etc/courier/userdb
userdb "$user" set uid="$uid" gid="$gid" home="$home" mail="$home/Maildir" || exit 1
for h in "" hmac-md5 hmac-sha1 hmac-sha256; do
	if [ -n "$h" ]; then
		field=$h"pw" opt=-$h
	else
		field=systempw opt=
	fi
	# shellcheck disable=SC2086
	printf '%s\n%s\n' "$pass" "$pass" | userdbpw $opt | userdb "$user" set "$field" || exit 1
done
makeuserdb || exit 1
sed -i 's/^authmodulelist=.*/authmodulelist="authuserdb"/; s/^DEBUG_LOGIN=.*/DEBUG_LOGIN=1/' \
	/etc/courier/authdaemonrc
sed -i "s/^ADDRESS=.*/ADDRESS=127.0.0.1/; s/^PORT=.*/PORT=$port/
	s/^POP3AUTH=.*/POP3AUTH=\"PLAIN LOGIN CRAM-MD5 CRAM-SHA1 CRAM-SHA256\"/
	s/^POP3AUTH_TLS=.*/POP3AUTH_TLS=\"PLAIN LOGIN CRAM-MD5 CRAM-SHA1 CRAM-SHA256\"/" \
	/etc/courier/pop3d
cat /interop/ssl/server.key /interop/ssl/server.crt > /etc/courier/pop3d.pem
chmod 640 /etc/courier/pop3d.pem  # couriertls runs as courier for STLS
sed -i "s/^SSLADDRESS=.*/SSLADDRESS=127.0.0.1/; s/^SSLPORT=.*/SSLPORT=$sslport/
	s/^TLS_CACHEFILE=.*/TLS_CACHEFILE=/" /etc/courier/pop3d-ssl

# The daemons in the foreground (no courierlogger), so that $! is the PID
# to stop: authdaemond, couriertcpd for the plain port and for pop3s.
mkdir -p /run/courier/authdaemon
chown daemon:daemon /run/courier/authdaemon 2>/dev/null
env -i /bin/sh -c 'set -a; . /etc/courier/authdaemonrc
	exec /usr/lib/courier/courier-authlib/authdaemond' </dev/null >>"$log" 2>&1 &
echo $! >> /interop/pids
i=0
while [ ! -S /run/courier/authdaemon/socket ] && [ $i -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
env -i /bin/sh -c 'set -a; prefix=/usr exec_prefix=/usr sbindir=/usr/sbin
	bindir=/usr/bin libexecdir=/usr/lib/courier
	. /etc/courier/pop3d; . /etc/courier/pop3d-ssl
	exec /usr/sbin/couriertcpd -address=$ADDRESS -maxprocs=$MAXDAEMONS \
		-maxperip=$MAXPERIP $TCPDOPTS $PORT \
		/usr/lib/courier/courier/courierpop3login \
		/usr/lib/courier/courier/courierpop3d $MAILDIRPATH' \
	</dev/null >>"$log" 2>&1 &
echo $! >> /interop/pids
env -i /bin/sh -c 'set -a; prefix=/usr exec_prefix=/usr sbindir=/usr/sbin
	bindir=/usr/bin libexecdir=/usr/lib/courier
	. /etc/courier/pop3d; . /etc/courier/pop3d-ssl
	exec /usr/sbin/couriertcpd -address=$SSLADDRESS -maxprocs=$MAXDAEMONS \
		-maxperip=$MAXPERIP $TCPDOPTS $SSLPORT \
		$COURIERTLS -server -tcpd \
		/usr/lib/courier/courier/courierpop3login \
		/usr/lib/courier/courier/courierpop3d $MAILDIRPATH' \
	</dev/null >>"$log" 2>&1 &
echo $! >> /interop/pids
exit 0
