#!/usr/bin/env bash
# Start a local PostgreSQL for the store tests (idempotent): install Debian's server if missing
# (root only), start or create the cluster, then make the role and database the tests use.
# Where that is impossible without root, say so and exit 0: the PostgreSQL tests then skip.
set -euo pipefail

ROLE=greentrade
PASSWORD=greentrade
DB=greentrade_test
HOST=127.0.0.1

say() { echo "start_postgres: $*" >&2; }
give_up() {
    if [[ $EUID -eq 0 ]]; then
        say "error: $*"
        exit 1
    fi
    say "$* (not root: PostgreSQL tests will be skipped)"
    exit 0
}

server_bin() { compgen -G '/usr/lib/postgresql/*/bin/postgres' | sort -V | tail -n 1 || true; }

if [[ -z "$(server_bin)" ]]; then
    [[ $EUID -eq 0 ]] || give_up "PostgreSQL server not installed; run as root or: apt-get install postgresql"
    say "installing PostgreSQL server"
    install=(apt-get install -y --no-install-recommends postgresql)
    if ! DEBIAN_FRONTEND=noninteractive "${install[@]}"; then
        apt-get update
        DEBIAN_FRONTEND=noninteractive "${install[@]}"
    fi
fi
bin=$(server_bin)
[[ -n "$bin" ]] || give_up "no PostgreSQL server binary in /usr/lib/postgresql/*/bin"
version=$(basename "$(dirname "$(dirname "$bin")")")

# As postgres (peer authentication over the local socket): root switches user, postgres runs directly.
as_postgres() {
    if [[ $(id -un) == postgres ]]; then
        "$@"
    elif [[ $EUID -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        return 1
    fi
}

if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" { found = 1 } END { exit !found }'; then
    [[ $EUID -eq 0 ]] || give_up "no PostgreSQL $version cluster 'main'; run this script as root once"
    say "creating cluster $version/main"
    pg_createcluster "$version" main
fi
port=$(pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" { print $3 }')

if ! pg_isready -q -h "$HOST" -p "$port" && ! pg_ctlcluster "$version" main status >/dev/null 2>&1; then
    say "starting cluster $version/main on port $port"
    if [[ $EUID -eq 0 || $(id -un) == postgres ]]; then
        pg_ctlcluster "$version" main start || give_up "pg_ctlcluster $version main start failed"
    else
        give_up "PostgreSQL $version/main is not running and only root or postgres can start it"
    fi
fi

for _ in $(seq 60); do
    pg_isready -q -h "$HOST" -p "$port" && break
    sleep 0.5
done
pg_isready -h "$HOST" -p "$port" >/dev/null || give_up "PostgreSQL on $HOST:$port did not become ready"

psql_admin() { as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$port" -d postgres "$@"; }
if psql_admin -c 'select 1' >/dev/null 2>&1; then
    psql_admin <<SQL
DO \$\$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$ROLE') THEN
        CREATE ROLE $ROLE LOGIN CREATEDB PASSWORD '$PASSWORD';
    END IF;
END
\$\$;
SQL
    if [[ -z "$(psql_admin -tA -c "SELECT 1 FROM pg_database WHERE datname = '$DB'")" ]]; then
        say "creating database $DB"
        psql_admin -c "CREATE DATABASE $DB OWNER $ROLE"
    fi
elif ! PGPASSWORD=$PASSWORD psql -X -h "$HOST" -p "$port" -U "$ROLE" -d "$DB" -c 'select 1' >/dev/null 2>&1; then
    give_up "cannot create role $ROLE / database $DB without root or postgres"
fi

echo "postgresql+psycopg://$ROLE:$PASSWORD@$HOST:$port/$DB"
