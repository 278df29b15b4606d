-- ticket_events in granules of 1,024 rows instead of 8,192. A transform reads back by ticket id the
-- histories its cache does not hold (after a restart or a rebalance, or with more active tickets
-- than HISTORY_CACHE_MAX_MB keeps): each ticket costs the engine the granule its rows are in, in
-- every part, and every payload of that granule up to them is decompressed. Over a tenant of 9.46M
-- events, a batch of 700 such tickets read 4.4M rows in 8,192-row granules and 0.7M in 1,024-row
-- ones; the read-back took 0.9-1 s before and 0.42-0.45 s after (bench/README.md, "history
-- read-back"). The primary index grows by the same factor (about 30 KiB per million events).
--
-- index_granularity cannot be altered, so the table is rebuilt: a copy with the smaller granules is
-- filled from it and swapped with it. Transforms are stopped during an upgrade
-- (docs/operations.md, "Upgrading"), so nothing is written meanwhile. On a large install this reads
-- and writes every stored event once, and takes twice the table's disk until the old copy is
-- dropped. Run again after a failure at any statement, it starts over from the first: the table
-- holds every event at each step (the copy is complete before the swap).
DROP TABLE IF EXISTS ticket_events_rebuild;

-- The same columns (codecs and defaults included), in smaller granules.
CREATE TABLE ticket_events_rebuild AS ticket_events
ENGINE = ReplacingMergeTree
ORDER BY (tenant, ticket_id, event_id)
SETTINGS index_granularity = 1024;

INSERT INTO ticket_events_rebuild SELECT * FROM ticket_events;

EXCHANGE TABLES ticket_events AND ticket_events_rebuild;

DROP TABLE ticket_events_rebuild;
