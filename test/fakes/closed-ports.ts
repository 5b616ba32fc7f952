/**
 * Loopback URLs with nothing listening, for upstreams and gateways that must be unreachable. The
 * ports are below 1024, which the system never hands out for a listen on port 0: a port bound and
 * closed again to find a free one can be taken by another suite's server (the suites run in
 * parallel) before the test dials it, and the "unreachable" server then answers. None is on
 * fetch's list of bad ports (1, 7, 9…), which fetch refuses before it dials.
 */
export const CLOSED_LOOPBACK_URLS = ['http://127.0.0.1:2', 'http://127.0.0.1:3', 'http://127.0.0.1:4'] as const;
