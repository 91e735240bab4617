/**
 * How the KPI queries and the daily rollup cut their work for InfluxDB. Each
 * number trades one cost against another and was measured with the KPI
 * benchmark (bench/kpi.ts: 600 sites × 20 counters, one year) on a 2-core
 * machine, where InfluxDB runs one statement on one core; re-measure before
 * changing one, and on a machine with more cores.
 */

/**
 * Up to this many sites, a multi-period question (months, quarters, years) is
 * one statement by day, bucketed by the hub, instead of a statement per
 * period: it reads the same series once (a site's year by counter 93 ms
 * against 128 ms). More sites make the by-day answer larger than it saves.
 */
export const FEW_SITES = 5

/**
 * From this many periods on, a few sites' question is read by day: twelve
 * months are one statement instead of twelve, but a period and the one
 * before it (the console's drill-down) are two sums answered in parallel,
 * faster than ~180 daily rows (a counter's quarter: p50 265 ms by day,
 * 108 ms as two sums; bench reports).
 */
export const BY_DAY_FROM_PERIODS = 3

/**
 * From this many sites a cube sum (and the stale-day lookup) runs as two
 * statements on two halves of the sites, answered in parallel on both cores:
 * ~40 % faster for a province. Below it the second request costs more than
 * it saves.
 */
export const SPLIT_FROM_SITES = 100

/**
 * Statements run as separate requests, this many at a time (InfluxDB runs the
 * statements of one request one after another). Three keeps both cores busy
 * while one answer travels back; more only queue inside InfluxDB and slow the
 * ingest writes that share it.
 */
export const PARALLEL = 3

/**
 * Up to this many named sites, a site-day is counted by InfluxDB (costs the
 * same for ten ratings or a million); more, or every site, are read as the
 * day's rows and counted by the hub, several times cheaper there than a
 * regex of hundreds of site ids.
 */
export const COUNT_UP_TO_SITES = 50

/**
 * Sites the rollup recounts in one request when it counts by InfluxDB: small
 * enough that one busy site-day does not hold up the rest, large enough that
 * a round of a few hundred sites is not hundreds of requests.
 */
export const ROLLUP_CHUNK_SITES = 20

/**
 * Rollup recounts in flight at once: InfluxDB answers one while the hub
 * counts the other; a third would take a core from ingest writes.
 */
export const ROLLUP_LANES = 2
