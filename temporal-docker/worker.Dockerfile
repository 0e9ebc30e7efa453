# syntax=docker/dockerfile:1
# The vmbackup worker of one backup host (workers/backup-host.ts), with the
# tools its activities run: `rbd` (ceph-common) and backy2 2.9.17.
#
# Build context is the repository root (see docker-compose.yml):
#   docker build -f temporal-docker/worker.Dockerfile -t vmbackup-worker .
# Run (one container per backup host):
#   docker run --init --network host \
#     -v /etc/ceph:/etc/ceph:ro -v /etc/vmbackup:/etc/vmbackup:ro \
#     -v /var/lib/vmbackup:/var/lib/vmbackup vmbackup-worker --host backup1
#
# Mirrors scripts/install-deps.sh (the local stack's installer): keep the
# Debian package list, the backy2 version and the collections shim in sync.
FROM node:20-bookworm-slim

# Debian's ceph-common is the Pacific (16.2) client, which talks to newer
# clusters too; python3-rbd/python3-rados are built for Debian's python3 only,
# which is why the backy2 venv below is made from /usr/bin/python3. The other
# python3-* packages are backy2's dependencies in the old versions it works with.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ceph-common \
      python3-rbd python3-rados \
      python3-sqlalchemy python3-alembic python3-prettytable python3-psutil \
      python3-shortuuid python3-setproctitle python3-dateutil python3-venv \
 && rm -rf /var/lib/apt/lists/*

# backy2 in a venv at /opt/backy2 (engine.bin: /opt/backy2/bin/backy2).
# --system-site-packages: its dependencies come from the Debian packages above.
# --no-deps: its own requirements would pull a SQLAlchemy newer than it can use.
RUN /usr/bin/python3 -m venv --system-site-packages /opt/backy2 \
 && /opt/backy2/bin/python -m pip install --no-cache-dir --disable-pip-version-check \
      --no-deps backy2==2.9.17 \
 && ln -s /opt/backy2/bin/backy2 /usr/local/bin/backy2

# backy2 2.9.17's bundled rados bindings do `from collections import Iterator`;
# those ABCs moved to collections.abc and are gone since Python 3.10 (bookworm
# has 3.11). vmbackup_collections_shim aliases them back into `collections`. It
# is loaded by a .pth file in the venv's site-packages, which the interpreter
# runs at every startup: a sitecustomize.py in the venv does NOT work on Debian,
# whose own /usr/lib/python3.11/sitecustomize.py is imported instead.
RUN <<'SH'
set -eu
site=$(/opt/backy2/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
cat >"$site/vmbackup_collections_shim.py" <<'PY'
# Added by vmbackup's worker.Dockerfile: backy2 2.9.17 imports ABCs such as
# collections.Iterator, which moved to collections.abc (gone since Python 3.10).
import collections
import collections.abc

for _name in collections.abc.__all__:
    if not hasattr(collections, _name):
        setattr(collections, _name, getattr(collections.abc, _name))
del _name
PY
echo 'import vmbackup_collections_shim' >"$site/vmbackup_collections_shim.pth"
# Precompile, so no run pays for it (or prints the SyntaxWarning of backy2's
# bundled rados.py).
/opt/backy2/bin/python -m compileall -q "$site/backy2" "$site/vmbackup_collections_shim.py" >/dev/null || true
# Fail the build here rather than at the first backup: the shim must be active
# and backy2's rbd module must import.
/opt/backy2/bin/python -c 'import collections; collections.Iterator; import backy2.io.rbd'
/opt/backy2/bin/backy2 --help >/dev/null
rbd --version
SH

WORKDIR /opt/vmbackup
ENV NODE_ENV=production

# Dependencies first, so a source change does not re-run npm ci. tsx is a
# runtime dependency: the worker runs the TypeScript sources directly.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force

COPY lib/ lib/
COPY activities/ activities/
COPY workflows/ workflows/
COPY workers/ workers/
COPY cli/ cli/
COPY bin/ bin/
COPY config/ config/

# The worker reads /etc/vmbackup/config.yaml (bind-mounted, made from
# temporal-docker/config.example.yaml); `--config FILE` still overrides it.
ENV VMBACKUP_CONFIG=/etc/vmbackup/config.yaml

# No USER: the worker runs as root. A non-root user is not workable here:
# rbd and backy2's librbd must read the cephx keyring from the bind-mounted
# /etc/ceph, which Ceph installs root-only (0600), and backy2 writes its store
# under /var/lib/vmbackup with the host's root ownership. Changing that means
# changing the host's keyring permissions, so it is left to the deployment
# (with `user:` in compose and a keyring readable by that uid).

# The worker shuts down gracefully on SIGTERM: it stops polling and cancels
# running activities, which stop their rbd/backy2 child before it exits.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "--import", "tsx", "workers/backup-host.ts"]
