#!/usr/bin/env bash
# Builds the test cluster's stand-in for the chart's PostgreSQL image and saves it as an
# archive. No registry is reachable here, so `docker.io/library/postgres:17-alpine` is built
# from Debian's PostgreSQL 15 and keeps the contract the chart relies on: POSTGRES_USER,
# POSTGRES_PASSWORD, POSTGRES_DB and PGDATA; the postgres user is uid/gid 70 as in the alpine
# image; initdb on an empty volume; `postgres` as PID 1, so SIGTERM shuts it down cleanly;
# pg_isready, pg_dump, psql and chown on PATH; a read-only root filesystem is enough.
# Args: image name, archive path.
set -euo pipefail
image=$1 archive=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
pg_major=15

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/rootfs
printf '==> test-cluster: building the PostgreSQL stand-in %s (Debian bookworm, PostgreSQL %s)\n' "$image" "$pg_major" >&2
debootstrap --variant=minbase --include="postgresql-$pg_major" bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || {
  tail -n 20 "$work/debootstrap.log" >&2
  exit 1
}
# The package's own cluster and service scaffolding are not part of the image's contract, and
# neither are the JIT (LLVM is half the image; without llvmjit.so the server runs without JIT),
# documentation and translations.
rm -rf "$root/var/lib/postgresql/$pg_major" "$root/etc/postgresql/$pg_major" "$root/var/cache/apt" \
  "$root/var/lib/apt/lists" "$root/usr/lib/postgresql/$pg_major/lib/llvmjit"* \
  "$root/usr/lib/postgresql/$pg_major/lib/bitcode" "$root"/usr/lib/x86_64-linux-gnu/libLLVM-* \
  "$root"/usr/lib/x86_64-linux-gnu/libz3.so* "$root"/usr/share/{doc,man,info,locale,i18n}
old_uid=$(awk -F: '$1 == "postgres" {print $3}' "$root/etc/passwd")
old_gid=$(awk -F: '$1 == "postgres" {print $3}' "$root/etc/group")
sed -i "s/^postgres:x:$old_uid:$old_gid:/postgres:x:70:70:/" "$root/etc/passwd"
sed -i "s/^postgres:x:$old_gid:/postgres:x:70:/" "$root/etc/group"
find "$root" -xdev \( -uid "$old_uid" -o -gid "$old_gid" \) -exec chown -h 70:70 {} +
install -d -o 70 -g 70 -m 0777 "$root/var/lib/postgresql/data"
install -d -o 70 -g 70 -m 3777 "$root/var/run/postgresql"
install -m 0755 "$here/postgres-standin/docker-entrypoint.sh" "$root/usr/local/bin/docker-entrypoint.sh"

tar -C "$root" -c . | podman import --quiet \
  --change "ENV PATH=/usr/lib/postgresql/$pg_major/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
  --change 'ENV LANG=C.UTF-8' --change 'ENV PGDATA=/var/lib/postgresql/data' \
  --change 'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]' --change 'CMD ["postgres"]' \
  --change 'EXPOSE 5432' - "$image" >/dev/null
mkdir -p "$(dirname "$archive")"
rm -f "$archive.tmp"
podman save --quiet --format docker-archive -o "$archive.tmp" "$image"
mv "$archive.tmp" "$archive"
