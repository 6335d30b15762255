-- The rows a 9Router 0.5.69 db/data.sqlite holds for the same home as ../legacy-0.4/*.json.
-- Apply on top of tests/golden/9router-0.5.69-schema.sql (tests/importers/fixtures.py does).
INSERT INTO _meta (key, value) VALUES
  ('schemaVersion', '1'), ('appVersion', '0.5.69'), ('backupSchemaVersion', '1'),
  ('migratedAt', '2025-06-02T00:00:00.000Z'), ('totalRequestsLifetime', '2');
INSERT INTO settings (id, data) VALUES (1, '{"requireLogin":true,"password":"$2a$10$fixturefixturefixturefixturefixturefixturefixtureab","fallbackStrategy":"round-robin","stickyRoundRobinLimit":5,"providerStrategies":{"openrouter":{"fallbackStrategy":"fill-first"}},"comboStrategy":"fallback","comboStrategies":{"coding":{"fallbackStrategy":"round-robin"}},"rtkEnabled":false,"outboundProxyEnabled":true,"outboundProxyUrl":"http://proxy.example.com:3128","outboundNoProxy":"localhost,127.0.0.1","tunnelEnabled":false}');
INSERT INTO providerConnections (id, provider, authType, name, email, priority, isActive, data, createdAt, updatedAt) VALUES
  ('6f1c2a9e-0000-4000-8000-000000000001', 'openrouter', 'apikey', 'main', NULL, 1, 1,
   '{"apiKey":"sk-or-v1-fixture-main-0000000000000001","testStatus":"active","lastUsedAt":"2025-06-01T09:00:00.000Z","consecutiveUseCount":2}',
   '2025-05-01T10:00:00.000Z', '2025-05-01T10:00:00.000Z'),
  ('6f1c2a9e-0000-4000-8000-000000000002', 'openrouter', 'apikey', 'backup', NULL, 2, 1,
   '{"apiKey":"sk-or-v1-fixture-backup-000000000000002","testStatus":"unknown","providerSpecificData":{"proxyPoolId":"pool-0001"}}',
   '2025-05-01T10:01:00.000Z', '2025-05-01T10:01:00.000Z'),
  ('6f1c2a9e-0000-4000-8000-000000000003', 'openai-compatible-chat-0b5c1d2e', 'apikey', 'lab-1', NULL, 1, 1,
   '{"apiKey":"sk-lab-fixture-00000000000000000003","providerSpecificData":{"prefix":"lab","apiType":"chat","baseUrl":"https://llm.example.com/v1","nodeName":"lab"}}',
   '2025-05-02T08:00:00.000Z', '2025-05-02T08:00:00.000Z'),
  ('6f1c2a9e-0000-4000-8000-000000000004', 'claude', 'oauth', 'me@example.com', 'me@example.com', 1, 1,
   '{"accessToken":"sk-ant-oat01-fixture-0000000000000004","refreshToken":"sk-ant-ort01-fixture-0000000000000004","expiresAt":"2099-01-01T00:00:00.000Z","tokenType":"Bearer"}',
   '2025-05-03T08:00:00.000Z', '2025-05-03T08:00:00.000Z'),
  ('6f1c2a9e-0000-4000-8000-000000000005', 'xiaomi-tokenplan', 'apikey', 'luke-account-1', NULL, 1, 0,
   '{"apiKey":"tp-fixture-000000000000000000000005","providerSpecificData":{"region":"sgp"}}',
   '2025-05-04T08:00:00.000Z', '2025-05-04T08:00:00.000Z');
INSERT INTO providerNodes (id, type, name, data, createdAt, updatedAt) VALUES
  ('openai-compatible-chat-0b5c1d2e', 'openai-compatible', 'lab',
   '{"prefix":"lab","apiType":"chat","baseUrl":"https://llm.example.com/v1"}',
   '2025-05-02T08:00:00.000Z', '2025-05-02T08:00:00.000Z');
INSERT INTO proxyPools (id, isActive, testStatus, data, createdAt, updatedAt) VALUES
  ('pool-0001', 1, 'active',
   '{"name":"residential-1","proxyUrl":"http://user:fixturepw@10.0.0.1:8080","noProxy":"","type":"http","strictProxy":true,"lastTestedAt":"2025-06-01T08:00:00.000Z","lastError":null}',
   '2025-05-01T09:00:00.000Z', '2025-06-01T08:00:00.000Z');
INSERT INTO combos (id, name, kind, models, createdAt, updatedAt) VALUES
  ('combo-0001', 'coding', 'llm', '["lab/my-model","or/openai/gpt-4o-mini"]', '2025-05-05T08:00:00.000Z', '2025-05-05T08:00:00.000Z'),
  ('combo-0002', 'cheap', NULL, '["or/openai/gpt-4o-mini"]', '2025-05-05T08:01:00.000Z', '2025-05-05T08:01:00.000Z');
INSERT INTO apiKeys (id, key, name, machineId, isActive, createdAt) VALUES
  ('key-0001', 'sk-0123456789abcdef-a1b2c3-deadbeef', 'cursor', '0123456789abcdef', 1, '2025-05-06T08:00:00.000Z'),
  ('key-0002', 'sk-0123456789abcdef-d4e5f6-cafebabe', 'old-laptop', '0123456789abcdef', 0, '2025-05-06T08:01:00.000Z');
INSERT INTO kv (scope, key, value) VALUES
  ('modelAliases', 'fast', '"or/openai/gpt-4o-mini"'),
  ('modelAliases', 'opus', '{"provider":"claude","model":"claude-opus-4-8"}'),
  ('customModels', 'lab|my-model|llm', '{"providerAlias":"lab","id":"my-model","type":"llm","name":"My model"}'),
  ('pricing', 'openrouter', '{"openai/gpt-4o-mini":{"input":0.15,"output":0.6}}'),
  ('disabledModels', 'openrouter', '["openai/gpt-3.5-turbo"]');
INSERT INTO usageHistory (timestamp, provider, model, connectionId, apiKey, endpoint, promptTokens, completionTokens, cost, status, tokens, meta) VALUES
  ('2025-06-01T09:00:00.000Z', 'openrouter', 'openai/gpt-4o-mini', '6f1c2a9e-0000-4000-8000-000000000001',
   'sk-0123456789abcdef-a1b2c3-deadbeef', '/v1/chat/completions', 12, 34, 0.0001, 'ok',
   '{"prompt_tokens":12,"completion_tokens":34}', '{}'),
  ('2025-06-01T09:05:00.000Z', 'claude', 'claude-opus-4-8', '6f1c2a9e-0000-4000-8000-000000000004',
   NULL, '/v1/messages', 100, 20, 0.003, 'ok', '{"input_tokens":100,"output_tokens":20}', '{}');
INSERT INTO usageDaily (dateKey, data) VALUES
  ('2025-06-01', '{"requests":2,"promptTokens":112,"completionTokens":54,"cost":0.0031}');
