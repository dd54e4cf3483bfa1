# syntax=docker/dockerfile:1
# rerankd CUDA worker (`rerankd worker --device cuda:0`): ONNX Runtime's CUDA execution provider
# on CUDA 12 and cuDNN 9. linux/amd64 only (the CUDA provider build of onnxruntime-node).
# Build from the repository root:
#   docker build -f deploy/docker/worker-cuda.Dockerfile -t rerankd/worker-cuda:0.1.0 .
# Run with the NVIDIA container toolkit (docker run --gpus all …; on Kubernetes, request
# nvidia.com/gpu). `rerankd gpu-setup --check` inside a running container reports what it finds.
ARG NODE_IMAGE=node:20.20.2-bookworm-slim
ARG CUDA_IMAGE=nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04

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
# pnpm runs no dependency install scripts (pnpm-workspace.yaml allowBuilds), so run
# onnxruntime-node's installer here: it fetches the CUDA 12 provider libraries
# (libonnxruntime_providers_cuda.so, _shared.so) next to its CPU build.
RUN cd /out/app/node_modules/onnxruntime-node \
 && ONNXRUNTIME_NODE_INSTALL=cuda12 node script/install.js \
 && test -f bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so \
 && test -f bin/napi-v6/linux/x64/libonnxruntime_providers_shared.so \
 && rm -f bin/napi-v6/linux/x64/libonnxruntime_providers_tensorrt.so

# Node.js itself: the official build's binary from the pinned Node image.
FROM ${NODE_IMAGE} AS node

# ---- runtime -------------------------------------------------------------------------------
FROM ${CUDA_IMAGE}
COPY --from=node /usr/local/bin/node /usr/local/bin/node
RUN groupadd --system --gid 10001 rerankd \
 && useradd --system --uid 10001 --gid rerankd --create-home --home-dir /home/rerankd --shell /usr/sbin/nologin rerankd \
 && mkdir -p /models /cache/huggingface \
 && chown rerankd:rerankd /cache/huggingface \
 && node --version
COPY --from=build /out/app /opt/rerankd
RUN chmod 755 /opt/rerankd/dist/rerankd.mjs && ln -s /opt/rerankd/dist/rerankd.mjs /usr/local/bin/rerankd
ENV NODE_ENV=production \
    NODE_OPTIONS=--enable-source-maps \
    HF_HOME=/cache/huggingface \
    RERANKD_DEVICE=cuda:0 \
    RERANKD_METRICS_PORT=9100 \
    NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility
USER 10001:10001
WORKDIR /home/rerankd
VOLUME ["/cache/huggingface"]
EXPOSE 9100 50051
ENTRYPOINT ["rerankd"]
CMD ["worker"]
