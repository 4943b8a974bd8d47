#!/bin/sh
# The backup service: create the stanza (a no-op once done), a full backup at once when the
# repository has none, then every night at 02:00 a full backup on Sundays and a differential
# the other days. A failed night is said on stderr (docker compose logs backup) and in
# `xiangzhi backup-check`; the loop goes on to the next night.
set -u
stanza=xiangzhi
until pg_isready -q -h /var/run/postgresql; do sleep 5; done
until pgbackrest --stanza=$stanza stanza-create; do
  echo "stanza-create 失败，一分钟后再试" >&2
  sleep 60
done
if ! pgbackrest --stanza=$stanza info | grep -q "full backup"; then
  pgbackrest --stanza=$stanza --type=full backup || echo "首次全量备份失败" >&2
fi
while true; do
  next=$(date -d "today 02:00" +%s)
  [ "$next" -gt "$(date +%s)" ] || next=$(date -d "tomorrow 02:00" +%s)
  sleep $(( next - $(date +%s) ))
  if [ "$(date +%u)" = 7 ]; then kind=full; else kind=diff; fi
  pgbackrest --stanza=$stanza --type=$kind backup || echo "$(date +%F) 的 $kind 备份失败" >&2
done
