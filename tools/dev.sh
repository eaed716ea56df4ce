#!/usr/bin/env bash
# Development and CI entry point for the crm_relationship add-ons.
#
#   tools/dev.sh run [--reset]   serve Odoo with crm_relationship and its demo data
#   tools/dev.sh test            fresh database, linters, pytest-odoo test run
#   tools/dev.sh shell           Odoo shell on the demo database
#   tools/dev.sh stop            stop the private PostgreSQL cluster
#
# Everything lives in .state/ (git-ignored): the PostgreSQL cluster, the Odoo
# configuration, filestore and logs.  Environment variables:
#   ODOO_SRC        an Odoo 19.0 source tree to install when `import odoo` fails
#   ODOO_ADDONS     Odoo's addons folder(s), comma separated (default: found
#                   beside the installed `odoo` package)
#   CRM_PGPORT      port of the private cluster (default 54329)
#   CRM_HTTP_PORT   port Odoo serves on (default 8069)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STATE=$ROOT/.state
PGDATA=$STATE/pgdata
PGSOCK=$STATE/pgsock
PGPORT=${CRM_PGPORT:-54329}
HTTP_PORT=${CRM_HTTP_PORT:-8069}
DB_RUN=${CRM_DB:-crm_relationship_demo}
DB_TEST=${CRM_TEST_DB:-crm_relationship_test}
DB_TEST_BASE=${DB_TEST}_base
MODULES=${CRM_MODULES:-crm_relationship,crm_relationship_mrp}
CONF=$STATE/odoo.conf
PY=${PYTHON:-python3}
export PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf '\033[31mERROR: %s\033[0m\n' "$*" >&2; exit 1; }

as_root() { [ "$(id -u)" = 0 ]; }

apt_install() {
    as_root && command -v apt-get >/dev/null || return 1
    say "Installing Debian packages: $*"
    if [ ! -f "$STATE/.apt-updated" ]; then
        apt-get update -q >"$STATE/apt.log" 2>&1 || return 1
        touch "$STATE/.apt-updated"
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >>"$STATE/apt.log" 2>&1
}

check_python() {
    command -v "$PY" >/dev/null || die "python3 not found: install Python 3.11 or newer."
    "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
        || die "Python 3.11 or newer is required ($("$PY" --version) found)."
}

odoo_version() {
    (cd / && "$PY" -c 'import odoo.release as r; print(r.version)' 2>/dev/null) || true
}

ensure_odoo() {
    local version
    version=$(odoo_version)
    if [ -z "$version" ] && [ -n "${ODOO_SRC:-}" ]; then
        [ -f "$ODOO_SRC/odoo/release.py" ] || die "ODOO_SRC=$ODOO_SRC is not an Odoo source tree (no odoo/release.py)."
        say "Installing Odoo from $ODOO_SRC"
        "$PY" -m pip install -q wheel setuptools
        "$PY" -m pip install -q --no-deps --no-build-isolation -e "$ODOO_SRC" \
            || die "pip could not install Odoo from $ODOO_SRC."
        version=$(odoo_version)
    fi
    if [ -z "$version" ]; then
        die "Odoo 19.0 cannot be imported by $PY.
  Odoo is not on PyPI. Get the Odoo 19.0 Community source (for example
  'git clone --depth 1 -b 19.0 https://github.com/odoo/odoo'), then either
    ODOO_SRC=/path/to/odoo make test      (installs it with pip -e), or
    pip install -e /path/to/odoo          (once, by hand)."
    fi
    case $version in
        19.0*) ;;
        *) die "Odoo $version is installed, crm_relationship needs Odoo 19.0." ;;
    esac
}

ensure_requirements() {
    local stamp=$STATE/.requirements.sha
    local sum
    sum=$(cat "$ROOT/requirements.txt" "$ROOT/requirements-dev.txt" | sha256sum | cut -d' ' -f1)
    if [ "$(cat "$stamp" 2>/dev/null)" != "$sum" ]; then
        say "Installing Python requirements"
        "$PY" -m pip install -q -r "$ROOT/requirements.txt" -r "$ROOT/requirements-dev.txt" \
            || die "pip could not install requirements.txt / requirements-dev.txt."
        echo "$sum" >"$stamp"
    fi
    (cd / && "$PY" -c 'import odoo.addons.base, pytest_odoo, websocket, psycopg2') \
        || die "Odoo's Python dependencies are incomplete: run '$PY -m pip install -r requirements.txt'."
}

ensure_chromium() {
    command -v chromium >/dev/null || command -v chromium-browser >/dev/null \
        || command -v google-chrome >/dev/null || apt_install chromium \
        || die "Headless Chromium is needed for the browser tests: install Debian's 'chromium' package."
}

pg_bindir() {
    local d
    for d in "${PG_BINDIR:-}" "$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/x)")" \
             $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV); do
        [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { echo "$d"; return; }
    done
}

# Run a PostgreSQL server binary; PostgreSQL refuses to run as root, so root
# runs it as the unprivileged `postgres` system user.
pg_run() {
    if as_root; then
        runuser -u "${CRM_PGUSER:-postgres}" -- "$@"
    else
        "$@"
    fi
}

ensure_postgres() {
    local bindir
    bindir=$(pg_bindir)
    if [ -z "$bindir" ]; then
        apt_install postgresql || die "PostgreSQL server binaries (initdb, pg_ctl) not found: install Debian's 'postgresql' package or set PG_BINDIR."
        bindir=$(pg_bindir)
    fi
    if as_root && ! id "${CRM_PGUSER:-postgres}" >/dev/null 2>&1; then
        useradd --system --no-create-home "${CRM_PGUSER:-postgres}"
    fi
    mkdir -p "$STATE/logs"
    # The server runs as ${CRM_PGUSER:-postgres}: it must be able to reach .state/.
    if as_root && ! runuser -u "${CRM_PGUSER:-postgres}" -- test -x "$STATE"; then
        local dir=$STATE
        while [ "$dir" != / ]; do
            chmod o+x "$dir"
            dir=$(dirname "$dir")
        done
        runuser -u "${CRM_PGUSER:-postgres}" -- test -x "$STATE" \
            || die "The user ${CRM_PGUSER:-postgres} cannot reach $STATE: move the project to a readable folder."
    fi
    if [ ! -f "$PGDATA/PG_VERSION" ]; then
        say "Creating the private PostgreSQL cluster in .state/pgdata"
        rm -rf "$PGDATA"
        mkdir -p "$PGDATA" "$PGSOCK"
        as_root && chown "${CRM_PGUSER:-postgres}" "$PGDATA" "$PGSOCK" && chmod 755 "$STATE"
        pg_run "$bindir/initdb" -D "$PGDATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
            >"$STATE/logs/initdb.log" 2>&1 || die "initdb failed, see .state/logs/initdb.log"
        cat >>"$PGDATA/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PGPORT
unix_socket_directories = '$PGSOCK'
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 256MB
work_mem = 32MB
max_connections = 100
CONF
    fi
    if ! pg_run "$bindir/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
        say "Starting PostgreSQL on 127.0.0.1:$PGPORT"
        touch "$STATE/logs/postgres.log"
        as_root && chown "${CRM_PGUSER:-postgres}" "$STATE/logs/postgres.log"
        pg_run "$bindir/pg_ctl" -D "$PGDATA" -l "$STATE/logs/postgres.log" -w start >/dev/null \
            || die "PostgreSQL did not start, see .state/logs/postgres.log"
    fi
    local psql_bin=$bindir/psql
    [ -x "$psql_bin" ] || psql_bin=$(command -v psql) || die "psql not found: install Debian's 'postgresql-client' package."
    local psql=("$psql_bin" -h 127.0.0.1 -p "$PGPORT" -U postgres -d postgres -qtA)
    if [ "$("${psql[@]}" -c "SELECT 1 FROM pg_roles WHERE rolname = 'odoo'")" != 1 ]; then
        "${psql[@]}" -c "CREATE ROLE odoo LOGIN CREATEDB PASSWORD 'odoo'" >/dev/null
    fi
    PSQL=("$psql_bin" -h 127.0.0.1 -p "$PGPORT" -U odoo -d postgres -qtA)
    export PGHOST=127.0.0.1 PGPORT PGUSER=odoo PGPASSWORD=odoo
}

addons_path() {
    local odoo_dir
    odoo_dir=$(cd / && "$PY" -c 'import odoo, os; print(os.path.realpath(list(odoo.__path__)[0]))')
    local paths=${ODOO_ADDONS:-}
    if [ -z "$paths" ]; then
        [ -d "$odoo_dir/../addons/sale_stock" ] \
            || die "Odoo's addons folder (with sale_stock) was not found beside $odoo_dir: set ODOO_ADDONS."
        paths=$(cd "$odoo_dir/../addons" && pwd)
    fi
    echo "$paths,$odoo_dir/addons,$ROOT"
}

write_config() {
    mkdir -p "$STATE/data"
    cat >"$CONF" <<CONF
[options]
addons_path = $(addons_path)
data_dir = $STATE/data
db_host = 127.0.0.1
db_port = $PGPORT
db_user = odoo
db_password = odoo
http_interface = 127.0.0.1
http_port = $HTTP_PORT
list_db = False
without_demo = False
CONF
}

setup() {
    mkdir -p "$STATE/logs"
    check_python
    ensure_odoo
    ensure_requirements
    ensure_postgres
    write_config
}

db_exists() {
    [ "$("${PSQL[@]}" -c "SELECT 1 FROM pg_database WHERE datname = '$1'")" = 1 ]
}

drop_db() {
    if db_exists "$1"; then
        "${PSQL[@]}" -c "DROP DATABASE \"$1\" WITH (FORCE)" >/dev/null
    fi
    rm -rf "$STATE/data/filestore/$1"
}

# Odoo modules our add-ons depend on (their manifests' depends, minus our own).
base_modules() {
    (cd "$ROOT" && "$PY" - crm_relationship*/__manifest__.py <<'PYEOF'
import ast, os, sys
ours = {os.path.basename(os.path.dirname(p)) for p in sys.argv[1:]}
deps = set()
for path in sys.argv[1:]:
    deps |= set(ast.literal_eval(open(path).read()).get("depends", []))
print(",".join(sorted(deps - ours)))
PYEOF
)
}

# A database with Odoo's own modules (and their demo data) but not ours: the
# "existing company" our add-ons are installed into.
build_base_db() {
    local db=$1 log=$STATE/logs/install-$1.log modules
    modules=$(base_modules)
    drop_db "$db"
    say "Creating database $db with Odoo's $modules and their demo data (log: .state/logs/install-$db.log)"
    (cd / && "$PY" -m odoo -c "$CONF" -d "$db" -i "$modules" --with-demo --stop-after-init \
        --log-level=warn --logfile="$log") || die "Odoo could not install $modules, see $log"
}

copy_db() {
    drop_db "$2"
    "${PSQL[@]}" -c "CREATE DATABASE \"$2\" TEMPLATE \"$1\"" >/dev/null
    if [ -d "$STATE/data/filestore/$1" ]; then
        mkdir -p "$STATE/data/filestore"
        cp -r "$STATE/data/filestore/$1" "$STATE/data/filestore/$2"
    fi
}

# Install the add-ons into database $1 (created from template $2 if given, with
# demo data otherwise) and fail on any warning or error that our add-ons cause
# in the install log.
install_db() {
    local db=$1 template=${2:-} log=$STATE/logs/install-$1.log
    [ -n "$template" ] && copy_db "$template" "$db"
    say "Installing $MODULES with demo data into database $db (log: .state/logs/install-$db.log)"
    (cd / && "$PY" -m odoo -c "$CONF" -d "$db" -i "$MODULES" --with-demo --stop-after-init \
        --log-level=info --logfile="$log") || die "Odoo could not install $MODULES, see $log"
    if grep -E '^[0-9-]+ [0-9:,]+ [0-9]+ (WARNING|ERROR|CRITICAL) ' "$log" \
            | grep -E 'crm_relationship|crm\.relationship'; then
        die "The install log shows warnings or errors from our add-ons (above, full log in $log)."
    fi
    if grep -qE '^[0-9-]+ [0-9:,]+ [0-9]+ (ERROR|CRITICAL) ' "$log"; then
        grep -E '^[0-9-]+ [0-9:,]+ [0-9]+ (ERROR|CRITICAL) ' "$log" >&2
        die "The install log shows errors (above, full log in $log)."
    fi
}

cmd_run() {
    local reset=0
    [ "${1:-}" = "--reset" ] && reset=1
    setup
    [ $reset = 1 ] && { say "Dropping database $DB_RUN"; drop_db "$DB_RUN"; }
    db_exists "$DB_RUN" || install_db "$DB_RUN"
    say "Odoo serves database $DB_RUN on http://localhost:$HTTP_PORT  (login: admin / password: admin)"
    cd / && exec "$PY" -m odoo -c "$CONF" -d "$DB_RUN" --db-filter="^$DB_RUN\$" -u "$MODULES" --log-level=info
}

cmd_lint() {
    say "Linting (ruff, pylint-odoo)"
    (cd "$ROOT" && "$PY" -m ruff check . && "$PY" -m ruff format --check .) \
        || die "ruff found problems (run 'ruff check --fix . && ruff format .')."
    (cd "$ROOT" && "$PY" tools/gen_readme.py --check) \
        || die "The add-ons' README.rst / index.html are out of date: run 'python3 tools/gen_readme.py'."
    local addons
    addons=$(cd "$ROOT" && ls -d crm_relationship*/ | tr -d /)
    # shellcheck disable=SC2086
    (cd "$ROOT" && "$PY" -m pylint --rcfile=.pylintrc --score=n $addons) \
        || die "pylint-odoo found problems (above)."
}

# Build each add-on as a wheel (whool, as OCA does) and check that pip can
# install it next to Odoo, under odoo/addons/<name>.
cmd_wheels() {
    say "Building the add-ons' wheels (whool)"
    local dist=$STATE/dist target=$STATE/wheel-check addon
    rm -rf "$dist" "$target"
    for addon in "$ROOT"/crm_relationship*/; do
        addon=$(basename "$addon")
        [ -f "$ROOT/$addon/pyproject.toml" ] || die "$addon has no pyproject.toml: it cannot be built as a wheel."
        (cd "$ROOT/$addon" && "$PY" -m build --wheel --no-isolation --outdir "$dist" . >"$STATE/logs/wheel-$addon.log" 2>&1) \
            || die "The wheel of $addon does not build, see .state/logs/wheel-$addon.log"
        "$PY" -m pip install -q --no-deps --target "$target/$addon" "$dist"/odoo_addon_"$addon"-*.whl \
            || die "pip cannot install the wheel of $addon."
        [ -f "$target/$addon/odoo/addons/$addon/__manifest__.py" ] \
            || die "The wheel of $addon does not contain odoo/addons/$addon."
        echo "  $(basename "$dist"/odoo_addon_"$addon"-*.whl)"
    done
}

cmd_test() {
    setup
    ensure_chromium
    cmd_lint
    cmd_wheels
    build_base_db "$DB_TEST_BASE"
    install_db "$DB_TEST" "$DB_TEST_BASE"
    say "Running the tests with pytest-odoo"
    local junit=$STATE/pytest-junit.xml addons
    rm -f "$junit"
    addons=$(cd "$ROOT" && ls -d crm_relationship*/tests | tr '\n' ' ')
    # Odoo's own tests of the apps we extend run as a peer suite in the same
    # database: our add-ons must not break them.
    local odoo_addons peers
    odoo_addons=$(addons_path | cut -d, -f1)
    peers="$odoo_addons/sale_stock/tests"
    case ",$MODULES," in
        *,crm_relationship_mrp,*) peers="$peers $odoo_addons/mrp/tests/test_traceability.py" ;;
    esac
    local rc=0
    # shellcheck disable=SC2086
    (cd "$ROOT" && CRM_ODOO_CONF="$CONF" CRM_TEST_BASE_DB="$DB_TEST_BASE" CRM_MODULES="$MODULES" \
        "$PY" -m pytest -p no:cacheprovider --odoo-database="$DB_TEST" --odoo-config="$CONF" \
        --odoo-http --odoo-log-level=warn --junitxml="$junit" -rfEs $addons tests_integration $peers "$@") || rc=$?
    [ $rc = 5 ] && die "pytest collected no test."
    [ $rc = 0 ] || die "tests failed (pytest exit code $rc)."
    local skipped
    skipped=$("$PY" -c 'import sys, xml.etree.ElementTree as E
r = E.parse(sys.argv[1]).getroot()
print(sum(int(s.get("skipped", 0)) for s in r.iter("testsuite")))' "$junit")
    [ "$skipped" = 0 ] || die "$skipped test(s) were skipped: every test must run (is chromium or websocket-client missing?)."
    say "All tests passed."
}

cmd_shell() {
    setup
    db_exists "$DB_RUN" || install_db "$DB_RUN"
    cd / && exec "$PY" -m odoo shell -c "$CONF" -d "$DB_RUN" --no-http
}

cmd_stop() {
    local bindir
    bindir=$(pg_bindir)
    [ -f "$PGDATA/PG_VERSION" ] && pg_run "$bindir/pg_ctl" -D "$PGDATA" stop -m fast || true
}

case ${1:-} in
    run) shift; cmd_run "$@" ;;
    test) shift; cmd_test "$@" ;;
    lint) shift; setup; cmd_lint ;;
    wheels) shift; setup; cmd_wheels ;;
    shell) shift; cmd_shell ;;
    setup) setup ;;
    stop) cmd_stop ;;
    *) echo "usage: $0 run [--reset] | test [pytest args] | lint | wheels | shell | setup | stop" >&2; exit 2 ;;
esac
