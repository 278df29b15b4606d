-- review-field.sql's answer from the region rollups (api/rollups.ts): jobs completed before each
-- tenant's watermark from field_hourly, at or after it from field_job_facts_recent
-- (field-summary-rollup.sql's edge). Every bound of {weeks} is a whole hour. Empty {tenant} /
-- {region} mean all.
WITH
    {weeks:Array(DateTime64(3, 'UTC'))} AS weeks,
    {wm_tenants:Array(String)} AS wm_tenants,
    {wm_until:Array(DateTime('UTC'))} AS wm_until,
    completed AS
    (
        SELECT toDateTime64(hour, 3, 'UTC') AS at, jobs, first_time_fix, revisited
        FROM field_hourly FINAL
        WHERE ({tenant:String} = '' OR tenant = {tenant:String})
          AND ({region:String} = '' OR region = {region:String})
          AND hour >= weeks[1]
          AND hour < weeks[3]
          AND hour < transform(toString(tenant), wm_tenants, wm_until, toDateTime(0, 'UTC'))
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
