/**
 * Loopback URLs with nothing listening, for upstreams that must be unreachable. The ports are
 * below 1024, which the system never hands out for a listen on port 0: a port bound and closed
 * again to find a free one can be taken by another suite's server (the suites run in parallel)
 * before the test dials it, and the "unreachable" upstream then answers.
 */
export const CLOSED_LOOPBACK_URLS = ['http://127.0.0.1:1', 'http://127.0.0.1:7', 'http://127.0.0.1:9'] as const;
