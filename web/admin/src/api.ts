/**
 * The one way pages talk to the server: JSON in and out, the session cookie sent, the CSRF token
 * added to every change, and every failure turned into an ApiFailure carrying the API's
 * `{error, message, details?}`. A 401 (the session ended) hands over to the sign-in page.
 */

export interface FailureDetail {
  path: string;
  message: string;
}

export class ApiFailure extends Error {
  readonly status: number;
  readonly code: string;
  readonly details?: FailureDetail[];

  constructor(status: number, code: string, message: string, details?: FailureDetail[]) {
    super(message);
    this.name = 'ApiFailure';
    this.status = status;
    this.code = code;
    if (details) this.details = details;
  }
}

let csrfToken: string | null = null;
/** Set from the login answer and GET /api/auth/me (session.tsx does this). */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

let onSignedOut: () => void = () => {
  if (!location.pathname.startsWith('/admin/login')) location.assign('/admin/login');
};
/** What a 401 does (session.tsx shows the sign-in page in place). */
export function whenSignedOut(handler: () => void): void {
  onSignedOut = handler;
}

/** `path` with the defined params as a query string: query('/api/calls', {businessId, limit: 50}). */
export function query(
  path: string,
  params: Record<string, string | number | boolean | null | undefined>,
): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}${path.includes('?') ? '&' : '?'}${s}` : path;
}

async function failureOf(res: Response): Promise<ApiFailure> {
  let body: { error?: unknown; message?: unknown; details?: unknown } = {};
  try {
    body = (await res.json()) as typeof body;
  } catch {
    // Not JSON (a proxy's page): the status says enough.
  }
  const code = typeof body.error === 'string' ? body.error : `http_${res.status}`;
  const message =
    typeof body.message === 'string' ? body.message : `The server answered ${res.status} ${res.statusText}.`;
  const details = Array.isArray(body.details) ? (body.details as FailureDetail[]) : undefined;
  return new ApiFailure(res.status, code, message, details);
}

async function request<T>(method: string, path: string, init: RequestInit = {}, retried = false): Promise<T> {
  const headers = new Headers(init.headers);
  headers.set('accept', 'application/json');
  if (method !== 'GET' && csrfToken) headers.set('x-csrf-token', csrfToken);
  let res: Response;
  try {
    res = await fetch(path, { ...init, method, headers, credentials: 'same-origin' });
  } catch {
    throw new ApiFailure(0, 'network', 'The server cannot be reached. Check your connection and try again.');
  }
  if (!res.ok) {
    const failure = await failureOf(res);
    // The CSRF token went stale (signed in again in another tab): take the current one, once.
    if (failure.code === 'csrf_failed' && !retried && method !== 'GET') {
      const fresh = await fetch('/api/auth/me', { credentials: 'same-origin' }).catch(() => null);
      const me = fresh?.ok ? ((await fresh.json()) as { csrfToken?: unknown }) : null;
      if (typeof me?.csrfToken === 'string') {
        csrfToken = me.csrfToken;
        return request<T>(method, path, init, true);
      }
    }
    // Signing in with a wrong password is a 401 too: that one is the form's to show.
    if (res.status === 401 && !path.startsWith('/api/auth/login')) onSignedOut();
    throw failure;
  }
  if (res.status === 204) return undefined as T;
  const type = res.headers.get('content-type') ?? '';
  return (type.includes('json') ? await res.json() : await res.text()) as T;
}

export const api = {
  get<T>(path: string): Promise<T> {
    return request<T>('GET', path);
  },
  send<T>(method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
    return request<T>(
      method,
      path,
      body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } },
    );
  },
  /** multipart/form-data (the browser sets the boundary). */
  upload<T>(path: string, form: FormData): Promise<T> {
    return request<T>('POST', path, { body: form });
  },
};

/** A failure's words for a person: the API's message, or a generic one for anything else. */
export function messageOf(err: unknown): string {
  if (err instanceof ApiFailure) return err.message;
  return 'Something went wrong. Please try again.';
}
