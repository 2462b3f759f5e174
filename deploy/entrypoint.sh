#!/bin/sh
# Runs one PoisonRange service from the shared image; `health PORT` probes this container's
# gRPC service through grpc.health.v1 (exit 0 when SERVING), for container health checks.
set -e
service="${1:-platform}"
[ $# -gt 0 ] && shift
case "$service" in
  platform) exec dotnet /app/platform/PoisonRange.Platform.dll "$@" ;;
  agent)    exec dotnet /app/agent/PoisonRange.Agent.dll "$@" ;;
  injector) exec dotnet /app/injector/PoisonRange.Injector.dll "$@" ;;
  range)    exec dotnet /app/range/range.dll "$@" ;;
  health)   exec dotnet /app/probe/health-probe.dll "$@" ;;
  *) echo "poisonrange: unknown service '$service' (platform, agent, injector, range, health)" >&2; exit 2 ;;
esac
