# debootstrap's minbase rootfs, made fit for image builds the way Debian's official images are: services are
# never started by package scripts, and apt keeps no caches.
FROM mcp-vitals-standin/debian-rootfs:bookworm
RUN printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d \
 && printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' >/etc/apt/apt.conf.d/docker-no-recommends \
 && apt-get clean && rm -rf /var/lib/apt/lists/*
CMD ["bash"]
