export KC_CLI_PASSWORD=${{ADMIN_PASSWORD_ENV}}
# A short-lived JVM: small heap, quick start, no files (no perf data in /tmp, no kcadm config).
export KC_OPTS='-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:-UsePerfData -Xmx64m'
server=http://127.0.0.1:$KC_HTTP_PORT
