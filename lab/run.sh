#!/usr/bin/env bash
# lab/run.sh [SCENARIO...]
#
# Regenerates the lab captures under testdata/pcaps/lab/ and their entries in
# testdata/pcaps/manifest.json: for each scenario it builds network namespaces
# joined by veth pairs (198.18.0.0/15 only), runs one strongSwan charon per
# namespace, lets them negotiate with the scenario's misconfiguration, sends
# bounded traffic through the tunnel, captures with tcpdump, writes Wireshark's
# decryption tables from the charon logs and checks them with tshark.
#
# Needs root (namespaces, tcpdump); takes a few minutes for all scenarios.
# Without arguments it runs every scenario of lab/scenarios.json; `-l` lists
# them. Everything it starts is torn down on exit, also on failure.
# See lab/README.md.
set -uo pipefail

LAB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$LAB")
PCAPS=$REPO/testdata/pcaps
# LAB_OUT sends a run's captures and manifest elsewhere (tests that drive the
# lab use it so the committed ground truth is not touched)
OUT=${LAB_OUT:-$PCAPS/lab}
SPEC=$LAB/scenarios.json
MANIFEST=${LAB_OUT:+$LAB_OUT/manifest.json}
MANIFEST=${MANIFEST:-$PCAPS/manifest.json}
CHARON=/usr/lib/ipsec/charon

NS_I=ipl-i   # initiator
NS_R=ipl-r   # responder
NS_N=ipl-n   # NAT router / middle box

# addresses: outside 198.18.1.0/24 (and 198.18.2.0/24 behind the NAT,
# 198.18.3.0/24 behind the router), protected subnets 198.19.1.0/24
# (initiator) and 198.19.2.0/24 (responder)
I_OUT=198.18.1.1
R_OUT=198.18.1.2
N_IN=198.18.1.254
N_OUT=198.18.2.254
R_OUT_NAT=198.18.2.2
N_RT=198.18.3.254 # the router's leg toward the responder (routed topology)
R_OUT_RT=198.18.3.2
I_IN=198.19.1.1
R_IN=198.19.2.1
I_NET=198.19.1.0/24
R_NET=198.19.2.0/24

PIDS=()   # every background process this script started
# capture points of the topology, the primary (capture.pcap) first, one
# "point|namespace|interface|file|view|initiator addr|responder addr|description"
# each (view: the side whose logged ESP addresses are those seen there)
CAP_POINTS=()
CAP_PIDS=()
declare -A SHIFT=() # point -> seconds added to its capture's time stamps after the run
FAILED=() # scenarios whose run did not match lab/scenarios.json
SKIPPED=()
WORK=
LABTOOL=

log() { printf '[lab %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() {
	log "ERROR: $*"
	exit 1
}

# ---------------------------------------------------------------- teardown

del_namespaces() {
	local ns p
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep '^ipl-'); do
		# anything still running inside our namespaces was started by us
		for p in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$p" 2>/dev/null
		done
		ip netns del "$ns" 2>/dev/null
	done
}

stop_all() {
	local p
	for p in "${PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${PIDS[@]}"; do
		wait_gone "$p" 3 || kill -KILL "$p" 2>/dev/null
	done
	PIDS=()
	del_namespaces
}

cleanup() {
	stop_all
	[ -n "$WORK" ] && [ -z "${LAB_KEEP_WORK:-}" ] && rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# wait_gone PID SECONDS: wait for a process to end, bounded
wait_gone() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

forget_pid() {
	local p keep=()
	for p in "${PIDS[@]}"; do
		[ "$p" = "$1" ] || keep+=("$p")
	done
	PIDS=("${keep[@]}")
}

# ---------------------------------------------------------------- set-up

ensure_packages() {
	local want=(strongswan strongswan-swanctl strongswan-charon charon-systemd libcharon-extra-plugins
		tcpdump tshark nftables iproute2 iputils-ping util-linux)
	local missing=() p
	for p in "${want[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		log "installing ${missing[*]}"
		echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections
		timeout 300 apt-get update -qq || die "apt-get update failed"
		DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -q "${missing[@]}" >/dev/null ||
			die "apt-get install ${missing[*]} failed"
	fi
	[ -x "$CHARON" ] || die "$CHARON missing"
	[ -e /usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so ] || die "kernel-libipsec plugin missing"
	[ -c /dev/net/tun ] || die "/dev/net/tun missing (kernel-libipsec needs it)"
}

build_labtool() {
	LABTOOL=$WORK/labtool
	(cd "$REPO" && timeout 300 go build -o "$LABTOOL" ./lab/cmd/labtool) || die "go build ./lab/cmd/labtool failed"
}

nsx() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

new_ns() {
	ip netns add "$1" || die "ip netns add $1"
	nsx "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	ip -n "$1" link set lo up
}

# add_point POINT NS IF FILE VIEW IADDR RADDR DESCRIPTION: a capture point
add_point() {
	CAP_POINTS+=("$1|$2|$3|$4|$5|$6|$7|$8")
}

# initiator and responder on one link: captured at both ends (the primary
# capture.pcap on the initiator's side)
topo_direct() {
	new_ns $NS_I
	new_ns $NS_R
	ip link add ipl-i0 netns $NS_I type veth peer name ipl-r0 netns $NS_R || die "veth"
	ip -n $NS_I addr add $I_OUT/24 dev ipl-i0
	ip -n $NS_R addr add $R_OUT/24 dev ipl-r0
	ip -n $NS_I link set ipl-i0 up
	ip -n $NS_R link set ipl-r0 up
	# the protected subnets' hosts: the gateways' own inner addresses
	# (this kernel has no dummy interfaces)
	ip -n $NS_I addr add $I_IN/32 dev lo
	ip -n $NS_R addr add $R_IN/32 dev lo
	CAP_NS=$NS_I CAP_IF=ipl-i0
	add_point initiator $NS_I ipl-i0 capture.pcap initiator $I_OUT $R_OUT \
		"ipl-i0 in the initiator's namespace ipl-i (its end of the link)"
	add_point responder $NS_R ipl-r0 capture-responder.pcap responder $I_OUT $R_OUT \
		"ipl-r0 in the responder's namespace ipl-r (its end of the same link)"
	I_LADDR=$I_OUT I_RADDR=$R_OUT R_LADDR=$R_OUT R_RADDR=$I_OUT
}

# two_links ROUTER_OUT RESPONDER: the initiator, a router and the responder
# in their namespaces, on two links (ipl-i0/ipl-n0 and ipl-n1/ipl-r0); the
# router's outer address and the responder's are the topology's
two_links() {
	new_ns $NS_I
	new_ns $NS_N
	new_ns $NS_R
	ip link add ipl-i0 netns $NS_I type veth peer name ipl-n0 netns $NS_N || die "veth"
	ip link add ipl-n1 netns $NS_N type veth peer name ipl-r0 netns $NS_R || die "veth"
	ip -n $NS_I addr add $I_OUT/24 dev ipl-i0
	ip -n $NS_N addr add $N_IN/24 dev ipl-n0
	ip -n $NS_N addr add "$1"/24 dev ipl-n1
	ip -n $NS_R addr add "$2"/24 dev ipl-r0
	local l
	for l in "$NS_I ipl-i0" "$NS_N ipl-n0" "$NS_N ipl-n1" "$NS_R ipl-r0"; do
		set -- $l
		ip -n "$1" link set "$2" up
	done
	ip -n $NS_I route add default via $N_IN
}

# initiator and responder on two links joined by a router that forwards
# without NAT (the middle box where a firewall drops things): captured on
# the initiator's link (primary) and on the responder's link
topo_routed() {
	two_links $N_RT $R_OUT_RT
	ip -n $NS_R route add default via $N_RT
	nsx $NS_N sysctl -qw net.ipv4.ip_forward=1
	# the router's filter: scenarios add their rules to this chain
	nsx $NS_N nft -f - <<-EOF || die "nft router table"
		table ip ipl_fw {
			chain ipl_fwd {
				type filter hook forward priority filter; policy accept;
			}
		}
	EOF
	ip -n $NS_I addr add $I_IN/32 dev lo
	ip -n $NS_R addr add $R_IN/32 dev lo
	CAP_NS=$NS_I CAP_IF=ipl-i0
	add_point initiator $NS_I ipl-i0 capture.pcap initiator $I_OUT $R_OUT_RT \
		"ipl-i0 in the initiator's namespace ipl-i: the initiator's link, before the router"
	add_point responder $NS_R ipl-r0 capture-responder.pcap responder $I_OUT $R_OUT_RT \
		"ipl-r0 in the responder's namespace ipl-r: the responder's link, after the router"
	I_LADDR=$I_OUT I_RADDR=$R_OUT_RT R_LADDR=$R_OUT_RT R_RADDR=$I_OUT
}

# fw_rule RULE: add a rule to the router's forward chain (routed topology)
fw_rule() {
	nsx $NS_N nft add rule ip ipl_fw ipl_fwd "$@" || die "nft add rule $*"
}

# fw_counts: what the router's rules dropped, for the log
fw_counts() {
	nsx $NS_N nft list chain ip ipl_fw ipl_fwd >"$WORK/nft.out" 2>&1
	log "  dropped at the router: $(grep -o 'packets [0-9]*' "$WORK/nft.out" | tr '\n' ' ')"
}

# initiator behind a masquerading router: captured outside the NAT (primary)
# and on the NAT's inside leg
topo_nat() {
	two_links $N_OUT $R_OUT_NAT
	nsx $NS_N sysctl -qw net.ipv4.ip_forward=1
	# a NAT that rewrites ports too, as most do
	nsx $NS_N nft -f - <<-EOF || die "nft NAT rules"
		table ip ipl_nat {
			chain post {
				type nat hook postrouting priority srcnat; policy accept;
				oifname "ipl-n1" ip saddr 198.18.1.0/24 ip protocol udp masquerade to :20000-29999 random
				oifname "ipl-n1" ip saddr 198.18.1.0/24 masquerade
			}
		}
	EOF
	ip -n $NS_I addr add $I_IN/32 dev lo
	ip -n $NS_R addr add $R_IN/32 dev lo
	CAP_NS=$NS_N CAP_IF=ipl-n1
	add_point outside $NS_N ipl-n1 capture.pcap responder $N_OUT $R_OUT_NAT \
		"ipl-n1 in the NAT's namespace ipl-n: outside the NAT, the initiator appears as $N_OUT with ports in 20000-29999"
	add_point inside $NS_N ipl-n0 capture-inside.pcap initiator $I_OUT $R_OUT_NAT \
		"ipl-n0 in the NAT's namespace ipl-n: inside the NAT, before translation, the initiator's own address"
	I_LADDR=$I_OUT I_RADDR=$R_OUT_NAT R_LADDR=$R_OUT_NAT R_RADDR=%any
}

# ---------------------------------------------------------------- charon

# cfg_defaults: a healthy configuration on both sides; scenarios override
# I_* (initiator) and R_* (responder) variables.
cfg_defaults() {
	local s
	for s in I R; do
		eval "${s}_VERSION=2 ${s}_AGGR=no ${s}_PSK='lab-psk-3f9a1c' ${s}_DPD_DELAY=0s ${s}_DPD_TIMEOUT=0s"
		eval "${s}_DPD_ACTION=clear ${s}_CHILD_REKEY=3600s ${s}_CHILD_LIFE=3900s ${s}_MOBIKE=yes"
		eval "${s}_PROPOSALS=aes128-sha256-modp2048 ${s}_ESP=aes128-sha256"
		# lifecycle settings (the long scenarios): empty means the line is
		# not written and strongSwan's default applies; IKE_REKEY,
		# REAUTH, OVER and IKE_RAND are the connection's rekey_time,
		# reauth_time, over_time and rand_time; CHILD_RAND the child's
		# rand_time; MBB charon's make_before_break; NET2_LTS/NET2_RTS
		# a second child "net2"; KEYINGTRIES the connection's keyingtries
		# (0: forever); LOG_MGR the level of a second file log,
		# charon-mgr.log, of charon's IKE_SA manager alone (at 2 it names
		# the SPIs of every IKE_SA it checks in: the only place a rekeyed
		# IKEv2 SA's SPIs show)
		eval "${s}_IKE_REKEY= ${s}_REAUTH= ${s}_OVER= ${s}_IKE_RAND= ${s}_CHILD_RAND=0s ${s}_MBB="
		eval "${s}_NET2_LTS= ${s}_NET2_RTS= ${s}_LOG_MGR= ${s}_KEYINGTRIES=1"
		# CONN2 names a second connection loaded before "lab" (a gateway
		# with another site's tunnel): CONN2_RID its remote identity,
		# CONN2_RTS its child's remote_ts; the rest as "lab"'s
		eval "${s}_CONN2= ${s}_CONN2_RID= ${s}_CONN2_RTS="
	done
	I_LID=initiator.lab I_RID=responder.lab R_LID=responder.lab R_RID=initiator.lab
	I_LTS=$I_NET I_RTS=$R_NET R_LTS=$R_NET R_RTS=$I_NET
	RETRANSMIT_TIMEOUT=1.0 RETRANSMIT_BASE=1.4 RETRANSMIT_TRIES=3
	R_IKEV1_POLICY=accept R_PFS=yes # libreswan responder only
}

# write_conf SIDE(I|R) DIR
write_conf() {
	local s=$1 dir=$2 v o
	v() { eval "printf %s \"\${${s}_$1}\""; }
	# o KEY VAR: "KEY = value" if the side's VAR is set, else nothing (the
	# empty line is dropped below: the configs of the scenarios that set
	# none of these stay as they were)
	o() { [ -z "$(v "$2")" ] || printf '%s = %s' "$1" "$(v "$2")"; }
	mkdir -p "$dir"
	cat >"$dir/strongswan.conf" <<-EOF
		# generated by lab/run.sh
		charon {
			load_modular = no
			load = random nonce openssl aes sha1 sha2 md5 hmac kdf gmp pem pkcs1 x509 pubkey kernel-libipsec kernel-netlink socket-default vici
			retransmit_timeout = $RETRANSMIT_TIMEOUT
			retransmit_base = $RETRANSMIT_BASE
			retransmit_tries = $RETRANSMIT_TRIES
			retransmit_jitter = 0
			$(o make_before_break MBB)
			i_dont_care_about_security_and_use_aggressive_mode_psk = yes
			install_virtual_ip = no
			plugins {
				vici {
					socket = unix://$dir/charon.vici
				}
			}
			filelog {
				lab {
					path = $dir/charon.log
					time_format = %H:%M:%S
					append = yes
					flush_line = yes
					default = 1
					cfg = 2
					ike = 4
					chd = 4
					esp = 2
				}
				$(mgrlog)
			}
			syslog {
				daemon {
					default = -1
				}
			}
		}
	EOF
	cat >"$dir/swanctl.conf" <<-EOF
		# generated by lab/run.sh
		connections {
			$(conn2)
			lab {
				version = $(v VERSION)
				aggressive = $(v AGGR)
				local_addrs = $(v LADDR)
				remote_addrs = $(v RADDR)
				proposals = $(v PROPOSALS)
				mobike = $(v MOBIKE)
				dpd_delay = $(v DPD_DELAY)
				dpd_timeout = $(v DPD_TIMEOUT)
				$(o rekey_time IKE_REKEY)
				$(o reauth_time REAUTH)
				$(o over_time OVER)
				$(o rand_time IKE_RAND)
				keyingtries = $(v KEYINGTRIES)
				local {
					auth = psk
					id = $(v LID)
				}
				remote {
					auth = psk
					id = $(v RID)
				}
				children {
					net {
						local_ts = $(v LTS)
						remote_ts = $(v RTS)
						esp_proposals = $(v ESP)
						rekey_time = $(v CHILD_REKEY)
						life_time = $(v CHILD_LIFE)
						rand_time = $(v CHILD_RAND)
						dpd_action = $(v DPD_ACTION)
						start_action = none
					}
					$(net2)
				}
			}
		}
		secrets {
			ike-lab {
				secret = "$(v PSK)"
			}
		}
	EOF
	sed -i '/^[[:space:]]*$/d' "$dir/strongswan.conf" "$dir/swanctl.conf"
}

# mgrlog (for write_conf): with the side's LOG_MGR set, a file log of its
# own for charon's IKE_SA manager (the SPIs of every IKE_SA it checks in);
# charon.log keeps the levels of every scenario
mgrlog() {
	[ -n "$(v LOG_MGR)" ] || return 0
	cat <<-EOF
		mgr {
			path = $dir/charon-mgr.log
			time_format = %H:%M:%S
			append = yes
			flush_line = yes
			default = -1
			dmn = 1
			mgr = $(v LOG_MGR)
		}
	EOF
}

# net2 (for write_conf): a second child when the side's NET2_LTS is set,
# with the first child's proposals and lifetimes
net2() {
	[ -n "$(v NET2_LTS)" ] || return 0
	cat <<-EOF
		net2 {
							local_ts = $(v NET2_LTS)
							remote_ts = $(v NET2_RTS)
							esp_proposals = $(v ESP)
							rekey_time = $(v CHILD_REKEY)
							life_time = $(v CHILD_LIFE)
							rand_time = $(v CHILD_RAND)
							start_action = none
						}
	EOF
}

# conn2 (for write_conf): a second connection when the side's CONN2 is set,
# for another peer (CONN2_RID) and its subnet (CONN2_RTS), with "lab"'s
# addresses, proposals and local identity
conn2() {
	[ -n "$(v CONN2)" ] || return 0
	cat <<-EOF
		$(v CONN2) {
						version = $(v VERSION)
						aggressive = $(v AGGR)
						local_addrs = $(v LADDR)
						remote_addrs = %any
						proposals = $(v PROPOSALS)
						mobike = $(v MOBIKE)
						keyingtries = $(v KEYINGTRIES)
						local {
							auth = psk
							id = $(v LID)
						}
						remote {
							auth = psk
							id = $(v CONN2_RID)
						}
						children {
							net {
								local_ts = $(v LTS)
								remote_ts = $(v CONN2_RTS)
								esp_proposals = $(v ESP)
								start_action = none
							}
						}
					}
	EOF
}

# start_charon SIDE(I|R): one charon in the side's namespace, with a private
# /run (pid file) and its own config, log and vici socket
start_charon() {
	local s=$1 ns dir i
	ns=$([ "$s" = I ] && echo $NS_I || echo $NS_R)
	dir=$WORK/$s
	write_conf "$s" "$dir"
	rm -f "$dir/charon.vici"
	# (ip netns exec, unshare, sh and env all exec: $! is charon itself)
	ip netns exec "$ns" unshare -m --propagation private sh -c \
		'mount -t tmpfs -o mode=0755 tmpfs /run && exec env STRONGSWAN_CONF="$1" "$2"' \
		sh "$dir/strongswan.conf" "$CHARON" >>"$dir/charon.stdout" 2>&1 &
	eval "${s}_PID=$!"
	PIDS+=($!)
	disown $! # no job-control chatter when a scenario kills it
	for ((i = 0; i < 100; i++)); do
		[ -S "$dir/charon.vici" ] && break
		sleep 0.1
	done
	[ -S "$dir/charon.vici" ] || die "charon $s did not open its vici socket (see $dir/charon.stdout)"
	swanctl_ "$s" --load-all --file "$dir/swanctl.conf" >>"$dir/swanctl.out" 2>&1 ||
		die "swanctl --load-all failed for $s: $(tail -3 "$dir/swanctl.out")"
}

swanctl_() {
	local s=$1
	shift
	STRONGSWAN_CONF=$WORK/$s/strongswan.conf timeout 40 swanctl "$@" --uri "unix://$WORK/$s/charon.vici"
}

# stop_charon SIDE [KILL]: TERM (charon deletes its SAs) or KILL (a crash)
stop_charon() {
	local s=$1 pid
	eval "pid=\${${s}_PID:-}"
	[ -n "$pid" ] || return 0
	kill -"${2:-TERM}" "$pid" 2>/dev/null
	# charon with kernel-libipsec logs its shutdown at once but may then
	# hang on its TUN reader thread: give it 2 s
	wait_gone "$pid" 2 || kill -KILL "$pid" 2>/dev/null
	wait_gone "$pid" 2
	forget_pid "$pid"
	eval "${s}_PID="
}

initiate() {
	log "  initiating"
	swanctl_ I --initiate --child net --timeout 30 >>"$WORK/I/swanctl.out" 2>&1
	local rc=$?
	log "  swanctl --initiate: exit $rc ($(tail -1 "$WORK/I/swanctl.out"))"
	return $rc
}

# ---------------------------------------------------------------- libreswan

# Debian's libreswan conflicts with strongSwan, so it is not installed:
# ensure_libreswan unpacks the package into $WORK/libreswan (apt-get
# download + dpkg -x) and installs the libraries pluto needs that strongSwan
# does not. Returns non-zero (the scenario is skipped) if that fails.
LSW=
ensure_libreswan() {
	[ -n "$LSW" ] && return 0
	local d=$WORK/libreswan deb
	mkdir -p "$d"
	if ! (cd "$d" && timeout 300 apt-get download libreswan >download.log 2>&1); then
		timeout 300 apt-get update -qq >/dev/null 2>&1
		(cd "$d" && timeout 300 apt-get download libreswan >download.log 2>&1) || {
			log "  cannot download libreswan: $(tail -1 "$d/download.log")"
			return 1
		}
	fi
	deb=$(ls "$d"/libreswan_*.deb 2>/dev/null | head -1)
	dpkg -x "$deb" "$d/root" || return 1
	local need=(libldns3 libevent-pthreads-2.1-7 libnss3-tools) missing=() p
	for p in "${need[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 || {
			log "  cannot install ${missing[*]} for pluto"
			return 1
		}
	fi
	if ldd "$d/root/usr/libexec/ipsec/pluto" | grep -q 'not found'; then
		log "  pluto lacks libraries: $(ldd "$d/root/usr/libexec/ipsec/pluto" | grep 'not found' | tr -s ' \n' ' ')"
		return 1
	fi
	LSW=$d/root
	log "  using $(basename "$deb") unpacked in $LSW"
}

# start_pluto: libreswan's pluto as the responder, in its own mount
# namespace: a private /run, and the unpacked /usr/libexec bind-mounted over
# the real one (pluto runs its helpers, e.g. addconn, from there)
start_pluto() {
	local dir=$WORK/R i v=${R_VERSION}
	mkdir -p "$dir/nss" "$dir/run" "$dir/ipsec.d"
	certutil -N -d "sql:$dir/nss" --empty-password >/dev/null 2>&1 || die "certutil"
	# (ipsec.conf wants its settings indented: tabs are stripped, spaces stay)
	cat >"$dir/ipsec.conf" <<-EOF
		# generated by lab/run.sh
		config setup
		    ikev1-policy=${R_IKEV1_POLICY:-accept}
		conn lab
		    ikev2=$([ "$v" = 2 ] && echo yes || echo no)
		    left=$R_LADDR
		    leftid=@$R_LID
		    leftsubnet=$R_LTS
		    leftupdown=%disabled
		    right=$I_OUT
		    rightid=@$R_RID
		    rightsubnet=$R_RTS
		    authby=secret
		    ike=aes128-sha2_256;modp2048
		    esp=aes128-sha2_256
		    pfs=${R_PFS:-yes}
		    auto=add
	EOF
	printf '@%s @%s : PSK "%s"\n' "$R_LID" "$R_RID" "$R_PSK" >"$dir/ipsec.secrets"
	ip netns exec $NS_R unshare -m --propagation private sh -c \
		'mount -t tmpfs -o mode=0755 tmpfs /run && mkdir -p /run/pluto &&
		 mount --bind "$1/usr/libexec" /usr/libexec &&
		 exec /usr/libexec/ipsec/pluto --nofork --stderrlog --config "$2/ipsec.conf" \
			--secretsfile "$2/ipsec.secrets" --nssdir "$2/nss" --rundir "$2/run" --ipsecdir "$2/ipsec.d"' \
		sh "$LSW" "$dir" >>"$dir/pluto.log" 2>&1 &
	R_PID=$!
	PIDS+=($!)
	disown $!
	for ((i = 0; i < 100; i++)); do
		grep -q 'listening for IKE messages' "$dir/pluto.log" 2>/dev/null && grep -q 'added IKEv. connection\|failed to add' "$dir/pluto.log" && break
		sleep 0.1
	done
	grep -q 'listening for IKE messages' "$dir/pluto.log" || die "pluto did not start (see $dir/pluto.log)"
	log "  pluto: $(grep -o '"lab": .*connection.*' "$dir/pluto.log" | head -1)"
}

# strongSwan initiator against libreswan's pluto as responder
flow_libreswan() {
	start_charon I
	start_pluto
	start_capture
	if initiate; then
		sleep 1
		ping_ I 3
	else
		sleep 8
	fi
	sleep 1
	stop_capture
}

# ---------------------------------------------------------------- capture

# start_capture: one tcpdump per capture point of the topology, all at
# once; each is bounded (-c) besides being stopped by stop_capture
start_capture() {
	local i p point ns ifc file pid
	CAP_PIDS=()
	for p in "${CAP_POINTS[@]}"; do
		IFS='|' read -r point ns ifc file _ <<<"$p"
		ip netns exec "$ns" tcpdump -i "$ifc" -U -s 0 -c 20000 -Z root -w "$WORK/$file" 'udp or esp or icmp' \
			>"$WORK/tcpdump-$point.log" 2>&1 &
		pid=$!
		CAP_PIDS+=($pid)
		PIDS+=($pid)
		disown $pid
	done
	for p in "${CAP_POINTS[@]}"; do
		IFS='|' read -r point _ <<<"$p"
		for ((i = 0; i < 50; i++)); do
			grep -q 'listening on' "$WORK/tcpdump-$point.log" 2>/dev/null && break
			sleep 0.1
		done
		grep -q 'listening on' "$WORK/tcpdump-$point.log" 2>/dev/null ||
			log "  tcpdump at $point not listening: $(tail -1 "$WORK/tcpdump-$point.log")"
	done
	sleep 0.3
}

stop_capture() {
	[ ${#CAP_PIDS[@]} -gt 0 ] || return 0
	sleep 0.5
	local pid
	for pid in "${CAP_PIDS[@]}"; do
		kill -INT "$pid" 2>/dev/null
	done
	for pid in "${CAP_PIDS[@]}"; do
		wait_gone "$pid" 5 || kill -KILL "$pid" 2>/dev/null
		wait_gone "$pid" 2
		forget_pid "$pid"
	done
	CAP_PIDS=()
}

# ping FROM(I|R) COUNT [INTERVAL]: bounded traffic between the protected subnets
ping_() {
	local s=$1 n=${2:-5} iv=${3:-0.5} deadline
	deadline=$(awk -v n="$n" -v i="$iv" 'BEGIN { printf "%d", n * i + 3 }')
	if [ "$s" = I ]; then
		nsx $NS_I ping -n -q -c "$n" -i "$iv" -W 1 -w "$deadline" -I $I_IN $R_IN >>"$WORK/ping.out" 2>&1
	else
		nsx $NS_R ping -n -q -c "$n" -i "$iv" -W 1 -w "$deadline" -I $R_IN $I_IN >>"$WORK/ping.out" 2>&1
	fi
	local rc=$?
	log "  ping from $s: $(grep -o '[0-9]* received' "$WORK/ping.out" | tail -1)"
	return $rc
}

# ping_bg SECONDS: traffic both ways all along: one ping a second from each
# side for SECONDS, in the background (bounded by -c and -w; their PIDs are
# in PIDS, so the teardown kills them, and in PING_PIDS for wait_pings)
PING_PIDS=()
ping_bg() {
	local n=$1 s
	PING_PIDS=()
	for s in I R; do
		if [ "$s" = I ]; then
			nsx $NS_I ping -n -q -c "$n" -i 1 -W 1 -w $((n + 5)) -I $I_IN $R_IN >"$WORK/ping-bg-I.out" 2>&1 &
		else
			nsx $NS_R ping -n -q -c "$n" -i 1 -W 1 -w $((n + 5)) -I $R_IN $I_IN >"$WORK/ping-bg-R.out" 2>&1 &
		fi
		PING_PIDS+=($!)
		PIDS+=($!)
		disown $!
	done
	log "  pinging both ways, once a second for $n s"
}

# wait_pings SECONDS: wait for the background pings to end, bounded
wait_pings() {
	local p s
	for p in "${PING_PIDS[@]}"; do
		wait_gone "$p" "$1" || kill -TERM "$p" 2>/dev/null
		wait_gone "$p" 2
		forget_pid "$p"
	done
	PING_PIDS=()
	for s in I R; do
		log "  background ping from $s: $(grep -o '[0-9]* packets transmitted, [0-9]* received' "$WORK/ping-bg-$s.out" | tail -1)"
	done
}

# reload SIDE WHAT: write the side's changed swanctl.conf and load it into
# its running charon (WHAT: --load-conns, --load-creds or --load-all) while
# its SAs stay up
reload() {
	write_conf "$1" "$WORK/$1"
	swanctl_ "$1" "$2" --file "$WORK/$1/swanctl.conf" >>"$WORK/$1/swanctl.out" 2>&1 ||
		die "swanctl $2 failed for $1: $(tail -3 "$WORK/$1/swanctl.out")"
	log "  $1 reloaded ($2): $(tail -1 "$WORK/$1/swanctl.out")"
}

# ---------------------------------------------------------------- flows

# flow_long SECONDS: both charons, the capture, the tunnel, then traffic
# both ways all along for SECONDS; returns once the traffic runs (the
# scenario does what it does meanwhile, then calls end_long)
flow_long() {
	start_charon I
	start_charon R
	start_capture
	initiate || return 1
	ping_bg "$1"
}

# end_long SECONDS: wait (bounded) for the traffic to end, stop the capture
end_long() {
	wait_pings "$1"
	sleep 1
	stop_capture
}

# the usual run: both charons, initiate, traffic both ways
flow_standard() {
	start_charon I
	[ "${R_START:-yes}" = yes ] && start_charon R
	start_capture
	if initiate; then
		sleep 1
		ping_ I 5
		ping_ R 3
	else
		# let the peer's retransmissions (e.g. of AM2) play out
		sleep 8
	fi
	sleep 1
	stop_capture
}

# wait_log SIDE REGEX SECONDS: wait for a line in a charon log, bounded
wait_log() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		grep -qE "$2" "$WORK/$1/charon.log" 2>/dev/null && return 0
		sleep 0.1
	done
	log "  (no '$2' in $1's log after $3 s)"
	return 1
}

# kill_peer SIDE: the peer dies: its charon crashes (no DELETE) and its box
# stops answering anything (no ICMP either)
kill_peer() {
	local ns
	ns=$([ "$1" = I ] && echo $NS_I || echo $NS_R)
	nsx "$ns" nft -f - <<-EOF || die "nft"
		table inet ipl_dead {
			chain in { type filter hook input priority 0; policy drop; }
			chain out { type filter hook output priority 0; policy drop; }
		}
	EOF
	stop_charon "$1" KILL
}

# ---------------------------------------------------------------- scenarios

v1() { I_VERSION=1 R_VERSION=1; }

sc_ikev1_main_ok() {
	v1
	flow_standard
}

sc_ikev1_aggr_ok() {
	v1
	I_AGGR=yes R_AGGR=yes
	flow_standard
}

sc_ikev1_main_psk_mismatch() {
	v1
	R_PSK='lab-psk-typo-3f9a1d'
	flow_standard
}

sc_ikev1_aggr_psk_mismatch() {
	v1
	I_AGGR=yes R_AGGR=yes
	R_PSK='lab-psk-typo-3f9a1d'
	flow_standard
}

sc_ikev1_p1_proposal_mismatch() {
	v1
	R_PROPOSALS=aes256-sha256-modp2048
	flow_standard
}

sc_ikev1_p2_transform_mismatch() {
	v1
	R_ESP=aes256-sha1
	flow_standard
}

sc_ikev1_pfs_one_side() {
	v1
	I_ESP=aes128-sha256-modp2048
	flow_standard
}

sc_ikev1_pfs_group_mismatch() {
	v1
	I_ESP=aes128-sha256-modp2048
	R_ESP=aes128-sha256-modp3072
	flow_standard
}

sc_ikev1_ts_not_mirrored() {
	v1
	R_RTS=198.19.3.0/24
	flow_standard
}

sc_ikev1_no_response() {
	v1
	R_START=no
	flow_standard
}

sc_ikev1_dpd_peer_dead() {
	v1
	I_DPD_DELAY=2s I_DPD_TIMEOUT=8s I_DPD_ACTION=clear
	start_charon I
	start_charon R
	start_capture
	initiate || return
	sleep 1
	ping_ I 3
	# idle: one DPD round trip while the peer is alive
	wait_log I 'DPD_R_U_THERE_ACK|N\(DPD_ACK\)' 10
	sleep 0.5
	log "  responder dies"
	kill_peer R
	wait_log I 'DPD check timed out|peer not responding|giving up|closing IKE_SA' 30
	sleep 2
	stop_capture
}

sc_ikev2_ok() {
	flow_standard
}

sc_ikev2_ike_proposal_mismatch() {
	R_PROPOSALS=aes256-sha256-modp2048
	flow_standard
}

sc_ikev2_invalid_ke_retry() {
	I_PROPOSALS=aes128-sha256-modp2048-ecp256
	R_PROPOSALS=aes128-sha256-ecp256
	flow_standard
}

sc_ikev2_psk_mismatch() {
	R_PSK='lab-psk-typo-3f9a1d'
	flow_standard
}

sc_ikev2_id_mismatch() {
	R_RID=branch-office.lab
	flow_standard
}

sc_ikev2_ts_unacceptable() {
	R_RTS=198.19.3.0/24
	flow_standard
}

# a hub with two sites: the responder has "site-a" (peer site-a.lab, subnet
# 198.19.3.0/24) loaded beside "lab"; the initiator's local identity was
# copied from site A's config, so the responder authenticates it under
# site-a and refuses its selectors
sc_ikev2_wrong_peer_config() {
	R_CONN2=site-a R_CONN2_RID=site-a.lab R_CONN2_RTS=198.19.3.0/24
	I_LID=site-a.lab
	flow_standard
}

sc_ikev1_id_mismatch() {
	v1
	R_RID=branch-office.lab
	flow_standard
}

# several IKE proposals offered, none the responder's
sc_ikev2_ike_proposal_several() {
	I_PROPOSALS=aes128-sha256-modp2048,aes256-sha384-modp3072,aes128gcm16-prfsha256-ecp256
	R_PROPOSALS=aes256-sha384-ecp384
	flow_standard
}

sc_ikev2_child_proposal_mismatch() {
	R_ESP=aes256gcm16
	flow_standard
}

sc_ikev2_rekey() {
	I_CHILD_REKEY=6s I_CHILD_LIFE=20s
	start_charon I
	start_charon R
	start_capture
	initiate || return
	sleep 1
	# traffic across the rekey
	ping_ I 12 1
	wait_log I 'CHILD_SA .* established with SPIs' 5
	ping_ R 3
	sleep 1
	stop_capture
}

sc_ikev2_nat_t() {
	R_RADDR=%any
	flow_standard
}

sc_ikev2_esp_one_way() {
	start_charon I
	start_charon R
	start_capture
	initiate || return
	# the responder's ESP never leaves it (ESP-in-UDP: a non-zero SPI where
	# IKE on port 4500 has its zero non-ESP marker)
	nsx $NS_R nft -f - <<-EOF || die "nft"
		table ip ipl_oneway {
			chain out {
				type filter hook output priority 0; policy accept;
				udp sport 4500 udp length > 16 @th,64,32 != 0 counter drop
			}
		}
	EOF
	sleep 1
	ping_ I 5
	sleep 1
	stop_capture
	nsx $NS_R nft list table ip ipl_oneway >"$WORK/nft.out" 2>&1
	log "  dropped at the responder: $(grep -o 'packets [0-9]*' "$WORK/nft.out")"
}

sc_ikev2_stale_spi() {
	start_charon I
	start_charon R
	start_capture
	initiate || return
	sleep 1
	ping_ I 3
	log "  initiator restarts without deleting its SAs"
	stop_charon I KILL
	start_charon I
	sleep 1
	# the responder still sends with the SAs the initiator forgot
	ping_ R 4
	sleep 1
	initiate
	sleep 1
	ping_ I 3
	ping_ R 3
	sleep 1
	stop_capture
}

# ---- several capture points (routed or NAT topology)

sc_ikev2_udp4500_blocked() {
	# a firewall between the peers permits IKE on 500 but not UDP 4500:
	# IKE_SA_INIT passes, IKE_AUTH (moved to 4500 by NAT detection) does not
	fw_rule iifname '"ipl-n0"' udp dport 4500 counter drop
	flow_standard
	fw_counts
}

sc_ikev2_esp_dropped_midpath() {
	start_charon I
	start_charon R
	start_capture
	initiate || return
	# the router drops ESP-in-UDP from the responder to the initiator (UDP
	# 4500 whose first 4 payload bytes, the SPI, are not the non-ESP marker)
	fw_rule iifname '"ipl-n1"' oifname '"ipl-n0"' udp sport 4500 udp length \> 16 @th,64,32 != 0 counter drop
	sleep 1
	ping_ I 5
	ping_ R 3
	sleep 1
	stop_capture
	fw_counts
}

sc_ikev2_ok_two_points() {
	# the responder's capture is shifted after the run: its clock "runs"
	# 2.5 s ahead of the initiator's
	SHIFT[responder]=2.5
	flow_standard
}

sc_ikev2_nat_t_two_points() {
	R_RADDR=%any
	flow_standard
}

sc_ikev1_ts_not_mirrored_two_points() {
	v1
	R_RTS=198.19.3.0/24
	flow_standard
}

sc_ikev1_libreswan_v1_disabled() {
	v1
	R_IKEV1_POLICY=drop # libreswan 4's default
	flow_libreswan
}

sc_ikev1_libreswan_pfs_required() {
	v1
	# libreswan's default pfs=yes; strongSwan proposes no PFS group
	flow_libreswan
}

sc_ikev1_libreswan_p1_proposal_mismatch() {
	v1
	I_PROPOSALS=aes256-sha384-ecp384 # pluto: ike=aes128-sha2_256;modp2048
	flow_libreswan
}

sc_ikev2_libreswan_ike_proposal_mismatch() {
	I_PROPOSALS=aes256-sha384-ecp384 # pluto: ike=aes128-sha2_256;modp2048
	flow_libreswan
}

sc_ikev2_libreswan_child_proposal_mismatch() {
	I_ESP=aes256gcm16 # pluto: esp=aes128-sha2_256
	flow_libreswan
}

sc_ikev2_libreswan_no_kernel_esp() {
	I_ESP=aes128-sha256
	flow_libreswan
}

# ---- long lifecycles: a day of a gateway compressed into a minute or more,
# with traffic both ways all along

# PFS for every CHILD_SA (a KE in every CREATE_CHILD_SA)
pfs_both() { I_ESP=aes128-sha256-modp2048 R_ESP=aes128-sha256-modp2048; }

# the IKE_SA manager logs at level 2 on both sides, to a file of their
# own: rekeyed IKEv2 SAs' SPIs are only there (lab.ParseCharonLogFile ties
# their keys to them)
mgr_logs() { I_LOG_MGR=2 R_LOG_MGR=2; }

sc_ikev2_life_rekeys() {
	mgr_logs
	pfs_both
	# CHILD_SA rekeyed every 10 s, the IKE SA every 33 s (apart from the
	# child rekeys at 30 and 60 s)
	I_CHILD_REKEY=10s I_CHILD_LIFE=20s
	I_IKE_REKEY=33s I_IKE_RAND=0s
	flow_long 85 || return
	end_long 95
}

sc_ikev1_life_rekeys() {
	mgr_logs
	v1
	# Quick Mode every 10 s; the ISAKMP SA "rekeyed" every 33 s (strongSwan
	# re-authenticates an IKEv1 SA: a new Main Mode)
	I_CHILD_REKEY=10s I_CHILD_LIFE=20s
	I_IKE_REKEY=33s I_IKE_RAND=0s
	flow_long 85 || return
	end_long 95
}

sc_ikev2_rekey_collision() {
	mgr_logs
	pfs_both
	# both sides rekey the CHILD_SA 10 s after installing it, no jitter:
	# their CREATE_CHILD_SA requests cross
	I_CHILD_REKEY=10s I_CHILD_LIFE=20s
	R_CHILD_REKEY=10s R_CHILD_LIFE=20s
	flow_long 70 || return
	end_long 80
}

sc_ikev2_reauth() {
	mgr_logs
	# the initiator re-authenticates every 25 s, make-before-break
	I_REAUTH=25s I_IKE_RAND=0s I_MBB=yes
	flow_long 70 || return
	end_long 80
}

sc_ikev2_reauth_break_before_make() {
	mgr_logs
	I_REAUTH=25s I_IKE_RAND=0s I_MBB=no
	flow_long 70 || return
	end_long 80
}

sc_ikev2_dpd_idle() {
	mgr_logs
	I_DPD_DELAY=5s R_DPD_DELAY=5s
	start_charon I
	start_charon R
	start_capture
	initiate || return
	sleep 1
	ping_ I 3 1
	ping_ R 3 1
	log "  idle for 60 s"
	sleep 60
	stop_capture
}

sc_ikev2_child_refused() {
	mgr_logs
	# a second child on the initiator only, initiated once net is up
	I_NET2_LTS=198.19.11.0/24 I_NET2_RTS=198.19.12.0/24
	ip -n $NS_I addr add 198.19.11.1/32 dev lo
	ip -n $NS_R addr add 198.19.12.1/32 dev lo
	flow_long 62 || return
	sleep 10
	log "  initiating net2"
	swanctl_ I --initiate --child net2 --timeout 20 >>"$WORK/I/swanctl.out" 2>&1
	log "  swanctl --initiate --child net2: exit $? ($(tail -1 "$WORK/I/swanctl.out"))"
	end_long 70
}

sc_ikev2_mid_session() {
	mgr_logs
	pfs_both
	I_CHILD_REKEY=10s I_CHILD_LIFE=20s
	I_IKE_REKEY=33s I_IKE_RAND=0s
	start_charon I
	start_charon R
	initiate || return
	ping_bg 90
	# the capture starts 25 s into the tunnel's life, after two rekeys
	wait_log I 'CHILD_SA net\{3\} established' 30
	sleep 4
	log "  capture starts"
	start_capture
	end_long 100
}

sc_ikev2_pfs_mismatch_at_rekey() {
	mgr_logs
	# DPD shows the IKE SA alive once the IPsec SA is gone
	I_DPD_DELAY=10s
	# PFS on the initiator only: IKE_AUTH creates the child (no KE there),
	# the first CREATE_CHILD_SA rekey with its KE is refused
	I_ESP=aes128-sha256-modp2048
	I_CHILD_REKEY=15s I_CHILD_LIFE=35s
	flow_long 60 || return
	end_long 70
}

sc_ikev1_qm_rekey_refused() {
	mgr_logs
	# DPD shows the IKE SA alive once the IPsec SA is gone
	I_DPD_DELAY=10s
	v1
	I_CHILD_REKEY=20s I_CHILD_LIFE=40s
	flow_long 68 || return
	sleep 5
	# the responder's ESP proposal changes while the tunnel is up
	R_ESP=aes256-sha1
	reload R --load-conns
	end_long 78
}

sc_ikev1_psk_changed() {
	mgr_logs
	v1
	I_KEYINGTRIES=0
	# the initiator renews its ISAKMP SA (a new Main Mode) after 25 s
	I_IKE_REKEY=25s I_IKE_RAND=0s
	flow_long 60 || return
	sleep 5
	R_PSK='lab-psk-rotated-7d21e0'
	reload R --load-creds
	end_long 70
}

sc_ikev2_psk_changed_reauth() {
	mgr_logs
	# make-before-break reauthentication after 25 s; the old IKE SA lives
	# on until its hard lifetime (reauth_time + over_time = 60 s)
	I_REAUTH=25s I_IKE_RAND=0s I_OVER=35s I_MBB=yes
	flow_long 68 || return
	sleep 5
	R_PSK='lab-psk-rotated-7d21e0'
	reload R --load-creds
	end_long 78
}

# ---------------------------------------------------------------- driver

run_scenario() {
	local name=$1 fn=sc_${1//-/_}
	declare -F "$fn" >/dev/null || die "no scenario $name in lab/run.sh"
	log "=== $name"
	stop_all
	rm -rf "$WORK/I" "$WORK/R" "$WORK"/*.pcap "$WORK"/*.out "$WORK"/*.log "$WORK/points"
	mkdir -p "$WORK/I" "$WORK/R"
	cfg_defaults
	R_START=yes
	CAP_POINTS=() CAP_PIDS=() SHIFT=()
	case $name in
	*nat-t*) topo_nat ;;
	ikev2-udp4500-blocked | ikev2-esp-dropped-midpath | *-two-points) topo_routed ;;
	*) topo_direct ;;
	esac
	# LAB_HOOK, when set, is run as `$LAB_HOOK up` once the topology exists
	# and `$LAB_HOOK down` after the flow, with the namespace and capture
	# point names in its environment (e.g. to mirror the link elsewhere):
	# CAP_NS/CAP_IF the primary point, CAP_POINTS all of them as
	# "point=namespace/interface" separated by spaces
	local cap_points="" p pt ns ifc
	for p in "${CAP_POINTS[@]}"; do
		IFS='|' read -r pt ns ifc _ <<<"$p"
		cap_points+="${cap_points:+ }$pt=$ns/$ifc"
	done
	if [ -n "${LAB_HOOK:-}" ]; then
		NS_I=$NS_I NS_R=$NS_R NS_N=$NS_N CAP_NS=$CAP_NS CAP_IF=$CAP_IF CAP_POINTS=$cap_points "$LAB_HOOK" up ||
			die "LAB_HOOK up failed"
	fi
	# scenario functions change the I_*/R_* settings, then run a flow; the
	# settings are written when each charon starts
	if [[ $name == *libreswan* ]] && ! ensure_libreswan; then
		log "SKIPPED $name: libreswan cannot be run here"
		SKIPPED+=("$name")
		return
	fi
	"$fn"
	[ -n "${LAB_HOOK:-}" ] && NS_I=$NS_I NS_R=$NS_R NS_N=$NS_N CAP_NS=$CAP_NS CAP_IF=$CAP_IF CAP_POINTS=$cap_points "$LAB_HOOK" down
	stop_capture 2>/dev/null
	stop_charon I
	stop_charon R
	stop_all

	local dst=$OUT/$name
	rm -rf "$dst"
	mkdir -p "$dst"
	# every capture point's file; a point with a SHIFT gets its time stamps
	# moved (editcap) as if its clock were off by that much; the manifest
	# records the shift
	local file view iaddr raddr desc views="" tshift
	: >"$WORK/points"
	for p in "${CAP_POINTS[@]}"; do
		IFS='|' read -r pt ns ifc file view iaddr raddr desc <<<"$p"
		tshift=${SHIFT[$pt]:-0}
		if [ "$tshift" != 0 ]; then
			editcap -F pcap -t "$tshift" "$WORK/$file" "$dst/$file" >/dev/null || die "editcap -t $tshift $file"
		else
			cp "$WORK/$file" "$dst/$file" || die "no capture $file"
		fi
		printf '%s|%s|%s|%s|%s|%s|%s|%s|%s\n' "$pt" "$ns" "$ifc" "$file" "$view" "$iaddr" "$raddr" "$tshift" "$desc" >>"$WORK/points"
		case ",$views," in *",$view,"*) ;; *) views+="${views:+,}$view" ;; esac
	done
	[ -s "$WORK/I/charon.log" ] && cp "$WORK/I/charon.log" "$dst/charon-initiator.log"
	[ -s "$WORK/R/charon.log" ] && cp "$WORK/R/charon.log" "$dst/charon-responder.log"
	# the IKE_SA manager's lines (LOG_MGR), beside the charon log they
	# complete (lab.ParseCharonLogFile reads them with it)
	[ -s "$WORK/I/charon-mgr.log" ] && cp "$WORK/I/charon-mgr.log" "$dst/charon-initiator.mgr"
	[ -s "$WORK/R/charon-mgr.log" ] && cp "$WORK/R/charon-mgr.log" "$dst/charon-responder.mgr"
	[ -s "$WORK/R/pluto.log" ] && cp "$WORK/R/pluto.log" "$dst/pluto-responder.log"
	"$LABTOOL" keys -dir "$dst" -view "$views" || die "labtool keys"
	if ! "$LABTOOL" finish -spec "$SPEC" -manifest "$MANIFEST" -name "$name" -dir "$dst" -points "$WORK/points"; then
		log "WARNING: $name did not come out as lab/scenarios.json expects"
		FAILED+=("$name")
	fi
}

main() {
	if [ "${1:-}" = -l ]; then
		sed -n 's/^sc_\([a-z0-9_]*\)() {$/\1/p' "$0" | tr _ -
		exit 0
	fi
	[ "$(id -u)" = 0 ] || die "run as root: sudo lab/run.sh"
	# one lab at a time: runs share the ipl-* namespaces (a test that
	# drives the lab may start while another run is going)
	exec 9>/run/ipl-lab.lock
	flock -w 900 9 || die "another lab/run.sh has held /run/ipl-lab.lock for 15 minutes"
	WORK=$(mktemp -d /tmp/ipl-lab.XXXXXX)
	ensure_packages
	build_labtool
	del_namespaces
	local names=("$@")
	if [ ${#names[@]} -eq 0 ]; then
		mapfile -t names < <("$LABTOOL" names -spec "$SPEC")
	fi
	local n
	for n in "${names[@]}"; do
		run_scenario "$n"
	done
	log "done: ${names[*]}"
	[ ${#SKIPPED[@]} -gt 0 ] && log "skipped: ${SKIPPED[*]}"
	if [ ${#FAILED[@]} -gt 0 ]; then
		log "not as expected: ${FAILED[*]}"
		exit 1
	fi
}

main "$@"
