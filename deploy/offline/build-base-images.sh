#!/usr/bin/env bash
# Builds, with no container registry, the base images that deploy/Dockerfile and
# docker-compose.yml name, and tags them with those names, so that the unchanged Dockerfile and
# compose file build and run on an air-gapped machine:
#   mcr.microsoft.com/dotnet/aspnet:10.0   Debian root filesystem + this machine's .NET runtime
#   mcr.microsoft.com/dotnet/sdk:10.0      Debian root filesystem + this machine's .NET SDK
#   redis:7.0                              Debian root filesystem + Debian's redis-server (7.0)
# The root filesystem comes from debootstrap (Debian packages: a mirror or a local copy of one);
# .NET comes from the host's own installation (the SDK that builds the project). Certificate
# authorities the host added (/usr/local/share/ca-certificates) are trusted in the images too,
# so that restores through the same TLS proxy or internal mirror work inside the build.
#
#   sudo deploy/offline/build-base-images.sh            # build the images that are missing
#   sudo deploy/offline/build-base-images.sh --force    # rebuild all of them
# Environment: DEBIAN_MIRROR (default: the host's apt mirror, else deb.debian.org),
# DEBIAN_SUITE (bookworm), DOTNET_ROOT (the host's dotnet), POISONRANGE_BASE_CACHE (where the
# root filesystem is kept between runs: /var/cache/poisonrange-base).
set -euo pipefail

ASPNET_IMAGE=mcr.microsoft.com/dotnet/aspnet:10.0
SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0
REDIS_IMAGE=redis:7.0
LABEL='org.opencontainers.image.description="built offline by PoisonRange deploy/offline/build-base-images.sh"'

force=0
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-base-images: unknown argument '$arg' (--force, --help)" >&2; exit 2 ;;
  esac
done

say() { echo "build-base-images: $*" >&2; }
die() { say "$*"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap and chroot need it)"
command -v docker >/dev/null || die "docker is not installed (Debian: apt-get install docker.io)"
docker info >/dev/null 2>&1 || die "no Docker engine answers (start one: dockerd --storage-driver=vfs &)"

have() { docker image inspect "$1" >/dev/null 2>&1; }
wanted() { [ "$force" -eq 1 ] || ! have "$1"; }

if ! wanted "$ASPNET_IMAGE" && ! wanted "$SDK_IMAGE" && ! wanted "$REDIS_IMAGE"; then
  say "$ASPNET_IMAGE, $SDK_IMAGE and $REDIS_IMAGE are present (--force rebuilds them)"
  exit 0
fi
command -v debootstrap >/dev/null || die "debootstrap is not installed (Debian: apt-get install debootstrap)"

suite="${DEBIAN_SUITE:-bookworm}"
mirror="${DEBIAN_MIRROR:-}"
if [ -z "$mirror" ]; then
  mirror="$(grep -hoE '^(URIs:|deb) +https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null \
    | head -n 1 | awk '{print $2}')" || true
  mirror="${mirror:-http://deb.debian.org/debian}"
fi
dotnet_root="${DOTNET_ROOT:-$(dirname "$(readlink -f "$(command -v dotnet)")")}"
[ -x "$dotnet_root/dotnet" ] || die "no .NET installation at $dotnet_root (set DOTNET_ROOT)"
runtime_version="$(ls "$dotnet_root/shared/Microsoft.AspNetCore.App" | grep '^10\.' | sort -V | tail -n 1)"
[ -n "$runtime_version" ] || die "$dotnet_root has no ASP.NET Core 10 runtime"
[ -d "$dotnet_root/shared/Microsoft.NETCore.App/$runtime_version" ] || die "$dotnet_root lacks Microsoft.NETCore.App $runtime_version"
sdk_version="$(ls "$dotnet_root/sdk" 2>/dev/null | grep '^10\.' | sort -V | tail -n 1)"

cache="${POISONRANGE_BASE_CACHE:-/var/cache/poisonrange-base}"
mkdir -p "$cache"
rootfs="$cache/rootfs-$suite"
work="$(mktemp -d "$cache/build.XXXXXX")"
cleanup() { rm -rf --one-file-system "$work"; }
trap cleanup EXIT

# 1. The Debian root filesystem, kept between runs.
if [ "$force" -eq 1 ] || [ ! -f "$rootfs/.complete" ]; then
  rm -rf --one-file-system "$rootfs"
  say "debootstrap $suite from $mirror (a few minutes)"
  debootstrap --variant=minbase \
    --include=ca-certificates,libssl3,zlib1g,libstdc++6,libgcc-s1,libgomp1,libicu72,tzdata \
    "$suite" "$rootfs" "$mirror" > "$cache/debootstrap.log" 2>&1 \
    || die "debootstrap failed; see $cache/debootstrap.log"
  if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
    cp /usr/local/share/ca-certificates/*.crt "$rootfs/usr/local/share/ca-certificates/"
    chroot "$rootfs" update-ca-certificates >/dev/null
  fi
  # Services never start inside a chroot or an image build.
  printf '#!/bin/sh\nexit 101\n' > "$rootfs/usr/sbin/policy-rc.d"
  chmod +x "$rootfs/usr/sbin/policy-rc.d"
  touch "$rootfs/.complete"
fi

# Copies the root filesystem to a staging folder, lets the caller add to it, then imports it as one layer.
stage() { rm -rf --one-file-system "$work/$1"; cp -a "$rootfs" "$work/$1"; rm -f "$work/$1/.complete"; }
slim() {
  local root="$1"
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
         "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/var/log/*.log
  find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name 'locale.alias' -exec rm -rf {} + 2>/dev/null || true
}
import() {
  local root="$1" tag="$2"; shift 2
  slim "$root"
  say "importing $tag ($(du -sh "$root" | cut -f1))"
  tar --numeric-owner -C "$root" -c . | docker import --change "LABEL $LABEL" "$@" - "$tag" >/dev/null
  rm -rf --one-file-system "$root"
}
add_dotnet() {
  local root="$1" with_sdk="$2" dest="$1/usr/share/dotnet"
  mkdir -p "$dest/shared" "$dest/host"
  cp -a "$dotnet_root/dotnet" "$dest/"
  cp -a "$dotnet_root"/LICENSE.txt "$dotnet_root"/ThirdPartyNotices.txt "$dest/" 2>/dev/null || true
  cp -a "$dotnet_root/host/fxr" "$dest/host/"
  for fw in Microsoft.NETCore.App Microsoft.AspNetCore.App; do
    mkdir -p "$dest/shared/$fw"
    cp -a "$dotnet_root/shared/$fw/$runtime_version" "$dest/shared/$fw/"
  done
  if [ "$with_sdk" = sdk ]; then
    [ -n "$sdk_version" ] || die "$dotnet_root has no .NET 10 SDK"
    mkdir -p "$dest/sdk"
    cp -a "$dotnet_root/sdk/$sdk_version" "$dest/sdk/"
    for extra in sdk-manifests packs templates; do
      [ -d "$dotnet_root/$extra" ] && cp -a "$dotnet_root/$extra" "$dest/"
    done
  fi
  ln -sf /usr/share/dotnet/dotnet "$root/usr/bin/dotnet"
  # The Microsoft images' non-root user.
  chroot "$root" sh -c 'getent passwd app >/dev/null || { groupadd --gid 1654 app && useradd --uid 1654 --gid app --create-home app; }'
}
dotnet_env=(--change "ENV APP_UID=1654" --change "ENV DOTNET_RUNNING_IN_CONTAINER=true"
            --change "ENV DOTNET_VERSION=$runtime_version" --change "ENV ASPNET_VERSION=$runtime_version"
            --change "ENV ASPNETCORE_HTTP_PORTS=8080")

if wanted "$ASPNET_IMAGE"; then
  stage aspnet
  add_dotnet "$work/aspnet" runtime
  import "$work/aspnet" "$ASPNET_IMAGE" "${dotnet_env[@]}" --change 'CMD ["bash"]'
fi

if wanted "$SDK_IMAGE"; then
  stage sdk
  add_dotnet "$work/sdk" sdk
  import "$work/sdk" "$SDK_IMAGE" "${dotnet_env[@]}" --change "ENV DOTNET_SDK_VERSION=$sdk_version" \
    --change "ENV DOTNET_NOLOGO=true" --change "ENV DOTNET_CLI_TELEMETRY_OPTOUT=1" \
    --change "ENV NUGET_XMLDOC_MODE=skip" --change 'CMD ["bash"]'
fi

if wanted "$REDIS_IMAGE"; then
  stage redis
  cp /etc/resolv.conf "$work/redis/etc/resolv.conf"
  chroot "$work/redis" apt-get update -qq >/dev/null || die "apt-get update failed in the Redis root filesystem (mirror $mirror)"
  chroot "$work/redis" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server \
    > "$cache/redis-install.log" 2>&1 || die "apt-get install redis-server failed in the Redis root filesystem; see $cache/redis-install.log"
  version="$(chroot "$work/redis" redis-server --version | grep -oE 'v=[0-9.]+' | cut -d= -f2)"
  case "$version" in 7.0.*) ;; *) die "Debian $suite ships redis $version, not 7.0: set DEBIAN_SUITE to a suite with 7.0 (bookworm)";; esac
  : > "$work/redis/etc/resolv.conf"
  mkdir -p "$work/redis/data"
  # Like the official image: no protected mode (the network is the boundary), /data as working directory.
  cat > "$work/redis/usr/local/bin/docker-entrypoint.sh" <<'SH'
#!/bin/sh
set -e
if [ "${1#-}" != "$1" ]; then set -- redis-server "$@"; fi
if [ "$1" = redis-server ]; then shift; set -- redis-server "$@" --protected-mode no; fi
exec "$@"
SH
  chmod +x "$work/redis/usr/local/bin/docker-entrypoint.sh"
  import "$work/redis" "$REDIS_IMAGE" --change "ENV REDIS_VERSION=$version" --change 'WORKDIR /data' \
    --change 'VOLUME /data' --change 'EXPOSE 6379' \
    --change 'ENTRYPOINT ["docker-entrypoint.sh"]' --change 'CMD ["redis-server"]'
fi

docker image ls --format '{{.Repository}}:{{.Tag}}  {{.Size}}' | grep -E "^($ASPNET_IMAGE|$SDK_IMAGE|$REDIS_IMAGE) " >&2 || true
say "done"
