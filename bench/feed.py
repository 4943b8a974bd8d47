"""GET /api/v1/feed (first page) against a bare asyncpg baseline, 50 concurrent clients.

    python -m bench.feed [--posts 20000] [--seconds 10] [--concurrency 50]

Creates (and drops) the database ``xz_bench_feed``, seeds the demo town, adds ``--posts``
published posts with three photos each across its villages, then drives the service and
``bench/baseline_feed.py`` in turn. Prints one JSON line, appends to ``bench/results/feed.jsonl``.
"""

import argparse
import subprocess
import sys

import httpx

from bench.harness import (
    ROOT,
    baseline_load,
    console_login,
    free_port,
    load,
    psql,
    record_comparison,
    scratch_database,
    server,
)

SEED = """
INSERT INTO media (uploader_account_id, town_id, village_id, purpose, content_type, width, height,
                   byte_size, sha256, phash, display_key, thumb_key, moderation, created_at)
SELECT a.id, p.town_id, p.village_id, 'feed', 'image/jpeg', 1920, 1440, 800000,
       md5(g::text) || md5(g::text), substr(md5(g::text), 1, 16),
       'ab/' || md5(g::text) || '.jpg', 'ab/' || md5(g::text) || '.thumb.jpg', 'none', now()
FROM generate_series(1, 300) g,
     LATERAL (SELECT id, person_id FROM user_accounts WHERE username = 'admin') a
JOIN people p ON p.id = a.person_id;

INSERT INTO posts (town_id, village_id, author_account_id, author_person_id, title, body,
                   category, media_ids, status, pin_rank, published_at, like_count, view_count,
                   created_at)
SELECT t.id,
       CASE WHEN g % 5 = 0 THEN NULL ELSE v.ids[1 + g % array_length(v.ids, 1)] END,
       a.id, a.person_id, '村里新闻 ' || g, repeat('今天村里组织了环境卫生整治活动。', 6),
       (ARRAY['news', 'activity', 'commendation', 'policy'])[1 + g % 4],
       json_build_array(m.first + g % 300, m.first + (g + 1) % 300, m.first + (g + 2) % 300),
       'published', CASE WHEN g % 2000 = 0 THEN 1 ELSE 0 END,
       now() - g * interval '7 minutes', g % 40, g % 500, now() - g * interval '7 minutes'
FROM generate_series(1, {posts}) g,
     LATERAL (SELECT id FROM towns ORDER BY id LIMIT 1) t,
     LATERAL (SELECT array_agg(id ORDER BY id) AS ids FROM villages WHERE town_id = t.id) v,
     LATERAL (SELECT id, person_id FROM user_accounts WHERE username = 'admin') a,
     LATERAL (SELECT min(id) AS first FROM media) m;
ANALYZE posts;
ANALYZE media;
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()

    xiangzhi = [sys.executable, "-m", "app.cli"]
    with scratch_database("xz_bench_feed") as env:
        subprocess.run([*xiangzhi, "seed-demo"], env=env, cwd=ROOT, check=True, capture_output=True)
        psql(SEED.format(posts=args.posts), database="xz_bench_feed")
        app_port = free_port()
        app_url = f"http://127.0.0.1:{app_port}"
        with server([*xiangzhi, "serve", "--port", str(app_port)], env, f"{app_url}/healthz"):
            token = console_login(app_url)["access_token"]
            me = httpx.get(f"{app_url}/api/v1/me", headers={"Authorization": f"Bearer {token}"})
            first = httpx.get(
                f"{app_url}/api/v1/feed", headers={"Authorization": f"Bearer {token}"}
            ).json()
            assert len(first["items"]) == 20 and first["next_cursor"], first
            village_id = me.json()["village"]["id"]
            town_id = first["items"][0]["town_id"]
            service = load(f"{app_url}/api/v1/feed", token, args.concurrency, args.seconds)
        base_env = {**env, "BENCH_TOWN_ID": str(town_id), "BENCH_VILLAGE_ID": str(village_id)}
        baseline = baseline_load("baseline_feed", base_env, args.concurrency, args.seconds)

    record_comparison(
        "feed",
        "GET /api/v1/feed first page",
        service,
        baseline,
        posts=args.posts,
        concurrency=args.concurrency,
        seconds=args.seconds,
    )


if __name__ == "__main__":
    main()
