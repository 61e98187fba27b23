# dockjob's own image, built with no base image and no network: scripts/package-image puts
# the release binary and the few shared libraries it links under dist/rootfs, then builds this
# file with dockjob itself. See "dockjob's own image" in the README.
FROM scratch
COPY dist/rootfs/ /
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/dockjob"]
