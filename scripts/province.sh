#!/usr/bin/env bash
# The province demo: a province server on PostgreSQL and three site servers shipping
# their event logs to it, on this machine.
#   - PostgreSQL: the DSN in $PROVINCE_PG, or a demo cluster of Debian's postgresql
#     (initdb in /tmp/xephang-province-pg, port 55432; as the postgres user when run as root)
#   - the province server on http://127.0.0.1:8800 — the leaders' page /tinh (/en/province):
#     leader "lanh-dao-tinh" (password "lanh-dao-tinh-1234", the whole province) and
#     "lanh-dao-ben-cat" (password "lanh-dao-ben-cat-1234", the district of Bến Cát)
#   - three site servers, each with its own SQLite file in var/province/ and its shipper:
#       the provincial centre        http://127.0.0.1:8771  (assets/config/binh-duong.toml)
#       xã Phú An (commune)          http://127.0.0.1:8772  (assets/config/xa-phu-an.toml)
#       phường Tân Định (ward)       http://127.0.0.1:8773  (assets/config/tan-dinh.toml)
# Take numbers at a site (its /dat-lich, or a kiosk with its token) and watch /tinh.
# Ctrl-C stops everything (the demo cluster too; its data stays for the next start).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh province
PY=.venv/bin/python
mkdir -p var/province

pids=()
OWN_PG=""  # set when this script started the demo cluster (and so stops it)
PGDIR=${TMPDIR:-/tmp}/xephang-province-pg
PGPORT=55432
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  kill "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
  if [ -n "$OWN_PG" ]; then
    as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT INT TERM

if [ -z "${PROVINCE_PG:-}" ]; then
  PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  if [ ! -d "$PGDIR/data" ]; then
    mkdir -p "$PGDIR"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$PGDIR"
    as_pg "$PGBIN/initdb" -D "$PGDIR/data" -U postgres --auth=trust --encoding=UTF8 \
      --locale=C.UTF-8 >/dev/null
    printf "listen_addresses = '127.0.0.1'\nport = %s\nunix_socket_directories = '%s'\n" \
      "$PGPORT" "$PGDIR" | as_pg tee -a "$PGDIR/data/postgresql.conf" >/dev/null
  fi
  as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/server.log" -w start >/dev/null
  OWN_PG=1
  PROVINCE_PG="postgresql://postgres@127.0.0.1:$PGPORT/xephang_tinh"
  $PY - "$PGPORT" <<'PY'
import asyncio, sys, asyncpg
async def main():
    conn = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:{sys.argv[1]}/postgres")
    if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = 'xephang_tinh'"):
        await conn.execute("CREATE DATABASE xephang_tinh")
    await conn.close()
asyncio.run(main())
PY
fi

central() { $PY -m queue_server central "$@" --pg "$PROVINCE_PG"; }
SITES=(
  "tinh-binh-duong|Trung tâm Hành chính công tỉnh|Thủ Dầu Một|binh-duong|8771"
  "xa-phu-an|Bộ phận Một cửa xã Phú An|Bến Cát|xa-phu-an|8772"
  "phuong-tan-dinh|Bộ phận Một cửa phường Tân Định|Bến Cát|tan-dinh|8773"
)
for line in "${SITES[@]}"; do
  IFS='|' read -r id name district config port <<<"$line"
  central site add "$id" --name "$name" --province "Bình Dương" --district "$district" \
    >"var/province/$id.token"  # a new token at every start: the demo's shippers read it
done
echo "lanh-dao-tinh-1234" | central leader add lanh-dao-tinh --scope "province:Bình Dương" \
  --full-name "Lãnh đạo tỉnh"
echo "lanh-dao-ben-cat-1234" | central leader add lanh-dao-ben-cat --scope "district:Bến Cát" \
  --full-name "Lãnh đạo thị xã Bến Cát"

$PY -m queue_server central --pg "$PROVINCE_PG" --port 8800 &
pids+=($!)
for line in "${SITES[@]}"; do
  IFS='|' read -r id name district config port <<<"$line"
  $PY -m queue_server --config "assets/config/$config.toml" --db "var/province/$id.db" \
    --port "$port" --ignore-hours &
  pids+=($!)
done
$PY - <<'PY'
import time, urllib.request
for port in (8800, 8771, 8772, 8773):
    for _ in range(150):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            break
        except OSError:
            time.sleep(0.2)
PY
for line in "${SITES[@]}"; do
  IFS='|' read -r id name district config port <<<"$line"
  $PY -m queue_server ship --db "var/province/$id.db" --config "assets/config/$config.toml" \
    --central http://127.0.0.1:8800 --site "$id" --token-file "var/province/$id.token" &
  pids+=($!)
done

cat <<EOF2

Province demo running (Ctrl-C stops it):
  leaders' page   http://127.0.0.1:8800/tinh   (lanh-dao-tinh / lanh-dao-tinh-1234)
  sites           http://127.0.0.1:8771/dat-lich  ·  :8772  ·  :8773
  PostgreSQL      $PROVINCE_PG
EOF2
wait
