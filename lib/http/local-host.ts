/** The names a URL gives this machine by: `localhost`, 127.0.0.0/8, `[::1]` (as URL hostnames spell it), 0.0.0.0. */
const LOCAL_HOSTS = /^(localhost|127(\.\d{1,3}){3}|\[::1\]|0\.0\.0\.0)$/;

/**
 * Whether a URL's host is this machine.
 *
 * @example
 * isLocalUrl('http://127.0.0.1:8787/v1') // true
 * isLocalUrl('https://api.openai.com/v1') // false
 */
export function isLocalUrl(url: string): boolean {
  return LOCAL_HOSTS.test(new URL(url).hostname);
}
