# syntax=docker/dockerfile:1
# SmartEM: one image for every backend role. The container's arguments are the `smartem` command:
#   up (default)  |  backend api  |  backend worker  |  backend migrate
# Build:  docker build -t smartem .        (or podman build; scripts/build-image.sh builds it with Podman here)
# BASE is any Debian-based Node 22 image with node and npm on PATH.
ARG BASE=node:22-bookworm-slim

FROM ${BASE} AS build
WORKDIR /app
# npm's registry and, behind a TLS-inspecting proxy, a CA bundle: pass the bundle as the secret `npm_ca`
# (docker/podman build --secret id=npm_ca,src=/etc/ssl/certs/ca-certificates.crt). Both are optional.
ARG NPM_CONFIG_REGISTRY=https://registry.npmjs.org/
# Workspace manifests first, so the dependency layer is rebuilt only when they change.
COPY package.json package-lock.json ./
COPY packages/agent/package.json packages/agent/
COPY packages/athena/package.json packages/athena/
COPY packages/backend/package.json packages/backend/
COPY packages/cli/package.json packages/cli/
COPY packages/client/package.json packages/client/
COPY packages/common/package.json packages/common/
COPY packages/decisions/package.json packages/decisions/
COPY packages/epu/package.json packages/epu/
COPY packages/epu-sim/package.json packages/epu-sim/
COPY packages/tools/package.json packages/tools/
COPY packages/web/package.json packages/web/
RUN --mount=type=secret,id=npm_ca \
    if [ -s /run/secrets/npm_ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/npm_ca npm_config_cafile=/run/secrets/npm_ca; fi; \
    npm ci --no-audit --no-fund && npm cache clean --force
COPY . .
# A compile step (npm run build) goes here once the release is compiled; then only production dependencies stay.
RUN npm prune --omit=dev --no-audit --no-fund

FROM ${BASE}
RUN groupadd --system --gid 10001 smartem \
 && useradd --system --uid 10001 --gid smartem --home-dir /home/smartem --create-home --shell /usr/sbin/nologin smartem \
 && mkdir -p /data && chown smartem:smartem /data
# Owned by root and not writable by the runtime user: the application tree is read-only in the container.
COPY --from=build /app /app
ENV NODE_ENV=production \
    PATH=/app/node_modules/.bin:$PATH \
    HTTP_API_PORT=8000 \
    SMARTEM_DATA_DIR=/data
WORKDIR /home/smartem
USER 10001:10001
VOLUME /data
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 CMD ["node", "/app/deploy/image/healthcheck.mjs"]
# `smartem` runs the TypeScript sources through tsx today; the compiled release changes only what this command runs.
ENTRYPOINT ["smartem"]
CMD ["up"]
