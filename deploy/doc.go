// Package deploy holds what runs ipsecpcap as a sensor on a mirror port and
// plugs it into the monitoring a site already has, ready to install:
// Prometheus alerting rules (prometheus/), a Grafana dashboard (grafana/)
// and a systemd unit (systemd/); docs/sensors.md says how to use them.
//
// It has no code: its tests check the files against the tools that read
// them (promtool, systemd-analyze, when installed) and against the metric
// names package metrics serves.
package deploy
