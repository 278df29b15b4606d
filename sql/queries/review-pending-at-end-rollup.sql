-- review-pending-at-end.sql's counts from the rollups (api/rollups.ts): the handovers received by
-- the region still waiting at each instant of {ends}. Before each tenant's watermark, from
-- handover_teams_hourly: the handovers made before the instant minus the waits ended before it (a
-- wait ends after its handover was made). From the watermark on, the edge from
-- ticket_facts_recent: +1 for a handover made then, -1 for a wait that ended then (both are events,
-- so the ticket's row is recent). An hour that an instant of {ends} falls inside ({split_hours}) is
-- taken handover by handover and wait by wait at their instants (the row's `received_at` and
-- `waits_ended_offsets_ms`, 0029_review_rollup_instants.sql), every other hour whole. {wm_tenants} / {wm_until} are the watermarks. Row idx i is ends[i + 1] (0-based); none when
-- nothing was ever handed over to the region. Empty {tenant} / {region} mean all.
WITH
    {ends:Array(DateTime64(3, 'UTC'))} AS ends,
    {wm_tenants:Array(String)} AS wm_tenants,
    {wm_until:Array(DateTime('UTC'))} AS wm_until,
    {split_hours:Array(DateTime('UTC'))} AS split_hours,
    changes AS
    (
        SELECT toDateTime64(hour, 3, 'UTC') AS at, toInt64(received) - toInt64(waits_ended) AS change
        FROM handover_teams_hourly FINAL
        WHERE ({tenant:String} = '' OR tenant = {tenant:String})
          AND ({region:String} = '' OR to_region = {region:String})
          AND hour < arrayMax(ends)
          AND NOT has(split_hours, hour)
          AND hour < transform(toString(tenant), wm_tenants, wm_until, toDateTime(0, 'UTC'))
        -- section split
        UNION ALL
        SELECT toDateTime64(hour, 3, 'UTC') + toIntervalMillisecond(item.1), item.2
        FROM handover_teams_hourly FINAL
        ARRAY JOIN arrayConcat(
            arrayMap(h -> (h.offset_ms, toInt64(1)), received_at),
            arrayMap(o -> (o, toInt64(-1)), waits_ended_offsets_ms)) AS item
        WHERE ({tenant:String} = '' OR tenant = {tenant:String})
          AND ({region:String} = '' OR to_region = {region:String})
          AND has(split_hours, hour)
          AND hour < transform(toString(tenant), wm_tenants, wm_until, toDateTime(0, 'UTC'))
        -- end section split
        UNION ALL
        SELECT assumeNotNull(event.1), event.2
        FROM
        (
            SELECT ho_at, ho_until,
                   toDateTime64(transform(toString(tenant), wm_tenants, wm_until, toDateTime(0, 'UTC')), 3, 'UTC') AS wm
            FROM ticket_facts_recent FINAL
            ARRAY JOIN ho_at, ho_to_region, ho_until
            WHERE ({tenant:String} = '' OR tenant = {tenant:String})
              AND ({region:String} = '' OR ho_to_region = {region:String})
              AND handovers > 0
        )
        ARRAY JOIN arrayFilter(e -> e.1 IS NOT NULL AND e.1 >= wm, [(ho_at, toInt64(1)), (ho_until, toInt64(-1))]) AS event
    )
SELECT
    toUInt32(i - 1) AS idx,
    sumIf(change, at < ends[i]) AS pending
FROM changes
ARRAY JOIN arrayEnumerate(ends) AS i
GROUP BY i
ORDER BY i
