# Prometheus from Debian's `prometheus` package (no registry needed).
# The configuration is mounted, not baked: compose mounts
# monitoring/prometheus.yml and monitoring/alerts.yml at /etc/fabric-prometheus/
# and compose/prometheus-targets/ at /etc/fabric-prometheus/targets/.
#
#   docker build -f compose/prometheus.Dockerfile -t fabric-prometheus:local compose
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE}
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends prometheus \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /prometheus /etc/fabric-prometheus/targets \
 && chown prometheus:prometheus /prometheus
USER prometheus
VOLUME /prometheus
EXPOSE 9090
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=5 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/9090 && printf 'GET /-/ready HTTP/1.0\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["/usr/bin/prometheus"]
CMD ["--config.file=/etc/fabric-prometheus/prometheus.yml", \
     "--storage.tsdb.path=/prometheus", \
     "--web.listen-address=0.0.0.0:9090", \
     "--web.enable-lifecycle"]
