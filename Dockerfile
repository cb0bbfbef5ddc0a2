# syntax=docker/dockerfile:1
# Build: docker build -t alerthub .
# Run:   docker run -p 9880:9880 -v $PWD/config/demo.yaml:/etc/alerthub/config.yaml:ro \
#          -e ALERTHUB_INTAKE_TOKEN=... -e ALERTHUB_API_TOKEN=... alerthub
FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /opt/alerthub
COPY pyproject.toml README.md ./
COPY hub ./hub
RUN /opt/alerthub/bin/pip install --no-cache-dir .

FROM python:3.11-slim
RUN useradd --system --uid 10001 --home-dir /var/lib/alerthub --create-home alerthub
COPY --from=build /opt/alerthub /opt/alerthub
# The hub runs from here, so the default `runbooks_dir: runbooks` finds the runbooks;
# the store is in the /var/lib/alerthub volume (an absolute ALERTHUB_DATABASE_URL).
WORKDIR /usr/share/alerthub
COPY runbooks ./runbooks
ENV PATH=/opt/alerthub/bin:$PATH \
    ALERTHUB_LISTEN=0.0.0.0:9880 \
    ALERTHUB_DATABASE_URL=sqlite+aiosqlite:////var/lib/alerthub/alerthub.db
USER alerthub
EXPOSE 9880
# The config is mounted at /etc/alerthub/config.yaml; secrets come from the environment.
VOLUME ["/var/lib/alerthub"]
ENTRYPOINT ["alerthub", "serve", "--config", "/etc/alerthub/config.yaml"]
