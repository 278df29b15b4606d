-- review-field.sql's answer from the region rollups (api/rollups.ts): jobs completed before each
-- tenant's watermark from field_hourly, at or after it from field_job_facts_recent
-- (field-summary-rollup.sql's edge). An hour that a bound of {weeks} falls inside ({split_hours})
-- is taken job by job at its instant (the row's `jobs_completed`), every other hour summed. Empty
-- {tenant} / {region} mean all.
WITH
    {weeks:Array(DateTime64(3, 'UTC'))} AS weeks,
    {wm_tenants:Array(String)} AS wm_tenants,
    {wm_until:Array(DateTime('UTC'))} AS wm_until,
    {split_hours:Array(DateTime('UTC'))} AS split_hours,
    completed AS
    (
        SELECT toDateTime64(hour, 3, 'UTC') AS at, jobs, first_time_fix, revisited
        FROM field_hourly FINAL
        WHERE ({tenant:String} = '' OR tenant = {tenant:String})
          AND ({region:String} = '' OR region = {region:String})
          AND hour >= weeks[1]
          AND hour < weeks[3]
          AND NOT has(split_hours, hour)
          AND hour < transform(toString(tenant), wm_tenants, wm_until, toDateTime(0, 'UTC'))
        -- section split
        UNION ALL
        SELECT
            toDateTime64(hour, 3, 'UTC') + toIntervalMillisecond(j.offset_ms) AS at,
            toUInt64(1),
            toUInt64(j.first_time_fix),
            toUInt64(j.revisited)
        FROM field_hourly FINAL
        ARRAY JOIN jobs_completed AS j
        WHERE ({tenant:String} = '' OR tenant = {tenant:String})
          AND ({region:String} = '' OR region = {region:String})
          AND has(split_hours, hour)
          AND hour < transform(toString(tenant), wm_tenants, wm_until, toDateTime(0, 'UTC'))
          AND at >= weeks[1]
          AND at < weeks[3]
        -- end section split
        UNION ALL
        SELECT assumeNotNull(completed_at), toUInt64(1), toUInt64(first_time_fix = 1), toUInt64(revisits > 0)
        FROM field_job_facts_recent FINAL
        WHERE status = 'completed'
          AND completed_at >= weeks[1]
          AND completed_at < weeks[3]
          AND completed_at >= transform(toString(tenant), wm_tenants, wm_until, toDateTime(0, 'UTC'))
          AND ({tenant:String} = '' OR tenant = {tenant:String})
          AND ({region:String} = '' OR region = {region:String})
    )
SELECT
    toUInt8(at >= weeks[2]) AS week,
    toUInt64(sum(jobs)) AS jobs,
    toUInt64(sum(first_time_fix)) AS first_time_fix_jobs,
    toUInt64(sum(revisited)) AS revisited_jobs
FROM completed
GROUP BY week
-- Explicit 0 rows of the rollup are no jobs: a week without any has no row, as live.
HAVING jobs > 0
ORDER BY week
