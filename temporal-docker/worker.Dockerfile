# syntax=docker/dockerfile:1
# The vmbackup worker of one backup host (workers/backup-host.ts), with the
# tools its activities run: `rbd` (ceph-common), backy2 2.9.17, `sqlite3` (every
# version lookup) and the `openstack` CLI (the inventory and compute drivers).
#
# Build context is the repository root (see docker-compose.yml; .dockerignore
# there lets in only what is copied below):
#   docker build -f temporal-docker/worker.Dockerfile \
#     --build-arg VMBACKUP_COMMIT=$(git rev-parse HEAD) -t vmbackup-worker .
# Run (one container per backup host):
#   docker run --init --network host \
#     -v /etc/ceph:/etc/ceph:ro -v /etc/vmbackup:/etc/vmbackup:ro \
#     -v /var/lib/vmbackup:/var/lib/vmbackup vmbackup-worker --host backup1
#
# The Debian packages are deploy/packages/worker.txt, the list
# scripts/install-deps.sh installs too. Keep the backy2 version and the
# collections shim in sync with install-deps.sh by hand.
FROM node:20-bookworm-slim

# The worker's user. Fixed ids, so the host can give it the Ceph keyring and
# the state folder: see "Unprivileged" below.
ARG VMBACKUP_UID=10001
ARG VMBACKUP_GID=10001
RUN groupadd --system --gid "$VMBACKUP_GID" vmbackup \
 && useradd --system --uid "$VMBACKUP_UID" --gid vmbackup --home-dir /var/lib/vmbackup \
      --no-create-home --shell /usr/sbin/nologin vmbackup

# One package list for the image and the local stack (comments stripped).
COPY deploy/packages/worker.txt /tmp/worker-packages.txt
RUN apt-get update \
 && sed -e 's/#.*//' /tmp/worker-packages.txt \
    | DEBIAN_FRONTEND=noninteractive xargs apt-get install -y --no-install-recommends \
 && rm -rf /var/lib/apt/lists/* /tmp/worker-packages.txt

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
sqlite3 --version
openstack --version
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
COPY scripts/bundle-workflows.ts scripts/bundle-workflows.ts

# The workflow code is bundled now, not at every start: no webpack run when a
# container starts, and every container of this image runs the same bundle.
# The worker checks the bundle against the sources beside it.
RUN node --import tsx scripts/bundle-workflows.ts --out /opt/vmbackup/dist/workflow-bundle.js
ENV VMBACKUP_WORKFLOW_BUNDLE=/opt/vmbackup/dist/workflow-bundle.js

# `--version` prints it: there is no .git in the image.
ARG VMBACKUP_COMMIT=
ENV VMBACKUP_COMMIT=$VMBACKUP_COMMIT

# The worker reads /etc/vmbackup/config.yaml (bind-mounted, made from
# temporal-docker/config.example.yaml); `--config FILE` still overrides it.
ENV VMBACKUP_CONFIG=/etc/vmbackup/config.yaml

# Unprivileged: nothing the worker runs needs root (rbd and backy2 use librbd
# over the network, no kernel rbd map; no capabilities). What it does need the
# host must give uid/gid 10001 (or the ids built in with --build-arg):
#  - the cephx keyring, readable: Ceph installs keyrings root-only (0600).
#    rbd can use a client of its own (`ceph.id` in config.yaml), but backy2
#    2.9.17 always connects as client.admin (its bundled rados binding takes
#    no id and ignores CEPH_ARGS), so ceph.client.admin.keyring must be
#    readable by gid 10001 (root:10001, mode 0640);
#  - /var/lib/vmbackup (state_dir, and the backy2 store with its SQLite
#    metadata, lock_dir and logfile) owned by 10001, writable.
# With a root-only keyring rbd fails with "auth: unable to find a keyring" /
# "(13) Permission denied": fix the keyring, or run this image with `--user 0`.
USER vmbackup

# The worker shuts down gracefully on SIGTERM: it stops polling and cancels
# running activities, which stop their rbd/backy2 child before it exits.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "--import", "tsx", "workers/backup-host.ts"]
