#!/usr/bin/env bash
# How capture.pcap was made (FRAGSIZE=150 ./make-capture.sh, as root): two
# strongSwan 5.9.8 charons (kernel-libipsec) in namespaces ipl-f1/ipl-f2 on
# 198.18.9.0/24, IKEv1 Main Mode + Quick Mode with PSK, `fragmentation =
# force` and charon.fragment_size = $FRAGSIZE so that every message but QM3
# goes out in IKEv1 fragments (payload 132); two pings through the tunnel.
# Work files land in /tmp/v1frag/work; the key tables were then written from
# the charon logs with `go run ./lab/cmd/labtool keys -dir DIR -view initiator`.
set -uo pipefail
W=/tmp/v1frag/work
FS=${FRAGSIZE:-200}
rm -rf $W; mkdir -p $W/I $W/R
for ns in ipl-f1 ipl-f2; do ip netns del $ns 2>/dev/null; done
ip netns add ipl-f1; ip netns add ipl-f2
for ns in ipl-f1 ipl-f2; do ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1; ip -n $ns link set lo up; done
ip link add vf1 netns ipl-f1 type veth peer name vf2 netns ipl-f2
ip -n ipl-f1 addr add 198.18.9.1/24 dev vf1; ip -n ipl-f1 link set vf1 up
ip -n ipl-f2 addr add 198.18.9.2/24 dev vf2; ip -n ipl-f2 link set vf2 up
ip -n ipl-f1 addr add 198.19.9.1/32 dev lo
ip -n ipl-f2 addr add 198.19.10.1/32 dev lo
conf() { # side laddr raddr lid rid lts rts
  local d=$W/$1
  cat > $d/strongswan.conf <<EOF
charon {
  load_modular = no
  load = random nonce openssl aes sha1 sha2 md5 hmac kdf gmp pem pkcs1 x509 pubkey kernel-libipsec kernel-netlink socket-default vici
  retransmit_timeout = 1.0
  retransmit_base = 1.4
  retransmit_tries = 3
  retransmit_jitter = 0
  fragment_size = $FS
  install_virtual_ip = no
  plugins { vici { socket = unix://$d/charon.vici } }
  filelog { lab { path = $d/charon.log
      time_format = %H:%M:%S
      append = yes
      flush_line = yes
      default = 1
      cfg = 2
      ike = 4
      chd = 4
      esp = 2
      net = 2 } }
  syslog { daemon { default = -1 } }
}
EOF
  cat > $d/swanctl.conf <<EOF
connections { lab {
  version = 1
  local_addrs = $2
  remote_addrs = $3
  proposals = aes128-sha256-modp2048
  fragmentation = force
  keyingtries = 1
  local { auth = psk
    id = $4 }
  remote { auth = psk
    id = $5 }
  children { net { local_ts = $6
      remote_ts = $7
      esp_proposals = aes128-sha256
      start_action = none } }
} }
secrets { ike-lab { secret = "lab-psk-fragments-7c21" } }
EOF
}
conf I 198.18.9.1 198.18.9.2 initiator-with-a-rather-long-identity.fragments.lab responder-with-a-rather-long-identity.fragments.lab 198.19.9.1/32 198.19.10.1/32
conf R 198.18.9.2 198.18.9.1 responder-with-a-rather-long-identity.fragments.lab initiator-with-a-rather-long-identity.fragments.lab 198.19.10.1/32 198.19.9.1/32
start() { local s=$1 ns=$2 d=$W/$1
  ip netns exec $ns unshare -m --propagation private sh -c 'mount -t tmpfs -o mode=0755 tmpfs /run && exec env STRONGSWAN_CONF="$1" /usr/lib/ipsec/charon' sh $d/strongswan.conf >>$d/charon.stdout 2>&1 &
  echo $! > $d/pid
  for i in $(seq 100); do [ -S $d/charon.vici ] && break; sleep 0.1; done
  STRONGSWAN_CONF=$d/strongswan.conf timeout 40 swanctl --load-all --file $d/swanctl.conf --uri unix://$d/charon.vici >>$d/swanctl.out 2>&1
}
start I ipl-f1; start R ipl-f2
ip netns exec ipl-f1 tcpdump -i vf1 -U -s 0 -c 2000 -w $W/capture.pcap 'udp or esp or icmp' >$W/tcpdump.log 2>&1 &
TP=$!
sleep 1
STRONGSWAN_CONF=$W/I/strongswan.conf timeout 40 swanctl --initiate --child net --timeout 30 --uri unix://$W/I/charon.vici >>$W/I/swanctl.out 2>&1; echo initiate rc=$?
sleep 1
ip netns exec ipl-f1 ping -n -q -c 2 -i 0.3 -W 1 -I 198.19.9.1 198.19.10.1 > $W/ping.out 2>&1; tail -2 $W/ping.out
sleep 1
kill -INT $TP; sleep 1
for s in I R; do kill -TERM $(cat $W/$s/pid) 2>/dev/null; done
sleep 2
for s in I R; do kill -KILL $(cat $W/$s/pid) 2>/dev/null; done
for ns in ipl-f1 ipl-f2; do for p in $(ip netns pids $ns); do kill -KILL $p; done; ip netns del $ns; done
echo done
