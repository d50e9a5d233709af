// Configuration: defaults, errors that name the field (or the environment variable), unknown
// fields caught as typos, environment overrides, relative paths against the config file.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, parseConfig } from '../../../src/service/config.ts';

const bad = (raw: unknown, env: NodeJS.ProcessEnv, pattern: RegExp) =>
  assert.throws(() => parseConfig(raw, env, 'kw.json', '/etc/keywatch/kw.json'), (e: unknown) => e instanceof ConfigError && pattern.test(e.message), String(pattern));

test('defaults for everything but the data directory; relative paths are taken from the config file', () => {
  const c = parseConfig({ dataDir: 'data', caFile: 'ca.pem', dns: { trustAnchor: 'root.ds' } }, {}, 'kw.json', '/etc/keywatch/kw.json');
  assert.equal(c.dataDir, '/etc/keywatch/data');
  assert.equal(c.caFile, '/etc/keywatch/ca.pem');
  assert.equal(c.dns.trustAnchor, '/etc/keywatch/root.ds');
  assert.deepEqual(c.listen, { host: '127.0.0.1', port: 8080 });
  assert.equal(c.publicUrl, 'http://127.0.0.1:8080');
  assert.deepEqual(c.vantages, ['direct']);
  assert.equal(c.allowPrivate, false);
  assert.equal(c.schedule.intervalSeconds, 3600);
  assert.equal(c.schedule.jitter, 0.2);
  // A trust anchor given as text stays text.
  const text = parseConfig({ dataDir: '/d', dns: { trustAnchor: '. IN DS 20326 8 2 E06D44B8' } });
  assert.equal(text.dns.trustAnchor, '. IN DS 20326 8 2 E06D44B8');
  // With a SOCKS port, both vantages by default.
  assert.deepEqual(parseConfig({ dataDir: '/d', socks: 'socks5://127.0.0.1:9050' }).vantages, ['direct', 'tor']);
});

test('every error names the field; unknown fields are caught', () => {
  bad({ dataDir: '/d', schedule: { jitter: 1.5 } }, {}, /^kw\.json: schedule\.jitter: must be from 0 to 0\.9$/);
  bad({ dataDir: '/d', listen: { port: 70000 } }, {}, /kw\.json: listen\.port: must be 0-65535/);
  bad({ dataDir: '/d', schedul: {} }, {}, /kw\.json: schedul: unknown field/);
  bad({ dataDir: '/d', check: { timeout: 1 } }, {}, /kw\.json: check\.timeout: unknown field/);
  bad({}, {}, /kw\.json: dataDir: required/);
  bad({ dataDir: '/d', vantages: ['tor'] }, {}, /vantages: "tor" needs socks/);
  bad({ dataDir: '/d', socks: 'tor' }, {}, /socks: must be a SOCKS5 address/);
  bad({ dataDir: '/d', database: { url: 'mysql://x' } }, {}, /database\.url: must be a postgres:\/\/ URL/);
  bad({ dataDir: '/d', schedule: { intervalSeconds: 60 } }, {}, /schedule\.intervalSeconds: must not be below schedule\.minIntervalSeconds/);
  bad([], {}, /kw\.json: must be a JSON object/);
});

test('KEYWATCH_* environment variables override the file, and their errors name the variable', () => {
  const c = parseConfig(
    { dataDir: '/d', listen: { port: 1 } },
    { KEYWATCH_LISTEN: '[::1]:9000', KEYWATCH_ALLOW_PRIVATE: 'true', KEYWATCH_RESOLVERS: '127.0.0.1:53, 127.0.0.2', KEYWATCH_INTERVAL_SECONDS: '900', KEYWATCH_DATABASE_URL: 'postgres://kw@localhost/kw', KEYWATCH_WORKER_ID: 'w7' },
  );
  assert.deepEqual(c.listen, { host: '::1', port: 9000 });
  assert.equal(c.publicUrl, 'http://[::1]:9000');
  assert.equal(c.allowPrivate, true);
  assert.deepEqual(c.dns.resolvers, ['127.0.0.1:53', '127.0.0.2']);
  assert.equal(c.schedule.intervalSeconds, 900);
  assert.equal(c.database?.url, 'postgres://kw@localhost/kw');
  assert.equal(c.workerId, 'w7');
  bad({ dataDir: '/d' }, { KEYWATCH_ALLOW_PRIVATE: 'perhaps' }, /^KEYWATCH_ALLOW_PRIVATE: must be true or false/);
  bad({ dataDir: '/d' }, { KEYWATCH_CONCURRENCY: '0' }, /^KEYWATCH_CONCURRENCY: schedule\.concurrency: must be at least 1/);
  bad({ dataDir: '/d' }, { KEYWATCH_PUBLIC_URL: 'ftp://x' }, /^KEYWATCH_PUBLIC_URL: publicUrl: must be an http/);
});
