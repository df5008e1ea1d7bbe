# The Debian package: cpack -G DEB in a build folder (scripts/package.sh runs it on a Release
# build). Its runtime dependencies are computed from the binary by dpkg-shlibdeps (dpkg-dev), so
# that `apt install ./s3up_*.deb` brings in exactly the libraries s3up links.

# The package's version: the release tag's (cmake/version.cmake) in Debian's spelling: "0.2.0"
# on tag v0.2.0, "0.2.0+3.gabc1234" three commits later; the project's version without a tag.
include(${CMAKE_CURRENT_SOURCE_DIR}/cmake/version.cmake)
s3up_git_version(${CMAKE_CURRENT_SOURCE_DIR} ${PROJECT_VERSION})
string(REGEX REPLACE "-([0-9]+)-g([0-9a-f]+)$" "+\\1.g\\2" S3UP_DEB_VERSION "${S3UP_VERSION}")

set(S3UP_PACKAGE_MAINTAINER "s3up authors <s3up@users.noreply.invalid>" CACHE STRING
    "The Debian package's Maintainer field (Name <email>)")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME s3up)
set(CPACK_PACKAGE_VERSION ${S3UP_DEB_VERSION})
set(CPACK_PACKAGE_VENDOR "s3up authors")
set(CPACK_PACKAGE_CONTACT "${S3UP_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "upload a directory tree to Amazon S3 or an S3-compatible endpoint")
set(CPACK_PACKAGE_INSTALL_DIRECTORY s3up)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)  # the binary without its debug information (RelWithDebInfo builds)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${S3UP_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # s3up_VERSION-1_ARCH.deb
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# HTTPS to AWS verifies certificates against the system's CA store.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "ca-certificates")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "bash-completion")
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)
# Debian's Description: CPack writes the summary line above, then this text (each line indented
# by one space).
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "s3up uploads a local directory tree to an Amazon S3 bucket, or any S3-compatible
endpoint (MinIO, Ceph RGW...), keeping the directory structure as object keys.
Many requests are in flight at once over keep-alive HTTP or HTTPS connections,
large files go in parts, and every body is checksummed and verified by the store
(CRC32C by default, Content-MD5 or the ETag where the store does not verify it).
Credentials come from the same places as aws-cli's. Every file is either
uploaded or reported as failed with its reason, and the exit status says which.")
include(CPack)
