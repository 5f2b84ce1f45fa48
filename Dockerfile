# syntax=docker/dockerfile:1.7
# Multi-stage: build with dev dependencies, ship only dist/ and production dependencies, run as non-root.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are copied.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run build

FROM node:20-bookworm-slim AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json README.md ./
# The base image's unprivileged user (uid 1000); nothing in /app is writable by it.
USER node
EXPOSE 9464
# Node itself probes /livez: the image carries no curl or wget. VITALS_HEALTHCHECK_URL follows a --listen
# other than the default (with host networking the port is the host's).
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch(process.env.VITALS_HEALTHCHECK_URL || 'http://127.0.0.1:9464/livez').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "dist/cli/main.js"]
# Listening beyond loopback requires authentication in the config (http.auth), or --insecure.
CMD ["serve", "--http", "--listen", "0.0.0.0:9464"]
