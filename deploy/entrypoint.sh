#!/bin/sh
# Runs one PoisonRange service from the shared image; `health PORT` probes this container's
# gRPC service through grpc.health.v1 (exit 0 when SERVING), for container health checks.
# Services run in their own folder, which is their content root (their appsettings.json);
# the range runs in the caller's working directory, where it writes runs/.
set -e
service="${1:-platform}"
[ $# -gt 0 ] && shift
case "$service" in
  platform) cd /app/platform && exec dotnet PoisonRange.Platform.dll "$@" ;;
  agent)    cd /app/agent && exec dotnet PoisonRange.Agent.dll "$@" ;;
  injector) cd /app/injector && exec dotnet PoisonRange.Injector.dll "$@" ;;
  simulator) cd /app/simulator && exec dotnet PoisonRange.Simulator.Host.dll "$@" ;;
  estimator) cd /app/estimator && exec dotnet PoisonRange.Estimator.Host.dll "$@" ;;
  range)    exec dotnet /app/range/range.dll "$@" ;;
  health)   exec dotnet /app/probe/health-probe.dll "$@" ;;
  *) echo "poisonrange: unknown service '$service' (platform, agent, injector, simulator, estimator, range, health)" >&2; exit 2 ;;
esac
