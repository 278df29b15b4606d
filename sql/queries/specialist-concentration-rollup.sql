-- specialist-concentration.sql's answer from the region rollups (api/rollups.ts): tickets first
-- resolved before each tenant's watermark from specialists_hourly, at or after it from
-- ticket_facts_recent. In an hour that {from} or {to} falls inside ({split_hours}) only the
-- resolutions whose instant (the row's resolved_offsets_ms, 0028_specialist_instants.sql) is in
-- the range count, so the range may start and end anywhere. {wm_tenants} / {wm_until} are the
-- watermarks (a tenant missing has none). Same parameters and definitions otherwise.
WITH per_agent AS
(
    SELECT region, category, agent, sum(n) AS resolved
    FROM
    (
        SELECT
            toString(region) AS region,
            toString(category) AS category,
            agent,
            if(has({split_hours:Array(DateTime('UTC'))}, hour),
                toUInt64(arrayCount(o -> toDateTime64(hour, 3, 'UTC') + toIntervalMillisecond(o) >= {from:DateTime64(3, 'UTC')}
                    AND toDateTime64(hour, 3, 'UTC') + toIntervalMillisecond(o) < {to:DateTime64(3, 'UTC')},
                    resolved_offsets_ms)),
                resolutions) AS n
        FROM specialists_hourly FINAL
        WHERE ({tenant:String} = '' OR tenant = {tenant:String})
          AND ({region:String} = '' OR region = {region:String})
          AND hour >= toStartOfHour({from:DateTime64(3, 'UTC')})
          AND hour < {to:DateTime64(3, 'UTC')}
          AND hour < transform(toString(tenant), {wm_tenants:Array(String)}, {wm_until:Array(DateTime('UTC'))}, toDateTime(0, 'UTC'))
        UNION ALL
        SELECT toString(resolved_region), toString(category), resolved_agent, toUInt64(1)
        FROM ticket_facts_recent FINAL
        WHERE resolved_at >= {from:DateTime64(3, 'UTC')}
          AND resolved_at < {to:DateTime64(3, 'UTC')}
          AND resolved_at >= transform(toString(tenant), {wm_tenants:Array(String)}, {wm_until:Array(DateTime('UTC'))}, toDateTime(0, 'UTC'))
          AND ({tenant:String} = '' OR tenant = {tenant:String})
          AND ({region:String} = '' OR resolved_region = {region:String})
    )
    GROUP BY region, category, agent
    -- Explicit 0 rows of the rollup are no resolutions: they must not count as an agent.
    HAVING resolved > 0
)
SELECT
    region,
    category,
    toUInt64(sum(resolved)) AS resolutions,
    toUInt64(sumIf(resolved, agent != '')) AS attributed,
    toUInt64(countIf(agent != '')) AS agents,
    if(attributed > 0, argMinIf(agent, (-resolved, agent), agent != ''), NULL) AS top_agent,
    toUInt64(maxIf(resolved, agent != '')) AS top_agent_resolutions,
    if(attributed > 0, toFloat64(top_agent_resolutions / attributed), NULL) AS top_agent_share,
    toUInt8(attributed > 0 AND (top_agent_share > 0.5 OR agents < 2)) AS flagged
FROM per_agent
GROUP BY region, category
ORDER BY flagged DESC, region, category
