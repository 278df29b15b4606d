-- Weekly review: headcount (FTE) and members at each instant of {bounds}, with headcount.sql's
-- definition: membership periods that began before t and had not ended before t, so the points
-- line up with review-flow.sql's backlog. Row idx i is bounds[i + 1] (0-based); instants with no
-- member have no row. Empty {tenant} / {region} mean all.
WITH
    {bounds:Array(DateTime64(3, 'UTC'))} AS bounds,
    bounds[1] AS first_ts,
    bounds[length(bounds)] AS last_ts
SELECT
    toUInt32(i - 1) AS idx,
    -- FTE are fractions; summing them in floating point can leave 1e-15 residues
    round(sumIf(fte, start_at < bounds[i] AND (end_at IS NULL OR end_at >= bounds[i])), 3) AS headcount,
    toUInt64(countIf(start_at < bounds[i] AND (end_at IS NULL OR end_at >= bounds[i]))) AS members
FROM
(
    SELECT m_fte AS fte, m_from AS start_at, m_to AS end_at
    FROM agent_membership FINAL
    ARRAY JOIN m_region, m_fte, m_from, m_to
    WHERE ({tenant:String} = '' OR tenant = {tenant:String})
      AND ({region:String} = '' OR m_region = {region:String})
      AND m_from < last_ts
      AND (m_to IS NULL OR m_to >= first_ts)
)
ARRAY JOIN arrayEnumerate(bounds) AS i
GROUP BY i
ORDER BY i
