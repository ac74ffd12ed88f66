"""What operators see of the running service: Prometheus metrics, one JSON log line per
request, OpenTelemetry traces (off unless asked for), and the health and readiness probes."""
