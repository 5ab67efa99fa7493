#!/bin/bash
# keycloak/create-user.sh, rendered by sovereign-matrix; do not edit.
#
# Creates a user in Keycloak's realm {{REALM}}, for example the first administrator, after deploy:
#
#   {{COMMAND}}
#
# The user is enabled, has <email> as a verified e-mail address and a generated temporary password,
# which is printed once, here, and nowhere else; Keycloak requires a new password at the first login
# (and, as its default user profile requires them, the first and last name). At that first login,
# through Element Web (https://{{WEB_HOST}}/) and Matrix Authentication Service, MAS creates
# the Matrix account @<username>:{{SERVER_NAME}}; `mas-cli manage promote-admin <username>` in the
# mas deployment then makes it an administrator.
#
# <username> becomes the Matrix localpart and never changes: a-z, 0-9, '.', '_' and '-' (a Matrix
# localpart may also hold '=' and '/', Keycloak's usernames may not), at least 3 characters (Keycloak)
# and at most {{MAX_LOCALPART_LENGTH}} (@<username>:{{SERVER_NAME}} is at most 255), not beginning with '_' and not
# only digits (Synapse reserves both). Inputs are checked before any call to Keycloak.
#
# It signs in to the master realm as the bootstrap administrator ({{ADMIN_USERNAME_ENV}} and
# {{ADMIN_PASSWORD_ENV}} from the environment, the password handed to kcadm.sh in KC_CLI_PASSWORD, never
# in an argument) over Keycloak's HTTP port on 127.0.0.1 (from keycloak.env next to this script),
# storing no token. The new user, with the temporary password, goes to kcadm.sh on its standard
# input. Exit status 0 when the user was created; otherwise 1 (2 for wrong arguments), nothing is
# created, and one line says why. KCADM overrides the path of the admin CLI.
set -uo pipefail
set -f

REALM={{REALM}}
MAX_LENGTH={{MAX_LOCALPART_LENGTH}}
ALPHABET={{PASSWORD_ALPHABET}}
PASSWORD_GROUPS={{PASSWORD_GROUPS}}
KCADM=${KCADM:-{{KCADM_PATH}}}

# One line on standard error; exit status 1, or 2 for wrong arguments (refuse).
fail() {
  printf 'create-user: FAILED: %s\n' "$*" >&2
  exit 1
}
refuse() {
  printf 'create-user: FAILED: %s\n' "$*" >&2
  exit 2
}

if (($# != 2)); then
  refuse "usage: {{USAGE}}"
fi
username=$1
# Keycloak stores e-mail addresses in lowercase.
email=${2,,}

# The username: a Matrix localpart that Keycloak accepts as a username as well.
if [[ ! $username =~ ^[a-z0-9._=/-]+$ ]]; then
  refuse "username '${username//[^[:print:]]/?}' is not a Matrix localpart: only lowercase a-z, 0-9 and . _ = - / are allowed"
elif [[ $username == *[=/]* ]]; then
  refuse "username '$username': Keycloak does not accept '=' or '/' in a username; use a-z, 0-9, '.', '_' and '-'"
elif [[ $username == _* ]]; then
  refuse "username '$username' begins with '_', which Synapse reserves for application services"
elif [[ $username =~ ^[0-9]+$ ]]; then
  refuse "username '$username' is only digits, which Synapse reserves for guests"
elif ((${#username} < 3)); then
  refuse "username '$username' is shorter than 3 characters, the least Keycloak accepts"
elif ((${#username} > MAX_LENGTH)); then
  refuse "username '${username:0:20}...' is longer than $MAX_LENGTH characters: @<username>:{{SERVER_NAME}} would exceed 255"
fi
# The e-mail address: a plain address (also safe in the JSON below: no quote, backslash or space).
if [[ ! $email =~ ^[A-Za-z0-9._%+-]+@[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$ ]] || ((${#email} > 254)); then
  refuse "'${email//[^[:print:]]/?}' is not an e-mail address this script accepts (letters, digits and . _ % + - before the @, a domain name after it)"
fi

{{SCRIPT_DIR}}
KC_HTTP_PORT=''
[[ -r $dir/keycloak.env ]] || fail "cannot read $dir/keycloak.env"
while IFS='=' read -r key value; do
  [[ $key != KC_HTTP_PORT ]] || KC_HTTP_PORT=$value
done <"$dir/keycloak.env"
[[ $KC_HTTP_PORT =~ ^[0-9]+$ ]] || fail "$dir/keycloak.env names no KC_HTTP_PORT"
for name in {{ADMIN_USERNAME_ENV}} {{ADMIN_PASSWORD_ENV}}; do
  [[ -n ${!name:-} ]] || fail "the environment variable $name is empty or not set; run this in the {{CONTAINER}} container of the Keycloak pod"
done

# The temporary password: random bytes from the kernel, 5 bits of each (32 characters, no bias).
bytes=($(od -An -tu1 -N$((PASSWORD_GROUPS * 5)) /dev/urandom)) || fail 'cannot read /dev/urandom'
((${#bytes[@]} == PASSWORD_GROUPS * 5)) || fail 'cannot read /dev/urandom'
password=''
for ((i = 0; i < ${#bytes[@]}; i++)); do
  ((i == 0 || i % 5)) || password+=-
  password+=${ALPHABET:$((bytes[i] % 32)):1}
done
unset bytes

{{KCADM_SESSION}}

# One call: the user with its credential, so a refusal leaves nothing behind. kcadm's messages are
# kept (its "Logging into" line dropped) and folded into the one line that says why.
user=$(printf '{"username":"%s","email":"%s","emailVerified":true,"enabled":true,"requiredActions":["UPDATE_PASSWORD"],"credentials":[{"type":"password","value":"%s","temporary":true}]}' "$username" "$email" "$password")
err=$(printf '%s' "$user" | timeout 120 "$KCADM" create users -r "$REALM" -f - --no-config --server "$server" --realm master --user "${{ADMIN_USERNAME_ENV}}" 2>&1 >/dev/null)
rc=$?
unset user
if ((rc != 0)); then
  message=''
  while IFS= read -r line; do
    [[ $line == 'Logging into '* || -z $line ]] || message+=${message:+; }$line
  done <<<"$err"
  case $message in
    *'Invalid user credentials'*) fail "cannot sign in to Keycloak as ${{ADMIN_USERNAME_ENV}} (realm master): $message; the password in the Secret keycloak-admin is not the administrator's, or that administrator was deleted" ;;
    *'User exists with same username'*) fail "user $username already exists in realm $REALM; nothing changed" ;;
    *'User exists with same email'*) fail "another user of realm $REALM has the e-mail address $email; nothing changed" ;;
    *'Failed to send request'* | *'Connection refused'*) fail "cannot reach Keycloak at $server: $message; is the keycloak container of this pod ready?" ;;
    *) ((rc != 124)) || message='no answer within 120 s'; fail "Keycloak did not create user $username in realm $REALM: ${message:-kcadm.sh exited with status $rc}" ;;
  esac
fi

printf 'create-user: created user %s in realm %s: enabled, e-mail %s (verified)\n' "$username" "$REALM" "$email"
printf 'create-user: temporary password, shown only now: %s\n' "$password"
printf 'create-user: next, log in at https://%s/ as %s with it; Keycloak asks for a new password (and the first and last name), then MAS creates @%s:%s. Then make it an administrator: mas-cli manage promote-admin %s (in deploy/mas)\n' {{WEB_HOST}} "$username" "$username" {{SERVER_NAME}} "$username"
