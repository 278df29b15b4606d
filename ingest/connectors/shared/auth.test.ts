import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkHubSignature } from '../jira/auth.js';
import { checkBasicAuth } from '../servicenow/auth.js';
import { checkZendeskSignature } from '../zendesk/auth.js';

const body = Buffer.from('{"hello":"world"}');

describe('ServiceNow HTTP Basic', () => {
  const basic = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;
  it('accepts the configured user and password', () => {
    expect(checkBasicAuth(basic('baton:s3cret:with:colons'), 'baton', 's3cret:with:colons')).toBeNull();
  });
  it('refuses a wrong password, a wrong user, a missing or non-Basic header', () => {
    expect(checkBasicAuth(basic('baton:nope'), 'baton', 's3cret')).toBe(
      'the ServiceNow webhook credentials are not valid',
    );
    expect(checkBasicAuth(basic('admin:s3cret'), 'baton', 's3cret')).not.toBeNull();
    expect(checkBasicAuth(undefined, 'baton', 's3cret')).toMatch(/required/);
    expect(checkBasicAuth('Bearer abc', 'baton', 's3cret')).toBe(
      'the Authorization header is not HTTP Basic',
    );
  });
});

describe('Jira X-Hub-Signature', () => {
  const sign = (secret: string, b: Buffer) =>
    `sha256=${createHmac('sha256', secret).update(b).digest('hex')}`;
  it('accepts the HMAC of the raw body', () => {
    expect(checkHubSignature(sign('jira-secret', body), 'jira-secret', body)).toBeNull();
  });
  it('refuses another secret, a changed body, a malformed or missing header', () => {
    expect(checkHubSignature(sign('other', body), 'jira-secret', body)).toBe(
      'the X-Hub-Signature does not match the body',
    );
    expect(
      checkHubSignature(sign('jira-secret', body), 'jira-secret', Buffer.from('{"hello":"World"}')),
    ).not.toBeNull();
    expect(checkHubSignature('sha1=abc', 'jira-secret', body)).toMatch(/not of the form/);
    expect(checkHubSignature(undefined, 'jira-secret', body)).toMatch(/required/);
  });
});

describe('Zendesk signature with replay window', () => {
  const now = Date.parse('2024-05-06T10:00:00Z');
  const sign = (secret: string, ts: string, b: Buffer) =>
    createHmac('sha256', secret).update(ts).update(b).digest('base64');
  const check = (over: Partial<Parameters<typeof checkZendeskSignature>[0]>) => {
    const timestamp = over.timestamp ?? '2024-05-06T09:59:30Z';
    return checkZendeskSignature({
      signature: sign('zd-secret', timestamp, body),
      timestamp,
      secret: 'zd-secret',
      body,
      nowMs: now,
      windowSeconds: 300,
      ...over,
    });
  };
  it('accepts base64(HMAC(timestamp + body)) within the window', () => {
    expect(check({})).toBeNull();
    expect(check({ timestamp: String(now / 1000 - 10) })).toBeNull();
  });
  it('refuses a wrong signature', () => {
    expect(check({ signature: sign('other', '2024-05-06T09:59:30Z', body) })).toBe(
      'the X-Zendesk-Webhook-Signature does not match the body',
    );
  });
  it('refuses a correctly signed but replayed (old) or future timestamp', () => {
    expect(check({ timestamp: '2024-05-06T09:54:59Z' })).toBe(
      'the signature timestamp is outside the replay window of 300 seconds',
    );
    expect(check({ timestamp: '2024-05-06T10:05:01Z' })).toMatch(/replay window/);
  });
  it('refuses missing headers, and a timestamp that is not a date', () => {
    expect(check({ signature: undefined })).toMatch(/required/);
    expect(check({ timestamp: 'soon' })).toBe('the X-Zendesk-Webhook-Signature-Timestamp is not a date-time');
  });
});
