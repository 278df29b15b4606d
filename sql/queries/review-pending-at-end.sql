-- Weekly review: handovers received by the region still waiting for a pickup at each instant of
-- {ends} (made before it, wait not ended before it: review-handovers.sql's pending_at_end), for
-- when the other figures of the handovers come from the rollups (review-handovers-rollup.sql).
-- {source} is ticket_facts, or its open copy ticket_facts_open when every instant is after now.
-- Row idx i is ends[i + 1] (0-based). Empty {tenant} / {region} mean all.
WITH
    {ends:Array(DateTime64(3, 'UTC'))} AS ends
SELECT
    toUInt32(i - 1) AS idx,
    toUInt64(countIf(ho_at < ends[i] AND (ho_until IS NULL OR ho_until >= ends[i]))) AS pending
FROM
(
    SELECT ho_at, ho_until
    FROM {source:Identifier} FINAL
    ARRAY JOIN ho_at, ho_to_region, ho_until
    WHERE ({tenant:String} = '' OR tenant = {tenant:String})
      AND ({region:String} = '' OR ho_to_region = {region:String})
      AND handovers > 0
      AND ho_at < arrayMax(ends)
)
ARRAY JOIN arrayEnumerate(ends) AS i
GROUP BY i
ORDER BY i
