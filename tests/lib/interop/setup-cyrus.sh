# setup-cyrus.sh: run inside the private root (tests/lib/interop/root.sh)
# by scripts/interop: Cyrus IMAP's POP3 server (cyrus-pop3d) under
# cyrmaster, the user in sasldb (every mechanism libsasl2-modules brings,
# and APOP), the messages delivered in order through LMTP (cyrus deliver),
# a plain port with STLS and a pop3s port.
#   sh setup-cyrus.sh PORT SSLPORT USER PASS
# /interop/mb is the Maildir to deliver, /interop/ssl/server.{crt,key} the
# certificate. Appends cyrmaster's PID to /interop/pids.
set -u
port=$1 sslport=$2 user=$3 pass=$4
log=/interop/cyrus.log
. /interop/lib/install.sh
install_pkgs cyrus-pop3d cyrus-admin sasl2-bin libsasl2-modules || exit 1

mkdir -p /etc/cyrus-ssl
cp /interop/ssl/server.crt /interop/ssl/server.key /etc/cyrus-ssl/
chown -R cyrus /etc/cyrus-ssl
chmod 600 /etc/cyrus-ssl/server.key

# Debian's imapd.conf, with: no minimum time between POP3 logins
# (popminpoll), INBOX created by the first delivery, APOP allowed, header
# fields in UTF-8 (RFC 6532) stored as they come rather than with each
# 8-bit byte made an X (munge8bit), and the certificate.
sed -i '/^popminpoll:/d; /^allowapop:/d; /^autocreate_post:/d; /^munge8bit:/d' /etc/imapd.conf
cat >> /etc/imapd.conf <<EOC
popminpoll: 0
munge8bit: no
allowapop: yes
autocreate_post: yes
admins: cyrus
servername: localhost
tls_server_cert: /etc/cyrus-ssl/server.crt
tls_server_key: /etc/cyrus-ssl/server.key
EOC

cat > /etc/cyrus.conf <<EOC
START {
	recover		cmd="/usr/sbin/cyrus ctl_cyrusdb -r"
}
SERVICES {
	pop3		cmd="pop3d" listen="127.0.0.1:$port" prefork=0 maxchild=20
	pop3s		cmd="pop3d -s" listen="127.0.0.1:$sslport" prefork=0 maxchild=20
	lmtpunix	cmd="lmtpd" listen="/run/cyrus/socket/lmtp" prefork=0 maxchild=5
}
EVENTS {
	checkpoint	cmd="/usr/sbin/cyrus ctl_cyrusdb -c" period=30
}
EOC

printf '%s' "$pass" | saslpasswd2 -p -c -u localhost "$user" || exit 1
printf '%s' "$pass" | saslpasswd2 -p -c "$user" || exit 1

mkdir -p /run/cyrus/socket /run/cyrus/proc /run/cyrus/lock
chown -R cyrus:mail /run/cyrus
/usr/sbin/cyrmaster -l 32 -C /etc/imapd.conf -M /etc/cyrus.conf \
	</dev/null >>"$log" 2>&1 &
echo $! >> /interop/pids
i=0
while [ ! -S /run/cyrus/socket/lmtp ] && [ $i -lt 200 ]; do
	sleep 0.05
	i=$((i + 1))
done
[ -S /run/cyrus/socket/lmtp ] || { echo "setup-cyrus: lmtpd's socket did not appear" >&2; exit 1; }

# Delivery order = file name order (gen-mailbox's names start with
# increasing timestamps), so message N gets UID N.
for f in $(ls /interop/mb/cur | sort); do
	/usr/sbin/cyrus deliver -r pouch@localhost "$user" < "/interop/mb/cur/$f" ||
		{ echo "setup-cyrus: delivering $f failed" >&2; exit 1; }
done
exit 0
