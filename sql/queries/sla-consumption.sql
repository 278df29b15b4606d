-- Resolution-clock business seconds each owning team consumed (and spent paused) on the tickets
-- whose resolution stopped met or breached in [{from}, {to}), with how many of those tickets it
-- held and how many of them breached. sla-team-consumption.sql with every API filter: {region} /
-- {team} select the owning team's region / the team (a restricted caller sees only the time its
-- own region's teams consumed); {customer} / {priority} select tickets. Empty filters mean all.
-- Seconds are summed in whole milliseconds: exact whatever the order, so the rollup
-- (sla-consumption-rollup.sql) gives the same figure.
SELECT
    t_team AS team,
    t_region AS region,
    toUInt64(count()) AS tickets,
    toUInt64(countIf(res_outcome = 'breached')) AS breached_tickets,
    sum(toInt64(round(t_elapsed * 1000))) / 1000 AS elapsed_seconds,
    sum(toInt64(round(t_paused * 1000))) / 1000 AS paused_seconds
FROM ticket_sla FINAL
ARRAY JOIN team_name AS t_team, team_region AS t_region, team_elapsed_seconds AS t_elapsed, team_paused_seconds AS t_paused
WHERE stopped = 1
  AND res_outcome IN ('met', 'breached')
  AND res_stopped_at >= {from:DateTime64(3, 'UTC')}
  AND res_stopped_at < {to:DateTime64(3, 'UTC')}
  AND ({tenant:String} = '' OR tenant = {tenant:String})
  AND ({region:String} = '' OR t_region = {region:String})
  AND ({team:String} = '' OR t_team = {team:String})
  AND ({customer:String} = '' OR customer = {customer:String})
  AND ({priority:String} = '' OR priority = {priority:String})
GROUP BY t_team, t_region
ORDER BY t_team, t_region
