# syntax=docker/dockerfile:1
# ClusterLite node image. One container = one node with its own SQLite file in /data.
#   docker build -t clusterlite-node .
#   docker run -e NODE_ID=node-1 -e KAFKA_BROKERS=redpanda:9092 -v node1-data:/data -p 8082:8082 clusterlite-node
# Without KAFKA_BROKERS the node runs in embedded single-node mode (no replication).
# docker-compose.yml runs three of these behind nginx, with Redpanda as the Kafka broker.

# ---- build: bundle the app, drop the dev dependencies --------------------------------------
FROM node:24-bookworm-slim AS build

# sqlite3, a dev dependency (the benchmark's ceilings, one test), is compiled from source by
# `npm ci` (node-gyp): python3, make and g++. The node itself uses Node's built-in node:sqlite,
# so the runtime image has no native module.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*

# npm 11 as on our machines, so that `npm ci` honours package.json's `allowScripts`
# (sqlite3's install script approved, the others not).
RUN npm install -g npm@11

WORKDIR /app
# Build sqlite3 here rather than download a prebuilt binary from GitHub.
ENV npm_config_build_from_source=true

COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

COPY . .
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

# ---- runtime ------------------------------------------------------------------------------
FROM node:24-bookworm-slim

ENV NODE_ENV=production \
    PORT=8082 \
    DB_PATH=/data/node.sqlite

WORKDIR /app
# Application files stay owned by root (read-only for the node user).
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist

# The node's SQLite file (and its -wal/-shm) lives here; the directory must belong to `node`
# before VOLUME so a fresh named volume inherits the ownership.
RUN mkdir -p /data && chown node:node /data
VOLUME /data

USER node
EXPOSE 8082

# Ready = GET /_cluster/status answers 200 (the node listens once its Kafka consumer has joined).
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8082) + '/_cluster/health/live', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# The same start command `npm run cluster` uses for each node (`npm run start:prod`).
# Node runs as PID 1: the app handles SIGTERM itself (Nest shutdown hooks) for `docker stop`.
CMD ["node", "dist/apps/node/main.js"]
