#!/bin/bash
# keycloak/reconcile.sh, rendered by sovereign-matrix; do not edit.
#
# Keycloak imports realm.json only while the realm does not exist. This script brings an existing
# realm up to date with the rendered files, through Keycloak's admin CLI (kcadm.sh):
#   - the realm settings in {{REALM_SETTINGS_FILE}} (kcadm update realms/<realm>;
#     settings the file does not name keep their values);
#   - the client in {{CLIENT_FILE}}, updated in place (kcadm update clients/<id>), so its
#     internal id and the sessions that refer to it stay; created when it is missing; its default
#     and optional client scopes set to exactly the file's.
# Users, their credentials and everything else in the realm are never touched.
#
# It waits until Keycloak's readiness endpoint on the management port answers, then signs in to the
# master realm as the bootstrap administrator over the HTTP port on 127.0.0.1 (both ports from
# keycloak.env next to this file), once per kcadm call, storing no token. Exit status 0 when the
# realm matches the files, 1 otherwise (the last line says why).
#
# Environment (from Kubernetes Secrets): {{ADMIN_USERNAME_ENV}}, {{ADMIN_PASSWORD_ENV}}
# and {{CLIENT_SECRET_ENV}}, which replaces {{CLIENT_SECRET_REFERENCE}} in the client as Keycloak
# does for realm.json; the client goes to kcadm on its standard input, never in an argument or a
# file. KCADM overrides the path of the admin CLI.
set -uo pipefail
# No globbing: the unquoted expansions below split lists; they never name files.
set -f

REALM={{REALM}}
CLIENT_ID={{CLIENT_ID}}
DEFAULT_SCOPES=({{DEFAULT_SCOPES}})
OPTIONAL_SCOPES=({{OPTIONAL_SCOPES}})
PLACEHOLDER='{{CLIENT_SECRET_REFERENCE}}'
READY_PATH={{READY_PATH}}
KCADM=${KCADM:-{{KCADM_PATH}}}

log() { printf 'reconcile: %s\n' "$*"; }
fail() {
  log "FAILED: $*" >&2
  exit 1
}

{{SCRIPT_DIR}}

KC_HTTP_PORT=''
KC_HTTP_MANAGEMENT_PORT=''
while IFS='=' read -r key value; do
  case $key in
    KC_HTTP_PORT) KC_HTTP_PORT=$value ;;
    KC_HTTP_MANAGEMENT_PORT) KC_HTTP_MANAGEMENT_PORT=$value ;;
  esac
done <"$dir/keycloak.env"
[[ $KC_HTTP_PORT =~ ^[0-9]+$ && $KC_HTTP_MANAGEMENT_PORT =~ ^[0-9]+$ ]] || fail "$dir/keycloak.env names no KC_HTTP_PORT or KC_HTTP_MANAGEMENT_PORT"
for name in {{ADMIN_USERNAME_ENV}} {{ADMIN_PASSWORD_ENV}} {{CLIENT_SECRET_ENV}}; do
  [[ -n ${!name:-} ]] || fail "the environment variable $name is empty or not set"
done

secret=${{CLIENT_SECRET_ENV}}
if [[ $secret == *[\"\\]* || $secret == *[[:cntrl:]]* ]]; then
  fail '{{CLIENT_SECRET_ENV}} holds a quote, a backslash or a control character, which a JSON string cannot take as it is'
fi
client=$(<"$dir/{{CLIENT_FILE}}") || fail "cannot read $dir/{{CLIENT_FILE}}"
[[ $client == *"$PLACEHOLDER"* ]] || fail "$dir/{{CLIENT_FILE}} has no $PLACEHOLDER"
client=${client//"$PLACEHOLDER"/"$secret"}
[[ $client != *'${'* ]] || fail "$dir/{{CLIENT_FILE}} refers to another variable than $PLACEHOLDER"

# Keycloak's readiness, in bash alone (the image has no curl): one HTTP/1.1 GET, status line only.
ready() {
  local status=''
  { exec 3<>"/dev/tcp/127.0.0.1/$KC_HTTP_MANAGEMENT_PORT"; } 2>/dev/null || return 1
  printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$READY_PATH" >&3
  IFS= read -r -t 10 status <&3
  exec 3>&-
  [[ $status == 'HTTP/1.1 200'* ]]
}

log "waiting for Keycloak to be ready (http://127.0.0.1:$KC_HTTP_MANAGEMENT_PORT$READY_PATH)"
waited=0
until ready; do
  sleep 5
  waited=$((waited + 5))
  if ((waited % 60 == 0)); then log "still waiting for Keycloak after $waited s"; fi
done

{{KCADM_SESSION}}
# kcadm with a time limit, signed in for this one call (--no-config). Its "Logging into" line is
# dropped; any other message it prints goes to the log.
kcadm() {
  local err rc line
  { err=$(timeout 120 "$KCADM" "$@" --no-config --server "$server" --realm master --user "${{ADMIN_USERNAME_ENV}}" 2>&1 1>&3 3>&-); rc=$?; } 3>&1
  local IFS=$'\n'
  for line in $err; do
    [[ $line == 'Logging into '* ]] || log "kcadm: $line" >&2
  done
  ((rc != 124)) || log "kcadm: no answer within 120 s" >&2
  return "$rc"
}
log "Keycloak is ready; signing in to $server as ${{ADMIN_USERNAME_ENV}} (realm master)"

# The realm's settings. Unchanged means: the realm as Keycloak returns it is the same before and
# after the update.
before=$(kcadm get "realms/$REALM" -c) ||
  fail "cannot sign in as ${{ADMIN_USERNAME_ENV}} or read realm $REALM; 'Invalid user credentials' means the password in the Secret keycloak-admin is not the administrator's, or that administrator was deleted"
after=$(kcadm update "realms/$REALM" -f "$dir/{{REALM_SETTINGS_FILE}}" -o -c) || fail "cannot update the settings of realm $REALM"
if [[ $after == "$before" ]]; then log "realm $REALM: settings already as rendered"; else log "realm $REALM: settings updated"; fi

# The client (its representation holds the secret: it is compared, never printed).
found=$(kcadm get clients -r "$REALM" -q "clientId=$CLIENT_ID" -c) || fail "cannot look up client $CLIENT_ID"
if [[ $found == '[]' ]]; then
  id=$(printf '%s' "$client" | kcadm create clients -r "$REALM" -f - -i) || fail "cannot create client $CLIENT_ID"
  log "client $CLIENT_ID: created (id $id)"
  found=$(kcadm get clients -r "$REALM" -q "clientId=$CLIENT_ID" -c) || fail "cannot look up client $CLIENT_ID"
fi
[[ $found =~ ^\[\{\"id\":\"([0-9A-Za-z-]+)\" ]] || fail "unexpected answer when looking up client $CLIENT_ID"
id=${BASH_REMATCH[1]}
current=${found#[}
current=${current%]}
after=$(printf '%s' "$client" | kcadm update "clients/$id" -r "$REALM" -f - -o -c) || fail "cannot update client $CLIENT_ID"
if [[ $after == "$current" ]]; then log "client $CLIENT_ID: already as rendered"; else log "client $CLIENT_ID: updated (id $id kept)"; fi

# Its client scopes, which the update leaves alone: exactly the rendered ones.
declare -A desired=() present=()
wanted=() had=()
for scope in "${DEFAULT_SCOPES[@]}"; do desired[$scope]=default wanted+=("default:$scope"); done
for scope in "${OPTIONAL_SCOPES[@]}"; do desired[$scope]=optional wanted+=("optional:$scope"); done
for kind in default optional; do
  re="\"${kind}ClientScopes\":\\[([^]]*)\\]"
  [[ $current =~ $re ]] || fail "the answer for client $CLIENT_ID names no ${kind}ClientScopes"
  IFS=,
  for scope in ${BASH_REMATCH[1]//\"/}; do present[$scope]=$kind had+=("$kind:$scope"); done
  unset IFS
done
remove=() add=()
for item in "${had[@]}"; do [[ ${desired[${item#*:}]:-} == "${item%%:*}" ]] || remove+=("$item"); done
for item in "${wanted[@]}"; do [[ ${present[${item#*:}]:-} == "${item%%:*}" ]] || add+=("$item"); done
if ((${#remove[@]} + ${#add[@]} == 0)); then
  log "client $CLIENT_ID: client scopes already as rendered"
else
  listed=$(kcadm get client-scopes -r "$REALM" --fields id,name --format csv --noquotes) || fail "cannot list the client scopes of realm $REALM"
  declare -A scope_id=()
  IFS=$'\n'
  for line in $listed; do scope_id[${line#*,}]=${line%%,*}; done
  unset IFS
  for item in "${remove[@]}"; do
    kind=${item%%:*} scope=${item#*:}
    kcadm delete "clients/$id/$kind-client-scopes/${scope_id[$scope]:-?}" -r "$REALM" || fail "cannot remove the $kind client scope $scope from client $CLIENT_ID"
    log "client $CLIENT_ID: removed $kind client scope $scope"
  done
  for item in "${add[@]}"; do
    kind=${item%%:*} scope=${item#*:}
    [[ -n ${scope_id[$scope]:-} ]] || fail "realm $REALM has no client scope $scope"
    kcadm update "clients/$id/$kind-client-scopes/${scope_id[$scope]}" -r "$REALM" || fail "cannot add the $kind client scope $scope to client $CLIENT_ID"
    log "client $CLIENT_ID: added $kind client scope $scope"
  done
fi

log "done: realm $REALM has the rendered settings and client; users and their credentials were not touched"
