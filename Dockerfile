# syntax=docker/dockerfile:1
# Switchboard's image: the server (`switchboard serve`) with the offline default (PocketSphinx,
# Silero VAD, flite), so it answers calls with no keys. Build: `docker build -t switchboard .`
# Run: `docker compose up` (compose.yaml: PostgreSQL with pgvector, Redis and this) or
#   docker run --init -p 3000:3000 -v switchboard-data:/data switchboard
# Secrets come from the environment at run time; none is baked into the image. docs/deployment.md.

ARG NODE_IMAGE=node:20-bookworm-slim

# --- build: npm packages, TypeScript and the web bundles into dist/, the PocketSphinx addon ---
FROM ${NODE_IMAGE} AS build
# The headers and tools the native addon compiles with (scripts/setup-debian.sh's build half).
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libpocketsphinx-dev libsphinxbase-dev pkg-config make g++ python3 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Packages first, so this layer is rebuilt only when the lock file changes. Scripts are off here
# because `prepare` builds dist/ from sources not copied yet; .npmrc skips onnxruntime-node's
# GPU download (its CPU binaries ship in the package), as on a developer's machine.
COPY package.json package-lock.json .npmrc ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
# What `npm ci`'s prepare step does, then the addon (required: the image must hear calls).
# onnxruntime-node ships binaries for every platform (~290 MB): keep this one's (~45 MB).
RUN npm run build \
 && BUILD_NATIVE_REQUIRED=1 BUILD_NATIVE_FORCE=1 bash scripts/build-native.sh \
 && npm prune --omit=dev --no-audit --no-fund \
 && arch=$(node -p process.arch) \
 && find node_modules/onnxruntime-node/bin -mindepth 2 -maxdepth 2 ! -name linux -exec rm -rf {} + \
 && find node_modules/onnxruntime-node/bin -mindepth 3 -maxdepth 3 ! -name "$arch" -exec rm -rf {} +

# --- run: Node, the speech runtime libraries and the acoustic model, the built app; no compiler ---
FROM ${NODE_IMAGE}
# libpocketsphinx3 (and libsphinxbase3 with it) is what the addon links against; pocketsphinx-en-us
# is the model at /usr/share/pocketsphinx/model/en-us; tini forwards SIGTERM and reaps children
# when the container is not started with --init.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpocketsphinx3 pocketsphinx-en-us tini \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY --from=build /app/drizzle ./drizzle
COPY --from=build /app/native/pocketsphinx/worker.mjs ./native/pocketsphinx/worker.mjs
COPY --from=build /app/native/pocketsphinx/build/Release/pocketsphinx.node ./native/pocketsphinx/build/Release/pocketsphinx.node

# A non-root user owns only the data volume (embedded database, recordings, local secrets, node id);
# recordings/ exists so a volume mounted there (shared by nodes, compose.yaml) is theirs too.
RUN groupadd --system --gid 10001 switchboard \
 && useradd --system --uid 10001 --gid switchboard --home-dir /data --shell /usr/sbin/nologin switchboard \
 && mkdir -p /data/recordings && chown -R switchboard:switchboard /data
ENV NODE_ENV=production \
    DATA_DIR=/data \
    PORT=3000 \
    HOST=0.0.0.0
VOLUME ["/data"]
USER switchboard:switchboard
EXPOSE 3000

# /health answers 200 while the node serves calls (healthy or degraded) and 503 when it cannot
# (its database is down). Node's own fetch: no curl in the image.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health').then(r=>process.exit(r.status===200?0:1),()=>process.exit(1))"]

# SIGTERM: new calls hear "call back", live calls get SHUTDOWN_GRACE_MS to finish (give the
# container a stop timeout above it: compose's stop_grace_period, Kubernetes'
# terminationGracePeriodSeconds); a second signal exits at once.
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "bin/switchboard.js", "serve"]
