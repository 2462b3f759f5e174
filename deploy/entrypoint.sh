#!/bin/sh
# Runs one PoisonRange service from the shared image.
set -e
service="${1:-platform}"
[ $# -gt 0 ] && shift
case "$service" in
  platform) exec dotnet /app/platform/PoisonRange.Platform.dll "$@" ;;
  agent)    exec dotnet /app/agent/PoisonRange.Agent.dll "$@" ;;
  injector) exec dotnet /app/injector/PoisonRange.Injector.dll "$@" ;;
  simulator) exec dotnet /app/simulator/PoisonRange.Simulator.dll "$@" ;;
  estimator) exec dotnet /app/estimator/PoisonRange.Estimator.dll "$@" ;;
  range)    exec dotnet /app/range/range.dll "$@" ;;
  *) echo "poisonrange: unknown service '$service' (platform, agent, injector, simulator, estimator, range)" >&2; exit 2 ;;
esac
