# install.sh: install_pkgs PKG... inside the private root. The host's package
# lists are used first; apt-get update (inside, so the host's lists stay as
# they are) only when they do not have the packages. No service starts on
# install (policy-rc.d). Output goes to /interop/apt.log.
install_pkgs() {
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -q --no-install-recommends "$@" >>/interop/apt.log 2>&1 && return 0
	apt-get update -q >>/interop/apt.log 2>&1 &&
	apt-get install -y -q --no-install-recommends "$@" >>/interop/apt.log 2>&1 && return 0
	echo "install: apt-get install $* failed; the end of its log:" >&2
	tail -20 /interop/apt.log >&2
	return 1
}
