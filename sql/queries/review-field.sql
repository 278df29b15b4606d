-- Weekly review: field jobs completed in the previous (week 0) and the current week (week 1) of
-- {weeks} (as review-handovers.sql), and of them fixed the first time and revisited
-- (field-summary.sql's definitions). Cancelled and open jobs are in neither. Empty {tenant} /
-- {region} mean all.
WITH
    {weeks:Array(DateTime64(3, 'UTC'))} AS weeks
SELECT
    toUInt8(assumeNotNull(completed_at) >= weeks[2]) AS week,
    toUInt64(count()) AS jobs,
    toUInt64(countIf(first_time_fix = 1)) AS first_time_fix_jobs,
    toUInt64(countIf(revisits > 0)) AS revisited_jobs
FROM field_job_facts FINAL
WHERE status = 'completed'
  AND completed_at >= weeks[1]
  AND completed_at < weeks[3]
  AND ({tenant:String} = '' OR tenant = {tenant:String})
  AND ({region:String} = '' OR region = {region:String})
GROUP BY week
ORDER BY week
