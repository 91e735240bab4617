/**
 * Pure: one sample of a Prometheus text exposition by its series, `name` or
 * `name{label="value",…}` as the exposition writes it; undefined when absent
 * (prom-client writes a labelled series only once it has been counted).
 */
export function metricSample(text: string, series: string): number | undefined {
  const m = new RegExp(`^${series.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} (\\S+)$`, 'm').exec(text)
  return m ? Number(m[1]) : undefined
}
