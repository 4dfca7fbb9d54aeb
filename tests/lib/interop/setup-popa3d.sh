# setup-popa3d.sh: run inside the private root (tests/lib/interop/root.sh)
# by scripts/interop: popa3d (inetd mode, under tests/lib/interop/inetd.py),
# the test user with a shadow password (popa3d asks PAM), and the messages
# as the user's mbox in /var/mail. popa3d has no TLS and no SASL.
#   sh setup-popa3d.sh PORT SSLPORT USER PASS     (SSLPORT is not used)
# Appends the listener's PID to /interop/pids.
set -u
port=$1 user=$3 pass=$4
log=/interop/popa3d.log
. /interop/lib/install.sh
install_pkgs popa3d || exit 1

useradd -m -s /bin/sh "$user" || exit 1
printf '%s:%s\n' "$user" "$pass" | chpasswd || exit 1
python3 /interop/lib/maildir2mbox.py /interop/mb "/var/mail/$user" || exit 1
chown "$user:mail" "/var/mail/$user"
chmod 660 "/var/mail/$user"

python3 /interop/lib/inetd.py 127.0.0.1 "$port" "$log" -- /usr/sbin/popa3d \
	</dev/null >>"$log" 2>&1 &
echo $! >> /interop/pids
exit 0
