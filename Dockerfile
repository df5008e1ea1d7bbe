# s3up in a container: the Debian package built from this tree by scripts/package.sh, installed
# with apt into debian:12-slim (which brings in exactly the libraries the package depends on),
# run as an unprivileged user.
#   docker build -t s3up .
#   docker run --rm -e AWS_REGION -e AWS_ACCESS_KEY_ID -e AWS_SECRET_ACCESS_KEY \
#       -v "$PWD/site:/data:ro" s3up /data s3://my-bucket/www/
# --version names the commit when the build context holds the repository's .git (a plain clone);
# otherwise pass it: docker build --build-arg S3UP_GIT_COMMIT=$(git rev-parse HEAD) -t s3up .

FROM debian:12 AS build
WORKDIR /src
# The build dependencies first, in a layer of their own: they change less often than the code.
COPY scripts/install-deps.sh scripts/
RUN scripts/install-deps.sh --package && rm -rf /var/lib/apt/lists/*
COPY . .
ARG S3UP_GIT_COMMIT=
RUN BUILD_DIR=/build DIST_DIR=/dist S3UP_GIT_COMMIT="$S3UP_GIT_COMMIT" scripts/package.sh

FROM debian:12-slim
COPY --from=build /dist/ /tmp/dist/
# ca-certificates: HTTPS to AWS verifies certificates against the system's CA store.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates /tmp/dist/s3up_*.deb \
 && rm -rf /var/lib/apt/lists/* /tmp/dist \
 && useradd --system --uid 10001 --user-group --create-home --home-dir /home/s3up s3up \
 && s3up --version
# A numeric user, so that Kubernetes' runAsNonRoot can check it.
USER 10001:10001
WORKDIR /home/s3up
ENTRYPOINT ["s3up"]
CMD ["--help"]
