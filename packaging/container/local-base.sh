#!/bin/sh
# Builds a base image from this machine's JDK, for building packaging/Dockerfile where no registry
# can be reached (CI without network): a jlink'ed JRE at /opt/java/openjdk (where the Temurin images
# keep theirs), the shared libraries it and the shell tools need, /bin/sh, and useradd/groupadd.
#   packaging/container/local-base.sh [IMAGE]       (default localhost/guerrillad-base:17-local)
#   buildah bud --build-arg BASE_IMAGE=localhost/guerrillad-base:17-local -f packaging/Dockerfile .
# Needs buildah (Debian: apt-get install buildah), a JDK 17 with jmods and the jar (mvn package; its
# native libraries' dependencies are added); runs as root from the repository root.
set -eu
image=${1:-localhost/guerrillad-base:17-local}
jdk=${JDK_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}
# What the shaded jar needs (jdeps --print-module-deps), plus TLS's elliptic curves and DNS for JNDI.
modules=java.base,java.desktop,java.naming,java.rmi,java.security.jgss,java.security.sasl,java.sql,\
java.net.http,jdk.httpserver,jdk.jfr,jdk.management,jdk.net,jdk.unsupported,jdk.crypto.ec,jdk.naming.dns,jdk.zipfs
tools="/bin/sh /usr/bin/dirname /usr/bin/env /bin/mkdir /bin/chown /bin/chmod /bin/ls /bin/stat /usr/sbin/useradd /usr/sbin/groupadd /usr/sbin/nologin"

# The native libraries inside the jar (SQLite, Netty epoll) load shared libraries of their own.
jar=${GUERRILLAD_JAR:-target/guerrillad.jar}
natives=$(mktemp -d)
if [ -f "$jar" ]; then
    jar=$(cd "$(dirname "$jar")" && pwd)/$(basename "$jar")
    (cd "$natives" && "$jdk/bin/jar" xf "$jar" org/sqlite/native/Linux/x86_64 META-INF/native)
fi

ctr=$(buildah from scratch)
trap 'buildah rm "$ctr" >/dev/null 2>&1 || true; rm -rf "$natives"' EXIT
root=$(buildah mount "$ctr")
mkdir -p "$root/opt/java" "$root/etc" "$root/tmp" "$root/usr/bin" "$root/usr/sbin" "$root/bin"
chmod 1777 "$root/tmp"
"$jdk/bin/jlink" --module-path "$jdk/jmods" --add-modules "$modules" --strip-debug --no-header-files \
    --no-man-pages --output "$root/opt/java/openjdk"
# Every shared library the JRE and the tools load, with the dynamic loader, at their own paths.
libs=$( { for f in $tools "$root/opt/java/openjdk/bin/java" $(find "$root/opt/java/openjdk/lib" "$natives" -name '*.so'); do
            ldd "$f" 2>/dev/null; done; } | awk '/=> \//{print $3} /^\s*\/lib/{print $1}' | sort -u)
for f in $libs $tools /etc/login.defs /etc/nsswitch.conf; do
    cp -L --parents "$f" "$root/"
done
for l in bin sbin lib lib64; do
    [ -e "$root/$l" ] || ln -s "usr/$l" "$root/$l" 2>/dev/null || true
done
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$root/etc/passwd"
printf 'root:x:0:\n' > "$root/etc/group"
printf 'root:*:19000:0:99999:7:::\n' > "$root/etc/shadow"
printf 'root:*::\n' > "$root/etc/gshadow"
chmod 0640 "$root/etc/shadow" "$root/etc/gshadow"
buildah umount "$ctr" >/dev/null
buildah config --env JAVA_HOME=/opt/java/openjdk --env PATH=/opt/java/openjdk/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --label org.opencontainers.image.description="JRE 17 from $jdk, for building guerrillad offline" "$ctr"
buildah commit --quiet "$ctr" "$image"
echo "$image"
