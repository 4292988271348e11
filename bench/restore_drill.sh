#!/usr/bin/env bash
# The backup and restore drill on PostgreSQL, end to end (docs/deploy.md « Backups and
# restore »): the demo assembly seeded into a database of its own, backed up with
# `manage.py backup`, then restored by `manage.py restore_drill` into a fresh database that
# it creates, checks and drops. Exits non-zero on any mismatch. CI runs it (.ci/run).
#
#   DRILL_DATABASE_URL=postgres://postgres@127.0.0.1:5432/agora_drill bench/restore_drill.sh
#
# The database named in DRILL_DATABASE_URL is dropped and created again: never point it at
# a real site. Prints the time of each step and the load average before and after;
# BENCH_FLOOR=1 also times bare pg_dump and pg_restore of the same database (the floor);
# BENCH_REPEAT=N repeats the backup, the drill (and the floor) N times.
set -euo pipefail
cd "$(dirname "$0")/.."

: "${DRILL_DATABASE_URL:?set DRILL_DATABASE_URL (a scratch PostgreSQL database)}"
db_name="${DRILL_DATABASE_URL##*/}"
server="${DRILL_DATABASE_URL%/*}"
data_dir="$(mktemp -d -t agora-drill-XXXXXX)"
cleanup() {
    rm -rf "$data_dir"
    for name in "$db_name" "${db_name}_floor"; do
        psql "$server/postgres" -qc "DROP DATABASE IF EXISTS \"$name\" WITH (FORCE)" \
            >/dev/null 2>&1 || true
    done
}
trap cleanup EXIT

psql "$server/postgres" -qc "DROP DATABASE IF EXISTS \"$db_name\" WITH (FORCE)"
psql "$server/postgres" -qc "CREATE DATABASE \"$db_name\""

export DATABASE_URL="$DRILL_DATABASE_URL" AGORA_DATA_DIR="$data_dir"
export BACKUP_DIR="$data_dir/backups" BACKUP_KEY_FILE="$data_dir/backup.key"
manage() { .venv/bin/python manage.py "$@"; }
timed() {  # timed LABEL COMMAND…: run it, then print how long it took
    local label=$1 start end
    shift
    start=$(date +%s%N)
    "$@"
    end=$(date +%s%N)
    local ms=$(( (end - start) / 1000000 ))
    printf '%s: %d.%d s\n' "$label" $((ms / 1000)) $(((ms % 1000) / 100))
}
seed() { manage seed_demo > "$data_dir/seed.log"; }
# The floor, in the same run: bare pg_dump, and createdb + pg_restore + dropdb of its dump,
# with no encryption, manifest, files or checks.
floor_dump() {
    pg_dump --format=custom --no-owner --no-privileges --file="$data_dir/floor.dump" \
        "$DRILL_DATABASE_URL"
}
floor_restore() {
    psql "$server/postgres" -qc "CREATE DATABASE \"${db_name}_floor\""
    pg_restore --no-owner --no-privileges --exit-on-error --dbname="$server/${db_name}_floor" \
        "$data_dir/floor.dump"
    psql "$server/postgres" -qc "DROP DATABASE \"${db_name}_floor\" WITH (FORCE)"
}

echo "load before: $(uptime)"
( umask 077 && manage backup --generate-key > "$BACKUP_KEY_FILE" )
timed "migrate" manage migrate --noinput -v 0
timed "seed_demo" seed
for _ in $(seq 1 "${BENCH_REPEAT:-1}"); do
    timed "backup" manage backup
    timed "restore_drill" manage restore_drill
    if [[ "${BENCH_FLOOR:-}" == 1 ]]; then
        timed "floor: pg_dump" floor_dump
        timed "floor: createdb + pg_restore + dropdb" floor_restore
    fi
done
echo "load after: $(uptime)"
