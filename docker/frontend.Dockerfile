# Frontend image: the `todo-web` binary on distroless. Build context: the workspace root.
#
#   docker build -f docker/frontend.Dockerfile -t todo-chatbot-frontend:<tag> .
#   buildah bud --format docker -f docker/frontend.Dockerfile -t todo-chatbot-frontend:<tag> .
#
# Dependency caching uses BuildKit cache mounts (Docker BuildKit and buildah both honour them)
# rather than cargo-chef: chef would have to be compiled inside the builder first (minutes on
# a small machine, and its own image is another base to pull), and a cooked dependency layer
# is a full filesystem copy per layer on vfs storage. A shared cache id means the backend and
# frontend builds reuse one registry and one target directory, and a source change recompiles
# only our crates. Both Dockerfiles keep this stage identical except for the package built.
#
# Keep the stage below in step with docker/backend.Dockerfile.

FROM docker.io/library/rust:1.95-slim-bookworm AS build
WORKDIR /src
# sqlx's compile-time checks must use the committed query data, never a live database.
ENV CARGO_TERM_COLOR=never \
    CARGO_INCREMENTAL=0 \
    SQLX_OFFLINE=true
COPY . .
RUN --mount=type=cache,id=todo-chatbot-cargo-registry,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,id=todo-chatbot-cargo-target,target=/src/target,sharing=locked \
    cargo build --release --locked -p todo-web --bin todo-web \
 && install -D -m 0755 target/release/todo-web /out/todo-web

FROM gcr.io/distroless/cc-debian12:nonroot
ARG VERSION=0.0.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="todo-chatbot-frontend" \
      org.opencontainers.image.description="Todo chatbot web UI and same-origin API proxy" \
      org.opencontainers.image.source="https://github.com/todo-chatbot/todo-chatbot-k8s" \
      org.opencontainers.image.licenses="MIT OR Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
COPY --from=build /out/todo-web /usr/local/bin/todo-web
# distroless's `nonroot` user, by number so Kubernetes can verify runAsNonRoot.
USER 65532:65532
ENV PORT=3000
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
    CMD ["/usr/local/bin/todo-web", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/todo-web"]
