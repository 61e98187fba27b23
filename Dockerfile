# dockjob's own image, built with no base image and no network: scripts/package-image puts
# the release binary and the few shared libraries it links under dist/rootfs, then builds this
# file with dockjob itself. See docs/release.md, "dockjob's own image".
FROM scratch
COPY dist/rootfs/ /
LABEL org.opencontainers.image.title="dockjob" \
      org.opencontainers.image.description="Build and push images through the Docker Engine API, and run Kubernetes Jobs on a local engine" \
      org.opencontainers.image.licenses="Apache-2.0"
# Not root: give the container the Docker socket's group with `--group-add`.
USER 65532:65532
ENV HOME=/tmp
ENTRYPOINT ["/usr/local/bin/dockjob"]
