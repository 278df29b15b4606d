-- The last event each source sent, per tenant, over the canonical event families asked for
-- ({tickets} / {field_jobs} / {roster} = 1): received_at is when Baton's ingest took it in (the
-- event's `receivedAt`). Sources silent since before {since} are left out (taken as retired).
-- Empty {tenant} / {source} mean all.
SELECT
    tenant,
    source,
    toString(max(received_at)) AS last_received_at,
    toUInt64(count()) AS events
FROM
(
    SELECT tenant, source, received_at FROM ticket_events
    WHERE {tickets:UInt8} = 1 AND received_at >= {since:DateTime64(3, 'UTC')} AND received_at <= {at:DateTime64(3, 'UTC')}
    UNION ALL
    SELECT tenant, source, received_at FROM field_job_events
    WHERE {field_jobs:UInt8} = 1 AND received_at >= {since:DateTime64(3, 'UTC')} AND received_at <= {at:DateTime64(3, 'UTC')}
    UNION ALL
    SELECT tenant, source, received_at FROM roster_events
    WHERE {roster:UInt8} = 1 AND received_at >= {since:DateTime64(3, 'UTC')} AND received_at <= {at:DateTime64(3, 'UTC')}
)
WHERE ({tenant:String} = '' OR tenant = {tenant:String})
  AND ({source:String} = '' OR source = {source:String})
GROUP BY tenant, source
ORDER BY tenant, source
