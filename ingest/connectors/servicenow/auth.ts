import { type AuthFailure, safeEqual } from '../shared/signature.js';

/**
 * HTTP Basic authentication as a ServiceNow REST message sends it (Authentication type "Basic",
 * a basic auth profile): `Authorization: Basic base64(user:password)`. User and password are both
 * compared in constant time.
 */
export function checkBasicAuth(header: string | undefined, user: string, password: string): AuthFailure {
  if (!header) return 'HTTP Basic credentials are required (Authorization: Basic ...)';
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!match) return 'the Authorization header is not HTTP Basic';
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return 'the Basic credentials are malformed';
  const userOk = safeEqual(decoded.slice(0, colon), user);
  const passwordOk = safeEqual(decoded.slice(colon + 1), password);
  return userOk && passwordOk ? null : 'the ServiceNow webhook credentials are not valid';
}
