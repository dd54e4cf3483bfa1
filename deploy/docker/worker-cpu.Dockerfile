# syntax=docker/dockerfile:1
# rerankd CPU worker (`rerankd worker`): ONNX Runtime's CPU execution provider. Also runs
# `rerankd serve` (gateway and worker in one process) and `rerankd download`.
# Build from the repository root:
#   docker build -f deploy/docker/worker-cpu.Dockerfile -t rerankd/worker-cpu:0.1.0 .
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

# ---- build: install the workspace, bundle the CLI, lay out production dependencies ----------
FROM ${NODE_IMAGE} AS build
ENV CI=true \
    ONNXRUNTIME_NODE_INSTALL=skip
RUN npm install -g pnpm@12.4.2
WORKDIR /src
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml tsconfig.json ./
COPY packages/ packages/
COPY test/package.json test/
COPY deploy/docker/bundle.mjs deploy/docker/prune.sh deploy/docker/
# A checkout's own node_modules must not leak into the image (when .dockerignore lacks them).
RUN find packages -name node_modules -prune -exec rm -rf {} + \
 && pnpm install --frozen-lockfile \
 && pnpm --filter @rerankd/cli deploy --prod --config.node-linker=hoisted /out/app \
 && node deploy/docker/bundle.mjs /out/app/dist/rerankd.mjs \
 && sh deploy/docker/prune.sh /out/app \
 && node /out/app/dist/rerankd.mjs --help >/dev/null

# ---- runtime -------------------------------------------------------------------------------
FROM ${NODE_IMAGE}
# npm, npx, corepack and yarn are not needed to run rerankd.
RUN rm -rf /usr/local/lib/node_modules /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
      /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-* \
 && groupadd --system --gid 10001 rerankd \
 && useradd --system --uid 10001 --gid rerankd --create-home --home-dir /home/rerankd --shell /usr/sbin/nologin rerankd \
 && mkdir -p /models /cache/huggingface \
 && chown rerankd:rerankd /cache/huggingface
COPY --from=build /out/app /opt/rerankd
RUN chmod 755 /opt/rerankd/dist/rerankd.mjs && ln -s /opt/rerankd/dist/rerankd.mjs /usr/local/bin/rerankd
ENV NODE_ENV=production \
    NODE_OPTIONS=--enable-source-maps \
    HF_HOME=/cache/huggingface \
    RERANKD_DEVICE=cpu \
    RERANKD_METRICS_PORT=9100
USER 10001:10001
WORKDIR /home/rerankd
VOLUME ["/cache/huggingface"]
EXPOSE 9100
ENTRYPOINT ["rerankd"]
CMD ["worker"]
