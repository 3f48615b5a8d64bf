-- Outgoing notifications (issue 3, point 8): signed webhooks with their delivery outbox, the
-- SMS outbox, the dispatchers' cursors over the case timeline and the inbox, notification
-- preferences and the daily digest.
-- Timestamps are UTC milliseconds since the epoch (INTEGER); booleans are INTEGER 0/1.

-- A county integration that wants case events POSTed to it (a 12345 hotline, a city
-- platform). The signing secret is encrypted (SM4-GCM, bound to the row).
CREATE TABLE webhook_subscriptions (
    id TEXT PRIMARY KEY,
    county_code TEXT NOT NULL,
    name TEXT NOT NULL,
    url TEXT NOT NULL,
    kinds TEXT NOT NULL,
    secret_enc BLOB NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    -- Events before this instant are not delivered (creation, or the last re-activation).
    since_at INTEGER NOT NULL,
    created_by TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX webhook_subscriptions_county ON webhook_subscriptions(county_code, active);

-- The delivery outbox: one row per (subscription, timeline entry), delivered in the order of
-- the timeline (event_at, event_id) per subscription.
CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY,
    subscription_id TEXT NOT NULL REFERENCES webhook_subscriptions(id),
    county_code TEXT NOT NULL,
    event_id TEXT NOT NULL,
    event_at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    case_number TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at INTEGER NOT NULL,
    last_status INTEGER,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    CONSTRAINT webhook_deliveries_once UNIQUE (subscription_id, event_id)
);
CREATE INDEX webhook_deliveries_queue ON webhook_deliveries(subscription_id, status, event_at, event_id);
CREATE INDEX webhook_deliveries_recent ON webhook_deliveries(county_code, created_at);

-- Text messages waiting to be sent through the SMS gateway. No phone number is stored here:
-- `to_kind`/`to_ref` name where the encrypted number is (a person of the registry, or the
-- phone a reporter left on a case); it is decrypted only when the message is sent.
CREATE TABLE sms_outbox (
    id TEXT PRIMARY KEY,
    county_code TEXT NOT NULL,
    kind TEXT NOT NULL,
    to_kind TEXT NOT NULL,
    to_ref TEXT NOT NULL,
    user_id TEXT,
    text TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at INTEGER NOT NULL,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    sent_at INTEGER
);
CREATE INDEX sms_outbox_due ON sms_outbox(status, next_at);

-- Where each dispatcher stopped: the last (at, id) it handed on, per county ('' when the
-- walk is not by county).
CREATE TABLE outbound_cursors (
    name TEXT NOT NULL,
    county_code TEXT NOT NULL,
    at INTEGER NOT NULL,
    last_id TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (name, county_code)
);

-- A user's choice per channel: 'immediate', 'digest' or 'off'. No row: the default.
CREATE TABLE notification_prefs (
    user_id TEXT NOT NULL REFERENCES users(id),
    channel TEXT NOT NULL,
    mode TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, channel)
);

-- One daily digest per user and day (China Standard Time); a county's day is done when its
-- row in `digest_days` exists.
CREATE TABLE digests (
    user_id TEXT NOT NULL,
    day TEXT NOT NULL,
    county_code TEXT NOT NULL,
    notices INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, day)
);
CREATE INDEX digests_user ON digests(user_id, created_at);

CREATE TABLE digest_days (
    county_code TEXT NOT NULL,
    day TEXT NOT NULL,
    done_at INTEGER NOT NULL,
    PRIMARY KEY (county_code, day)
);

-- County settings of outgoing notifications (the digest hour), one JSON document per county.
CREATE TABLE outbound_settings (
    county_code TEXT PRIMARY KEY,
    settings_json TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
