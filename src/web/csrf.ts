// CSRF protection for the web forms: a random value in a cookie (HttpOnly, SameSite=Strict) and,
// in every form, a token that is an HMAC of that value and the form's name under a secret of this
// process. A POST is accepted only when its token matches its own cookie, so another site can
// neither read a token nor make one for a cookie it cannot see.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const CSRF_COOKIE = 'kw_csrf';
const VALUE = /^[A-Za-z0-9_-]{22,64}$/;

export function readCookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

export class Csrf {
  private readonly secret: Buffer;
  constructor(
    private readonly secure: boolean,
    secret?: Buffer,
  ) {
    this.secret = secret ?? randomBytes(32);
  }

  /** The request's cookie value, or a new one with the Set-Cookie header that stores it. */
  session(req: IncomingMessage): { value: string; setCookie?: string } {
    const have = readCookie(req, CSRF_COOKIE);
    if (have && VALUE.test(have)) return { value: have };
    const value = randomBytes(18).toString('base64url');
    return { value, setCookie: `${CSRF_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict${this.secure ? '; Secure' : ''}` };
  }

  token(cookieValue: string, form: string): string {
    return createHmac('sha256', this.secret).update(`${form}\n${cookieValue}`).digest('base64url');
  }

  /** Whether a POSTed token belongs to this request's cookie and this form. */
  check(req: IncomingMessage, form: string, token: unknown): boolean {
    const cookie = readCookie(req, CSRF_COOKIE);
    if (!cookie || !VALUE.test(cookie) || typeof token !== 'string') return false;
    const want = Buffer.from(this.token(cookie, form));
    const got = Buffer.from(token);
    return got.length === want.length && timingSafeEqual(got, want);
  }
}
