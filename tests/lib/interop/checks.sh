# tests/lib/interop/checks.sh: pouch's command-line suite against one live
# POP3 server, each result checked against Python's poplib
# (tests/lib/popcheck.py) on the same server. POSIX sh; sourced by
# scripts/interop, which sets
#   SRV      the server's name (the table's column)
#   PORT     its plain POP3 port on 127.0.0.1; SSLPORT its pop3s port or ""
#   CA       the CA that signed its certificate
#   POP_USER PASS
#   POUCH    the pouch binary; PYTHON3; top (the source tree)
#   W        a scratch directory for this server
#   MB       the Maildir the server was loaded with
#   NOTES    a file for what is worth reading but is no check
#   RESULTS  the file that gets one line per check:
#            SERVER<TAB>CHECK<TAB>pass|FAIL|skip<TAB>REASON
# and calls interop_checks. The checks that change the mailbox (DELE then
# QUIT) run last.

result() {
	printf '%s\t%s\t%s\t%s\n' "$SRV" "$1" "$2" "$3" >> "$RESULTS"
}

# The first line of FILE, made safe for the table: printable ASCII only,
# at most 160 characters.
firstline() {
	head -n 1 "$1" 2>/dev/null | tr -d '\r' | tr -c '[:print:]\n' '?' | cut -c1-160
}

# pouch against the plain port (STLS is used when offered: loopback and
# --tls auto), the password from a file, the state in W.
# A run that outlives --timeout by far is a hang: timeout(1) ends it (124).
p() {
	timeout 300 "$POUCH" --password-command "cat '$W/pw'" --state-dir "$W/state" \
		--cacert "$CA" --timeout 20 "$@"
}
# The reference sends UTF8 (RFC 6856) when CAPA lists it, as pouch does, so
# that both get the same message from a server that otherwise substitutes
# a notice for one with raw UTF-8 in its header (Courier).
pc() {
	"$PYTHON3" "$top/tests/lib/popcheck.py" --utf8 127.0.0.1 "$PORT" "$POP_USER" "$PASS" "$@"
}
# same FILE REF_A REF_B: tests/lib/interop/samemsg.py
same() { "$PYTHON3" "$top/tests/lib/interop/samemsg.py" "$@"; }

# Every pouch run's stderr is kept in W/err.N; interop_sanitizers reads them
# all at the end.
run_n=0
run() {
	run_n=$((run_n + 1))
	err=$W/err.$run_n
	p "$@" >"$W/out" 2>"$err"
	rc=$?
	return $rc
}

interop_checks() {
	mkdir -p "$W" "$W/state"
	printf '%s\n' "$PASS" > "$W/pw"
	chmod 600 "$W/pw"
	URL=pop3://$POP_USER@127.0.0.1:$PORT

	# The reference: what poplib sees over plain text, USER/PASS (and UTF8
	# when offered).
	if ! pc stat > "$W/ref.stat" 2>"$W/ref.err"; then
		result "server up" FAIL "poplib: $(firstline "$W/ref.err")"
		return 1
	fi
	count=$(cut -d' ' -f1 "$W/ref.stat")
	pc list > "$W/ref.list" 2>/dev/null
	pc uidl > "$W/ref.uidl" 2>/dev/null || : > "$W/ref.uidl"
	t0=$(date +%s%N)
	pc sums > "$W/ref.sums" 2>/dev/null
	t1=$(date +%s%N)
	printf '%s\tpoplib: every message RETR one at a time (sums): %s ms\n' "$SRV" \
		$(( (t1 - t0) / 1000000 )) >> "$NOTES"
	# A second session: which messages the server makes anew each time.
	pc sums > "$W/ref.sums2" 2>/dev/null
	varies=$(diff "$W/ref.sums" "$W/ref.sums2" | sed -n 's/^> \([0-9]*\) .*/\1/p' | tr '\n' ' ')
	pc capa -- noquit > "$W/ref.capa0" 2>/dev/null || : > "$W/ref.capa0"
	pc stat -- capa > "$W/ref.capa1" 2>/dev/null && sed -i 1d "$W/ref.capa1" ||
		: > "$W/ref.capa1"
	mkdir -p "$W/ref" "$W/ref2"
	n=1
	while [ "$n" -le "$count" ]; do
		pc retr "$n" > "$W/ref/$n.eml" 2>/dev/null
		case " $varies " in
		*" $n "*) pc retr "$n" > "$W/ref2/$n.eml" 2>/dev/null ;;
		*) ln -s "../ref/$n.eml" "$W/ref2/$n.eml" ;;
		esac
		n=$((n + 1))
	done
	[ -n "$varies" ] && printf '%s\t%s\n' "$SRV" "messages that differ between two poplib sessions (compared to poplib's except on the lines that vary): $varies" >> "$NOTES"
	pc top 16 0 > "$W/ref.top0" 2>/dev/null
	pc top 16 4 > "$W/ref.top4" 2>/dev/null

	mcount=$(wc -l < "$W/manifest" | tr -d ' ')
	changed=$(cut -d' ' -f1-3 "$W/manifest" | diff - "$W/ref.sums" | grep -c '^>')
	if [ "$count" -eq "$mcount" ]; then
		result "mailbox loaded" pass "$count messages, $(cut -d' ' -f2 "$W/ref.stat") octets; $((count - changed)) of them byte-identical to gen-mailbox's, the rest as the server stores them"
	else
		result "mailbox loaded" FAIL "the server holds $count messages, gen-mailbox wrote $mcount"
		return 1
	fi

	# CAPA before login (poplib) decides what the server offers.
	caps=$W/ref.capa0
	stls=no
	grep -q -x 'STLS' "$caps" && stls=yes
	pipelining=no
	grep -q -x 'PIPELINING' "$caps" && pipelining=yes
	# After STLS the mechanisms may change; pouch logs in over TLS when
	# STLS is offered, so take the list from its trace.
	run --trace "$URL" noop
	grep '^S: SASL ' "$err" | tail -n 1 | cut -d' ' -f3- > "$W/mechs"
	grep -q '^S: +OK.*<[^>]*@[^>]*>' "$err" && apop=yes || apop=no

	# --- login with pouch's default choice
	run --trace "$URL" stat
	how=$(grep -E '^C: (AUTH [A-Z0-9-]+|USER|APOP)' "$err" | head -n 1 | cut -d' ' -f2-3 | sed 's/^USER .*/USER/; s/^APOP .*/APOP/')
	# Any AUTH DIGEST-MD5 on the wire counts, on any connection.
	digest=$(grep -c '^C: AUTH DIGEST-MD5' "$err")
	conns=$(grep -c '^\*: *Trying ' "$err")
	if [ $rc -ne 0 ]; then
		result "login (default)" FAIL "exit $rc with ${how:-no login command}: $(grep '^pouch:' "$err" | firstline /dev/stdin)"
	elif [ "$digest" -gt 0 ] && [ "$(wc -w < "$W/mechs")" -gt 1 ]; then
		result "login (default)" FAIL "sent AUTH DIGEST-MD5 (obsolete, RFC 6331) $digest times while $(cat "$W/mechs") are offered (issue 9 item 7)"
	else
		result "login (default)" pass "${how:-?}$(grep -q '^\*: logged in to .* over TLS' "$err" && echo ' over STLS'); $conns connection(s), AUTH DIGEST-MD5 sent $digest times"
	fi

	interop_login_time

	# --- STAT, LIST, UIDL
	run "$URL" stat
	if [ $rc -eq 0 ] && cmp -s "$W/out" "$W/ref.stat"; then
		result stat pass "$(cat "$W/out")"
	else
		result stat FAIL "exit $rc, '$(firstline "$W/out")', poplib '$(cat "$W/ref.stat")'; $(firstline "$err")"
	fi
	run "$URL" list
	r1=$rc
	cmp -s "$W/out" "$W/ref.list"; c1=$?
	run "$URL" list 7
	if [ $r1 -eq 0 ] && [ $c1 -eq 0 ] && [ $rc -eq 0 ] && [ "$(cat "$W/out")" = "$(sed -n 7p "$W/ref.list")" ]; then
		result list pass "$count lines as poplib's; list 7"
	else
		result list FAIL "list: exit $r1, same as poplib: $c1; list 7: exit $rc '$(firstline "$W/out")'; $(firstline "$err")"
	fi
	run "$URL" uidl
	r1=$rc
	cmp -s "$W/out" "$W/ref.uidl"; c1=$?
	run "$URL" uidl 5
	if [ $r1 -eq 0 ] && [ $c1 -eq 0 ] && [ $rc -eq 0 ] && [ "$(cat "$W/out")" = "$(sed -n 5p "$W/ref.uidl")" ]; then
		result uidl pass "$count lines as poplib's (e.g. '$(sed -n 5p "$W/ref.uidl")'); uidl 5"
	else
		result uidl FAIL "uidl: exit $r1, same as poplib: $c1; uidl 5: exit $rc '$(firstline "$W/out")'; $(firstline "$err")"
	fi

	# --- TOP
	run "$URL" top 16 0
	r1=$rc
	cmp -s "$W/out" "$W/ref.top0"; c1=$?
	run "$URL" top 16 4
	if [ $r1 -eq 0 ] && [ $c1 -eq 0 ] && [ $rc -eq 0 ] && cmp -s "$W/out" "$W/ref.top4"; then
		result top pass "top 16 0 and top 16 4 byte for byte as poplib's"
	else
		result top FAIL "top 16 0: exit $r1, same bytes: $c1; top 16 4: exit $rc; $(firstline "$err")"
	fi

	# --- several commands in one session (pipelined where offered)
	run "$URL" stat -- list 3 -- uidl 3 -- top 3 0 -- noop -- stat
	{ cat "$W/ref.stat"; sed -n 3p "$W/ref.list"; sed -n 3p "$W/ref.uidl"
	  pc top 3 0 2>/dev/null; cat "$W/ref.stat"; } > "$W/ref.multi"
	if [ $rc -eq 0 ] && cmp -s "$W/out" "$W/ref.multi"; then
		result "one session" pass "stat -- list 3 -- uidl 3 -- top 3 0 -- noop -- stat: the outputs in order, as poplib's"
	else
		result "one session" FAIL "stat -- list 3 -- uidl 3 -- top 3 0 -- noop -- stat: exit $rc; $(retr_diff_pair "$W/out" "$W/ref.multi"); $(grep '^pouch:' "$err" | firstline /dev/stdin)"
	fi

	# --- NOOP
	run "$URL" noop
	if [ $rc -eq 0 ] && [ ! -s "$W/out" ]; then
		result noop pass "exit 0, no output"
	else
		result noop FAIL "exit $rc; $(firstline "$err")"
	fi

	# --- RETR to stdout: every message in one session, byte for byte.
	set --
	n=1
	while [ "$n" -le "$count" ]; do
		[ "$n" -gt 1 ] && set -- "$@" --
		set -- "$@" retr "$n"
		n=$((n + 1))
	done
	run --trace "$URL" "$@"
	# the trace is in $err; stdout must be the messages, nothing else
	: > "$W/ref.all"
	: > "$W/ref2.all"
	n=1
	while [ "$n" -le "$count" ]; do
		cat "$W/ref/$n.eml" >> "$W/ref.all"
		cat "$W/ref2/$n.eml" >> "$W/ref2.all"
		n=$((n + 1))
	done
	if [ $rc -eq 0 ] && same "$W/out" "$W/ref.all" "$W/ref2.all" >/dev/null; then
		result "retr (stdout)" pass "retr 1 -- ... -- retr $count: $(wc -c < "$W/out" | tr -d ' ') octets, the same as poplib's"
	else
		bad=$(retr_diff_stdout "$count")
		result "retr (stdout)" FAIL "exit $rc; $bad; $(grep '^pouch:' "$err" | firstline /dev/stdin)"
	fi
	warn=$(grep '^pouch: ' "$err" | grep -v '^pouch: LAST' | head -n 3 | tr '\n' ' ' | tr -c '[:print:]' '?' | cut -c1-240)
	[ -n "$warn" ] && printf '%s\t%s\n' "$SRV" "retr (stdout) warned: $warn" >> "$NOTES"

	# --- RETR -o DIR, pipelined (when the server offers PIPELINING) and not.
	for mode in pipelined "one at a time"; do
		d=$W/o-$(echo "$mode" | tr -d ' ')
		mkdir -p "$d"
		t0=$(date +%s%N)
		if [ "$mode" = pipelined ]; then
			run --trace -o "$d" "$URL" retr "1-$count"
		else
			run --trace --no-pipelining -o "$d" "$URL" retr "1-$count"
		fi
		t1=$(date +%s%N)
		piped=$(grep -c -x '\*: pipelining on' "$err")
		printf '%s\tretr 1-%s -o DIR (%s): %s ms\n' "$SRV" "$count" "$mode" $(( (t1 - t0) / 1000000 )) >> "$NOTES"
		bad=0 first=
		n=1
		while [ "$n" -le "$count" ]; do
			if ! same "$d/$n.eml" "$W/ref/$n.eml" "$W/ref2/$n.eml" >/dev/null; then
				bad=$((bad + 1))
				[ -z "$first" ] && first=$n
			fi
			n=$((n + 1))
		done
		extra=$(ls "$d" | grep -c -v -x -E "[0-9]+\.eml")
		if [ "$mode" = pipelined ] && [ "$pipelining" = no ]; then
			if [ $rc -eq 0 ] && [ $bad -eq 0 ] && [ "$piped" -eq 0 ]; then
				result "retr -o (pipelined)" skip "no PIPELINING offered; pouch sent one command at a time and all $count files match"
			else
				result "retr -o (pipelined)" FAIL "no PIPELINING offered; exit $rc, $bad files differ (first $first), pipelining on: $piped"
			fi
			continue
		fi
		want_piped=1
		[ "$mode" = pipelined ] || want_piped=0
		if [ $rc -eq 0 ] && [ $bad -eq 0 ] && [ "$extra" -eq 0 ] && [ "$piped" -eq "$want_piped" ]; then
			result "retr -o ($mode)" pass "retr 1-$count -o DIR: $count files byte for byte as poplib's"
		else
			result "retr -o ($mode)" FAIL "exit $rc; $bad files differ (first: $first; $(retr_diff_file "$d" "$first")); pipelining on: $piped; $(grep '^pouch:' "$err" | firstline /dev/stdin)"
		fi
	done

	# --- a message with UTF-8 in its header fields (RFC 6532), from the
	# one-at-a-time directory: as stored, unless the server changed it
	r=$("$PYTHON3" "$top/tests/lib/interop/utf8check.py" "$MB" "$W/o-oneatatime" \
		"$W/ref" 127.0.0.1 "$PORT" "$POP_USER" "$PASS" 2>&1)
	case $r in
	pass"	"*|FAIL"	"*|skip"	"*) result "utf-8 header" "${r%%	*}" "${r#*	}" ;;
	*) result "utf-8 header" FAIL "utf8check.py: $(printf '%s' "$r" | tail -n 1)" ;;
	esac

	# --- CAPA
	# In plain text, as poplib: after STLS a server lists no STLS.
	run --trace --tls none "$URL" capa
	ncapa=$(grep -c -x 'C: CAPA' "$err")
	if [ -s "$W/ref.capa1" ]; then
		if [ $rc -eq 0 ] && cmp -s "$W/out" "$W/ref.capa1"; then
			result capa pass "$(wc -l < "$W/out" | tr -d ' ') lines as poplib's after login; C: CAPA sent $ncapa times"
		else
			result capa FAIL "exit $rc; $(diff "$W/ref.capa1" "$W/out" | grep '^[<>]' | head -n 2 | tr '\n' ' '); $(grep '^pouch:' "$err" | firstline /dev/stdin)"
		fi
	else
		# The server refuses CAPA: pouch says so (exit 1) and asks once
		# (issue 9 item 7: not again after login).
		msg=$(grep '^pouch:' "$err" | firstline /dev/stdin)
		if [ $rc -eq 1 ] && [ "$ncapa" -le 1 ]; then
			result capa pass "refused by the server: exit 1, '$msg'; C: CAPA sent once"
		else
			result capa FAIL "refused by the server; exit $rc, '$msg'; C: CAPA sent $ncapa times (issue 9 item 7: once)"
		fi
	fi

	# --- LAST
	interop_last

	# --- STLS and pop3s
	if [ "$stls" = yes ]; then
		run --trace --tls required "$URL" stat
		r1=$rc
		tr1=$err
		"$POUCH" --password-command "cat '$W/pw'" --state-dir "$W/state" --tls required \
			--timeout 20 "$URL" stat >/dev/null 2>"$W/err.noca"
		r2=$?
		if [ $r1 -eq 0 ] && cmp -s "$W/out" "$W/ref.stat" && grep -q -x 'C: STLS' "$tr1" &&
		   grep -q '^\*: logged in to .* over TLS' "$tr1" && [ $r2 -eq 4 ]; then
			result stls pass "--tls required: STLS, stat as poplib's; without --cacert: exit 4"
		else
			result stls FAIL "--tls required: exit $r1; without the CA: exit $r2 ($(firstline "$W/err.noca")); $(grep '^pouch:' "$tr1" | firstline /dev/stdin)"
		fi
	else
		run --tls required "$URL" stat
		if [ $rc -eq 4 ]; then
			result stls pass "no STLS offered: --tls required refuses, exit 4: '$(firstline "$err")'"
		else
			result stls FAIL "no STLS offered: --tls required gives exit $rc: '$(firstline "$err")'"
		fi
	fi
	if [ -n "$SSLPORT" ]; then
		run --trace "pop3s://$POP_USER@127.0.0.1:$SSLPORT" stat
		if [ $rc -eq 0 ] && cmp -s "$W/out" "$W/ref.stat"; then
			result pop3s pass "pop3s://...:$SSLPORT stat as poplib's"
		else
			result pop3s FAIL "exit $rc; $(grep '^pouch:' "$err" | firstline /dev/stdin)"
		fi
	else
		result pop3s skip "the server has no POP3 over TLS"
	fi

	# --- every login method: USER, APOP, and each SASL mechanism offered
	interop_auth

	# --- a wrong password
	printf '%s\n' "not-$PASS" > "$W/pw"
	run --trace "$URL" stat
	printf '%s\n' "$PASS" > "$W/pw"
	msg=$(grep '^pouch:' "$err" | firstline /dev/stdin)
	if grep -q -F -e "$PASS" "$err"; then
		result "wrong password" FAIL "exit $rc; the password appears on stderr"
	elif [ $rc -eq 3 ] && [ ! -s "$W/out" ] && printf '%s' "$msg" | grep -q -e '-ERR'; then
		result "wrong password" pass "exit 3: '$msg'"
	else
		result "wrong password" FAIL "exit $rc: '$msg'"
	fi

	# --- DELE and RSET: nothing deleted, then (last) DELE + QUIT
	run "$URL" dele 2 -- rset
	r1=$rc
	s1=$(pc stat 2>&1)
	run "$URL" dele 2 -- rset -- stat
	r2=$rc
	o2=$(cat "$W/out")
	run "$URL" dele 1 -- retr 999 -- dele 4
	r3=$rc
	e3=$(grep -c -x 'pouch: nothing was deleted' "$err")
	s3=$(pc stat 2>&1)
	if [ $r1 -eq 0 ] && [ "$s1" = "$(cat "$W/ref.stat")" ] && [ $r2 -eq 0 ] &&
	   [ "$o2" = "$(cat "$W/ref.stat")" ] && [ $r3 -eq 1 ] && [ "$e3" -eq 1 ] &&
	   [ "$s3" = "$(cat "$W/ref.stat")" ]; then
		result "dele + rset" pass "dele 2 -- rset; dele 2 -- rset -- stat; dele 1 -- retr 999 (exit 1, 'nothing was deleted'): all $count kept"
	else
		result "dele + rset" FAIL "dele 2 -- rset: exit $r1, then STAT '$s1'; -- stat: exit $r2 '$o2'; dele 1 -- retr 999: exit $r3, then STAT '$s3'"
	fi
	uid2=$(sed -n '2p' "$W/ref.uidl" | cut -d' ' -f2-)
	run "$URL" dele 2
	r1=$rc
	size2=$(sed -n '2p' "$W/ref.list" | cut -d' ' -f2)
	want="$((count - 1)) $(( $(cut -d' ' -f2 "$W/ref.stat") - size2 ))"
	s1=$(pc stat 2>&1)
	gone=1
	[ -n "$uid2" ] && pc uidl 2>/dev/null | cut -d' ' -f2- | grep -q -x -F "$uid2" && gone=0
	if [ $r1 -eq 0 ] && [ "$s1" = "$want" ] && [ $gone -eq 1 ]; then
		result "dele + quit" pass "dele 2: a second session sees '$s1', UID $uid2 gone"
	else
		result "dele + quit" FAIL "dele 2: exit $r1; a second session sees '$s1' (want '$want'); UID gone: $gone; $(firstline "$err")"
	fi
	return 0
}

# What a session with nothing in it costs, pouch beside poplib (median of
# 7 runs each, wall clock, the program's start included: Python's is some
# 20 ms, and pouch here is a sanitizer build): a note, not a check.
interop_login_time() {
	for who in pouch poplib; do
		i=0
		while [ $i -lt 7 ]; do
			t0=$(date +%s%N)
			if [ $who = pouch ]; then
				p "$URL" noop >/dev/null 2>&1
			else
				pc stat >/dev/null 2>&1
			fi
			t1=$(date +%s%N)
			echo $(( (t1 - t0) / 1000000 ))
			i=$((i + 1))
		done | sort -n | sed -n 4p > "$W/t.$who"
	done
	printf '%s\tlogin, one command, QUIT (median of 7): pouch noop %s ms, poplib stat %s ms\n' \
		"$SRV" "$(cat "$W/t.pouch")" "$(cat "$W/t.poplib")" >> "$NOTES"
	# Where a login's time goes, from the system calls (when strace is
	# here): connect to NOOP sent, and the slowest answer, after which
	# command. A slow answer to AUTH, PASS or APOP is the server's.
	command -v strace >/dev/null 2>&1 || return 0
	# In plain text, so that the commands can be read; strings cut to
	# their first 4 octets (the command word: no password is recorded).
	ASAN_OPTIONS=detect_leaks=0 strace -tt -s 4 -e trace=execve,connect,sendto,recvfrom \
		-o "$W/login.strace" "$POUCH" --password-command "cat '$W/pw'" \
		--state-dir "$W/state" --tls none --timeout 20 "$URL" noop \
		>/dev/null 2>&1
	login_split "$W/login.strace" "$PORT" > "$W/login.split"
	[ -s "$W/login.split" ] &&
		printf '%s\tpouch noop under strace: %s\n' "$SRV" "$(cat "$W/login.split")" >> "$NOTES"
}

# login_split STRACE PORT: from strace -tt -s 4 of one pouch run: its start
# (execve) to connect() to PORT, then until NOOP went out (the login), then
# to the exit (NOOP, QUIT, the end); and the slowest answer (a sendto to
# the next recvfrom that got data) with its command word (a SASL response
# is no command).
login_split() {
	awk -v port="htons($2)" '
	function ms(t,  a) { split(t, a, ":"); return (a[1] * 3600 + a[2] * 60 + a[3]) * 1000 }
	t0 == "" { t0 = ms($1) }
	$2 ~ /^connect\(/ && index($0, port) && c == "" { c = ms($1) }
	$2 ~ /^sendto\(/ { s = ms($1); w = substr($3, 2, 4)
		if (w !~ /^[A-Z][A-Z][A-Z][A-Z]$/) w = "a SASL response"
		if (w == "NOOP" && n == "") n = s }
	$2 ~ /^recvfrom\(/ && match($0, /= [0-9]+$/) && substr($0, RSTART + 2) + 0 > 0 && s != "" {
		if (ms($1) - s > max) { max = ms($1) - s; what = w }
		s = ""
	}
	{ last = ms($1) }
	END { if (c != "" && n != "") printf "start to connect %.1f ms, the login (to NOOP sent) %.1f ms, then to the exit %.1f ms; the slowest answer %.1f ms, to %s\n", c - t0, n - c, last - n, max, what }
	' "$1"
}

# Which message of a stdout RETR run differs: fetch each alone.
retr_diff_stdout() {
	n=1
	while [ "$n" -le "$1" ]; do
		p "$URL" retr "$n" > "$W/one" 2>"$W/one.err"
		r=$?
		if [ $r -ne 0 ] || ! same "$W/one" "$W/ref/$n.eml" "$W/ref2/$n.eml" >/dev/null; then
			echo "retr $n alone: exit $r, $(retr_diff_pair "$W/one" "$W/ref/$n.eml"); $(firstline "$W/one.err")"
			return
		fi
		n=$((n + 1))
	done
	echo "each message alone is the same as poplib's; together they are not"
}

retr_diff_file() {
	[ -n "$2" ] || return 0
	retr_diff_pair "$1/$2.eml" "$W/ref/$2.eml"
}

# "N octets, poplib M; first difference at octet K"
retr_diff_pair() {
	a=$(wc -c < "$1" 2>/dev/null | tr -d ' ')
	b=$(wc -c < "$2" | tr -d ' ')
	k=$(cmp "$1" "$2" 2>/dev/null | sed -n 's/.* byte \([0-9]*\).*/\1/p')
	echo "${a:-no file} octets, poplib $b${k:+; first difference at octet $k}"
}

# LAST: the server's answer, or pouch's record when the server refuses it.
interop_last() {
	rm -rf "$W/state"
	mkdir -p "$W/state" "$W/l1" "$W/l2"
	run "$URL" last
	r0=$rc o0=$(cat "$W/out")
	refused=no
	grep -q "^pouch: LAST: answered from pouch's record" "$err" && refused=yes
	src="the server's LAST"
	[ "$refused" = yes ] && src="pouch's record (the server refuses LAST)"
	run "$URL" retr 3 -- retr 5 -- last
	r1=$rc o1=$(tail -n 1 "$W/out")
	run "$URL" last
	r2=$rc o2=$(cat "$W/out")
	# Within one session here; across sessions in "last never down".
	if [ $r0 -eq 0 ] && [ "$o0" = 0 ] && [ $r1 -eq 0 ] && [ "$o1" = 5 ]; then
		result last pass "$src: 0, then retr 3 -- retr 5 -- last: 5 (the next session: '$o2', exit $r2)"
	else
		result last FAIL "$src: first '$o0' (exit $r0), after retr 3 -- retr 5 '$o1' (exit $r1); $(firstline "$err")"
	fi
	# Issue 9 item 2: LAST never goes down, in a fresh state directory.
	rm -rf "$W/state"
	mkdir -p "$W/state"
	run -o "$W/l1" "$URL" retr 1-10
	run "$URL" last
	a=$(cat "$W/out")
	run -o "$W/l2" "$URL" retr 2
	run "$URL" last
	b=$(cat "$W/out")
	# The seed's definition: the highest message number retrieved, kept
	# between sessions; never below a retrieval still on the server.
	if [ "$a" = 10 ] && [ "$b" = 10 ]; then
		result "last never down" pass "$src: retr 1-10, last: 10; retr 2, last: 10"
	elif [ "$refused" = no ]; then
		result "last never down" FAIL "$src: retr 1-10 -o D, then last in a new session: $a; retr 2, last: $b. The server answers LAST per session and pouch passes that on, below retrievals still on the server (not in issue 9's list)"
	else
		result "last never down" FAIL "$src: retr 1-10 -o D, then last: $a; then retr 2 -o D2, last: $b (issue 9 item 2)"
	fi
}

interop_auth() {
	offered="USER $( [ "$apop" = yes ] && echo APOP ) $(cat "$W/mechs")"
	methods=$ALL_METHODS
	# One the list does not know yet gets a row too.
	for m in $offered; do
		case " $(echo $ALL_METHODS) " in *" $m "*) ;; *) methods="$methods $m" ;; esac
	done
	for m in $methods; do
		case " $offered " in
		*" $m "*) ;;
		*) result "auth $m" skip "not offered"; continue ;;
		esac
		run --trace --auth "$m" "$URL" stat
		case $m in
		USER) cmd='C: USER ' ;;
		APOP) cmd='C: APOP ' ;;
		*) cmd="C: AUTH $m" ;;
		esac
		msg=$(grep '^pouch:' "$err" | firstline /dev/stdin)
		if grep -q -F -e "$PASS" "$err"; then
			result "auth $m" FAIL "exit $rc; the password appears in the trace"
		elif [ $rc -eq 0 ] && cmp -s "$W/out" "$W/ref.stat" && grep -q "^$cmd" "$err"; then
			result "auth $m" pass "stat as poplib's$(grep -q '^\*: logged in to .* over TLS' "$err" && echo ', over STLS')"
		elif [ $rc -eq 2 ]; then
			case $m in
			DIGEST-MD5) result "auth $m" FAIL "--auth $m: exit 2, '$msg' (issue 9 item 7: accept its name)" ;;
			*) result "auth $m" skip "offered; this pouch cannot use it: '$(printf '%s' "$msg" | sed 's/ (USER, APOP,.*//')'" ;;
			esac
		else
			result "auth $m" FAIL "exit $rc: '$msg'"
		fi
	done
}

# Every method any of the servers may offer, in the table's order.
ALL_METHODS="USER APOP PLAIN LOGIN CRAM-MD5 CRAM-SHA1 CRAM-SHA256 DIGEST-MD5
SCRAM-SHA-1 SCRAM-SHA-1-PLUS SCRAM-SHA-224 SCRAM-SHA-224-PLUS SCRAM-SHA-256
SCRAM-SHA-256-PLUS SCRAM-SHA-384 SCRAM-SHA-384-PLUS SCRAM-SHA-512
SCRAM-SHA-512-PLUS NTLM"

# After every check: neither the password nor its encodings (AUTH PLAIN's
# and LOGIN's base64) in any pouch run's stderr, traces included. The wrong
# password ("not-" and the password) holds the right one, so it counts too.
interop_secrets() {
	b64p=$(printf '%s' "$PASS" | base64 | tr -d '\n')
	b64plain=$(printf '\000%s\000%s' "$POP_USER" "$PASS" | base64 | tr -d '\n')
	n=$(cat "$W"/err.* 2>/dev/null | grep -c -F -e "$PASS" -e "$b64p" -e "$b64plain")
	if [ "$n" -eq 0 ]; then
		result "no password on stderr" pass "$run_n runs of pouch, traces included"
	else
		result "no password on stderr" FAIL "$n lines with the password or its base64 in: $(grep -l -F -e "$PASS" -e "$b64p" -e "$b64plain" "$W"/err.* | sed 's|.*/||' | tr '\n' ' ')"
	fi
}

# After every check: no sanitizer report in any pouch run's stderr.
interop_sanitizers() {
	n=$(cat "$W"/err.* 2>/dev/null | grep -c -E 'ERROR: (Address|Leak|Memory|Thread)Sanitizer|runtime error:')
	if [ "$n" -eq 0 ]; then
		result "no sanitizer report" pass "$run_n runs of pouch"
	else
		result "no sanitizer report" FAIL "$n reports in $run_n runs: $(cat "$W"/err.* | grep -m 1 -E 'Sanitizer|runtime error:' | tr -c '[:print:]' '?' | cut -c1-160)"
	fi
}
