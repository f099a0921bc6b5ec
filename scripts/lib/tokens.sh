# Sourced by scripts/stack.sh and scripts/compose-setup.sh: makes sure a named exporter token
# exists and that its secret is in a file, creating (or re-creating) it only when needed.
#
# The caller sets:
#   TOKEN_CLI     array: the exporter command that takes `token create|revoke …`, e.g.
#                 (node exporter/dist/main.js) or (docker compose exec -T exporter hyperion-exporter)
#   TOKEN_ARGS    array: extra arguments for every token command (e.g. --storage.path=DIR)
#   EXPORTER_URL  where the running exporter answers, to check that a kept secret still works
#
# Secrets are only ever written to files (0600 unless TOKEN_FILE_MODE says otherwise), never
# printed or passed on a command line.

# http_status URL [TOKEN_FILE]: prints the HTTP status of a GET (000 when nothing answers),
# sent with the token in TOKEN_FILE as a bearer token when given.
http_status() {
  local url=$1 token_file=${2:-}
  if command -v curl >/dev/null 2>&1; then
    local auth=() header=''
    if [[ -n $token_file ]]; then
      # The secret reaches curl through a private header file, never through its arguments.
      header=$(umask 077 && mktemp)
      printf 'Authorization: Bearer %s\n' "$(tr -d '\n' <"$token_file")" >"$header"
      auth=(-H "@$header")
    fi
    curl -s -o /dev/null -w '%{http_code}' --max-time 5 "${auth[@]}" "$url" || true
    [[ -z $header ]] || rm -f "$header"
  else
    HYPERION_URL=$url HYPERION_TOKEN_FILE=$token_file node -e '
      const fs = require("node:fs");
      const file = process.env.HYPERION_TOKEN_FILE;
      const headers = file ? { authorization: `Bearer ${fs.readFileSync(file, "utf8").trim()}` } : {};
      fetch(process.env.HYPERION_URL, { headers, signal: AbortSignal.timeout(5000) })
        .then((r) => console.log(r.status), () => console.log("000"));
    '
  fi
}

# token_works FILE: whether the running exporter accepts the secret in FILE.
token_works() {
  [[ -s $1 ]] && [[ $(http_status "$EXPORTER_URL/api/v1/hosts" "$1") == 200 ]]
}

# ensure_token NAME ROLE grafana|plain FILE
ensure_token() {
  local name=$1 role=$2 kind=$3 file=$4 secret
  if token_works "$file"; then
    return 0
  fi
  local flags=(--name "$name" --role "$role")
  [[ $kind == grafana ]] && flags+=(--grafana)
  # A token of that name whose secret we no longer hold is useless: replace it.
  "${TOKEN_CLI[@]}" token revoke "$name" "${TOKEN_ARGS[@]}" >/dev/null 2>&1 || true
  if ! secret=$("${TOKEN_CLI[@]}" token create "${flags[@]}" "${TOKEN_ARGS[@]}" 2>/dev/null); then
    echo "tokens: could not create the $role token \"$name\" with: ${TOKEN_CLI[*]} token create" >&2
    return 1
  fi
  mkdir -p "$(dirname "$file")"
  (umask 077 && printf '%s' "$secret" >"$file")
  chmod "${TOKEN_FILE_MODE:-0600}" "$file"
  # The CLI writes to a data directory; make sure it is the one the running exporter reads.
  if ! token_works "$file"; then
    echo "tokens: the exporter does not accept the new token \"$name\": did \`${TOKEN_CLI[*]} token create\` write to another data directory than the exporter's (${TOKEN_ARGS[*]:-its default})?" >&2
    return 1
  fi
  echo "tokens: created the $role token \"$name\" in $file" >&2
}
