/**
 * The SQL cookbook: questions analysts ask of exported replays, as DuckDB SQL over the lake's Parquet files. README
 * shows the same queries; a test runs each one against an exported lake.
 */
export interface Recipe {
  readonly name: string;
  readonly title: string;
  /** DuckDB SQL; `{t:table}` stands for `read_parquet('<lake>/table/**\/*.parquet', hive_partitioning = true)`. */
  readonly sql: string;
}

const PATH = `coalesce(nullif(regexp_extract(url, '^[a-z]+://[^/?#]+(/[^?#]*)', 1), ''), '/')`;

export const COOKBOOK: readonly Recipe[] = [
  {
    name: 'sessions-per-day',
    title: 'Sessions per day with duration percentiles',
    sql: `SELECT dt, count(*) AS sessions,
       round(quantile_cont(duration_ms / 1000, 0.5), 1) AS p50_seconds,
       round(quantile_cont(duration_ms / 1000, 0.9), 1) AS p90_seconds,
       round(quantile_cont(duration_ms / 1000, 0.99), 1) AS p99_seconds
FROM {t:sessions}
GROUP BY dt ORDER BY dt`,
  },
  {
    name: 'rage-clicks-per-page',
    title: 'Rage clicks per page',
    sql: `SELECT ${PATH} AS page, count(*) AS rage_clicks, count(DISTINCT session_id) AS sessions
FROM {t:clicks}
WHERE is_rage_click
GROUP BY page ORDER BY rage_clicks DESC, page LIMIT 10`,
  },
  {
    name: 'console-errors-per-session',
    title: 'Console errors per session',
    sql: `SELECT session_id, count(*) AS errors, min(message) AS first_message
FROM {t:console_logs}
WHERE level_bucket = 'error'
GROUP BY session_id ORDER BY errors DESC, session_id LIMIT 10`,
  },
  {
    name: 'slowest-endpoints',
    title: 'Slowest network endpoints (p95)',
    sql: `SELECT method, regexp_replace(url, '[?#].*$', '') AS endpoint, count(*) AS requests,
       round(quantile_cont(duration_ms, 0.95)) AS p95_ms, round(avg(duration_ms)) AS avg_ms
FROM {t:network_requests}
WHERE duration_ms IS NOT NULL
GROUP BY ALL ORDER BY p95_ms DESC, endpoint LIMIT 10`,
  },
  {
    name: 'pageview-funnel',
    title: 'Pageview funnel: home → product → cart → checkout, in order within a session',
    sql: `WITH pv AS (SELECT session_id, timestamp, ${PATH} AS path FROM {t:pageviews}),
home AS (SELECT session_id, min(timestamp) AS t FROM pv WHERE path = '/' GROUP BY session_id),
product AS (SELECT pv.session_id, min(pv.timestamp) AS t FROM pv JOIN home USING (session_id)
            WHERE pv.path LIKE '/products/%' AND pv.timestamp > home.t GROUP BY pv.session_id),
cart AS (SELECT pv.session_id, min(pv.timestamp) AS t FROM pv JOIN product USING (session_id)
         WHERE pv.path = '/cart' AND pv.timestamp > product.t GROUP BY pv.session_id),
checkout AS (SELECT pv.session_id, min(pv.timestamp) AS t FROM pv JOIN cart USING (session_id)
             WHERE pv.path = '/checkout' AND pv.timestamp > cart.t GROUP BY pv.session_id)
SELECT 1 AS step, 'home' AS page, count(*) AS sessions FROM home
UNION ALL SELECT 2, 'product', count(*) FROM product
UNION ALL SELECT 3, 'cart', count(*) FROM cart
UNION ALL SELECT 4, 'checkout', count(*) FROM checkout
ORDER BY step`,
  },
];

/** Replaces `{t:table}` with a hive-partitioned read of that table under a local lake directory. */
export function recipeSql(recipe: Recipe, lakeDir: string): string {
  const root = lakeDir.replace(/'/g, "''");
  return recipe.sql.replace(
    /\{t:([a-z_]+)\}/g,
    (_m, t: string) => `read_parquet('${root}/${t}/**/*.parquet', hive_partitioning = true)`,
  );
}
