-- Open field jobs blocked at {as_of}, one row per block, longest first: `access` (an access delay
-- not yet granted), `parts` (a part requested, not yet arrived) or `faulty_parts` (a part arrived
-- faulty, its replacement not yet arrived). A job blocked on access and parts has two rows.
-- blocked_seconds = {as_of} − since (0 when the block started after {as_of}).
-- Empty {tenant} / {region} / {customer} mean all.
WITH
    {as_of:DateTime64(3, 'UTC')} AS as_of,
    open_jobs AS
    (
        SELECT tenant, job_id, region, site, customer, engineer, access_delayed_since,
               parts_waiting_since, parts_waiting_reason
        FROM field_job_facts FINAL
        WHERE status = 'open'
          AND ({tenant:String} = '' OR tenant = {tenant:String})
          AND ({region:String} = '' OR region = {region:String})
          AND ({customer:String} = '' OR customer = {customer:String})
    ),
    blocks AS
    (
        SELECT tenant, job_id, region, site, customer, engineer, 'access' AS block,
               assumeNotNull(access_delayed_since) AS blocked_since
        FROM open_jobs
        WHERE access_delayed_since IS NOT NULL
        UNION ALL
        SELECT tenant, job_id, region, site, customer, engineer,
               if(parts_waiting_reason = 'faulty', 'faulty_parts', 'parts'),
               assumeNotNull(parts_waiting_since)
        FROM open_jobs
        WHERE parts_waiting_since IS NOT NULL
    )
SELECT
    tenant,
    job_id,
    region,
    site,
    customer,
    engineer,
    block,
    toString(blocked_since) AS since,
    greatest(dateDiff('millisecond', blocked_since, as_of), 0) / 1000 AS blocked_seconds
FROM blocks
ORDER BY blocked_seconds DESC, tenant, job_id, block
