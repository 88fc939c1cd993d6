"""How it is sent: the transactional outbox. planning writes Communications with the facts
(incident entries; maintenance and escalation notices), texts renders them after commit,
expansion turns them into Deliveries, coalescing defers routine ones, delivery sends them
through comms.transports, the sweeper re-drives what fell through."""
