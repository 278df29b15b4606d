-- Specialist concentration (docs/metrics.md, "Specialist concentration"): per region (the owner's
-- region at resolution) and category, over the tickets first resolved in [{from}, {to}): how many,
-- how many were attributed to an agent (the agent holding the ticket when it was resolved), the
-- number of distinct agents who resolved the category, the busiest agent and its share of the
-- attributed resolutions. Flagged when the busiest agent resolved more than half of them, or fewer
-- than two agents resolved any. Ties for the busiest agent go to the smallest agent id, so the
-- answer does not depend on the order rows are read. Empty {tenant} / {region} mean all.
WITH per_agent AS
(
    SELECT
        resolved_region AS region,
        category,
        resolved_agent AS agent,
        count() AS resolved
    FROM ticket_facts FINAL
    WHERE resolved_at >= {from:DateTime64(3, 'UTC')}
      AND resolved_at < {to:DateTime64(3, 'UTC')}
      AND ({tenant:String} = '' OR tenant = {tenant:String})
      AND ({region:String} = '' OR resolved_region = {region:String})
    GROUP BY region, category, agent
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
