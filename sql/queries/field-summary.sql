-- Field execution per region over the jobs completed in [{from}, {to}) (docs/metrics.md, "Field
-- execution"). Durations are seconds. Percentiles are exact and interpolated linearly between
-- ranks (quantileExactInclusive, as PERCENTILE.INC): the approximate `quantile` samples and would
-- make a small region's p90 depend on chance. Durations are rounded to the millisecond, the
-- precision of the inputs, so interpolation leaves no floating-point dust (3120, not
-- 3119.9999999999995). NULL durations (e.g. a job never dispatched) are left out of their
-- percentile; a rate or mean with nothing to count is NULL. Rates are shares of jobs: late parts
-- and faulty on arrival among the jobs that involved parts, the others among all jobs.
-- Empty {tenant} / {region} / {customer} mean all.
WITH completed AS
(
    SELECT *
    FROM field_job_facts FINAL
    WHERE status = 'completed'
      AND completed_at >= {from:DateTime64(3, 'UTC')}
      AND completed_at < {to:DateTime64(3, 'UTC')}
      AND ({tenant:String} = '' OR tenant = {tenant:String})
      AND ({region:String} = '' OR region = {region:String})
      AND ({customer:String} = '' OR customer = {customer:String})
)
SELECT
    region,
    toUInt64(count()) AS jobs,
    round(quantileExactInclusive(0.5)(dispatch_latency_seconds), 3) AS dispatch_latency_p50_seconds,
    round(quantileExactInclusive(0.9)(dispatch_latency_seconds), 3) AS dispatch_latency_p90_seconds,
    round(quantileExactInclusive(0.5)(arrival_seconds), 3) AS arrival_p50_seconds,
    round(quantileExactInclusive(0.9)(arrival_seconds), 3) AS arrival_p90_seconds,
    round(sum(access_delay_seconds), 3) AS access_delay_total_seconds,
    countIf(access_delays > 0) / count() AS access_delayed_share,
    round(quantileExactInclusive(0.5)(parts_delay_seconds), 3) AS parts_delay_p50_seconds,
    toUInt64(countIf(had_parts = 1)) AS jobs_with_parts,
    if(jobs_with_parts = 0, NULL, countIf(parts_late = 1) / jobs_with_parts) AS late_parts_rate,
    if(jobs_with_parts = 0, NULL, countIf(parts_faulty > 0) / jobs_with_parts) AS faulty_on_arrival_rate,
    countIf(first_time_fix = 1) / count() AS first_time_fix_rate,
    countIf(revisits > 0) / count() AS revisit_rate,
    avg(if(planned_seconds > 0, actual_seconds / planned_seconds, NULL)) AS planned_vs_actual_ratio,
    countIf(scope_changes > 0) / count() AS scope_change_rate
FROM completed
GROUP BY region
ORDER BY region
