-- field-summary.sql's answer from the region rollups (api/rollups.ts): jobs completed before each
-- tenant's watermark from field_hourly, at or after it from field_job_facts_recent, each of those
-- as a row of one job in field_hourly's form. An hour that {from} or {to} falls inside
-- ({split_hours}) is read job by job, each at its own completion instant (the row's
-- `jobs_completed`, 0027_field_job_instants.sql), so the range may start and end anywhere; every
-- other hour is summed. {wm_tenants} / {wm_until} are the watermarks (a tenant missing has none).
-- Same parameters and definitions otherwise.
WITH
    {split_hours:Array(DateTime('UTC'))} AS split_hours,
    completed AS
(
    SELECT
        toString(region) AS region,
        jobs AS n_jobs,
        dispatch_latency_seconds,
        arrival_seconds,
        parts_delay_seconds,
        access_delay_ms,
        access_delayed,
        jobs_with_parts AS n_with_parts,
        parts_late,
        parts_faulty,
        first_time_fix,
        revisited,
        scope_changed,
        ratio_sum,
        ratio_count
    FROM field_hourly FINAL
    WHERE ({tenant:String} = '' OR tenant = {tenant:String})
      AND ({region:String} = '' OR region = {region:String})
      AND ({customer:String} = '' OR customer = {customer:String})
      AND hour >= {from:DateTime64(3, 'UTC')}
      AND hour < {to:DateTime64(3, 'UTC')}
      AND NOT has(split_hours, hour)
      AND hour < transform(toString(tenant), {wm_tenants:Array(String)}, {wm_until:Array(DateTime('UTC'))}, toDateTime(0, 'UTC'))
    -- section split
    UNION ALL
    SELECT
        toString(region),
        toUInt64(1),
        if(j.dispatch_latency_seconds IS NULL, [], [assumeNotNull(j.dispatch_latency_seconds)]),
        if(j.arrival_seconds IS NULL, [], [assumeNotNull(j.arrival_seconds)]),
        if(j.parts_delay_seconds IS NULL, [], [assumeNotNull(j.parts_delay_seconds)]),
        j.access_delay_ms,
        toUInt64(j.access_delayed),
        toUInt64(j.with_parts),
        toUInt64(j.parts_late),
        toUInt64(j.parts_faulty),
        toUInt64(j.first_time_fix),
        toUInt64(j.revisited),
        toUInt64(j.scope_changed),
        j.ratio,
        toUInt64(j.ratio_counted)
    FROM field_hourly FINAL
    ARRAY JOIN jobs_completed AS j
    WHERE ({tenant:String} = '' OR tenant = {tenant:String})
      AND ({region:String} = '' OR region = {region:String})
      AND ({customer:String} = '' OR customer = {customer:String})
      AND has(split_hours, hour)
      AND hour < transform(toString(tenant), {wm_tenants:Array(String)}, {wm_until:Array(DateTime('UTC'))}, toDateTime(0, 'UTC'))
      AND toDateTime64(hour, 3, 'UTC') + toIntervalMillisecond(j.offset_ms) >= {from:DateTime64(3, 'UTC')}
      AND toDateTime64(hour, 3, 'UTC') + toIntervalMillisecond(j.offset_ms) < {to:DateTime64(3, 'UTC')}
    -- end section split
    UNION ALL
    SELECT
        toString(region),
        toUInt64(1),
        if(dispatch_latency_seconds IS NULL, [], [assumeNotNull(dispatch_latency_seconds)]),
        if(arrival_seconds IS NULL, [], [assumeNotNull(arrival_seconds)]),
        if(parts_delay_seconds IS NULL, [], [assumeNotNull(parts_delay_seconds)]),
        toInt64(round(access_delay_seconds * 1000)),
        toUInt64(access_delays > 0),
        toUInt64(had_parts = 1),
        toUInt64(parts_late = 1),
        toUInt64(parts_faulty > 0),
        toUInt64(first_time_fix = 1),
        toUInt64(revisits > 0),
        toUInt64(scope_changes > 0),
        if(planned_seconds > 0 AND actual_seconds IS NOT NULL, assumeNotNull(actual_seconds) / assumeNotNull(planned_seconds), 0),
        toUInt64(planned_seconds > 0 AND actual_seconds IS NOT NULL)
    FROM field_job_facts_recent FINAL
    WHERE status = 'completed'
      AND completed_at >= {from:DateTime64(3, 'UTC')}
      AND completed_at < {to:DateTime64(3, 'UTC')}
      AND completed_at >= transform(toString(tenant), {wm_tenants:Array(String)}, {wm_until:Array(DateTime('UTC'))}, toDateTime(0, 'UTC'))
      AND ({tenant:String} = '' OR tenant = {tenant:String})
      AND ({region:String} = '' OR region = {region:String})
      AND ({customer:String} = '' OR customer = {customer:String})
)
SELECT
    region,
    toUInt64(sum(n_jobs)) AS jobs,
    if(sum(length(dispatch_latency_seconds)) = 0, NULL, round(quantileExactInclusiveArray(0.5)(dispatch_latency_seconds), 3)) AS dispatch_latency_p50_seconds,
    if(sum(length(dispatch_latency_seconds)) = 0, NULL, round(quantileExactInclusiveArray(0.9)(dispatch_latency_seconds), 3)) AS dispatch_latency_p90_seconds,
    if(sum(length(arrival_seconds)) = 0, NULL, round(quantileExactInclusiveArray(0.5)(arrival_seconds), 3)) AS arrival_p50_seconds,
    if(sum(length(arrival_seconds)) = 0, NULL, round(quantileExactInclusiveArray(0.9)(arrival_seconds), 3)) AS arrival_p90_seconds,
    round(sum(access_delay_ms) / 1000, 3) AS access_delay_total_seconds,
    sum(access_delayed) / jobs AS access_delayed_share,
    if(sum(length(parts_delay_seconds)) = 0, NULL, round(quantileExactInclusiveArray(0.5)(parts_delay_seconds), 3)) AS parts_delay_p50_seconds,
    toUInt64(sum(n_with_parts)) AS jobs_with_parts,
    if(jobs_with_parts = 0, NULL, sum(parts_late) / jobs_with_parts) AS late_parts_rate,
    if(jobs_with_parts = 0, NULL, sum(parts_faulty) / jobs_with_parts) AS faulty_on_arrival_rate,
    sum(first_time_fix) / jobs AS first_time_fix_rate,
    sum(revisited) / jobs AS revisit_rate,
    if(sum(ratio_count) = 0, NULL, sum(ratio_sum) / sum(ratio_count)) AS planned_vs_actual_ratio,
    sum(scope_changed) / jobs AS scope_change_rate
FROM completed
GROUP BY region
-- Explicit 0 rows of the rollup are no jobs: a region with none is not in the answer.
HAVING jobs > 0
ORDER BY region
